"""The answer shapes: native /run results and events, OpenAI chat.completion and chunks."""

import json
from collections.abc import Iterator
from typing import Any

from emulator.text import Generation, ToolCall

# Upstream pads some stream events with a meaningless "p" key; clients must ignore it.
JUNK = "abcdefghijklmnopqrstuvwxyz0123456789"


def _native_call(call: ToolCall) -> dict[str, Any]:
    return {"name": call.name, "arguments": call.arguments}


def _openai_call(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
    }


def native_result(gen: Generation) -> dict[str, Any]:
    """`result` of a non-streaming /run answer; JSON mode gives an object in `response`."""
    result: dict[str, Any] = {
        "response": gen.json_value if gen.json_value is not None else gen.text
    }
    if gen.tool_calls:
        shape = _openai_call if gen.model.openai_tool_calls else _native_call
        result["tool_calls"] = [shape(call) for call in gen.tool_calls]
    result["usage"] = gen.usage
    return result


def native_events(gen: Generation) -> Iterator[dict[str, Any]]:
    """Native stream events, before SSE framing (the [DONE] line is added by the framer)."""
    for index, piece in enumerate(gen.content):
        event: dict[str, Any] = {"response": piece}
        if index % 3 == 0:
            event["p"] = JUNK[: 4 + index % 20]
        yield event
    if gen.tool_calls:
        yield {"response": "", "tool_calls": [_native_call(call) for call in gen.tool_calls]}
    yield {"response": "", "usage": gen.usage}


def chat_completion(gen: Generation, completion_id: str, created: int) -> dict[str, Any]:
    """An OpenAI chat.completion object, as gpt-oss and /v1/chat/completions answer."""
    message: dict[str, Any] = {
        "role": "assistant",
        "content": None if gen.tool_calls else gen.text,
    }
    if gen.model.reasoning:
        message["reasoning_content"] = gen.reasoning_text
    if gen.tool_calls or gen.model.reasoning:
        message["tool_calls"] = [_openai_call(call) for call in gen.tool_calls]
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": gen.model.name,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": gen.finish_reason}
        ],
        "usage": gen.usage,
    }


def openai_chunks(gen: Generation, completion_id: str, created: int) -> Iterator[dict[str, Any]]:
    """chat.completion.chunk objects: role first, content, tool calls, finish, then usage."""
    base = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": gen.model.name,
    }

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return base | {"choices": [choice]}

    yield chunk({"role": "assistant", "content": ""})
    for piece in gen.content:
        yield chunk({"content": piece})
    for index, call in enumerate(gen.tool_calls):
        yield chunk({"tool_calls": [{"index": index} | _openai_call(call)]})
    yield chunk({}, gen.finish_reason)
    yield base | {"choices": [], "usage": gen.usage}
