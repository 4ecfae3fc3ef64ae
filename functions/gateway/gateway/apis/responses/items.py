"""Input items: their ids, their stored form (item resources), and the chat conversation they
make.

Items are first normalised to OpenAI's item resources (`ItemResource`: every item with an `id`
and a `status`): that is the form that is stored, listed by `GET /v1/responses/{id}/input_items`,
read back for `previous_response_id` and found by `item_reference`.

Every id the gateway gives an item names the response it belongs to: `<prefix>_<the response
id's 32 hex digits><a counter>` (`msg_…`, `fc_…`, `rs_…`, `ctc_…`…). An `item_reference` is
then one store read away (`response_of`), with no index to keep: the store's owner check makes
another key's items as unknown as ids that never were.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from gateway.apis.responses.schemas import (
    AdditionalToolsItem,
    CreateResponseRequest,
    CustomToolCallItem,
    CustomToolCallOutputItem,
    FunctionCallItem,
    FunctionCallOutputItem,
    InputImage,
    InputText,
    ItemReference,
    LocalShellCallItem,
    LocalShellCallOutputItem,
    MessageItem,
    ReasoningItem,
    Refusal,
    ToolOutput,
)
from gateway.apis.responses.tools import LOCAL_SHELL, shell_arguments, upstream_name
from gateway.core.errors import GatewayError

RESPONSE_PREFIX = "resp_"
_TOKEN = re.compile(r"[a-z]+_([0-9a-f]{32})[0-9a-f]+")


def new_response_id() -> str:
    return RESPONSE_PREFIX + secrets.token_hex(16)


class ItemIds:
    """Mints the ids of one response's items (see the module docstring)."""

    def __init__(self, response_id: str) -> None:
        self.token = response_id.removeprefix(RESPONSE_PREFIX)
        self.count = 0

    def new(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}_{self.token}{self.count:04x}"


def response_of(item_id: str) -> str | None:
    """The id of the response an item id the gateway gave belongs to (None for other ids)."""
    found = _TOKEN.fullmatch(item_id)
    return RESPONSE_PREFIX + found.group(1) if found else None


# Input items -> item resources


def _invalid(message: str, param: str) -> GatewayError:
    return GatewayError(400, message, code="invalid_value", param=param)


def output_text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _message_parts(item: MessageItem, param: str) -> list[dict[str, Any]]:
    parts = (
        [InputText(type="input_text", text=item.content)]
        if isinstance(item.content, str)
        else item.content
    )
    out: list[dict[str, Any]] = []
    for index, part in enumerate(parts):
        where = f"{param}.content[{index}]"
        text = part.refusal if isinstance(part, Refusal) else getattr(part, "text", None)
        if item.role == "assistant":
            if isinstance(part, InputImage):
                raise _invalid("Assistant messages cannot hold images.", where)
            out.append(
                {"type": "refusal", "refusal": text}
                if isinstance(part, Refusal)
                else output_text_part(text or "")
            )
        elif isinstance(part, InputImage):
            if item.role != "user":
                raise _invalid("Only user messages can hold images.", where)
            out.append(
                {
                    "type": "input_image",
                    "image_url": part.image_url,
                    "detail": part.detail or "auto",
                }
            )
        else:
            out.append({"type": "input_text", "text": text or ""})
    return out


def _tool_output(output: ToolOutput, param: str) -> str | list[dict[str, Any]]:
    if isinstance(output, str):
        return output
    if any(isinstance(part, InputImage) for part in output):
        raise _invalid("Tool call outputs can only be text here.", f"{param}.output")
    return [part.model_dump(exclude_none=True) for part in output]


def _with_namespace(resource: dict[str, Any], namespace: str | None) -> dict[str, Any]:
    if namespace is not None:
        resource["namespace"] = namespace
    return resource


def item_resource(item: Any, param: str, ids: ItemIds) -> dict[str, Any]:
    """One validated input item as OpenAI's item resource (with `id` and `status`); an item
    reference stays `{"type": "item_reference", "id"}` until the store resolves it."""
    if isinstance(item, MessageItem):
        return {
            "id": item.id or ids.new("msg"),
            "type": "message",
            "role": item.role,
            "status": "completed",
            "content": _message_parts(item, param),
        }
    if isinstance(item, FunctionCallItem):
        return _with_namespace(
            {
                "id": item.id or ids.new("fc"),
                "type": "function_call",
                "call_id": item.call_id,
                "name": item.name,
                "arguments": item.arguments,
                "status": "completed",
            },
            item.namespace,
        )
    if isinstance(item, CustomToolCallItem):
        return _with_namespace(
            {
                "id": item.id or ids.new("ctc"),
                "type": "custom_tool_call",
                "call_id": item.call_id,
                "name": item.name,
                "input": item.input,
                "status": "completed",
            },
            item.namespace,
        )
    if isinstance(item, LocalShellCallItem):
        return {
            "id": item.id or ids.new("lsh"),
            "type": "local_shell_call",
            "call_id": item.call_id,
            "action": item.action.model_dump(exclude_none=True) | {"env": item.action.env or {}},
            "status": "completed",
        }
    if isinstance(item, FunctionCallOutputItem | CustomToolCallOutputItem):
        prefix = "fco" if isinstance(item, FunctionCallOutputItem) else "ctco"
        return {
            "id": item.id or ids.new(prefix),
            "type": item.type,
            "call_id": item.call_id,
            "output": _tool_output(item.output, param),
            "status": "completed",
        }
    if isinstance(item, LocalShellCallOutputItem):
        return {
            "id": item.id or ids.new("lsho"),
            "type": "local_shell_call_output",
            "call_id": item.call_id or item.id,
            "output": item.output,
            "status": "completed",
        }
    if isinstance(item, ItemReference):
        return {"type": "item_reference", "id": item.id}
    if isinstance(item, AdditionalToolsItem):
        return {
            "id": item.id or ids.new("at"),
            "type": "additional_tools",
            "role": "developer",
            "tools": [tool.model_dump(exclude_none=True) for tool in item.tools],
        }
    reasoning: ReasoningItem = item
    resource: dict[str, Any] = {
        "id": reasoning.id or ids.new("rs"),
        "type": "reasoning",
        "summary": [part.model_dump() for part in reasoning.summary],
    }
    if reasoning.content is not None:
        resource["content"] = [part.model_dump() for part in reasoning.content]
    if reasoning.encrypted_content is not None:
        resource["encrypted_content"] = reasoning.encrypted_content
    return resource


def input_resources(req: CreateResponseRequest, ids: ItemIds) -> list[dict[str, Any]]:
    """The request's `input` as item resources; a string is one user message."""
    if req.input is None:
        return []
    if isinstance(req.input, str):
        return [item_resource(MessageItem(role="user", content=req.input), "input", ids)]
    return [item_resource(item, f"input[{index}]", ids) for index, item in enumerate(req.input)]


# Item resources -> text generation's messages


def _text_of(parts: list[dict[str, Any]]) -> str:
    return "\n".join(part.get("text") or part.get("refusal") or "" for part in parts)


def _user_content(parts: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """A user message's content: its text, or every part when it holds an image."""
    if all(part["type"] == "input_text" for part in parts):
        return _text_of(parts)
    return [
        {"type": "image_url", "image_url": {"url": part["image_url"]}}
        if part["type"] == "input_image"
        else {"type": "text", "text": part["text"]}
        for part in parts
    ]


CALLS = {"function_call", "custom_tool_call", "local_shell_call"}
CALL_OUTPUTS = {"function_call_output", "custom_tool_call_output", "local_shell_call_output"}


def upstream_call(item: dict[str, Any]) -> dict[str, Any]:
    """A call item as the assistant tool call the model made (tools.py: how each kind of tool
    is offered)."""
    kind = item["type"]
    if kind == "custom_tool_call":
        name = upstream_name(item["name"], item.get("namespace"))
        arguments = json.dumps({"input": item["input"]})
    elif kind == "local_shell_call":
        name, arguments = LOCAL_SHELL, shell_arguments(item["action"])
    else:
        name, arguments = upstream_name(item["name"], item.get("namespace")), item["arguments"]
    return {
        "id": item["call_id"],
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def upstream_messages(
    instructions: str | None, items: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[int | None]]:
    """Text generation's messages for a conversation of item resources, `instructions` first,
    and for each message the index in `items` of the item it starts from (None for the
    instructions).

    Consecutive calls (of every kind) become one assistant turn with several tool calls; a
    call's output becomes a `tool` message. A reasoning item goes with the assistant turn after
    it, as its `reasoning` (which text generation sends back only to reasoning models).
    `additional_tools` items only add tools (routes.py offers them).
    """
    messages: list[dict[str, Any]] = []
    reasoning: str | None = None
    if instructions:
        messages.append({"role": "system", "content": instructions})
    sources: list[int | None] = [None] * len(messages)
    for index, item in enumerate(items):
        kind = item["type"]
        if kind == "additional_tools":
            continue
        if kind == "reasoning":
            parts = item.get("content") or item["summary"]
            reasoning = "".join(part["text"] for part in parts) or None
            continue
        if kind == "message" and item["role"] == "assistant":
            message: dict[str, Any] = {"role": "assistant", "content": _text_of(item["content"])}
            if reasoning:
                message["reasoning"] = reasoning
            messages.append(message)
        elif kind == "message" and item["role"] in {"system", "developer"}:
            messages.append({"role": "system", "content": _text_of(item["content"])})
        elif kind == "message":
            messages.append({"role": "user", "content": _user_content(item["content"])})
        elif kind in CALLS:
            call = upstream_call(item)
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant" and reasoning is None:
                last["tool_calls"] = [*last.get("tool_calls", []), call]
            else:
                message = {"role": "assistant", "content": "", "tool_calls": [call]}
                if reasoning:
                    message["reasoning"] = reasoning
                messages.append(message)
        elif kind in CALL_OUTPUTS:
            output = item["output"]
            text = output if isinstance(output, str) else _text_of(output)
            messages.append({"role": "tool", "tool_call_id": item["call_id"], "content": text})
        reasoning = None
        sources += [index] * (len(messages) - len(sources))
    return messages, sources


def current_turn_reasoning(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`reasoning.context: "current_turn"`: earlier reasoning goes back only with the assistant
    turns after the last user message (the turn being answered)."""
    users = [index for index, message in enumerate(messages) if message["role"] == "user"]
    last_user = users[-1] if users else -1
    return [
        {key: value for key, value in message.items() if key != "reasoning"}
        if index < last_user and "reasoning" in message
        else message
        for index, message in enumerate(messages)
    ]


def message_params(
    req: CreateResponseRequest, sources: list[int | None], history: int
) -> list[str]:
    """What the client calls each message (see `upstream_messages`): `input[i]` for its input
    item `i`, `input` for a string input, `instructions`, or `previous_response_id` for a
    message of the stored conversation (the first `history` items)."""
    names = []
    for source in sources:
        if source is None:
            names.append("instructions")
        elif source < history:
            names.append("previous_response_id")
        else:
            names.append("input" if isinstance(req.input, str) else f"input[{source - history}]")
    return names
