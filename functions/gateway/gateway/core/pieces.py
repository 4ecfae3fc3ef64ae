"""Reading Workers AI's answers: one neutral `Piece` for whole answers and stream events alike,
their usage and tool calls, stop sequences, and finish reasons.

Workers AI answers in two shapes, on `/run` and in its streams alike
(docs/upstream.md#answer-shapes): the native one (`{"response", "tool_calls", "usage"}`, tool
calls without ids and with object arguments) and, for newer models, OpenAI's own objects. Every
API's translation starts from a `Piece`; none reads the upstream's shapes itself.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

FINISH_REASONS = {"stop", "length", "tool_calls", "content_filter"}


def new_id(prefix: str) -> str:
    """An id such as `chatcmpl-` + 24 hex digits."""
    return f"{prefix}-{secrets.token_hex(12)}"


TokenUsage = dict[str, Any]
"""OpenAI's `CompletionUsage` as sent: `prompt_tokens`, `completion_tokens`, `total_tokens`, and
where the upstream reported them `prompt_tokens_details.cached_tokens` and
`completion_tokens_details.reasoning_tokens`."""


@dataclass
class Piece:
    """A part of an answer (a stream event) or a whole answer, in one neutral form."""

    text: str = ""
    reasoning: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None
    usage: TokenUsage | None = None


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


USAGE_DETAILS = (
    ("prompt_tokens_details", "cached_tokens"),
    ("completion_tokens_details", "reasoning_tokens"),
)
"""The token breakdowns Workers AI reports (docs/upstream.md#prompt-caching; gpt-oss's
reasoning), under OpenAI's `CompletionUsage` names, which are also the upstream's."""


def read_usage(value: Any) -> TokenUsage | None:
    """OpenAI's `CompletionUsage` from the upstream's: the three counts, and each breakdown of
    USAGE_DETAILS only when the upstream gave it (never an estimate, never a made-up 0)."""
    if not isinstance(value, dict):
        return None
    try:
        prompt = int(value.get("prompt_tokens") or 0)
        completion = int(value.get("completion_tokens") or 0)
        total = int(value.get("total_tokens") or prompt + completion)
    except (TypeError, ValueError):
        return None
    usage: TokenUsage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": total,
    }
    for name, key in USAGE_DETAILS:
        details = value.get(name)
        count = details.get(key) if isinstance(details, dict) else None
        if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
            usage[name] = {key: count}
    return usage


def tool_call(raw: dict[str, Any], index: int) -> dict[str, Any]:
    """An OpenAI tool call (or tool-call delta) from either upstream shape."""
    function = raw.get("function")
    if isinstance(function, dict):
        name, arguments = function.get("name"), function.get("arguments")
    else:
        name, arguments = raw.get("name"), raw.get("arguments", raw.get("parameters"))
    call: dict[str, Any] = {"index": raw.get("index", index)}
    if raw.get("id") or name:
        call["id"] = raw.get("id") or f"call_{secrets.token_hex(12)}"
        call["type"] = "function"
    fn: dict[str, Any] = {}
    if name:
        fn["name"] = name
    if arguments is not None or name:
        fn["arguments"] = _as_text(arguments if arguments is not None else {})
    call["function"] = fn
    return call


def _tool_calls(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        return []
    return [tool_call(item, i) for i, item in enumerate(raw) if isinstance(item, dict)]


def read_piece(data: Any) -> Piece:
    """Read an upstream result or stream event, whichever shape it has."""
    if not isinstance(data, dict):
        return Piece(text=_as_text(data))
    choices = data.get("choices")
    usage = read_usage(data.get("usage"))
    if isinstance(choices, list):
        if not choices or not isinstance(choices[0], dict):
            return Piece(usage=usage)
        choice = choices[0]
        part = choice.get("delta") or choice.get("message") or {}
        text = part.get("content") if isinstance(part, dict) else None
        if text is None and "text" in choice:
            text = choice.get("text")
        reasoning = (part.get("reasoning_content") or part.get("reasoning")) if part else None
        finish = choice.get("finish_reason")
        return Piece(
            text=_as_text(text),
            reasoning=_as_text(reasoning),
            tool_calls=_tool_calls(part.get("tool_calls") if part else None),
            finish_reason=finish if finish in FINISH_REASONS else None,
            usage=usage,
        )
    return Piece(
        text=_as_text(data.get("response")),
        tool_calls=_tool_calls(data.get("tool_calls")),
        usage=usage,
    )


def recover_text_tool_call(piece: Piece, tool_names: frozenset[str]) -> Piece:
    """gpt-oss sometimes writes a forced tool call as JSON in `content`: make it a real call."""
    if piece.tool_calls or not tool_names:
        return piece
    try:
        data = json.loads(piece.text)
    except ValueError:
        return piece
    if isinstance(data, dict) and data.get("name") in tool_names:
        piece.tool_calls = [tool_call(data, 0)]
        piece.text = ""
    return piece


class StopScanner:
    """Cuts text at the first stop sequence, holding back just enough to see one split
    across stream pieces; `matched` is the stop sequence it cut at."""

    def __init__(self, stops: list[str]) -> None:
        self.stops = stops
        self.hold = max((len(stop) for stop in stops), default=1) - 1
        self.buffer = ""
        self.stopped = False
        self.matched: str | None = None

    def feed(self, text: str) -> str:
        if self.stopped:
            return ""
        if not self.stops:
            return text
        self.buffer += text
        hits = [(i, stop) for stop in self.stops if (i := self.buffer.find(stop)) >= 0]
        if hits:
            cut, self.matched = min(hits, key=lambda hit: hit[0])
            out, self.buffer, self.stopped = self.buffer[:cut], "", True
            return out
        cut = max(len(self.buffer) - self.hold, 0)
        out, self.buffer = self.buffer[:cut], self.buffer[cut:]
        return out

    def flush(self) -> str:
        out, self.buffer = self.buffer, ""
        return out


def finish_reason(
    upstream: str | None,
    *,
    tool_calls: bool,
    stopped: bool,
    usage: TokenUsage | None,
    max_tokens: int,
) -> str:
    if tool_calls:
        return "tool_calls"
    if stopped:
        return "stop"
    if upstream:
        return upstream
    if usage and usage["completion_tokens"] >= max_tokens:
        return "length"
    return "stop"


def with_usage(payload: dict[str, Any], usage: TokenUsage | None) -> dict[str, Any]:
    """Usage only when the upstream reported it: never an estimate, never a null object."""
    if usage is not None:
        payload["usage"] = usage
    return payload
