"""Responses ⇄ Workers AI: a request as text generation's input, an answer as a `Response`.

The Responses API is built over text generation (Workers AI offers it natively only for gpt-oss
and only without streaming, docs/upstream.md#endpoints-the-gateway-does-not-call), so a request
becomes the same `TextGenerationInput` chat's does: its items become chat messages (items.py),
its tools functions (tools.py); an answer's items are built by output.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from gateway.apis.responses.items import ItemIds, new_response_id
from gateway.apis.responses.output import INCOMPLETE_REASONS, Emit, Output
from gateway.apis.responses.schemas import (
    CreateResponseRequest,
    FormatJSONObject,
    FormatJSONSchema,
)
from gateway.apis.responses.tools import Toolset
from gateway.core.errors import GatewayError
from gateway.core.pieces import Piece, TokenUsage, finish_reason
from gateway.core.sampling import sampling_of
from gateway.core.text_generation import TextGenerationInput, ToolRules


def _response_format(req: CreateResponseRequest) -> dict[str, Any] | None:
    text_format = req.text.format if req.text else None
    if isinstance(text_format, FormatJSONSchema):
        return {"type": "json_schema", "json_schema": text_format.schema_ or {"type": "object"}}
    if isinstance(text_format, FormatJSONObject):
        return {"type": "json_object"}
    return None


def generation_input(
    req: CreateResponseRequest,
    messages: list[dict[str, Any]],
    tools: Toolset,
    default_max_tokens: int,
) -> TextGenerationInput:
    """The input a Responses request means (messages: the whole conversation so far, from
    items.upstream_messages; tools: the request's, from tools.toolset)."""
    if not messages:
        raise GatewayError(
            400,
            "There is nothing to answer: `input` is empty.",
            code="invalid_value",
            param="input",
        )
    return TextGenerationInput(
        messages=messages,
        max_tokens=req.max_output_tokens or default_max_tokens,
        sampling=sampling_of(req),
        tools=tools.functions,
        tool_choice=tools.choice(req.tool_choice),
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
    tools: Toolset = field(default_factory=Toolset)
    id: str = field(default_factory=new_response_id)
    created_at: int = field(default_factory=lambda: int(time.time()))
    ids: ItemIds = field(init=False)

    def __post_init__(self) -> None:
        self.ids = ItemIds(self.id)

    def output(self, rules: ToolRules, emit: Emit | None = None) -> Output:
        """The builder of this response's output items (`emit` gets its stream events)."""
        summary = bool(self.req.reasoning and self.req.reasoning.summarised)
        return Output(self.ids, self.tools, rules, summary=summary, emit=emit)

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
                "summary": (req.reasoning.summary or req.reasoning.generate_summary)
                if req.reasoning
                else None,
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
            else {"any": "required", None: "auto"}.get(req.tool_choice, req.tool_choice),
            "tools": self.tools.echo,
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
    `parallel_tool_calls: false`), its items built as a stream's would be (output.py)."""
    reason = finish_reason(
        answer.finish_reason,
        tool_calls=bool(tools.keep(answer.tool_calls)),
        stopped=False,
        usage=answer.usage,
        max_tokens=max_tokens,
    )
    output = draft.output(tools).whole(answer, reason)
    return draft.body(status="completed", output=output, usage=answer.usage, finish=reason)
