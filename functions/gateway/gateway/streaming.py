"""Server-sent events: OpenAI chunk encoding, and the relay from upstream pieces to the client.

Each upstream piece is encoded and yielded as soon as it arrives; nothing is buffered except
the few characters a stop sequence split across pieces needs.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Literal, Protocol

from gateway.errors import GatewayError
from gateway.observability import (
    RequestContext,
    describe_exception,
    logger,
    upstream_error_metric,
)
from gateway.translate import (
    Piece,
    StopScanner,
    TokenUsage,
    ToolRules,
    finish_reason,
    new_id,
    reasoning_fields,
)
from gateway.upstream_errors import UpstreamError, from_upstream

if TYPE_CHECKING:
    from gateway.generation import Dialect

DONE = b"data: [DONE]\n\n"

COMPACT = json.JSONEncoder(separators=(",", ":"))
"""`json.dumps(..., separators=(",", ":"))` without making a new encoder on every call."""

TEXT_SLOT = "\x00text\x00"
"""Stands for a text delta while an event's template is built (no request text holds a NUL:
json_body refuses them)."""


def sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + COMPACT.encode(payload).encode() + b"\n\n"


class StreamEncoder(Protocol):
    """What a dialect's stream encoder gives the relay: the bytes of each step of a stream
    (None or b"" when the step has no event in that dialect), and `result`, the whole response
    the stream amounted to once `finish` built it (None for dialects that build none)."""

    result: dict[str, Any] | None

    def start(self) -> bytes | None: ...
    def text(self, text: str) -> bytes: ...
    def reasoning(self, text: str) -> bytes | None: ...
    def tool_calls(self, calls: list[dict[str, Any]]) -> bytes | None: ...
    def finish(self, reason: str, usage: TokenUsage | None) -> bytes: ...
    def error(self, error: GatewayError) -> bytes: ...
    def end(self) -> bytes | None: ...


class ChunkEncoder:
    """Builds the events of one stream: `chat.completion.chunk` or `text_completion`.

    `model` is the name the client asked for (OpenAI echoes it); `tools` says how tool calls
    are numbered, cut to one, or shaped as the deprecated `function_call`.
    """

    result = None

    def __init__(
        self,
        kind: Literal["chat", "text"],
        model: str,
        include_usage: bool,
        echo: str = "",
        tools: ToolRules | None = None,
    ) -> None:
        self.kind = kind
        self.echo = echo
        self.tools = tools or ToolRules()
        self.numbering = ToolCallNumbering()
        self.id = new_id("chatcmpl" if kind == "chat" else "cmpl")
        self.object = "chat.completion.chunk" if kind == "chat" else "text_completion"
        self.created = int(time.time())
        self.model = model
        self.include_usage = include_usage
        # Text deltas are most of a stream: their event is encoded once, as the bytes around
        # the text, and each delta costs one JSON string (the same bytes as `_event`).
        slot = json.dumps(TEXT_SLOT).encode()
        template = self._event(self._choice({"content": TEXT_SLOT}))
        head, _, tail = template.partition(slot)
        self.text_event = (head, tail) if template.count(slot) == 1 else None

    def _event(self, choices: list[dict[str, Any]], usage: TokenUsage | None = None) -> bytes:
        payload: dict[str, Any] = {
            "id": self.id,
            "object": self.object,
            "created": self.created,
            "model": self.model,
            "choices": choices,
        }
        if self.include_usage:
            payload["usage"] = usage
        return sse(payload)

    def _choice(self, delta: dict[str, Any], reason: str | None = None) -> list[dict[str, Any]]:
        if self.kind == "chat":
            return [{"index": 0, "delta": delta, "finish_reason": reason, "logprobs": None}]
        text = delta.get("content", "")
        return [{"index": 0, "text": text, "finish_reason": reason, "logprobs": None}]

    def start(self) -> bytes | None:
        """The opening event: the role for chat; for text, the prompt when it is echoed."""
        if self.kind == "chat":
            return self._event(self._choice({"role": "assistant", "content": ""}))
        return self.text(self.echo) if self.echo else None

    def text(self, text: str) -> bytes:
        if self.text_event is None:
            return self._event(self._choice({"content": text}))
        head, tail = self.text_event
        return head + json.dumps(text).encode() + tail

    def reasoning(self, text: str) -> bytes | None:
        if self.kind != "chat":
            return None
        return self._event(self._choice(reasoning_fields(text)))

    def tool_calls(self, calls: list[dict[str, Any]]) -> bytes | None:
        """Tool-call deltas, numbered across the stream; None when nothing is left to send."""
        if self.kind != "chat":
            return None
        calls = self.numbering.number(calls)
        if self.tools.one_call:
            calls = [call for call in calls if call["index"] == 0]
        if not calls:
            return None
        if self.tools.legacy:
            return self._event(self._choice({"function_call": calls[0]["function"]}))
        return self._event(self._choice({"tool_calls": calls}))

    def finish(self, reason: str, usage: TokenUsage | None) -> bytes:
        """The finish chunk, then the usage chunk when the client asked for it."""
        if reason == "tool_calls" and self.tools.legacy:
            reason = "function_call"
        events = self._event(self._choice({} if self.kind == "chat" else {"content": ""}, reason))
        if self.include_usage and usage is not None:
            events += self._event([], usage)
        return events

    def error(self, error: GatewayError) -> bytes:
        return sse(error.body())

    def end(self) -> bytes:
        return DONE


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


async def relay(
    pieces: AsyncIterator[Piece], dialect: Dialect, ctx: RequestContext
) -> AsyncIterator[bytes]:
    """Encode upstream pieces in the dialect's events as they come; end with its finish and end
    events (for chat: the finish chunk, usage and [DONE]). The finished response is given to
    `dialect.keep` before its last events go out.

    A failure after the first byte cannot fall back any more: it ends the stream with the
    encoder's error event (OpenAI's error envelope for chat), then its end.
    """
    encoder = dialect.encoder()
    scanner = StopScanner(dialect.stops)
    usage: TokenUsage | None = None
    upstream_finish: str | None = None
    saw_tools = False
    try:
        if start := encoder.start():
            yield start
        async for piece in pieces:
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
        record_usage(ctx, usage)
        finish = encoder.finish(reason, usage)
        if encoder.result is not None:
            await dialect.keep(encoder.result)
        yield finish
    except (asyncio.CancelledError, GeneratorExit):
        ctx.client_closed = True  # the client left mid-stream: logged as 499, not as answered
        raise
    except GatewayError as error:
        yield encoder.error(error)
    except UpstreamError as error:
        upstream_error_metric(error.label)
        ctx.fields.update(stream_error=error.label)
        yield encoder.error(from_upstream(error))
    except Exception as exc:
        logger.error("stream failed", extra=describe_exception(exc))
        ctx.fields.update(stream_error="internal")
        yield encoder.error(GatewayError(500, "The gateway hit an internal error."))
    if end := encoder.end():
        yield end


def record_usage(ctx: RequestContext, usage: TokenUsage | None) -> None:
    if usage:
        ctx.count("PromptTokens", usage["prompt_tokens"])
        ctx.count("CompletionTokens", usage["completion_tokens"])
