"""POST /v1/rerank: documents ranked by their relevance to a query.

Workers AI's BGE reranker answers `{response: [{id, score}]}`. Its model card passes scores
through a sigmoid, so they are in 0..1 and are passed on as they are; should an answer carry
any score outside 0..1 (raw logits), every score of that answer goes through the sigmoid,
which keeps their order. Results are sorted by score, best first (ties by index).
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from gateway.apis.rerank.parameters import RERANK
from gateway.apis.rerank.schemas import Rerank, RerankRequest
from gateway.core.catalog import RERANKING
from gateway.core.http import GENERATION_ERRORS, ASGIApp, JSONResponse, Request, Route, post
from gateway.core.media import run_models
from gateway.core.parameters import refuse_unsupported
from gateway.core.services import Services
from gateway.core.upstream_errors import UpstreamError


def is_ranking(result: Any) -> bool:
    """`{"response": [{"id": int, "score": number}, ...]}`."""
    rows = result.get("response") if isinstance(result, dict) else None
    return isinstance(rows, list) and all(
        isinstance(row, dict)
        and isinstance(row.get("id"), int)
        and isinstance(row.get("score"), int | float)
        and not isinstance(row.get("score"), bool)
        for row in rows
    )


def scores(result: dict[str, Any], count: int) -> list[tuple[int, float]]:
    """(index, score in 0..1) of each ranked document, best first; an UpstreamError for an
    index that names no document."""
    rows = [(row["id"], float(row["score"])) for row in result["response"]]
    if any(not 0 <= index < count for index, _ in rows):
        raise UpstreamError(
            "The reranker named a document that was not sent.", status=200, kind="invalid"
        )
    if any(not 0.0 <= score <= 1.0 for _, score in rows):
        rows = [(index, 1 / (1 + math.exp(-score))) for index, score in rows]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


async def create_rerank(request: Request[Services], req: RerankRequest) -> ASGIApp:
    svc, ctx = request.services, request.context
    refuse_unsupported(RERANK, req)
    name = req.model or svc.settings.rerank_model
    chain = await svc.catalog.chain(name, RERANKING)
    texts = [doc if isinstance(doc, str) else doc.text for doc in req.documents]
    ctx.fields.update(requested_model=name, documents=len(texts))
    body: dict[str, Any] = {"query": req.query, "contexts": [{"text": text} for text in texts]}
    if req.top_n is not None:
        body["top_k"] = req.top_n

    async def attempt(model: str, has_backup: bool) -> list[tuple[int, float]]:
        result = await svc.upstream.run(model, body, svc.settings.attempt_timeout, is_ranking)
        return scores(result, len(texts))

    model, ranked = await run_models(svc, ctx, chain, attempt)
    results: list[dict[str, Any]] = []
    for index, score in ranked[: req.top_n]:
        result: dict[str, Any] = {"index": index, "relevance_score": score}
        if req.return_documents:
            result["document"] = {"text": texts[index]}
        results.append(result)
    answer = {
        "id": f"rerank-{uuid.uuid4().hex}",
        "model": name,
        "results": results,
        "meta": {"api_version": {"version": "1"}},
    }
    return JSONResponse(answer, headers={"x-gateway-model": model})


ROUTES: list[Route] = [
    post(
        "/v1/rerank",
        RerankRequest,
        create_rerank,
        summary="Rank documents by relevance to a query",
        response_model=Rerank,
        errors=GENERATION_ERRORS,
    ),
    # Cohere's v2 path, which its SDK and LiteLLM's Cohere provider call (the same shape).
    post("/v2/rerank", RerankRequest, create_rerank, documented=False),
]
