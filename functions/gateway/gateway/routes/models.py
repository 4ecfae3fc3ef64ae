"""GET /v1/models and /v1/models/{id}: the configured models, the chat and embedding aliases and
the embedding models first, then the rest of Cloudflare's catalogue (text generation and
embeddings) when it can be had."""

from __future__ import annotations

from fastapi import APIRouter, Request

from gateway.errors import GatewayError
from gateway.routes.answer import errors
from gateway.schemas import Model, ModelList
from gateway.services import Services, services

router = APIRouter()

CREATED = 1_700_000_000  # for aliases, and models the catalogue gives no date for


def _model(model_id: str, owner: str, created: int) -> dict:
    return {"id": model_id, "object": "model", "created": created or CREATED, "owned_by": owner}


async def _models(svc: Services) -> dict[str, dict]:
    upstream = await svc.catalogue.current()
    models = {
        model_id: _model(model_id, owner, entry.created if (entry := upstream.get(model_id)) else 0)
        for model_id, owner in svc.catalog.listed()
    }
    for name, entry in sorted(upstream.items()):
        models.setdefault(name, _model(name, "cloudflare", entry.created))
    return models


@router.get("/models", summary="List models", response_model=ModelList, responses=errors(401, 503))
async def list_models(request: Request) -> dict:
    return {"object": "list", "data": list((await _models(services(request))).values())}


@router.get(
    "/models/{model_id:path}",
    summary="Retrieve a model",
    response_model=Model,
    responses=errors(401, 404, 503),
)
async def get_model(model_id: str, request: Request) -> dict:
    models = await _models(services(request))
    if model_id in models:
        return models[model_id]
    raise GatewayError(
        404, f"The model '{model_id}' does not exist", code="model_not_found", param="model"
    )
