"""Print the gateway's OpenAPI document (make openapi writes it to static/openapi.json)."""

from __future__ import annotations

import json
from typing import Any

from gateway.app import create_app
from gateway.core.config import Settings

DEFS_PREFIX = "#/$defs/"
COMPONENTS_PREFIX = "#/components/schemas/"


def hoist_defs(spec: dict[str, Any]) -> dict[str, Any]:
    """Move every `$defs` block into `components.schemas` and point its `$ref`s there.

    FastAPI puts the models it is given into `components`, but a schema written into a route's
    `responses` (such as `ChatCompletionChunk.model_json_schema()` for the SSE stream) keeps
    pydantic's local `$defs`, and its `#/$defs/X` references then resolve against the document
    root, where nothing is (OpenAPI 3.1 §4.8.24: a `$ref` is relative to the document). A name
    already in `components` must hold the same schema. Returns the spec, changed in place.
    """
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            for name, schema in node.pop("$defs", {}).items():
                visit(schema)
                if schemas.setdefault(name, schema) != schema:
                    raise ValueError(f"two different schemas are both named {name!r}")
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(DEFS_PREFIX):
                node["$ref"] = COMPONENTS_PREFIX + ref.removeprefix(DEFS_PREFIX)
            for value in node.values():
                visit(value)

    visit(spec["paths"])
    spec["components"]["schemas"] = dict(sorted(schemas.items()))
    return spec


def document() -> dict:
    """The spec as generated from the code, with neutral settings so it never varies by machine."""
    app = create_app(Settings(_env_file=None, worker_api_key=None))
    spec = hoist_defs(app.openapi())
    spec["servers"] = [{"url": "/", "description": "This gateway"}]
    return spec


if __name__ == "__main__":
    print(json.dumps(document(), indent=2, sort_keys=False))
