"""static/openapi.json is generated from the code, in sync with it, and documents the API fully."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from gateway.app import routes
from gateway.core.openapi import unwrap_descriptions
from scripts.export_openapi import document

STATIC_SPEC = Path(__file__).resolve().parents[2] / "static" / "openapi.json"
V1_PATHS = {
    "/v1/chat/completions": "post",
    "/v1/completions": "post",
    "/v1/embeddings": "post",
    "/v1/models": "get",
    "/v1/models/{model_id}": "get",
    "/v1/messages": "post",
    "/v1/messages/count_tokens": "post",
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    # Through JSON, so tuples and lists (and key types) compare as the file stores them.
    return json.loads(json.dumps(document()))


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


def test_committed_spec_is_up_to_date(spec):
    committed = json.loads(STATIC_SPEC.read_text())
    assert committed == spec, (
        "static/openapi.json is stale: run `make openapi` and commit the result"
    )


def test_spec_has_the_v1_paths(spec):
    assert spec["openapi"].startswith("3.")
    for path, method in V1_PATHS.items():
        assert method in spec["paths"].get(path, {}), f"{method.upper()} {path} is not documented"
    assert "get" in spec["paths"]["/health"]


def test_v1_and_admin_operations_need_the_bearer_key(spec):
    schemes = spec["components"]["securitySchemes"]
    bearer = [name for name, s in schemes.items() if s == s | {"type": "http", "scheme": "bearer"}]
    assert bearer, f"no HTTP bearer security scheme in {schemes}"
    for path, method, operation in operations(spec):
        if path.startswith(("/v1/", "/admin/")):
            assert {bearer[0]: []} in operation.get("security", []), f"{method} {path}"
        else:
            assert not operation.get("security"), f"public {method} {path} asks for a key"


def test_every_v1_operation_documents_its_errors(spec):
    for path, method, operation in operations(spec):
        if not path.startswith("/v1/"):
            continue
        responses = operation["responses"]
        errors = {code for code in responses if code[0] in "45"}
        assert {"401", "503", "4XX"} <= errors, f"{method} {path}: {errors}"
        # A route without a body (variations) or that calls no model (counting tokens) has no
        # model errors to document.
        if method == "post" and "requestBody" in operation and not path.endswith("/count_tokens"):
            expected = {"400", "404", "413", "429", "502", "504"}
            assert expected <= errors, f"{method} {path}: {errors}"


ENVELOPE = {"$ref": "#/components/schemas/ErrorResponse"}
ANTHROPIC_ENVELOPE = {"$ref": "#/components/schemas/AnthropicErrorResponse"}


def test_every_documented_error_is_its_familys_envelope(spec):
    """OpenAI's envelope everywhere but on Anthropic's Messages API, which has Anthropic's."""
    for path, method, operation in operations(spec):
        family = ANTHROPIC_ENVELOPE if path.startswith("/v1/messages") else ENVELOPE
        for code, response in operation["responses"].items():
            if code[0] not in "45":
                continue
            schema = response["content"]["application/json"]["schema"]
            assert schema == family, f"{method} {path} {code} documents {schema}"
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_error_envelope_schema_matches_openai(spec):
    schemas = spec["components"]["schemas"]
    error = schemas["ErrorResponse"]
    assert error["required"] == ["error"]
    detail = schemas[error["properties"]["error"]["$ref"].rsplit("/", 1)[-1]]
    assert set(detail["required"]) == {"message", "type", "param", "code"}


def test_committed_spec_is_a_valid_openapi_document():
    """The whole document, as served, passes an OpenAPI 3.1 validator (which also resolves
    every reference it meets)."""
    validate(json.loads(STATIC_SPEC.read_text()))


def references(node: Any) -> list[str]:
    if isinstance(node, list):
        return [ref for item in node for ref in references(item)]
    if not isinstance(node, dict):
        return []
    own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
    return own + [ref for value in node.values() for ref in references(value)]


def test_every_reference_resolves_within_the_document(spec):
    resolver = Registry().with_resource("urn:spec", DRAFT202012.create_resource(spec)).resolver()
    refs = references(spec)
    assert refs
    for ref in set(refs):
        assert ref.startswith("#/components/schemas/"), ref
        resolver.lookup(f"urn:spec{ref}")
    assert '"$defs"' not in json.dumps(spec)


def without_discriminators(node: Any) -> Any:
    """A schema without OpenAPI's `discriminator` hints (which the document adds; it also joins
    the lines of descriptions, as `unwrap_descriptions` does to the model's own)."""
    if isinstance(node, list):
        return [without_discriminators(item) for item in node]
    if isinstance(node, dict):
        return {k: without_discriminators(v) for k, v in node.items() if k != "discriminator"}
    return node


def test_the_document_describes_what_each_route_validates(spec):
    """Each POST route's body is documented by the very model the route validates it with,
    and every route but the docs site's own files is documented."""
    documented = 0
    for route in routes():
        if not route.documented:
            assert not route.path.startswith("/v1"), route.path
            continue
        path = route.path.replace(":path}", "}")
        operation = spec["paths"][path][route.method.lower()]
        documented += 1
        if route.body is None:
            assert "requestBody" not in operation, path
            continue
        media = "multipart/form-data" if route.upload else "application/json"
        ref = operation["requestBody"]["content"][media]["schema"]["$ref"]
        own = route.body.model_json_schema(ref_template="#/components/schemas/{model}")
        own.pop("$defs", None)
        unwrap_descriptions(own)
        assert without_discriminators(spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]) == (
            without_discriminators(own)
        ), path
    assert documented == len(operations(spec))
