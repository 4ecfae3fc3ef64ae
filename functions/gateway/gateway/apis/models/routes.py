"""GET /v1/models and /v1/models/{id}: the configured models, the chat and embedding aliases and
the embedding models first, then each other task's aliases and models, then the rest of
Cloudflare's catalogue (of the tasks served) when it can be had. Each model says its `task`
(an extension: the kind of endpoint that takes it).

A request that carries `anthropic-version` (Anthropic's SDKs, Claude Code's model discovery) is
answered in Anthropic's shapes: `ModelInfo` objects, and a list page with `has_more`, `first_id`
and `last_id`, paged by `limit` (default 20, at most 1000), `after_id` and `before_id`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field, ValidationError

from gateway.apis.models.schemas import Model, ModelList
from gateway.core.catalog import Catalog, capabilities, model_not_found
from gateway.core.http import ASGIApp, JSONResponse, Request, Route, get
from gateway.core.keys import KeyRecord
from gateway.core.services import Services
from gateway.core.validation import RequestModel, validation_error

CREATED = 1_700_000_000  # for aliases, and models the catalogue gives no date for
ANTHROPIC_CLIENT = "anthropic-version"


def _model(model_id: str, owner: str, created: int, task: str) -> dict[str, Any]:
    return {
        "id": model_id,
        "object": "model",
        "created": created or CREATED,
        "owned_by": owner,
        "task": task,
    }


async def _models(catalog: Catalog) -> dict[str, dict[str, Any]]:
    upstream = await catalog.catalogue.current()
    models = {
        model_id: _model(
            model_id, owner, entry.created if (entry := upstream.get(model_id)) else 0, task
        )
        for model_id, owner, task in catalog.listed()
    }
    for name, entry in sorted(upstream.items()):
        models.setdefault(
            name, _model(name, "cloudflare", entry.created, catalog.label_of(entry.task))
        )
    return models


def anthropic_model(model: dict[str, Any]) -> dict[str, Any]:
    """A model as Anthropic's `ModelInfo`: its name as the display name, its creation time in
    RFC 3339, and its context window where the gateway knows it."""
    created = datetime.fromtimestamp(model["created"], UTC).isoformat().replace("+00:00", "Z")
    info = {
        "type": "model",
        "id": model["id"],
        "display_name": model["id"],
        "created_at": created,
        "lifecycle": "active",
    }
    if window := capabilities(model["id"]).context_window:
        info["max_input_tokens"] = window
    return info


class AnthropicPage(RequestModel):
    """The query of Anthropic's `GET /v1/models`."""

    limit: int = Field(default=20, ge=1, le=1000)
    after_id: str | None = None
    before_id: str | None = None


def anthropic_page(models: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    """One page of Anthropic's model list: `limit` models after `after_id` (or the last before
    `before_id`)."""
    try:
        page = AnthropicPage.model_validate(query)
    except ValidationError as exc:
        raise validation_error(exc) from None
    ids = [model["id"] for model in models]
    start, end = 0, len(models)
    if page.after_id in ids:
        start = ids.index(page.after_id) + 1
    if page.before_id in ids:
        end = ids.index(page.before_id)
        start = max(start, end - page.limit)
    data = [anthropic_model(model) for model in models[start:end][: page.limit]]
    more = start + len(data) < end if page.before_id is None else start > 0
    return {
        "data": data,
        "has_more": more,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


def _visible(
    models: dict[str, dict[str, Any]], catalog: Catalog, key: KeyRecord | None
) -> dict[str, dict[str, Any]]:
    """The models a key may use: all of them, unless it is a named key with a list of models
    (then those its list names, by name or by an alias of theirs)."""
    if key is None or key.models is None:
        return models
    return {model_id: model for model_id, model in models.items() if catalog.permits(key, model_id)}


async def list_models(request: Request[Services]) -> ASGIApp:
    catalog = request.services.catalog
    models = _visible(await _models(catalog), catalog, request.context.key)
    if ANTHROPIC_CLIENT in request.headers:
        return JSONResponse(anthropic_page(list(models.values()), request.query))
    return JSONResponse({"object": "list", "data": list(models.values())})


async def get_model(request: Request[Services]) -> ASGIApp:
    model_id = request.params["model_id"]
    catalog = request.services.catalog
    models = _visible(await _models(catalog), catalog, request.context.key)
    if model_id not in models:
        raise model_not_found(model_id, "a name from GET /v1/models")
    if ANTHROPIC_CLIENT in request.headers:
        return JSONResponse(anthropic_model(models[model_id]))
    return JSONResponse(models[model_id])


ROUTES: list[Route] = [
    get(
        "/v1/models",
        list_models,
        summary="List models",
        description="With an `anthropic-version` header, in Anthropic's shape (`ModelInfo` "
        "objects; `limit`, `after_id`, `before_id`).",
        response_model=ModelList,
        errors=(401, 503),
    ),
    get(
        "/v1/models/{model_id:path}",
        get_model,
        summary="Retrieve a model",
        description="With an `anthropic-version` header, as Anthropic's `ModelInfo`.",
        response_model=Model,
        errors=(401, 404, 503),
    ),
]
