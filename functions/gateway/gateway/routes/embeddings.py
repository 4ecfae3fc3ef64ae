"""POST /v1/embeddings on the native embedding models (every row returned)."""

from __future__ import annotations

import base64
import struct

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway import tokens
from gateway.errors import GatewayError
from gateway.routes.answer import GENERATION_ERRORS
from gateway.schemas import EmbeddingList, EmbeddingRequest
from gateway.services import request_context, services
from gateway.upstream import is_embeddings_result
from gateway.upstream_errors import UpstreamError, from_upstream

router = APIRouter()


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
    request: Request,
) -> JSONResponse:
    """The upstream's vectors for each input, in order; `model` echoes the name asked for and
    `x-gateway-model` names the Workers AI model (as for chat)."""
    svc, ctx = services(request), request_context(request)
    model = await svc.catalog.embedding_model(req.model, svc.catalogue)
    texts = [
        item if isinstance(item, str) else tokens.decode(item, param=f"input[{index}]")
        for index, item in enumerate(req.inputs)
    ]
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
    body = {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": _encode(row, req.encoding_format)}
            for i, row in enumerate(rows)
        ],
        "model": req.model,
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    }
    return JSONResponse(body, headers={"x-gateway-model": model})
