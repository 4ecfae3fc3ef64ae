"""Chat completions' stream: `chat.completion.chunk` events, ending with `data: [DONE]`."""

from __future__ import annotations

import time
from typing import Any

from gateway.apis.chat.translate import ChatTools, reasoning_fields
from gateway.core.errors import GatewayError
from gateway.core.pieces import TokenUsage, new_id
from gateway.core.streaming import DONE, ToolCallNumbering, sse, text_template


class ChunkEncoder:
    """Builds the events of one stream (the relay calls it; see core.streaming).

    `model` is the name the client asked for (OpenAI echoes it); `tools` says which tool calls
    are kept and whether in the deprecated `function_call` shape.
    """

    result: dict[str, Any] | None = None

    def __init__(self, model: str, include_usage: bool, tools: ChatTools) -> None:
        self.tools = tools
        self.numbering = ToolCallNumbering()
        self.id = new_id("chatcmpl")
        self.created = int(time.time())
        self.model = model
        self.include_usage = include_usage
        self.text = text_template(lambda text: self._event(self._choice({"content": text})))

    def _event(self, choices: list[dict[str, Any]], usage: TokenUsage | None = None) -> bytes:
        payload: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        }
        if self.include_usage:
            payload["usage"] = usage
        return sse(payload)

    def _choice(self, delta: dict[str, Any], reason: str | None = None) -> list[dict[str, Any]]:
        return [{"index": 0, "delta": delta, "finish_reason": reason, "logprobs": None}]

    def start(self) -> bytes:
        """The opening event: the assistant's role."""
        return self._event(self._choice({"role": "assistant", "content": ""}))

    def reasoning(self, text: str) -> bytes:
        return self._event(self._choice(reasoning_fields(text)))

    def tool_calls(self, calls: list[dict[str, Any]]) -> bytes:
        """Tool-call deltas, numbered across the stream; b"" when nothing is left to send."""
        calls = self.numbering.number(calls)
        if self.tools.rules.one_call:
            calls = [call for call in calls if call["index"] == 0]
        if not calls:
            return b""
        if self.tools.legacy:
            return self._event(self._choice({"function_call": calls[0]["function"]}))
        return self._event(self._choice({"tool_calls": calls}))

    def finish(self, reason: str, usage: TokenUsage | None) -> bytes:
        """The finish chunk, then the usage chunk when the client asked for it."""
        if reason == "tool_calls" and self.tools.legacy:
            reason = "function_call"
        events = self._event(self._choice({}, reason))
        if self.include_usage and usage is not None:
            events += self._event([], usage)
        return events

    def error(self, error: GatewayError) -> bytes:
        return sse(error.body())

    def end(self) -> bytes:
        return DONE
