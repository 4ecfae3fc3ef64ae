"""POST /v1/embeddings on the native embedding models (every row returned)."""

from __future__ import annotations

import base64
import struct

from gateway.apis.embeddings.schemas import EmbeddingList, EmbeddingRequest
from gateway.core import tokens
from gateway.core.catalog import TEXT_EMBEDDINGS
from gateway.core.errors import GatewayError
from gateway.core.http import GENERATION_ERRORS, ASGIApp, JSONResponse, Request, Route, post
from gateway.core.services import Services
from gateway.core.upstream import is_embeddings_result
from gateway.core.upstream_errors import UpstreamError, from_upstream


def _encode(vector: list[float], encoding: str | None) -> list[float] | str:
    if encoding == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    return vector


async def create_embeddings(request: Request[Services], req: EmbeddingRequest) -> ASGIApp:
    """The upstream's vectors for each input, in order; `model` echoes the name asked for and
    `x-gateway-model` names the Workers AI model (as for chat)."""
    svc, ctx = request.services, request.context
    model = (await svc.catalog.chain(req.model, TEXT_EMBEDDINGS))[0]
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


ROUTES: list[Route] = [
    post(
        "/v1/embeddings",
        EmbeddingRequest,
        create_embeddings,
        summary="Create embeddings",
        response_model=EmbeddingList,
        errors=GENERATION_ERRORS,
    )
]
