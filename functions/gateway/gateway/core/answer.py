"""What the text APIs share when they answer: images made ready, then a whole answer or a stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

from gateway.core.catalog import capabilities
from gateway.core.context import RequestContext
from gateway.core.errors import GatewayError
from gateway.core.fallback import Deadline
from gateway.core.generation import Dialect, generate, open_stream
from gateway.core.http import ASGIApp, JSONResponse, StreamingResponse
from gateway.core.services import Services
from gateway.core.streaming import relay
from gateway.core.text_generation import TextGenerationInput, image_parts

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


async def prepare_images(
    svc: Services, ctx: RequestContext, chain: list[str], inp: TextGenerationInput, param: str
) -> None:
    """Refuse images for a text-only first model; inline image URLs as data URIs (in place),
    within the request's deadline. `param` is what the client calls the messages."""
    if not image_parts(inp.messages):
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
    await svc.images.inline(inp.messages, inp.image_names(), deadline.remaining(), param)


def event_stream(
    chunks: AsyncIterator[bytes], stack: AsyncExitStack, headers: dict[str, str]
) -> ASGIApp:
    """An SSE response that closes the upstream stream when the client's stream ends."""

    async def body() -> AsyncIterator[bytes]:
        async with stack:
            async for chunk in chunks:
                yield chunk

    return StreamingResponse(body(), {**SSE_HEADERS, **headers})


async def respond(svc: Services, ctx: RequestContext, dialect: Dialect, *, stream: bool) -> ASGIApp:
    """Answer in the dialect: its whole response, or with `stream` its events. The finished
    response goes through `dialect.keep` first; the model that answered is named in
    `x-gateway-model` either way, beside the dialect's own `response_headers`."""
    if not stream:
        model, answer = await generate(svc, ctx, dialect)
        response = dialect.whole(answer)
        await dialect.keep(response)
        headers = {**dialect.response_headers, "x-gateway-model": model}
        return JSONResponse(response, headers=headers)
    model, pieces, stack = await open_stream(svc, ctx, dialect)
    headers = {**dialect.response_headers, "x-gateway-model": model}
    return event_stream(relay(pieces, dialect, ctx), stack, headers)
