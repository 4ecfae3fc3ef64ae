"""GET /v1/models and /v1/models/{id}: the configured models, the chat and embedding aliases and
the embedding models first, then each other task's aliases and models, then the rest of
Cloudflare's catalogue (of the tasks served) when it can be had. Each model says its `task`
(an extension: the kind of endpoint that takes it)."""

from __future__ import annotations

from typing import Any

from gateway.apis.models.schemas import Model, ModelList
from gateway.core.catalog import Catalog, model_not_found
from gateway.core.http import ASGIApp, JSONResponse, Request, Route, get
from gateway.core.services import Services

CREATED = 1_700_000_000  # for aliases, and models the catalogue gives no date for


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


async def list_models(request: Request[Services]) -> ASGIApp:
    models = await _models(request.services.catalog)
    return JSONResponse({"object": "list", "data": list(models.values())})


async def get_model(request: Request[Services]) -> ASGIApp:
    model_id = request.params["model_id"]
    models = await _models(request.services.catalog)
    if model_id not in models:
        raise model_not_found(model_id, "a name from GET /v1/models")
    return JSONResponse(models[model_id])


ROUTES: list[Route] = [
    get(
        "/v1/models",
        list_models,
        summary="List models",
        response_model=ModelList,
        errors=(401, 503),
    ),
    get(
        "/v1/models/{model_id:path}",
        get_model,
        summary="Retrieve a model",
        response_model=Model,
        errors=(401, 404, 503),
    ),
]
