"""The Messages API's stream: Anthropic's event grammar, built from upstream pieces as they come.

`message_start`; then per content block `content_block_start`, its deltas (`thinking_delta`,
`text_delta`, `input_json_delta` with the arguments as the upstream wrote them) and
`content_block_stop`; then `message_delta` (the stop reason and the usage) and `message_stop`.
Every event is `event: <type>` and `data: <json with that type>`. One block is open at a time:
reasoning after text opens a new thinking block (a thinking delta never goes into a text block),
and every delta goes to the open block, which was started. `ping` goes out while the upstream is
quiet (streaming.Pinging); a failure after the first byte ends the stream with an `error` event.

`message_start` carries zero usage: Workers AI reports its counts at the end, and
`message_delta` carries them all (the SDKs take its `input_tokens` over the start's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.apis.messages.errors import error_body
from gateway.apis.messages.translate import (
    message_usage,
    new_id,
    stop_reason,
    thinking_block,
)
from gateway.core.errors import GatewayError
from gateway.core.http import dumps
from gateway.core.pieces import StopScanner, TokenUsage
from gateway.core.streaming import ToolCallNumbering, text_template
from gateway.core.text_generation import ToolRules


def event(kind: str, payload: dict[str, Any]) -> bytes:
    """One server-sent event of Anthropic's: its type named on the `event:` line too."""
    return b"event: " + kind.encode() + b"\ndata: " + dumps(payload) + b"\n\n"


PING = event("ping", {"type": "ping"})


class MessageEvents:
    """The stream encoder of one message (the relay calls it; see core.streaming).

    `model` is the name the client asked for; `display` how reasoning shows
    (translate.thinking_display); `scanner` the relay's stop scanner, whose match names the
    stop sequence; `ping_interval` the seconds of upstream silence before a `ping`.
    """

    result: dict[str, Any] | None = None

    def __init__(
        self,
        model: str,
        tools: ToolRules,
        *,
        display: str,
        scanner: StopScanner,
        ping_interval: float,
    ) -> None:
        self.model = model
        self.tools = tools
        self.display = display
        self.scanner = scanner
        self.ping_interval = ping_interval
        self.numbering = ToolCallNumbering()
        self.blocks = 0
        """How many blocks were started; the open one (if any) is the last."""
        self.open: str | None = None
        """The kind of the open block: `thinking`, `text` or `tool_use`."""
        self.open_call: int | None = None
        """The upstream index of the tool call whose block is open."""
        self.text_delta: Callable[[str], bytes] = lambda text: b""

    def ping(self) -> bytes:
        return PING

    def _start_block(self, block: dict[str, Any]) -> bytes:
        events = self._stop_block()
        index = self.blocks
        self.blocks += 1
        self.open = block["type"]
        return events + event(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": block},
        )

    def _stop_block(self) -> bytes:
        if self.open is None:
            return b""
        self.open = self.open_call = None
        index = self.blocks - 1
        return event("content_block_stop", {"type": "content_block_stop", "index": index})

    def _delta(self, delta: dict[str, Any]) -> bytes:
        payload = {"type": "content_block_delta", "index": self.blocks - 1, "delta": delta}
        return event("content_block_delta", payload)

    def start(self) -> bytes:
        message: dict[str, Any] = {
            "id": new_id("msg"),
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return event("message_start", {"type": "message_start", "message": message})

    def reasoning(self, text: str) -> bytes:
        if self.display == "none":
            return b""
        events = b"" if self.open == "thinking" else self._start_block(thinking_block(""))
        if self.display == "omitted":
            return events
        return events + self._delta({"type": "thinking_delta", "thinking": text})

    def text(self, text: str) -> bytes:
        events = b""
        if self.open != "text":
            events = self._start_block({"type": "text", "text": ""})
            index = self.blocks - 1
            self.text_delta = text_template(
                lambda chunk: event(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "text_delta", "text": chunk},
                    },
                )
            )
        return events + self.text_delta(text)

    def tool_calls(self, calls: list[dict[str, Any]]) -> bytes:
        """A `tool_use` block per new call (numbered across the stream; only the first under
        `disable_parallel_tool_use`), its arguments as `input_json_delta`s. The upstream sends
        each call's fragments in turn; one for a call whose block is closed is a failure."""
        calls = self.numbering.number(calls)
        if self.tools.one_call:
            calls = [call for call in calls if call["index"] == 0]
        events = b""
        for call in calls:
            function = call.get("function", {})
            if "id" in call and call["index"] != self.open_call:
                block = {"type": "tool_use", "id": new_id("toolu"), "name": "", "input": {}}
                block["name"] = function.get("name", "")
                events += self._start_block(block)
                self.open_call = call["index"]
            elif call["index"] != self.open_call:
                raise GatewayError(
                    502,
                    "Workers AI interleaved the arguments of several tool calls.",
                    code="upstream_error",
                )
            if arguments := function.get("arguments"):
                events += self._delta({"type": "input_json_delta", "partial_json": arguments})
        return events

    def finish(self, reason: str, usage: TokenUsage | None) -> bytes:
        """The last block's stop, `message_delta` with the stop reason and the usage, and
        `message_stop`."""
        stop, sequence = stop_reason(reason, self.scanner.matched)
        delta = {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": sequence},
            "usage": message_usage(usage),
        }
        return (
            self._stop_block()
            + event("message_delta", delta)
            + event("message_stop", {"type": "message_stop"})
        )

    def error(self, error: GatewayError) -> bytes:
        return event("error", error_body(error)[1])

    def end(self) -> bytes:
        return b""
