"""The OpenAPI document, generated from the routes and the pydantic models they validate with.

`scripts/export_openapi.py` writes it to `static/openapi.json` (`make openapi`), which the docs
site serves; the app itself never builds it, so no request and no cold start pays for it. A test
keeps the committed file equal to what this generates. Every documented error is OpenAI's
envelope (`ErrorResponse`), except on routes of another family (`Route.error_format`: the
Messages API's are Anthropic's).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from gateway.core.http import Route

REF = "#/components/schemas/{model}"
SECURITY_SCHEME = "HTTPBearer"
API_KEY_SCHEME = "APIKeyHeader"
"""The same key in `x-api-key`, as Anthropic's clients send it (core.auth)."""

ERROR_DESCRIPTIONS = {
    400: "Invalid request",
    401: "Missing or wrong API key",
    403: "Not allowed for this key",
    404: "Unknown model",
    409: "Conflict (a key with this name exists)",
    413: "Request too large",
    429: "Rate limited or out of capacity upstream (Retry-After passed on)",
    502: "Workers AI failed",
    503: "Workers AI or a secret unavailable",
    504: "Workers AI timed out",
    529: "Workers AI out of capacity (Anthropic's `overloaded_error`; Retry-After passed on)",
}


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorResponse(BaseModel):
    """OpenAI's error envelope, which every error of this API uses."""

    error: ErrorDetail


def _operation_id(route: Route) -> str:
    """FastAPI's convention, kept so the ids stay stable: `{function}{path}_{method}`."""
    name = route.endpoint.__name__
    return re.sub(r"\W", "_", f"{name}{_openapi_path(route.path)}") + f"_{route.method.lower()}"


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _parameters(route: Route) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "title": name.replace("_", " ").title()},
        }
        for name in re.findall(r"\{(\w+)(?::path)?\}", route.path)
    ]
    if route.query is not None:
        schema = route.query.model_json_schema(ref_template=REF)
        for name, prop in schema.get("properties", {}).items():
            param = {"name": name, "in": "query", "required": False, "schema": prop}
            if "description" in prop:
                param["description"] = prop["description"]
            params.append(param)
    return params


def _operation(route: Route, schemas: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": route.summary,
        "operationId": _operation_id(route),
    }
    if route.description:
        operation["description"] = route.description
    if route.auth:
        operation["security"] = [{SECURITY_SCHEME: []}, {API_KEY_SCHEME: []}]
    if parameters := _parameters(route):
        operation["parameters"] = parameters
    if route.body is not None:
        schema = schemas[(route.body, "validation")]
        media = "multipart/form-data" if route.upload else "application/json"
        operation["requestBody"] = {"content": {media: {"schema": schema}}, "required": True}
    ok: dict[str, Any] = {"description": "Successful Response"}
    if route.response_model is not None:
        ok["content"] = _json(schemas[(route.response_model, "serialization")])
    for media, answer in route.answers:
        ok.setdefault("content", {})[media] = {"schema": answer}
    if route.stream is not None:
        description, event = route.stream
        ok["description"] = description
        stream_schema = (
            schemas[(event, "serialization")] if event is not None else {"type": "string"}
        )
        ok.setdefault("content", {})["text/event-stream"] = {"schema": stream_schema}
    responses: dict[str, Any] = {str(route.status): ok}
    envelope = route.error_format.model if route.error_format else ErrorResponse
    error = _json({"$ref": REF.format(model=envelope.__name__)})
    for status in route.errors:
        responses[str(status)] = {"description": ERROR_DESCRIPTIONS[status], "content": error}
    if route.errors:
        responses["4XX"] = {"description": "Any other client error", "content": error}
    operation["responses"] = responses
    return operation


def _tags(schema: dict[str, Any], key: str) -> list[str]:
    """The values a schema's property `key` is fixed to (`const`, or an `enum`)."""
    prop = schema.get("properties", {}).get(key, {})
    if "const" in prop:
        return [prop["const"]]
    return list(prop.get("enum", []))


def _add_discriminators(node: Any, components: dict[str, Any]) -> None:
    """Give each `oneOf` of components told apart by one property (`type`, `role`) OpenAPI's
    `discriminator` with its mapping, as pydantic does only for unions it can see through
    (validation.tagged_union chooses by a function)."""
    if isinstance(node, list):
        for item in node:
            _add_discriminators(item, components)
        return
    if not isinstance(node, dict):
        return
    branches = node.get("oneOf")
    if isinstance(branches, list) and "discriminator" not in node:
        names = [b.get("$ref", "").rsplit("/", 1)[-1] for b in branches]
        for key in ("type", "role"):
            tagged = [(name, _tags(components.get(name, {}), key)) for name in names]
            if all(tags for _, tags in tagged):
                mapping = {tag: REF.format(model=name) for name, tags in tagged for tag in tags}
                node["discriminator"] = {"propertyName": key, "mapping": mapping}
                break
    for value in node.values():
        _add_discriminators(value, components)


def unwrap_descriptions(node: Any) -> None:
    """Join the lines of each description's paragraphs: pydantic takes them from docstrings as
    they are wrapped in the code, and renderers show a line break as the end of a sentence."""
    if isinstance(node, list):
        for item in node:
            unwrap_descriptions(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                node[key] = re.sub(r"(?<!\n)\n(?!\n)", " ", value)
            else:
                unwrap_descriptions(value)


def _openapi_path(path: str) -> str:
    return re.sub(r"\{(\w+):path\}", r"{\1}", path)


def document(routes: list[Route], *, title: str, version: str, description: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the documented `routes`."""
    documented = [route for route in routes if route.documented]
    models: list[tuple[type[BaseModel], Any]] = [(ErrorResponse, "serialization")]
    for route in documented:
        if route.body is not None:
            models.append((route.body, "validation"))
        if route.response_model is not None:
            models.append((route.response_model, "serialization"))
        if route.stream is not None and route.stream[1] is not None:
            models.append((route.stream[1], "serialization"))
        if route.error_format is not None:
            models.append((route.error_format.model, "serialization"))
    refs, definitions = models_json_schema(list(dict.fromkeys(models)), ref_template=REF)
    components = dict(sorted(definitions.get("$defs", {}).items()))
    _add_discriminators(components, components)
    unwrap_descriptions(components)
    paths: dict[str, dict[str, Any]] = {}
    for route in documented:
        operations = paths.setdefault(_openapi_path(route.path), {})
        operations[route.method.lower()] = _operation(route, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "description": description, "version": version},
        "servers": [{"url": "/", "description": "This gateway"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "description": "The gateway API key.",
                    "scheme": "bearer",
                },
                API_KEY_SCHEME: {
                    "type": "apiKey",
                    "description": "The gateway API key, as Anthropic's clients send it.",
                    "in": "header",
                    "name": "x-api-key",
                },
            },
        },
    }
