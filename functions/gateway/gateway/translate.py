"""OpenAI ⇄ Workers AI: request bodies for `/run`, and answers back into OpenAI's shapes.

Workers AI answers in two shapes, on `/run` and in its streams alike: the native one
(`{"response", "tool_calls", "usage"}`, tool calls without ids and with object arguments) and,
for newer models, OpenAI's own objects. `Piece` is the one form both are read into.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from gateway import tokens
from gateway.catalog import Capabilities
from gateway.schemas import (
    AllowedToolsChoice,
    AssistantMessage,
    ChatCompletionRequest,
    CompletionRequest,
    FunctionMessage,
    ImagePart,
    Message,
    NamedToolChoice,
    RefusalPart,
    ResponseFormatJSONObject,
    ResponseFormatJSONSchema,
    SamplingParams,
    SystemMessage,
    TextPart,
    ToolMessage,
    UserMessage,
)

LEGACY_MAX_TOKENS = 16
FINISH_REASONS = {"stop", "length", "tool_calls", "content_filter"}


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(12)}"


# Requests


def _text(content: str | list[Any] | None) -> str:
    """The text of a message's content: text parts, and refusal parts as the words said."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts = [
        part.text if isinstance(part, TextPart) else part.refusal
        for part in content
        if isinstance(part, TextPart | RefusalPart)
    ]
    return "\n".join(texts)


def has_images(messages: list[Message]) -> bool:
    return any(
        isinstance(part, ImagePart)
        for message in messages
        if isinstance(message, UserMessage) and not isinstance(message.content, str)
        for part in message.content
    )


def _user_content(content: str | list[Any], vision: bool | None) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    if vision is False or not any(isinstance(part, ImagePart) for part in content):
        return _text(content)
    return [part.model_dump(exclude_none=True) for part in content]


def _assistant(message: AssistantMessage, index: int, reasons: bool) -> dict[str, Any]:
    """An earlier assistant turn: text (or its refusal), tool calls (also the deprecated
    `function_call`, given the id `call_{index}`), and for a model that `reasons` its reasoning
    in `reasoning`, where Workers AI reads it back (reference: "Reasoning from earlier turns");
    other models never see it."""
    item: dict[str, Any] = {"role": "assistant", "content": _text(message.content)}
    if not item["content"] and message.refusal:
        item["content"] = message.refusal
    calls = [call.model_dump() for call in message.tool_calls or []]
    if message.function_call:
        calls.append(
            {
                "id": f"call_{index}",
                "type": "function",
                "function": message.function_call.model_dump(),
            }
        )
    if calls:
        item["tool_calls"] = calls
    if reasons and (reasoning := message.reasoning or message.reasoning_content):
        item["reasoning"] = reasoning
    return item


def native_messages(messages: list[Message], caps: Capabilities) -> list[dict[str, Any]]:
    """Messages as `/run` takes them: `content` never null, images only for vision models,
    refusals as text, the deprecated function turns as tool calls and tool results.
    `name` fields are dropped: Workers AI's chat templates have no speaker names."""
    out: list[dict[str, Any]] = []
    function_call_id = ""
    for index, message in enumerate(messages):
        if isinstance(message, SystemMessage):
            out.append({"role": "system", "content": _text(message.content)})
        elif isinstance(message, AssistantMessage):
            out.append(_assistant(message, index, bool(caps.reasoning_efforts)))
            if message.function_call:
                function_call_id = f"call_{index}"
        elif isinstance(message, ToolMessage):
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": message.tool_call_id,
                    "content": _text(message.content),
                }
            )
        elif isinstance(message, FunctionMessage):
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": function_call_id or f"call_{message.name}",
                    "content": message.content or "",
                }
            )
        else:
            out.append({"role": "user", "content": _user_content(message.content, caps.vision)})
    return out


REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
"""OpenAI's `ReasoningEffort` values, least effort first."""


def reasoning_effort(asked: str | None, supported: tuple[str, ...]) -> str | None:
    """The supported value nearest to the one asked for (a tie goes to the lesser effort);
    None when nothing was asked or the model takes no control (it does not reason)."""
    if asked is None or not supported:
        return None
    rank = REASONING_EFFORTS.index
    return min(supported, key=lambda level: (abs(rank(level) - rank(asked)), rank(level)))


def upstream_tools(req: ChatCompletionRequest) -> tuple[list[dict[str, Any]], Any]:
    """(tools, tool_choice) for the upstream body, from `tools`/`tool_choice` or the deprecated
    `functions`/`function_call`.

    Workers AI takes OpenAI's `none`, `auto`, `required` and named-function forms (reference:
    "request fields"); `any` is sent as `required`, and `allowed_tools` narrows the tools. A
    named choice also narrows the tools to that one, so no model can call another.
    """
    tools, choice = req.function_tools, req.choice
    if not tools:
        return [], None
    upstream_choice: Any = choice
    if isinstance(choice, AllowedToolsChoice):
        tools = [tool for tool in tools if tool.name in choice.allowed_tools.names]
        upstream_choice = choice.allowed_tools.mode
    elif isinstance(choice, NamedToolChoice):
        tools = [tool for tool in tools if tool.name == choice.function.name]
        upstream_choice = {"type": "function", "function": {"name": choice.function.name}}
    elif choice == "any":
        upstream_choice = "required"
    bodies = [
        {"type": "function", "function": tool.model_dump(exclude_none=True)} for tool in tools
    ]
    return bodies, upstream_choice


@dataclass(frozen=True)
class ToolRules:
    """How tool calls come back: the names the model may call (none under `tool_choice:
    "none"`), whether only the first call is kept (`parallel_tool_calls: false`), and whether
    in the deprecated `function_call` shape."""

    names: frozenset[str] = frozenset()
    one_call: bool = False
    legacy: bool = False

    @classmethod
    def of(cls, req: ChatCompletionRequest) -> ToolRules:
        tools, choice = upstream_tools(req)
        callable_tools = [] if choice == "none" else tools
        return cls(
            frozenset(tool["function"]["name"] for tool in callable_tools),
            one_call=req.one_tool_call,
            legacy=req.legacy_functions,
        )


def _sampling(req: SamplingParams, caps: Capabilities, max_tokens: int) -> dict[str, Any]:
    low, high = caps.penalty_range
    body: dict[str, Any] = {"max_tokens": max_tokens}
    for name in ("temperature", "top_p", "top_k", "seed", "repetition_penalty"):
        value = getattr(req, name)
        if value is not None:
            body[name] = value
    for name in ("frequency_penalty", "presence_penalty"):
        value = getattr(req, name)
        if value is not None:
            body[name] = min(max(value, low), high)
    return body


def chat_max_tokens(req: ChatCompletionRequest, default: int) -> int:
    return req.max_completion_tokens or req.max_tokens or default


def completion_max_tokens(req: CompletionRequest) -> int:
    """OpenAI's legacy default, also when a client sends `max_tokens: null`."""
    return req.max_tokens or LEGACY_MAX_TOKENS


def chat_body(
    req: ChatCompletionRequest,
    caps: Capabilities,
    *,
    max_tokens: int,
    stream: bool,
    has_backup: bool,
) -> dict[str, Any]:
    body: dict[str, Any] = {"messages": native_messages(req.messages, caps)}
    body |= _sampling(req, caps, max_tokens)
    tools, tool_choice = upstream_tools(req)
    if tools:
        body["tools"] = tools
        if tool_choice is not None:
            body["tool_choice"] = tool_choice
    if isinstance(req.response_format, ResponseFormatJSONSchema):
        schema = req.response_format.json_schema.schema_ or {"type": "object"}
        body["response_format"] = {"type": "json_schema", "json_schema": schema}
    elif isinstance(req.response_format, ResponseFormatJSONObject):
        body["response_format"] = {"type": "json_object"}
    if effort := reasoning_effort(req.reasoning_effort, caps.reasoning_efforts):
        body["reasoning_effort"] = effort
    if stream:
        body["stream"] = True
    if has_backup:
        body["options"] = {"rejectIfBusy": True}
    return body


def prompt_text(req: CompletionRequest) -> str:
    """The one prompt as text: a token array is decoded with cl100k_base."""
    prompt: Any = req.prompt
    if isinstance(prompt, list) and prompt and not isinstance(prompt[0], int):
        prompt = prompt[0]  # the one prompt of a list: a string or a token array
    return prompt if isinstance(prompt, str) else tokens.decode(prompt, param="prompt")


def completion_body(
    req: CompletionRequest, prompt: str, caps: Capabilities, *, stream: bool, has_backup: bool
) -> dict[str, Any]:
    """The legacy API on the native prompt form (or as one user message where there is none)."""
    body: dict[str, Any] = (
        {"prompt": prompt}
        if caps.prompt_form
        else {"messages": [{"role": "user", "content": prompt}]}
    )
    body |= _sampling(req, caps, completion_max_tokens(req))
    if stream:
        body["stream"] = True
    if has_backup:
        body["options"] = {"rejectIfBusy": True}
    return body


# Answers

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
"""The token breakdowns Workers AI reports (reference/workers-ai.md, prompt caching; gpt-oss's
reasoning), under OpenAI's `CompletionUsage` names, which are also the upstream's."""


def _usage(value: Any) -> TokenUsage | None:
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
    usage = _usage(data.get("usage"))
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
    across stream pieces."""

    def __init__(self, stops: list[str]) -> None:
        self.stops = stops
        self.hold = max((len(stop) for stop in stops), default=1) - 1
        self.buffer = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        if self.stopped:
            return ""
        if not self.stops:
            return text
        self.buffer += text
        hits = [i for i in (self.buffer.find(stop) for stop in self.stops) if i >= 0]
        if hits:
            out, self.buffer, self.stopped = self.buffer[: min(hits)], "", True
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


def chat_completion(
    answer: Piece, *, model: str, stops: list[str], max_tokens: int, tools: ToolRules
) -> dict[str, Any]:
    """A `chat.completion`; `model` is the name the client asked for, as OpenAI echoes it."""
    answer = recover_text_tool_call(answer, tools.names)
    calls = answer.tool_calls[:1] if tools.one_call else answer.tool_calls
    scanner = StopScanner(stops)
    text = scanner.feed(answer.text) + scanner.flush()
    message: dict[str, Any] = {
        "role": "assistant",
        "content": text if text or not calls else None,
        "refusal": None,
    }
    if calls and tools.legacy:
        message["function_call"] = calls[0]["function"]
    elif calls:
        message["tool_calls"] = [
            {key: value for key, value in call.items() if key != "index"} for call in calls
        ]
    if answer.reasoning:
        message |= reasoning_fields(answer.reasoning)
    reason = finish_reason(
        answer.finish_reason,
        tool_calls=bool(calls),
        stopped=scanner.stopped,
        usage=answer.usage,
        max_tokens=max_tokens,
    )
    if reason == "tool_calls" and tools.legacy:
        reason = "function_call"
    return _with_usage(
        {
            "id": new_id("chatcmpl"),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {"index": 0, "message": message, "finish_reason": reason, "logprobs": None}
            ],
        },
        answer.usage,
    )


def reasoning_fields(text: str) -> dict[str, str]:
    """Reasoning under both names clients read: `reasoning` (OpenAI's gpt-oss guide, the Agents
    SDK) and `reasoning_content` (vLLM, DeepSeek-style clients)."""
    return {"reasoning": text, "reasoning_content": text}


def text_completion(
    answer: Piece, *, model: str, req: CompletionRequest, prompt: str
) -> dict[str, Any]:
    """A `text_completion`; `model` is the name the client asked for."""
    scanner = StopScanner(req.stops)
    text = scanner.feed(answer.text) + scanner.flush()
    if req.echo:
        text = prompt + text
    reason = finish_reason(
        answer.finish_reason,
        tool_calls=False,
        stopped=scanner.stopped,
        usage=answer.usage,
        max_tokens=completion_max_tokens(req),
    )
    return _with_usage(
        {
            "id": new_id("cmpl"),
            "object": "text_completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "text": text, "finish_reason": reason, "logprobs": None}],
        },
        answer.usage,
    )


def _with_usage(payload: dict[str, Any], usage: TokenUsage | None) -> dict[str, Any]:
    """Usage only when the upstream reported it: never an estimate, never a null object."""
    if usage is not None:
        payload["usage"] = usage
    return payload
