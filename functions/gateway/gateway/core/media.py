"""What the media APIs (audio, moderation, rerank) share: a model chain run under this process's
settings, and bytes answered as they arrive.

`run_models` is `fallback.run_chain` with the settings' cooldown, deadline and attempt timeout,
an upstream failure after the last model becoming the client's error. `open_binary` starts a
binary answer (`upstream.WorkersAI.binary`) on the first model of the chain that gives one, so
fallback ends with the first bytes in hand; `relay_bytes` then passes the rest on, each chunk
within the stream's idle timeout and the request's deadline, and breaks the body off
(`http.Abort`) when the upstream fails after the first byte: audio has no way to carry an error,
and a body cut short is one the client can tell from a whole one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import TypeVar

from gateway.core.context import RequestContext
from gateway.core.fallback import Attempt, Deadline, run_chain
from gateway.core.generation import bounded
from gateway.core.http import Abort
from gateway.core.observability import logger, upstream_error_metric
from gateway.core.services import Services
from gateway.core.upstream import BinaryAnswer, Body, Shape
from gateway.core.upstream_errors import UpstreamError, from_upstream

T = TypeVar("T")


def deadline_of(svc: Services, ctx: RequestContext) -> Deadline:
    return Deadline.of_request(svc.settings.request_deadline, ctx)


async def run_models(
    svc: Services, ctx: RequestContext, chain: list[str], attempt: Attempt[T]
) -> tuple[str, T]:
    """(model, result) of the first model of `chain` whose `attempt(model, has_backup)`
    succeeds; the last upstream failure as the client's GatewayError."""
    try:
        return await run_chain(
            chain,
            attempt,
            cooldown=svc.cooldown,
            deadline=deadline_of(svc, ctx),
            attempt_timeout=svc.settings.attempt_timeout,
            ctx=ctx,
        )
    except UpstreamError as error:
        raise from_upstream(error) from None


async def open_binary(
    svc: Services,
    ctx: RequestContext,
    chain: list[str],
    body: Callable[[str], Body],
    media: tuple[str, ...],
    expected: Shape | None = None,
    signature: Callable[[bytes], bool] | None = None,
) -> tuple[str, BinaryAnswer, AsyncExitStack]:
    """The first binary answer the chain gives (`body(model)` is what each model is sent; see
    `WorkersAI.binary` for `media`, `expected` and `signature`). The upstream response stays
    open on the returned stack, which the caller closes when it is done with the answer."""
    stack = AsyncExitStack()
    timeout = svc.settings.attempt_timeout

    async def attempt(model: str, has_backup: bool) -> BinaryAnswer:
        async with AsyncExitStack() as attempt_stack:
            answer = await attempt_stack.enter_async_context(
                svc.upstream.binary(model, body(model), timeout, media, expected, signature)
            )
            stack.push_async_callback(attempt_stack.pop_all().aclose)
        return answer

    try:
        model, answer = await run_models(svc, ctx, chain, attempt)
    except BaseException:
        await stack.aclose()
        raise
    return model, answer, stack


async def relay_bytes(
    chunks: AsyncIterator[bytes], stack: AsyncExitStack, svc: Services, ctx: RequestContext
) -> AsyncIterator[bytes]:
    """The chunks of a started binary answer as they come, each within `stream_idle_timeout`
    and all before the request's deadline; the upstream response is closed at the end. A
    failure breaks the body off (`Abort`), after a log line and the UpstreamErrors metric."""
    async with stack:
        try:
            async for chunk in bounded(
                chunks, deadline_of(svc, ctx), svc.settings.stream_idle_timeout
            ):
                yield chunk
        except (asyncio.CancelledError, GeneratorExit):
            ctx.client_closed = True
            raise
        except UpstreamError as error:
            upstream_error_metric(error.label)
            ctx.fields.update(stream_error=error.label)
            logger.warning("upstream stream broke", extra={"error": error.label})
            raise Abort from None
