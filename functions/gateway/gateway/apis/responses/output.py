"""A response's output items, built one way for whole answers and streams alike.

`Output` takes an answer's pieces as they come (reasoning, text, tool calls, then the finish)
and keeps the output items; each step also reports the stream events it makes to `emit`, which
the stream encoder (events.py) writes and a whole answer ignores. Since both forms run the same
steps on the same pieces, a whole answer and a stream of the same upstream answer have the same
items, in the same order, with the same statuses.

The rules the items follow:

- reasoning, then text, open one item each (`reasoning`, then a `message`); the next kind of
  piece closes the open one, `completed`;
- tool calls become `function_call`, `custom_tool_call` or `local_shell_call` items, by the
  tool the client offered (tools.py); under `parallel_tool_calls: false` only the first is kept;
- the finish closes what is still open: `incomplete` when the token limit (or a content filter)
  cut the answer, else `completed`. An answer with no item at all gets an empty message;
- with `reasoning.summary` asked for, the reasoning item's `summary` holds the reasoning text
  too (the model's own words, not a generated summary), with its `reasoning_summary_*` events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.apis.responses.items import ItemIds, output_text_part
from gateway.apis.responses.tools import Toolset, call_input, shell_action
from gateway.core.pieces import Piece
from gateway.core.streaming import ToolCallNumbering
from gateway.core.text_generation import ToolRules

INCOMPLETE_REASONS = {"length": "max_output_tokens", "content_filter": "content_filter"}
"""Chat finish reasons that leave a response `incomplete`, and OpenAI's reason for each."""

Emit = Callable[..., None]
"""`emit(event_type, **fields)`: one stream event (the encoder adds `sequence_number`)."""


def _ignore(kind: str, **fields: Any) -> None:
    return None


class Output:
    """The output items of one response (see the module docstring)."""

    def __init__(
        self,
        ids: ItemIds,
        tools: Toolset,
        rules: ToolRules,
        *,
        summary: bool = False,
        emit: Emit | None = None,
    ) -> None:
        self.ids = ids
        self.tools = tools
        self.rules = rules
        self.summary = summary
        self.emit = emit or _ignore
        self.items: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        """The open reasoning or message item that text goes to."""
        self.calls: dict[int, dict[str, Any]] = {}
        """Open call items by the upstream's tool-call index."""
        self.arguments: dict[int, str] = {}
        """Each open call's upstream arguments so far (custom and shell items take theirs from
        them once complete)."""
        self.numbering = ToolCallNumbering()

    def _where(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"item_id": item["id"], "output_index": self.items.index(item)}

    def _add(self, item: dict[str, Any]) -> None:
        self.items.append(item)
        self.emit("response.output_item.added", output_index=len(self.items) - 1, item=item)

    # reasoning and text

    def _open(self, kind: str) -> dict[str, Any]:
        if self.current is not None and self.current["type"] == kind:
            return self.current
        self._close_current("completed")
        item: dict[str, Any]
        part: dict[str, Any]
        if kind == "reasoning":
            item = {
                "id": self.ids.new("rs"),
                "type": "reasoning",
                "summary": [],
                "content": [],
                "status": "in_progress",
            }
            self._add(item)
            if self.summary:
                item["summary"] = [{"type": "summary_text", "text": ""}]
                self.emit(
                    "response.reasoning_summary_part.added",
                    **self._where(item),
                    summary_index=0,
                    part={"type": "summary_text", "text": ""},
                )
            part = {"type": "reasoning_text", "text": ""}
        else:
            item = {
                "id": self.ids.new("msg"),
                "type": "message",
                "role": "assistant",
                "status": "in_progress",
                "content": [],
            }
            self._add(item)
            part = output_text_part("")
        item["content"] = [part]
        self.emit(
            "response.content_part.added", **self._where(item), content_index=0, part=dict(part)
        )
        self.current = item
        return item

    def _close_current(self, status: str) -> None:
        item, self.current = self.current, None
        if item is None:
            return
        item["status"] = status
        where = self._where(item)
        part = item["content"][0]
        if item["type"] == "reasoning":
            self.emit("response.reasoning_text.done", **where, content_index=0, text=part["text"])
            self.emit("response.content_part.done", **where, content_index=0, part=part)
            if self.summary:
                summary = item["summary"][0]
                self.emit(
                    "response.reasoning_summary_text.done",
                    **where,
                    summary_index=0,
                    text=summary["text"],
                )
                cut = {"status": "incomplete"} if status == "incomplete" else {}
                self.emit(
                    "response.reasoning_summary_part.done",
                    **where,
                    summary_index=0,
                    part=summary,
                    **cut,
                )
        else:
            self.emit(
                "response.output_text.done",
                **where,
                content_index=0,
                text=part["text"],
                logprobs=[],
            )
            self.emit("response.content_part.done", **where, content_index=0, part=part)
        self.emit("response.output_item.done", output_index=where["output_index"], item=item)

    def reasoning(self, text: str) -> None:
        item = self._open("reasoning")
        item["content"][0]["text"] += text
        where = self._where(item)
        self.emit("response.reasoning_text.delta", **where, content_index=0, delta=text)
        if self.summary:
            item["summary"][0]["text"] += text
            self.emit("response.reasoning_summary_text.delta", **where, summary_index=0, delta=text)

    def text(self, text: str) -> None:
        item = self._open("message")
        item["content"][0]["text"] += text
        self.emit(
            "response.output_text.delta",
            **self._where(item),
            content_index=0,
            delta=text,
            logprobs=[],
        )

    # tool calls

    def _call_item(self, call: dict[str, Any]) -> dict[str, Any]:
        """A new call item, of the kind of the client's tool the upstream call names."""
        name = call.get("function", {}).get("name", "")
        tool = self.tools.client_tool(name)
        item: dict[str, Any]
        if tool.kind == "local_shell":
            return {
                "id": self.ids.new("lsh"),
                "type": "local_shell_call",
                "call_id": call["id"],
                "action": {"type": "exec", "command": [], "env": {}},
                "status": "in_progress",
            }
        if tool.kind == "custom":
            item = {
                "id": self.ids.new("ctc"),
                "type": "custom_tool_call",
                "call_id": call["id"],
                "name": tool.name,
                "input": "",
                "status": "in_progress",
            }
        else:
            item = {
                "id": self.ids.new("fc"),
                "type": "function_call",
                "call_id": call["id"],
                "name": tool.name,
                "arguments": "",
                "status": "in_progress",
            }
        if tool.namespace is not None:
            item["namespace"] = tool.namespace
        return item

    def tool_calls(self, calls: list[dict[str, Any]]) -> None:
        """Call items and their argument deltas, numbered across the stream (only the first
        call under `parallel_tool_calls: false`)."""
        calls = self.numbering.number(calls)
        if self.rules.one_call:
            calls = [call for call in calls if call["index"] == 0]
        if not calls:
            return
        self._close_current("completed")
        for call in calls:
            index = call["index"]
            item = self.calls.get(index)
            if item is None:
                item = self._call_item(call)
                self.calls[index], self.arguments[index] = item, ""
                self._add(item)
            delta = call.get("function", {}).get("arguments", "")
            if not delta:
                continue
            self.arguments[index] += delta
            if item["type"] == "function_call":
                item["arguments"] += delta
                self.emit(
                    "response.function_call_arguments.delta", **self._where(item), delta=delta
                )

    def _close_calls(self, status: str) -> None:
        for index, item in self.calls.items():
            item["status"] = status
            where = self._where(item)
            arguments = self.arguments[index]
            if item["type"] == "function_call":
                self.emit(
                    "response.function_call_arguments.done",
                    **where,
                    name=item["name"],
                    arguments=item["arguments"],
                )
            elif item["type"] == "custom_tool_call":
                item["input"] = call_input(arguments)
                if item["input"]:
                    self.emit("response.custom_tool_call_input.delta", **where, delta=item["input"])
                self.emit("response.custom_tool_call_input.done", **where, input=item["input"])
            else:
                item["action"] = shell_action(arguments)
            self.emit("response.output_item.done", output_index=where["output_index"], item=item)
        self.calls, self.arguments = {}, {}

    # the end

    def finish(self, reason: str) -> None:
        """Close every open item: `incomplete` when `reason` (a chat finish reason) says the
        answer was cut, else `completed`."""
        status = "incomplete" if reason in INCOMPLETE_REASONS else "completed"
        self._close_current(status)
        self._close_calls(status)
        if not self.items:
            self._open("message")
            self._close_current(status)

    def fail(self) -> None:
        """A stream that broke: what was still being written is `incomplete`."""
        for item in self.items:
            if item["status"] == "in_progress":
                item["status"] = "incomplete"

    def whole(self, answer: Piece, reason: str) -> list[dict[str, Any]]:
        """The items of a whole answer: its pieces in the order a stream gives them."""
        if answer.reasoning:
            self.reasoning(answer.reasoning)
        if answer.text:
            self.text(answer.text)
        if answer.tool_calls:
            self.tool_calls(answer.tool_calls)
        self.finish(reason)
        return self.items
