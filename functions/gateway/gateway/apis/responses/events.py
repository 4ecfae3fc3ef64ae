"""The Responses API's stream: `ResponseStreamEvent`s built from upstream pieces as they come.

The order is OpenAI's: `response.created`, `response.in_progress`; for each output item
`response.output_item.added`, its parts (`response.content_part.added`, deltas, `.done`s),
`response.output_item.done`; then `response.completed` (or `response.incomplete`), or on a
failure after the first byte an `error` event and `response.failed`. Every event carries an
increasing `sequence_number`. There is no `[DONE]` line in this dialect.
"""

from __future__ import annotations

from typing import Any

from gateway.apis.responses.translate import (
    ResponseDraft,
    function_call_item,
    message_item,
    new_item_id,
    reasoning_item,
)
from gateway.core.errors import GatewayError
from gateway.core.http import dumps
from gateway.core.pieces import TokenUsage
from gateway.core.streaming import ToolCallNumbering
from gateway.core.text_generation import ToolRules

TEXT_PART: dict[str, Any] = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}


class ResponseEvents:
    """The stream encoder of one response (the relay calls it; see gateway.streaming)."""

    def __init__(self, draft: ResponseDraft, tools: ToolRules) -> None:
        self.draft = draft
        self.tools = tools
        self.numbering = ToolCallNumbering()
        self.sequence = 0
        self.output: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        """The open reasoning or message item that deltas go to."""
        self.calls: dict[int, dict[str, Any]] = {}
        """Open function-call items by the upstream's tool-call index."""
        self.result: dict[str, Any] | None = None
        """The finished `Response`, once `finish` built it."""

    def _event(self, kind: str, **fields: Any) -> bytes:
        payload = {"type": kind, **fields, "sequence_number": self.sequence}
        self.sequence += 1
        return b"event: " + kind.encode() + b"\ndata: " + dumps(payload) + b"\n\n"

    def _response(self, status: str, **fields: Any) -> dict[str, Any]:
        return self.draft.body(status=status, output=self.output, **fields)

    def _add(self, item: dict[str, Any]) -> bytes:
        self.output.append(item)
        return self._event(
            "response.output_item.added", output_index=len(self.output) - 1, item=item
        )

    def _where(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"item_id": item["id"], "output_index": self.output.index(item)}

    def _close_current(self) -> bytes:
        item, self.current = self.current, None
        if item is None:
            return b""
        where = self._where(item)
        part = item["content"][0]
        item["status"] = "completed"
        if item["type"] == "reasoning":
            done = self._event(
                "response.reasoning_text.done", **where, content_index=0, text=part["text"]
            )
        else:
            done = self._event(
                "response.output_text.done",
                **where,
                content_index=0,
                text=part["text"],
                logprobs=[],
            )
        return (
            done
            + self._event("response.content_part.done", **where, content_index=0, part=part)
            + self._event(
                "response.output_item.done", output_index=where["output_index"], item=item
            )
        )

    def _open(self, kind: str) -> tuple[bytes, dict[str, Any]]:
        """The open `kind` item (reasoning or message), opening it (and closing another) first;
        with the events that took."""
        if self.current is not None and self.current["type"] == kind:
            return b"", self.current
        events = self._close_current()
        if kind == "reasoning":
            item = reasoning_item(new_item_id("rs"), "", "in_progress")
            item["content"] = []
            part = {"type": "reasoning_text", "text": ""}
        else:
            item = message_item(new_item_id("msg"), None, "in_progress")
            part = dict(TEXT_PART)
        events += self._add(item)
        item["content"] = [part]
        self.current = item
        events += self._event(
            "response.content_part.added", **self._where(item), content_index=0, part=part
        )
        return events, item

    def _append(self, kind: str, event: str, text: str, **fields: Any) -> bytes:
        events, item = self._open(kind)
        item["content"][0]["text"] += text
        return events + self._event(
            event, **self._where(item), content_index=0, delta=text, **fields
        )

    def start(self) -> bytes:
        response = self._response("in_progress")
        return self._event("response.created", response=response) + self._event(
            "response.in_progress", response=response
        )

    def reasoning(self, text: str) -> bytes:
        return self._append("reasoning", "response.reasoning_text.delta", text)

    def text(self, text: str) -> bytes:
        return self._append("message", "response.output_text.delta", text, logprobs=[])

    def tool_calls(self, calls: list[dict[str, Any]]) -> bytes:
        """Function-call items and their argument deltas, numbered across the stream (only
        the first call under `parallel_tool_calls: false`)."""
        calls = self.numbering.number(calls)
        if self.tools.one_call:
            calls = [call for call in calls if call["index"] == 0]
        if not calls:
            return b""
        events = self._close_current()
        for call in calls:
            item = self.calls.get(call["index"])
            if item is None:
                item = function_call_item(new_item_id("fc"), call, "in_progress")
                arguments, item["arguments"] = item["arguments"], ""
                self.calls[call["index"]] = item
                events += self._add(item)
            else:
                arguments = call.get("function", {}).get("arguments", "")
            if arguments:
                item["arguments"] += arguments
                events += self._event(
                    "response.function_call_arguments.delta", **self._where(item), delta=arguments
                )
        return events

    def _close_calls(self) -> bytes:
        events = b""
        for item in self.calls.values():
            item["status"] = "completed"
            events += self._event(
                "response.function_call_arguments.done",
                **self._where(item),
                name=item["name"],
                arguments=item["arguments"],
            )
            events += self._event(
                "response.output_item.done", output_index=self.output.index(item), item=item
            )
        self.calls = {}
        return events

    def finish(self, reason: str, usage: TokenUsage | None) -> bytes:
        events = self._close_current() + self._close_calls()
        if not self.output:
            events += self._open("message")[0] + self._close_current()
        self.result = self._response("completed", usage=usage, finish=reason)
        return events + self._event(f"response.{self.result['status']}", response=self.result)

    def error(self, error: GatewayError) -> bytes:
        """An `error` event, then `response.failed` with what was produced so far."""
        for item in self.output:
            if item["status"] == "in_progress":
                item["status"] = "incomplete"
        failed = self._response("failed", error={"code": "server_error", "message": error.message})
        return self._event(
            "error", code=error.code, message=error.message, param=error.param
        ) + self._event("response.failed", response=failed)

    def end(self) -> bytes:
        return b""
