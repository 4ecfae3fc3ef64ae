"""Write the trimmed copy of OpenAI's schemas that the tests validate against.

The tests check answers against OpenAI's official OpenAPI document, which is 3 MB and lives
outside the repository (`../shared/reference/openai-openapi.json`). This script keeps, from that
document, only the schemas the tests use -- the root schemas below and every schema they
reference, transitively -- and only their shapes (no descriptions, titles, examples or vendor
`x-` keys), and writes them to `tests/openai-schemas.json` as an OpenAPI document with the
same `#/components/schemas/...` addresses. OpenAI's license goes beside it
(`tests/openai-schemas.LICENSE`).

    python scripts/openai_schemas.py                 # regenerate from ../shared/reference
    python scripts/openai_schemas.py --spec FILE     # from another copy of the document

tests/docs/test_openai_schemas.py checks that the committed copy is what this script produces.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "reference" / "openai-openapi.json"
SOURCE_LICENSE = SOURCE.with_suffix(".LICENSE")
TARGET = ROOT / "tests" / "openai-schemas.json"
TARGET_LICENSE = TARGET.with_suffix(".LICENSE")

# The request and answer bodies of the endpoints the gateway serves (chat, legacy completions,
# embeddings, models, Responses API, audio, moderations) and the error envelope. The Responses
# roots reach every input item, output item and stream event through their references.
ROOTS = (
    "ErrorResponse",
    "CreateChatCompletionRequest",
    "CreateChatCompletionResponse",
    "CreateChatCompletionStreamResponse",
    "CreateCompletionRequest",
    "CreateCompletionResponse",
    "CreateEmbeddingRequest",
    "CreateEmbeddingResponse",
    "ListModelsResponse",
    "Model",
    "CreateResponse",
    "Response",
    "ResponseStreamEvent",
    "ResponseItemList",
    "IncludeEnum",
    "CreateTranscriptionResponseJson",
    "CreateTranscriptionResponseVerboseJson",
    "CreateTranscriptionResponseStreamEvent",
    "CreateTranslationResponseJson",
    "CreateTranslationResponseVerboseJson",
    "CreateSpeechResponseStreamEvent",
    "CreateModerationResponse",
    "CreateTranscriptionRequest",
    "CreateTranslationRequest",
    "CreateSpeechRequest",
    "CreateModerationRequest",
)
SCHEMA_PREFIX = "#/components/schemas/"
DESCRIPTION = (
    "The shapes of the schemas this project's tests use, trimmed from OpenAI's OpenAPI document"
    " by scripts/openai_schemas.py (license: openai-schemas.LICENSE)."
)

# JSON Schema keywords whose value is a map of names to schemas (the names are data, not keywords).
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})
# Keywords whose value is data (a value an instance may hold), copied as it is.
_DATA = frozenset({"default", "enum", "const"})
# Annotations: they document a schema but never change what it accepts.
_ANNOTATIONS = frozenset(
    {"description", "title", "example", "examples", "externalDocs", "deprecated", "$comment"}
)


def shape(node: Any) -> Any:
    """A schema with its annotations and `x-` keys removed, recursively; names inside
    `properties` and other schema maps, and values under `default`/`enum`/`const`, are kept
    whatever they are called."""
    if isinstance(node, list):
        return [shape(item) for item in node]
    if not isinstance(node, dict):
        return node
    kept: dict[str, Any] = {}
    for key, value in node.items():
        if key in _ANNOTATIONS or key.startswith("x-"):
            continue
        if key in _DATA:
            kept[key] = value
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            kept[key] = {name: shape(schema) for name, schema in value.items()}
        else:
            kept[key] = shape(value)
    return kept


def references(node: Any) -> set[str]:
    """The names of the component schemas a node refers to (`$ref: #/components/schemas/X`)."""
    if isinstance(node, list):
        return set().union(*(references(item) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found: set[str] = set()
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            if not value.startswith(SCHEMA_PREFIX):
                raise ValueError(f"unexpected reference {value!r}")
            found.add(value.removeprefix(SCHEMA_PREFIX))
        else:
            found |= references(value)
    return found


def trim(spec: dict[str, Any], roots: tuple[str, ...] = ROOTS) -> dict[str, Any]:
    """The document reduced to the shapes of `roots` and everything they reference.

    Trimming a trimmed document gives it back unchanged. Raises KeyError naming a root or
    reference the document does not define.
    """
    schemas = spec["components"]["schemas"]
    kept: dict[str, Any] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in kept:
            continue
        kept[name] = shape(schemas[name])
        pending.extend(references(kept[name]) - kept.keys())
    return {
        "openapi": spec["openapi"],
        "info": {
            "title": spec["info"]["title"],
            "version": spec["info"]["version"],
            "license": spec["info"]["license"],
            "description": DESCRIPTION,
        },
        "paths": {},
        "components": {"schemas": dict(sorted(kept.items()))},
    }


def render(spec: dict[str, Any]) -> str:
    """The trimmed document as the committed file's text."""
    return json.dumps(trim(spec), indent=1, ensure_ascii=False) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", type=Path, default=SOURCE, help="OpenAI's openapi.json")
    args = parser.parse_args()
    text = render(json.loads(args.spec.read_text()))
    TARGET.write_text(text)
    shutil.copyfile(args.spec.with_suffix(".LICENSE"), TARGET_LICENSE)
    count = len(json.loads(text)["components"]["schemas"])
    print(f"wrote {TARGET.relative_to(ROOT)}: {count} schemas, {len(text)} bytes")


if __name__ == "__main__":
    main()
