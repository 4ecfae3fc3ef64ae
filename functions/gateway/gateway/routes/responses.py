"""What the routes share when they answer: a whole answer or a stream, and documented errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

from fastapi.responses import JSONResponse, Response, StreamingResponse

from gateway.generation import Job, generate, open_stream
from gateway.observability import RequestContext
from gateway.schemas import ErrorResponse
from gateway.services import Services
from gateway.streaming import ChunkEncoder, record_usage, relay
from gateway.translate import Piece

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}

ERROR_DESCRIPTIONS = {
    400: "Invalid request",
    401: "Missing or wrong API key",
    404: "Unknown model",
    413: "Request too large",
    429: "Rate limited or out of capacity upstream (Retry-After passed on)",
    502: "Workers AI failed",
    503: "Workers AI or a secret unavailable",
    504: "Workers AI timed out",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Documented error answers, all in OpenAI's envelope.

    The `4XX` entry also stops FastAPI from documenting its own 422 body, which this API never
    sends (validation errors are 400s in the envelope).
    """
    documented: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorResponse, "description": ERROR_DESCRIPTIONS[code]} for code in codes
    }
    documented["4XX"] = {"model": ErrorResponse, "description": "Any other client error"}
    return documented


GENERATION_ERRORS = errors(400, 401, 404, 413, 429, 502, 503, 504)


def event_stream(
    chunks: AsyncIterator[bytes], stack: AsyncExitStack, model: str
) -> StreamingResponse:
    """An SSE response that closes the upstream stream when the client's stream ends."""

    async def body() -> AsyncIterator[bytes]:
        async with stack:
            async for chunk in chunks:
                yield chunk

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={**SSE_HEADERS, "x-gateway-model": model},
    )


async def respond(
    svc: Services,
    ctx: RequestContext,
    job: Job,
    *,
    stream: bool,
    whole: Callable[[str, Piece], dict[str, Any]],
    encoder: Callable[[str], ChunkEncoder],
    stops: list[str],
    max_tokens: int,
) -> Response:
    """Run the job: `whole(model, answer)` is the JSON answer; with `stream`, `encoder(model)`
    encodes the events. The model that answered is named in `x-gateway-model` either way."""
    if not stream:
        model, answer = await generate(svc, ctx, job)
        record_usage(ctx, answer.usage)
        return JSONResponse(whole(model, answer), headers={"x-gateway-model": model})
    model, pieces, stack = await open_stream(svc, ctx, job)
    chunks = relay(pieces, encoder(model), stops=stops, max_tokens=max_tokens, ctx=ctx)
    return event_stream(chunks, stack, model)
