"""GET /v1/models and /v1/models/{id}: the configured models and the aliases."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from gateway.errors import GatewayError
from gateway.routes.responses import errors
from gateway.schemas import Model, ModelList
from gateway.services import Services, services

router = APIRouter()

CREATED = 1_700_000_000  # a fixed timestamp: Workers AI does not say when a model was added


def _model(model_id: str, owner: str) -> dict:
    return {"id": model_id, "object": "model", "created": CREATED, "owned_by": owner}


@router.get("/models", summary="List models", response_model=ModelList, responses=errors(401, 503))
async def list_models(svc: Services = Depends(services)) -> dict:
    return {"object": "list", "data": [_model(*item) for item in svc.catalog.listed()]}


@router.get(
    "/models/{model_id:path}",
    summary="Retrieve a model",
    response_model=Model,
    responses=errors(401, 404, 503),
)
async def get_model(model_id: str, svc: Services = Depends(services)) -> dict:
    owners = dict(svc.catalog.listed())
    if model_id in owners:
        return _model(model_id, owners[model_id])
    raise GatewayError(
        404, f"The model '{model_id}' does not exist", code="model_not_found", param="model"
    )
