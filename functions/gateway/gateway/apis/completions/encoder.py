"""Legacy completions' stream: `text_completion` events, ending with `data: [DONE]`."""

from __future__ import annotations

import time
from typing import Any

from gateway.core.errors import GatewayError
from gateway.core.pieces import TokenUsage, new_id
from gateway.core.streaming import DONE, sse, text_template


class TextCompletionEncoder:
    """Builds the events of one stream (the relay calls it; see core.streaming). `model` is the
    name the client asked for; `echo` is the prompt, sent first, when the client asked for it.
    Reasoning and tool calls have no place in this API and are left out."""

    result: dict[str, Any] | None = None

    def __init__(self, model: str, include_usage: bool, echo: str = "") -> None:
        self.id = new_id("cmpl")
        self.created = int(time.time())
        self.model = model
        self.include_usage = include_usage
        self.echo = echo
        self.text = text_template(lambda text: self._event(text))

    def _event(
        self, text: str, reason: str | None = None, usage: TokenUsage | None = None
    ) -> bytes:
        payload: dict[str, Any] = {
            "id": self.id,
            "object": "text_completion",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "text": text, "finish_reason": reason, "logprobs": None}],
        }
        if self.include_usage:
            payload["usage"] = usage
        return sse(payload)

    def start(self) -> bytes:
        """The prompt, when it is echoed."""
        return self.text(self.echo) if self.echo else b""

    def reasoning(self, text: str) -> bytes:
        return b""

    def tool_calls(self, calls: list[dict[str, Any]]) -> bytes:
        return b""

    def finish(self, reason: str, usage: TokenUsage | None) -> bytes:
        """The finish event, then the usage event when the client asked for it."""
        events = self._event("", reason)
        if self.include_usage and usage is not None:
            events += sse(
                {
                    "id": self.id,
                    "object": "text_completion",
                    "created": self.created,
                    "model": self.model,
                    "choices": [],
                    "usage": usage,
                }
            )
        return events

    def error(self, error: GatewayError) -> bytes:
        return sse(error.body())

    def end(self) -> bytes:
        return DONE
