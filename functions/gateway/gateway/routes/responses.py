"""What the routes share when they answer: the streaming response and documented errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

from fastapi.responses import StreamingResponse

from gateway.schemas import ErrorResponse

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
