"""POST /v1/embeddings on the native embedding models (every row returned)."""

from __future__ import annotations

import base64
import struct

from fastapi import APIRouter, Depends

from gateway.errors import GatewayError
from gateway.observability import RequestContext
from gateway.routes.responses import GENERATION_ERRORS
from gateway.schemas import EmbeddingList, EmbeddingRequest
from gateway.services import Services, request_context, services
from gateway.upstream import is_embeddings_result
from gateway.upstream_errors import UpstreamError, from_upstream

router = APIRouter()

DEFAULT_EMBEDDING_MODEL = "@cf/baai/bge-base-en-v1.5"
EMBEDDING_ALIASES = {
    "text-embedding-ada-002": DEFAULT_EMBEDDING_MODEL,
    "text-embedding-3-small": DEFAULT_EMBEDDING_MODEL,
    "text-embedding-3-large": "@cf/baai/bge-large-en-v1.5",
}


def _encode(vector: list[float], encoding: str | None) -> list[float] | str:
    if encoding == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    return vector


@router.post(
    "/embeddings",
    summary="Create embeddings",
    response_model=EmbeddingList,
    responses=GENERATION_ERRORS,
)
async def create_embeddings(
    req: EmbeddingRequest,
    svc: Services = Depends(services),
    ctx: RequestContext = Depends(request_context),
) -> dict:
    model = EMBEDDING_ALIASES.get(req.model, req.model)
    if not model.startswith(("@cf/", "@hf/")):
        raise GatewayError(
            404, f"The model `{req.model}` does not exist.", code="model_not_found", param="model"
        )
    texts = [req.input] if isinstance(req.input, str) else req.input
    try:
        result = await svc.upstream.run(
            model, {"text": texts}, svc.settings.attempt_timeout, is_embeddings_result
        )
    except UpstreamError as error:
        raise from_upstream(error) from None
    rows = result.get("data") if isinstance(result, dict) else None
    if not isinstance(rows, list) or len(rows) != len(texts):
        raise GatewayError(502, "Workers AI returned no embeddings.", code="upstream_error")
    if req.dimensions is not None and rows and req.dimensions != len(rows[0]):
        raise GatewayError(
            400,
            f"{model} makes {len(rows[0])}-dimensional embeddings; `dimensions` cannot change it.",
            param="dimensions",
            code="invalid_value",
        )
    ctx.fields.update(model=model)
    usage = result.get("usage") if isinstance(result, dict) else None
    prompt_tokens = int(usage.get("prompt_tokens", 0)) if isinstance(usage, dict) else 0
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": _encode(row, req.encoding_format)}
            for i, row in enumerate(rows)
        ],
        "model": model,
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    }
