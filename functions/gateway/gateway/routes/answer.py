"""What the routes share when they answer: a whole answer or a stream, and documented errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from typing import Any

from fastapi.responses import JSONResponse, Response, StreamingResponse

from gateway.catalog import capabilities
from gateway.errors import GatewayError
from gateway.fallback import Deadline
from gateway.generation import Dialect, generate, open_stream
from gateway.observability import RequestContext
from gateway.schemas import ErrorResponse, Message
from gateway.services import Services
from gateway.streaming import record_usage, relay
from gateway.translate import has_images

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


async def prepare_images(
    svc: Services,
    ctx: RequestContext,
    chain: list[str],
    messages: list[Message],
    param: str,
    names: Sequence[str] | None = None,
) -> None:
    """Refuse images for a text-only first model; inline image URLs as data URIs (in place),
    within the request's deadline. `param` is what the client calls the messages, `names[m]`
    message `m` (default `param[m]`)."""
    if not has_images(messages):
        return
    if capabilities(chain[0]).vision is False:
        raise GatewayError(
            400,
            f"The model {chain[0]} does not accept images; use a vision model such as "
            f"{svc.catalog.primary}.",
            code="model_not_vision_capable",
            param=param,
        )
    deadline = Deadline.of_request(svc.settings.request_deadline, ctx)
    await svc.images.inline(messages, deadline.remaining(), param, names)


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
    svc: Services, ctx: RequestContext, dialect: Dialect, *, stream: bool
) -> Response:
    """Answer in the dialect: its whole response, or with `stream` its events. The finished
    response goes through `dialect.keep` first; the model that answered is named in
    `x-gateway-model` either way."""
    if not stream:
        model, answer = await generate(svc, ctx, dialect)
        record_usage(ctx, answer.usage)
        response = dialect.whole(answer)
        await dialect.keep(response)
        return JSONResponse(response, headers={"x-gateway-model": model})
    model, pieces, stack = await open_stream(svc, ctx, dialect)
    return event_stream(relay(pieces, dialect, ctx), stack, model)
