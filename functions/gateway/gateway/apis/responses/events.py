"""The Responses API's stream: `ResponseStreamEvent`s built from upstream pieces as they come.

The order is OpenAI's: `response.created`, `response.in_progress`; for each output item
`response.output_item.added`, its parts (`response.content_part.added`, deltas, `.done`s),
`response.output_item.done`; then `response.completed` (or `response.incomplete`), or on a
failure after the first byte an `error` event and `response.failed`. Every event carries an
increasing `sequence_number`. There is no `[DONE]` line in this dialect.

The items, and the events between `response.in_progress` and the end, come from output.Output:
the same builder a whole answer uses, so both forms have the same items.
"""

from __future__ import annotations

from typing import Any

from gateway.apis.responses.translate import ResponseDraft
from gateway.core.errors import GatewayError
from gateway.core.http import dumps
from gateway.core.pieces import TokenUsage
from gateway.core.text_generation import ToolRules


class ResponseEvents:
    """The stream encoder of one response (the relay calls it; see gateway.streaming)."""

    def __init__(self, draft: ResponseDraft, tools: ToolRules) -> None:
        self.draft = draft
        self.sequence = 0
        self.written: list[bytes] = []
        self.output = draft.output(tools, emit=self._event)
        self.result: dict[str, Any] | None = None
        """The finished `Response`, once `finish` built it."""

    def _event(self, kind: str, **fields: Any) -> None:
        payload = {"type": kind, **fields, "sequence_number": self.sequence}
        self.sequence += 1
        self.written.append(b"event: " + kind.encode() + b"\ndata: " + dumps(payload) + b"\n\n")

    def _flush(self) -> bytes:
        events, self.written = b"".join(self.written), []
        return events

    def _response(self, status: str, **fields: Any) -> dict[str, Any]:
        return self.draft.body(status=status, output=self.output.items, **fields)

    def start(self) -> bytes:
        response = self._response("in_progress")
        self._event("response.created", response=response)
        self._event("response.in_progress", response=response)
        return self._flush()

    def reasoning(self, text: str) -> bytes:
        self.output.reasoning(text)
        return self._flush()

    def text(self, text: str) -> bytes:
        self.output.text(text)
        return self._flush()

    def tool_calls(self, calls: list[dict[str, Any]]) -> bytes:
        self.output.tool_calls(calls)
        return self._flush()

    def finish(self, reason: str, usage: TokenUsage | None) -> bytes:
        self.output.finish(reason)
        self.result = self._response("completed", usage=usage, finish=reason)
        self._event(f"response.{self.result['status']}", response=self.result)
        return self._flush()

    def error(self, error: GatewayError) -> bytes:
        """An `error` event, then `response.failed` with what was produced so far."""
        self.output.fail()
        failed = self._response("failed", error={"code": "server_error", "message": error.message})
        self._event("error", code=error.code, message=error.message, param=error.param)
        self._event("response.failed", response=failed)
        return self._flush()

    def end(self) -> bytes:
        return b""
