"""Server-sent events: the relay from upstream pieces to a dialect's events, and what encoders
share.

Each upstream piece is encoded by the dialect's `StreamEncoder` and yielded as soon as it
arrives; nothing is buffered except the few characters a stop sequence split across pieces
needs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any, Protocol, runtime_checkable

from gateway.core.context import RequestContext
from gateway.core.errors import GatewayError
from gateway.core.http import dumps
from gateway.core.observability import (
    describe_exception,
    logger,
    upstream_error_metric,
)
from gateway.core.pieces import Piece, StopScanner, TokenUsage, finish_reason
from gateway.core.upstream_errors import UpstreamError, from_upstream

DONE = b"data: [DONE]\n\n"

TEXT_SLOT = "\x00text\x00"
"""Stands for a text delta while an event's template is built (no request text holds a NUL:
json_body refuses them)."""


def sse(payload: dict[str, Any]) -> bytes:
    """One `data:` event of OpenAI's streams."""
    return b"data: " + dumps(payload) + b"\n\n"


def text_template(event: Callable[[str], bytes]) -> Callable[[str], bytes]:
    """A faster `event` for text deltas, which are most of a stream: the event is encoded once,
    as the bytes around the text, and each delta then costs one JSON string (the same bytes as
    `event(text)`). `event` must put the text into its payload exactly once. An event written
    with `\\u` escapes (the rest of its payload holds a lone surrogate: see `dumps`) keeps
    `event`, since a delta alone would be written without them."""
    slot = dumps(TEXT_SLOT)
    template = event(TEXT_SLOT)
    if template.count(slot) != 1 or b"\\u00e9" in event("\u00e9"):
        return event
    head, _, tail = template.partition(slot)
    return lambda text: head + dumps(text) + tail


class StreamEncoder(Protocol):
    """What a dialect's stream encoder gives the relay: the bytes of each step of a stream
    (b"" when the step has no event in that dialect), and `result`, the whole response the
    stream amounted to once `finish` built it (None for dialects that build none)."""

    result: dict[str, Any] | None

    def start(self) -> bytes: ...
    def text(self, text: str) -> bytes: ...
    def reasoning(self, text: str) -> bytes: ...
    def tool_calls(self, calls: list[dict[str, Any]]) -> bytes: ...
    def finish(self, reason: str, usage: TokenUsage | None) -> bytes: ...
    def error(self, error: GatewayError) -> bytes: ...
    def end(self) -> bytes: ...


@runtime_checkable
class Pinging(Protocol):
    """A stream encoder whose dialect keeps a quiet connection alive (Anthropic's `ping`
    events): `ping()` is sent each time `ping_interval` seconds pass without an upstream
    piece."""

    ping_interval: float

    def ping(self) -> bytes: ...


async def with_pings(
    pieces: AsyncIterator[Piece], interval: float
) -> AsyncGenerator[Piece | None, None]:
    """The pieces as they come, and None each time `interval` seconds pass without one.

    The pieces are read by a task of their own and handed over through a queue, so waiting for
    one can time out without cancelling the read (a generator is driven by one task only: the
    deadline timer of generation._bounded belongs to it). Closing this generator stops that
    task.
    """
    queue: asyncio.Queue[tuple[Piece | None, BaseException | None]] = asyncio.Queue(1)

    async def pump() -> None:
        try:
            async for piece in pieces:
                await queue.put((piece, None))
        except Exception as exc:  # handed to the relay, which answers it as an error event
            await queue.put((None, exc))
            return
        await queue.put((None, None))

    reader = asyncio.create_task(pump())
    try:
        while True:
            try:
                piece, failure = await asyncio.wait_for(queue.get(), interval)
            except TimeoutError:
                yield None
                continue
            if failure is not None:
                raise failure
            if piece is None:
                return
            yield piece
    finally:
        reader.cancel()
        await asyncio.wait({reader})


class ToolCallNumbering:
    """Gives each new tool call of a stream its own index.

    OpenAI-style upstream deltas carry their own indexes; native events carry whole calls
    numbered from 0 in each event, which a client would merge into one call.
    """

    def __init__(self) -> None:
        self.ids: dict[int, str] = {}

    def number(self, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for call in calls:
            if "id" not in call:
                continue
            if self.ids.get(call["index"], call["id"]) != call["id"]:
                call["index"] = len(self.ids)
            self.ids[call["index"]] = call["id"]
        return calls


class Relayed(Protocol):
    """What the relay needs of a dialect (generation.Dialect has it): its stream encoder, the
    stop scanner and token limit a stream is judged by, and what to do with the finished
    response."""

    max_tokens: int

    def encoder(self) -> StreamEncoder: ...

    def stop_scanner(self) -> StopScanner: ...

    async def keep(self, response: dict[str, Any]) -> None: ...


async def relay(
    pieces: AsyncIterator[Piece], dialect: Relayed, ctx: RequestContext
) -> AsyncIterator[bytes]:
    """Encode upstream pieces in the dialect's events as they come; end with its finish and end
    events (for chat: the finish chunk, usage and [DONE]). The finished response is given to
    `dialect.keep` before its last events go out.

    A failure after the first byte cannot fall back any more: it ends the stream with the
    encoder's error event (OpenAI's error envelope for chat), then its end. An encoder that is
    `Pinging` also gets its ping event in whenever the upstream is quiet for its interval.
    """
    encoder = dialect.encoder()
    scanner = dialect.stop_scanner()
    usage: TokenUsage | None = None
    upstream_finish: str | None = None
    saw_tools = False
    pinging = encoder if isinstance(encoder, Pinging) else None
    beats = with_pings(pieces, pinging.ping_interval) if pinging is not None else None
    try:
        if start := encoder.start():
            yield start
        async for piece in beats or pieces:
            if piece is None:  # only `beats` yields None: the upstream was quiet
                assert pinging is not None
                yield pinging.ping()
                continue
            if piece.reasoning and (event := encoder.reasoning(piece.reasoning)):
                yield event
            if piece.text and (text := scanner.feed(piece.text)):
                yield encoder.text(text)
            if scanner.stopped:
                break
            if piece.tool_calls and (event := encoder.tool_calls(piece.tool_calls)):
                saw_tools = True
                yield event
            usage = piece.usage or usage
            upstream_finish = piece.finish_reason or upstream_finish
        if tail := scanner.flush():
            yield encoder.text(tail)
        reason = finish_reason(
            upstream_finish,
            tool_calls=saw_tools,
            stopped=scanner.stopped,
            usage=usage,
            max_tokens=dialect.max_tokens,
        )
        finish = encoder.finish(reason, usage)
        if encoder.result is not None:
            await dialect.keep(encoder.result)
        yield finish
    except (asyncio.CancelledError, GeneratorExit):
        ctx.client_closed = True  # the client left mid-stream: logged as 499, not as answered
        raise
    except GatewayError as error:
        ctx.fields.update(stream_error=error.code or "error")
        yield encoder.error(error)
    except UpstreamError as error:
        upstream_error_metric(error.label)
        ctx.fields.update(stream_error=error.label)
        yield encoder.error(from_upstream(error))
    except Exception as exc:
        logger.error("stream failed", extra=describe_exception(exc))
        ctx.fields.update(stream_error="internal")
        yield encoder.error(GatewayError(500, "The gateway hit an internal error."))
    finally:
        if beats is not None:
            await beats.aclose()
    if end := encoder.end():
        yield end
