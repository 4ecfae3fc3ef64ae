"""Chat completions ⇄ Workers AI: a request as text generation's input, an answer as a
`chat.completion`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from gateway.apis.chat.schemas import (
    AllowedToolsChoice,
    AssistantMessage,
    ChatCompletionRequest,
    FunctionMessage,
    ImagePart,
    Message,
    NamedToolChoice,
    RefusalPart,
    ResponseFormatJSONObject,
    ResponseFormatJSONSchema,
    SystemMessage,
    TextPart,
    ToolMessage,
)
from gateway.core.pieces import Piece, StopScanner, finish_reason, new_id, with_usage
from gateway.core.sampling import sampling_of
from gateway.core.text_generation import (
    Allowed,
    FunctionTool,
    Named,
    TextGenerationInput,
    ToolChoice,
    ToolRules,
)


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


def _user_content(content: str | list[Any]) -> str | list[dict[str, Any]]:
    """A user turn's content: its text, or every part when it holds an image."""
    if isinstance(content, str):
        return content
    if not any(isinstance(part, ImagePart) for part in content):
        return _text(content)
    return [part.model_dump(exclude_none=True) for part in content]


def _assistant(message: AssistantMessage, index: int) -> dict[str, Any]:
    """An earlier assistant turn: text (or its refusal), tool calls (also the deprecated
    `function_call`, given the id `call_{index}`), and its reasoning (which text generation
    sends back to reasoning models only)."""
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
    if reasoning := message.reasoning or message.reasoning_content:
        item["reasoning"] = reasoning
    return item


def upstream_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Messages in text generation's form: refusals as text, the deprecated function turns as
    tool calls and tool results. `name` fields are dropped: Workers AI's chat templates have no
    speaker names."""
    out: list[dict[str, Any]] = []
    function_call_id = ""
    for index, message in enumerate(messages):
        if isinstance(message, SystemMessage):
            out.append({"role": "system", "content": _text(message.content)})
        elif isinstance(message, AssistantMessage):
            out.append(_assistant(message, index))
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
            out.append({"role": "user", "content": _user_content(message.content)})
    return out


def _tool_choice(req: ChatCompletionRequest) -> ToolChoice | None:
    """`tool_choice` (or the deprecated `function_call`) in text generation's terms; `any` is
    the spelling of `required` some clients send."""
    choice = req.choice
    if isinstance(choice, AllowedToolsChoice):
        return Allowed(frozenset(choice.allowed_tools.names), choice.allowed_tools.mode)
    if isinstance(choice, NamedToolChoice):
        return Named(choice.function.name)
    if choice == "any":
        return "required"
    return choice if choice in ("none", "auto", "required") else None


def _response_format(req: ChatCompletionRequest) -> dict[str, Any] | None:
    """Workers AI's form: `json_schema` takes the bare schema (docs/upstream.md#request-fields)."""
    if isinstance(req.response_format, ResponseFormatJSONSchema):
        schema = req.response_format.json_schema.schema_ or {"type": "object"}
        return {"type": "json_schema", "json_schema": schema}
    if isinstance(req.response_format, ResponseFormatJSONObject):
        return {"type": "json_object"}
    return None


def max_tokens(req: ChatCompletionRequest, default: int) -> int:
    return req.max_completion_tokens or req.max_tokens or default


def generation_input(req: ChatCompletionRequest, default_max_tokens: int) -> TextGenerationInput:
    """The request as text generation's input."""
    return TextGenerationInput(
        messages=upstream_messages(req.messages),
        max_tokens=max_tokens(req, default_max_tokens),
        sampling=sampling_of(req),
        tools=[
            FunctionTool(tool.name, tool.description, tool.parameters, tool.strict)
            for tool in req.function_tools
        ],
        tool_choice=_tool_choice(req),
        response_format=_response_format(req),
        reasoning_effort=req.reasoning_effort,
    )


@dataclass(frozen=True)
class ChatTools:
    """How tool calls come back in chat: the core's rules, and whether in the deprecated
    `function_call` shape (the request used `functions`)."""

    rules: ToolRules
    legacy: bool = False


def reasoning_fields(text: str) -> dict[str, str]:
    """Reasoning under both names clients read: `reasoning` (OpenAI's gpt-oss guide, the Agents
    SDK) and `reasoning_content` (vLLM, DeepSeek-style clients)."""
    return {"reasoning": text, "reasoning_content": text}


def chat_completion(
    answer: Piece, *, model: str, stops: list[str], max_tokens: int, tools: ChatTools
) -> dict[str, Any]:
    """A `chat.completion`; `model` is the name the client asked for, as OpenAI echoes it."""
    calls = tools.rules.keep(answer.tool_calls)
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
    return with_usage(
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
