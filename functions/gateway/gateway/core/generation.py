"""Running one generation over a model chain, whole or streamed.

Chat completions, legacy completions, the Responses API and the Messages API are dialects over
one core: they differ only in the request they make and the objects and events they return
(each says so in one `Dialect` object). This module owns what they share: the attempt per model, the
first-event rule for streams, deadlines, and synthesising a stream from models that cannot
stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any, TypeVar

from gateway.core.catalog import Capabilities, capabilities
from gateway.core.context import RequestContext
from gateway.core.fallback import Attempt, Deadline, run_chain
from gateway.core.pieces import Piece, read_piece, recover_text_tool_call
from gateway.core.services import Services
from gateway.core.streaming import StreamEncoder
from gateway.core.text_generation import TextGenerationInput, ToolRules, run_body
from gateway.core.upstream import session_affinity
from gateway.core.upstream_errors import UpstreamError, from_upstream

T = TypeVar("T")


class Dialect:
    """One API's side of one request: what it sends upstream and what it answers.

    `input` is the request in Workers AI's terms (text_generation.TextGenerationInput); `chain`
    is the models to try in turn; a stream is cut at `stops` and judged against the input's
    `max_tokens` (streaming.relay); `prompt_cache_key` goes upstream as `x-session-affinity`
    (upstream.session_affinity); `tools` says which tool calls come back. Subclasses give:

    - `whole(answer)`: the API's whole response object for an upstream answer;
    - `encoder()`: the API's stream encoder (streaming.StreamEncoder);

    and may change `keep(response)`: what happens to a finished response before it goes out
    (the Responses API stores it; a GatewayError from it is the client's answer).
    """

    def __init__(
        self,
        inp: TextGenerationInput,
        chain: list[str],
        *,
        stops: list[str] | None = None,
        prompt_cache_key: str | None = None,
        tools: ToolRules | None = None,
    ) -> None:
        self.input = inp
        self.chain = chain
        self.max_tokens = inp.max_tokens
        self.stops = stops or []
        self.headers = session_affinity(prompt_cache_key)
        self.tools = tools or ToolRules.of(inp)

    def body(self, caps: Capabilities, stream: bool, has_backup: bool) -> dict[str, Any]:
        """The `/run` body for one model of the chain."""
        return run_body(self.input, caps, stream=stream, has_backup=has_backup)

    def adjust(self, answer: Piece) -> Piece:
        """A whole upstream answer, mended: a tool call written as text becomes a real one."""
        return recover_text_tool_call(answer, self.tools.names)

    def whole(self, answer: Piece) -> dict[str, Any]:
        raise NotImplementedError

    def encoder(self) -> StreamEncoder:
        raise NotImplementedError

    async def keep(self, response: dict[str, Any]) -> None:
        return None


async def _pieces(
    first: Piece | None, events: AsyncIterator[dict[str, Any]]
) -> AsyncIterator[Piece]:
    if first is not None:
        yield first
    async for event in events:
        yield read_piece(event)


async def _one(piece: Piece) -> AsyncIterator[Piece]:
    yield piece


async def bounded(pieces: AsyncIterator[T], deadline: Deadline, idle: float) -> AsyncIterator[T]:
    """The pieces of a started stream (text pieces, audio chunks), each within `idle` seconds of
    the one before and all before the request's deadline; past either, UpstreamError (the
    relay then ends the stream with an error event and [DONE]).

    One timer serves the whole stream, armed while a piece is awaited and disarmed while the
    client's side has it (a timeout must never cancel the relay's own sending): per piece that
    costs a reschedule, not a new `asyncio.timeout`.
    """
    loop = asyncio.get_running_loop()
    remaining = deadline.remaining()
    try:
        async with asyncio.timeout(None) as timer:
            while True:
                remaining = deadline.remaining()
                timer.reschedule(loop.time() + min(idle, remaining))
                try:
                    piece = await anext(pieces)
                except StopAsyncIteration:
                    return
                timer.reschedule(None)
                yield piece
    except TimeoutError:
        message = (
            "The request deadline passed before Workers AI finished."
            if idle > remaining
            else f"Workers AI sent nothing for {idle:g} s."
        )
        raise UpstreamError(message, kind="timeout") from None


def _deadline(svc: Services, ctx: RequestContext) -> Deadline:
    return Deadline.of_request(svc.settings.request_deadline, ctx)


async def _run(
    svc: Services, ctx: RequestContext, dialect: Dialect, attempt: Attempt[T], deadline: Deadline
) -> tuple[str, T]:
    """run_chain with this process's settings; upstream failures become the client's error."""
    try:
        return await run_chain(
            dialect.chain,
            attempt,
            cooldown=svc.cooldown,
            deadline=deadline,
            attempt_timeout=svc.settings.attempt_timeout,
            ctx=ctx,
        )
    except UpstreamError as error:
        raise from_upstream(error) from None


async def generate(svc: Services, ctx: RequestContext, dialect: Dialect) -> tuple[str, Piece]:
    """The whole answer from the first model in the chain that gives one."""

    async def attempt(model: str, has_backup: bool) -> Any:
        body = dialect.body(capabilities(model), False, has_backup)
        return await svc.upstream.run(
            model, body, svc.settings.attempt_timeout, headers=dialect.headers
        )

    model, result = await _run(svc, ctx, dialect, attempt, _deadline(svc, ctx))
    return model, dialect.adjust(read_piece(result))


async def open_stream(
    svc: Services, ctx: RequestContext, dialect: Dialect
) -> tuple[str, AsyncIterator[Piece], AsyncExitStack]:
    """Start a stream; return once its first event is in hand (fallback is over then).

    The upstream response stays open on the returned stack, which the caller closes when the
    client's stream ends. Models that cannot stream are asked for a whole answer, given as
    one piece. The later pieces stay bound by the request's deadline and by
    `stream_idle_timeout` between two of them.
    """
    timeout = svc.settings.attempt_timeout
    deadline = _deadline(svc, ctx)
    stack = AsyncExitStack()

    async def attempt(model: str, has_backup: bool) -> AsyncIterator[Piece]:
        caps = capabilities(model)
        if not caps.streams:
            body = dialect.body(caps, False, has_backup)
            answer = await svc.upstream.run(model, body, timeout, headers=dialect.headers)
            return _one(dialect.adjust(read_piece(answer)))
        async with AsyncExitStack() as attempt_stack:
            events = await attempt_stack.enter_async_context(
                svc.upstream.stream(
                    model, dialect.body(caps, True, has_backup), timeout, dialect.headers
                )
            )
            first = await anext(aiter(events), None)
            stack.push_async_callback(attempt_stack.pop_all().aclose)
        return _pieces(None if first is None else read_piece(first), events)

    try:
        model, pieces = await _run(svc, ctx, dialect, attempt, deadline)
    except BaseException:
        await stack.aclose()
        raise
    return model, bounded(pieces, deadline, svc.settings.stream_idle_timeout), stack
