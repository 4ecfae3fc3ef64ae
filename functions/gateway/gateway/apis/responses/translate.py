"""Responses ⇄ Workers AI: input items to text generation's input, an answer to a `Response`.

The Responses API is built over text generation (Workers AI offers it natively only for gpt-oss
and only without streaming, docs/upstream.md#endpoints-the-gateway-does-not-call), so a request
becomes the same `TextGenerationInput` chat's does. Items are first normalised to
OpenAI's item resources (`ItemResource`: every item with an `id` and a `status`): that is the
form that is stored, listed by `GET /v1/responses/{id}/input_items`, and read back for
`previous_response_id`.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from gateway.apis.responses.schemas import (
    CreateResponseRequest,
    FormatJSONObject,
    FormatJSONSchema,
    FunctionCallItem,
    FunctionCallOutputItem,
    FunctionChoice,
    InputImage,
    InputText,
    MessageItem,
    ReasoningItem,
    Refusal,
)
from gateway.apis.responses.schemas import FunctionTool as ResponsesFunctionTool
from gateway.core.errors import GatewayError
from gateway.core.pieces import Piece, TokenUsage, finish_reason
from gateway.core.text_generation import (
    FunctionTool,
    Named,
    Sampling,
    TextGenerationInput,
    ToolChoice,
    ToolRules,
)

INCOMPLETE_REASONS = {"length": "max_output_tokens", "content_filter": "content_filter"}


def new_item_id(prefix: str) -> str:
    """OpenAI-style ids: `resp_…`, `msg_…`, `fc_…`, `rs_…`."""
    return f"{prefix}_{secrets.token_hex(16)}"


# Input items -> item resources


def _invalid(message: str, param: str) -> GatewayError:
    return GatewayError(400, message, code="invalid_value", param=param)


def _output_text(text: str) -> dict[str, Any]:
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
                else _output_text(text or "")
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


def item_resource(item: Any, param: str) -> dict[str, Any]:
    """One validated input item as OpenAI's item resource (with `id` and `status`)."""
    if isinstance(item, MessageItem):
        return {
            "id": item.id or new_item_id("msg"),
            "type": "message",
            "role": item.role,
            "status": "completed",
            "content": _message_parts(item, param),
        }
    if isinstance(item, FunctionCallItem):
        return {
            "id": item.id or new_item_id("fc"),
            "type": "function_call",
            "call_id": item.call_id,
            "name": item.name,
            "arguments": item.arguments,
            "status": "completed",
        }
    if isinstance(item, FunctionCallOutputItem):
        if not isinstance(item.output, str) and any(
            isinstance(part, InputImage) for part in item.output
        ):
            raise _invalid("Function call outputs can only be text here.", f"{param}.output")
        output = (
            item.output
            if isinstance(item.output, str)
            else [part.model_dump(exclude_none=True) for part in item.output]
        )
        return {
            "id": item.id or new_item_id("fco"),
            "type": "function_call_output",
            "call_id": item.call_id,
            "output": output,
            "status": "completed",
        }
    reasoning: ReasoningItem = item
    resource: dict[str, Any] = {
        "id": reasoning.id or new_item_id("rs"),
        "type": "reasoning",
        "summary": [part.model_dump() for part in reasoning.summary],
    }
    if reasoning.content is not None:
        resource["content"] = [part.model_dump() for part in reasoning.content]
    if reasoning.encrypted_content is not None:
        resource["encrypted_content"] = reasoning.encrypted_content
    return resource


def input_resources(req: CreateResponseRequest) -> list[dict[str, Any]]:
    """The request's `input` as item resources; a string is one user message."""
    if req.input is None:
        return []
    if isinstance(req.input, str):
        return [item_resource(MessageItem(role="user", content=req.input), "input")]
    return [item_resource(item, f"input[{index}]") for index, item in enumerate(req.input)]


# Item resources -> text generation's input


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


def upstream_messages(
    instructions: str | None, items: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[int | None]]:
    """Text generation's messages for a conversation of item resources, `instructions` first,
    and for each message the index in `items` of the item it starts from (None for the
    instructions).

    Consecutive function calls become one assistant turn with several tool calls; a function
    call output becomes a `tool` message. A reasoning item goes with the assistant turn after
    it, as its `reasoning` (which text generation sends back only to reasoning models).
    """
    messages: list[dict[str, Any]] = []
    reasoning: str | None = None
    if instructions:
        messages.append({"role": "system", "content": instructions})
    sources: list[int | None] = [None] * len(messages)
    for index, item in enumerate(items):
        kind = item["type"]
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
        elif kind == "function_call":
            call = {
                "id": item["call_id"],
                "type": "function",
                "function": {"name": item["name"], "arguments": item["arguments"]},
            }
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant" and reasoning is None:
                last["tool_calls"] = [*last.get("tool_calls", []), call]
            else:
                message = {"role": "assistant", "content": "", "tool_calls": [call]}
                if reasoning:
                    message["reasoning"] = reasoning
                messages.append(message)
        elif kind == "function_call_output":
            output = item["output"]
            text = output if isinstance(output, str) else _text_of(output)
            messages.append({"role": "tool", "tool_call_id": item["call_id"], "content": text})
        reasoning = None
        sources += [index] * (len(messages) - len(sources))
    return messages, sources


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


def _tools(req: CreateResponseRequest) -> list[FunctionTool]:
    tools = []
    for index, tool in enumerate(req.tools or []):
        if not isinstance(tool, ResponsesFunctionTool):
            raise GatewayError(
                400,
                f"The tool type '{tool.type}' is not supported: Workers AI models run only "
                "function tools (type 'function'), which your code executes.",
                code="unsupported_tool_type",
                param=f"tools[{index}].type",
            )
        tools.append(FunctionTool(tool.name, tool.description, tool.parameters, tool.strict))
    return tools


def _tool_choice(req: CreateResponseRequest) -> ToolChoice | None:
    choice = req.tool_choice
    if isinstance(choice, FunctionChoice):
        return Named(choice.name)
    if choice is not None and not isinstance(choice, str):
        raise GatewayError(
            400,
            f"The tool_choice type '{choice.type}' is not supported: use 'none', 'auto', "
            "'required' or a function.",
            code="unsupported_tool_type",
            param="tool_choice.type",
        )
    return choice


def _check_tool_choice(tools: list[FunctionTool], choice: ToolChoice | None) -> None:
    """A choice that forces or names tools needs those tools (as chat's, and OpenAI's)."""
    names = {tool.name for tool in tools}
    if choice is None or choice in ("none", "auto"):
        return
    if not names:
        problem = "'tool_choice' is only allowed when tools are given."
    elif isinstance(choice, Named) and choice.name not in names:
        problem = f"no tool is named '{choice.name}'."
    else:
        return
    raise GatewayError(
        400,
        f"Invalid value for 'tool_choice': {problem}",
        param="tool_choice",
        code="invalid_value",
    )


def _response_format(req: CreateResponseRequest) -> dict[str, Any] | None:
    text_format = req.text.format if req.text else None
    if isinstance(text_format, FormatJSONSchema):
        return {"type": "json_schema", "json_schema": text_format.schema_ or {"type": "object"}}
    if isinstance(text_format, FormatJSONObject):
        return {"type": "json_object"}
    return None


def generation_input(
    req: CreateResponseRequest, messages: list[dict[str, Any]], default_max_tokens: int
) -> TextGenerationInput:
    """The input a Responses request means (messages: the whole conversation so far, from
    `upstream_messages`)."""
    if not messages:
        raise GatewayError(
            400,
            "There is nothing to answer: `input` is empty.",
            code="invalid_value",
            param="input",
        )
    tools, choice = _tools(req), _tool_choice(req)
    _check_tool_choice(tools, choice)
    return TextGenerationInput(
        messages=messages,
        max_tokens=req.max_output_tokens or default_max_tokens,
        sampling=Sampling(temperature=req.temperature, top_p=req.top_p),
        tools=tools,
        tool_choice=choice,
        response_format=_response_format(req),
        reasoning_effort=req.reasoning.effort if req.reasoning else None,
    )


# Answers -> Response objects


def response_usage(usage: TokenUsage) -> dict[str, Any]:
    """OpenAI's `ResponseUsage` from the upstream's own counts (chat's `CompletionUsage`).

    The breakdowns are the upstream's `prompt_tokens_details.cached_tokens` and
    `completion_tokens_details.reasoning_tokens`; the spec requires them (and
    `cache_write_tokens`, which Workers AI does not report), so a count the upstream did not
    give is 0.
    """
    cached = usage.get("prompt_tokens_details", {}).get("cached_tokens", 0)
    reasoning = usage.get("completion_tokens_details", {}).get("reasoning_tokens", 0)
    return {
        "input_tokens": usage["prompt_tokens"],
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": usage["completion_tokens"],
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": usage["total_tokens"],
    }


def reasoning_item(item_id: str, text: str, status: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "reasoning",
        "summary": [],
        "content": [{"type": "reasoning_text", "text": text}],
        "status": status,
    }


def message_item(item_id: str, text: str | None, status: str) -> dict[str, Any]:
    content = [] if text is None else [_output_text(text)]
    return {
        "id": item_id,
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": content,
    }


def function_call_item(item_id: str, call: dict[str, Any], status: str) -> dict[str, Any]:
    function = call.get("function", {})
    return {
        "id": item_id,
        "type": "function_call",
        "call_id": call.get("id") or new_item_id("call"),
        "name": function.get("name", ""),
        "arguments": function.get("arguments", ""),
        "status": status,
    }


def output_items(answer: Piece, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A whole answer's output: reasoning, then the message, then the function calls."""
    items = []
    if answer.reasoning:
        items.append(reasoning_item(new_item_id("rs"), answer.reasoning, "completed"))
    if answer.text or not calls:
        items.append(message_item(new_item_id("msg"), answer.text, "completed"))
    items += [function_call_item(new_item_id("fc"), call, "completed") for call in calls]
    return items


def output_text(output: list[dict[str, Any]]) -> str:
    return "".join(
        part["text"]
        for item in output
        if item["type"] == "message"
        for part in item["content"]
        if part["type"] == "output_text"
    )


@dataclass
class ResponseDraft:
    """What a `Response` object says about its request, known before the model answers.

    `model` is the name the client asked for, as OpenAI echoes it (and chat here); the model
    that answered is in the `x-gateway-model` header."""

    req: CreateResponseRequest
    id: str = field(default_factory=lambda: new_item_id("resp"))
    created_at: int = field(default_factory=lambda: int(time.time()))

    def body(
        self,
        *,
        status: str,
        output: list[dict[str, Any]],
        usage: TokenUsage | None = None,
        finish: str | None = None,
        error: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The `Response` object; `finish` (a chat finish reason) makes it incomplete."""
        req = self.req
        reason = INCOMPLETE_REASONS.get(finish or "")
        if reason and status == "completed":
            status = "incomplete"
        text_format = req.text.format if req.text and req.text.format else None
        body = {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "completed_at": int(time.time()) if status == "completed" else None,
            "error": error,
            "incomplete_details": {"reason": reason} if status == "incomplete" else None,
            "instructions": req.instructions,
            "max_output_tokens": req.max_output_tokens,
            "model": req.model,
            "output": output,
            "output_text": output_text(output),
            "parallel_tool_calls": req.parallel_tool_calls is not False,
            "previous_response_id": req.previous_response_id,
            "reasoning": {
                "effort": req.reasoning.effort if req.reasoning else None,
                "summary": req.reasoning.summary if req.reasoning else None,
            },
            "store": req.store is not False,
            "temperature": req.temperature,
            "text": {
                "format": text_format.model_dump(by_alias=True, exclude_none=True)
                if text_format
                else {"type": "text"}
            },
            "tool_choice": req.tool_choice.model_dump()
            if req.tool_choice is not None and not isinstance(req.tool_choice, str)
            else req.tool_choice or "auto",
            "tools": [
                {
                    "type": "function",
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": tool.parameters,
                    "strict": tool.strict,
                }
                for tool in req.tools or []
                if isinstance(tool, ResponsesFunctionTool)
            ],
            "top_p": req.top_p,
            "truncation": "disabled",
            "metadata": req.metadata or {},
        }
        if usage is not None:
            body["usage"] = response_usage(usage)
        if req.user is not None:
            body["user"] = req.user
        if req.prompt_cache_key is not None:
            body["prompt_cache_key"] = req.prompt_cache_key
        return body


def whole_response(
    draft: ResponseDraft, answer: Piece, *, tools: ToolRules, max_tokens: int
) -> dict[str, Any]:
    """The `Response` for a whole answer (tool calls cut to one under
    `parallel_tool_calls: false`)."""
    calls = tools.keep(answer.tool_calls)
    reason = finish_reason(
        answer.finish_reason,
        tool_calls=bool(calls),
        stopped=False,
        usage=answer.usage,
        max_tokens=max_tokens,
    )
    return draft.body(
        status="completed", output=output_items(answer, calls), usage=answer.usage, finish=reason
    )
