"""Anthropic's Messages API ⇄ Workers AI: a request as text generation's input, an answer as a
`message` object.

Request (docs/claude-code.md#what-works):

- `system` and every `role: system` message join one leading system message, in order;
- a user turn's `tool_result` blocks become `tool` messages (first, as Anthropic requires them
  first), its other blocks one user message after them: text, images (a data URI, or a URL the
  gateway fetches), text documents and search results as text, a tool result's images too;
  `is_error` prefixes the result with "Error: ";
- an assistant turn's text, `tool_use` blocks as tool calls (the input as JSON arguments) and
  `thinking` blocks as its reasoning (sent back to reasoning models only); `redacted_thinking`
  is Anthropic's encrypted reasoning, which no other model can read: it is dropped;
- tools with `defer_loading` are offered once a `tool_reference` block (a tool search's result)
  names them, as Anthropic does.

Answer: `thinking`, `text`, then `tool_use` blocks (ids `toolu_...`, the arguments parsed into
`input`), the stop reason in Anthropic's words, and the upstream's own usage, its cached tokens
as `cache_read_input_tokens` (and not in `input_tokens`, which Anthropic counts apart).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from gateway.apis.messages.schemas import (
    Base64ImageSource,
    ContentSource,
    DocumentBlock,
    ImageBlock,
    MessagesAssistantMessage,
    MessagesInput,
    MessagesRequest,
    MessagesSystemMessage,
    PlainTextSource,
    RedactedThinkingBlock,
    SearchResultBlock,
    TextBlock,
    ThinkingAdaptive,
    ThinkingBlock,
    ThinkingDisabled,
    ThinkingEnabled,
    ToolChoiceAny,
    ToolChoiceNone,
    ToolChoiceTool,
    ToolReferenceBlock,
    ToolResultBlock,
    ToolUseBlock,
    URLImageSource,
)
from gateway.core.errors import GatewayError
from gateway.core.pieces import Piece, StopScanner, TokenUsage, finish_reason
from gateway.core.text_generation import (
    FunctionTool,
    Named,
    ReasoningEffort,
    Sampling,
    TextGenerationInput,
    ToolChoice,
)

EFFORT_BUDGETS: tuple[tuple[int, ReasoningEffort], ...] = ((4000, "low"), (16000, "medium"))
"""`thinking.budget_tokens` under each bound -> that reasoning effort; above them all, `high`.
Claude Code's own budgets: 4,000 ("think"), 10,000, 31,999 ("ultrathink")."""

STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}
"""A finish reason (pieces.finish_reason) in Anthropic's words."""


def new_id(prefix: str) -> str:
    """Anthropic's style of id: `msg_` or `toolu_` and 24 hex digits."""
    return f"{prefix}_{secrets.token_hex(12)}"


# --- request -> text generation's input ------------------------------------------------------


def _text(blocks: str | list[TextBlock] | None) -> str:
    if blocks is None:
        return ""
    return blocks if isinstance(blocks, str) else "\n".join(block.text for block in blocks)


def _image(block: ImageBlock) -> dict[str, Any]:
    source = block.source
    if isinstance(source, Base64ImageSource):
        url = f"data:{source.media_type};base64,{source.data}"
    else:
        assert isinstance(source, URLImageSource)
        url = source.url
    return {"type": "image_url", "image_url": {"url": url}}


def _document(block: DocumentBlock) -> list[dict[str, Any]]:
    """A text document as text parts (its title and context first); a content document's
    images stay images."""
    head = "\n".join(part for part in (block.title, block.context) if part)
    parts = [{"type": "text", "text": head}] if head else []
    source = block.source
    if isinstance(source, ContentSource):
        if isinstance(source.content, str):
            return [*parts, {"type": "text", "text": source.content}]
        return parts + [
            _image(item) if isinstance(item, ImageBlock) else {"type": "text", "text": item.text}
            for item in source.content
        ]
    assert isinstance(source, PlainTextSource)  # PDFs and files were refused by the schema
    return [*parts, {"type": "text", "text": source.data}]


def _search_result(block: SearchResultBlock) -> dict[str, Any]:
    text = "\n".join(item.text for item in block.content)
    return {"type": "text", "text": f"{block.title} ({block.source})\n{text}"}


def _as_user_content(parts: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """Text generation's user content: the text, or every part when one is an image."""
    if any(part["type"] == "image_url" for part in parts):
        return parts
    return "\n".join(part["text"] for part in parts)


@dataclass
class Conversation:
    """A request's messages in text generation's form, what the client calls each
    (`messages[2]`, `system`), and the tools `tool_reference` blocks named."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    referenced: set[str] = field(default_factory=set)

    def add(self, message: dict[str, Any], name: str) -> None:
        self.messages.append(message)
        self.names.append(name)

    def tool_result(self, block: ToolResultBlock, parts: list[dict[str, Any]]) -> str:
        """A tool result's text; its images (and documents' images) go to `parts`."""
        content = block.content
        texts: list[str] = []
        if isinstance(content, str):
            texts.append(content)
        for item in content if isinstance(content, list) else []:
            if isinstance(item, TextBlock):
                texts.append(item.text)
            elif isinstance(item, ImageBlock):
                parts.append(_image(item))
            elif isinstance(item, DocumentBlock):
                for part in _document(item):
                    if part["type"] == "text":
                        texts.append(part["text"])
                    else:
                        parts.append(part)
            elif isinstance(item, SearchResultBlock):
                texts.append(_search_result(item)["text"])
            elif isinstance(item, ToolReferenceBlock):
                self.referenced.add(item.tool_name)
                texts.append(f"Tool loaded: {item.tool_name}")
        text = "\n".join(texts)
        return f"Error: {text}" if block.is_error else text

    def user(self, blocks: list[Any], name: str) -> None:
        parts: list[dict[str, Any]] = []
        for index, block in enumerate(blocks):
            if isinstance(block, ToolResultBlock):
                text = self.tool_result(block, parts)
                self.add({"role": "tool", "tool_call_id": block.tool_use_id, "content": text}, name)
            elif isinstance(block, TextBlock):
                parts.append({"type": "text", "text": block.text})
            elif isinstance(block, ImageBlock):
                parts.append(_image(block))
            elif isinstance(block, DocumentBlock):
                parts += _document(block)
            elif isinstance(block, SearchResultBlock):
                parts.append(_search_result(block))
            else:
                raise _misplaced(block.type, "user", f"{name}.content[{index}]")
        if parts:
            self.add({"role": "user", "content": _as_user_content(parts)}, name)

    def assistant(self, blocks: list[Any], name: str) -> None:
        texts, calls, reasoning = [], [], []
        for index, block in enumerate(blocks):
            if isinstance(block, TextBlock):
                texts.append(block.text)
            elif isinstance(block, ToolUseBlock):
                arguments = json.dumps(block.input, ensure_ascii=False)
                function = {"name": block.name, "arguments": arguments}
                calls.append({"id": block.id, "type": "function", "function": function})
            elif isinstance(block, ThinkingBlock):
                if block.thinking:
                    reasoning.append(block.thinking)
            elif not isinstance(block, RedactedThinkingBlock):
                raise _misplaced(block.type, "assistant", f"{name}.content[{index}]")
        message: dict[str, Any] = {"role": "assistant", "content": "\n".join(texts)}
        if calls:
            message["tool_calls"] = calls
        if reasoning:
            message["reasoning"] = "\n".join(reasoning)
        self.add(message, name)


def _misplaced(kind: str, role: str, param: str) -> GatewayError:
    return GatewayError(
        400,
        f"Invalid value for '{param}': a '{kind}' block cannot be in a {role} message.",
        param=param,
        code="invalid_value",
    )


def conversation(req: MessagesInput) -> Conversation:
    """The request's messages in text generation's form (see the module docstring)."""
    out = Conversation()
    system = [_text(req.system)] if req.system else []
    system += [
        _text(message.content)
        for message in req.messages
        if isinstance(message, MessagesSystemMessage)
    ]
    if text := "\n\n".join(part for part in system if part):
        out.add({"role": "system", "content": text}, "system")
    for index, message in enumerate(req.messages):
        name = f"messages[{index}]"
        if isinstance(message, MessagesSystemMessage):
            continue
        if isinstance(message.content, str):
            out.add({"role": message.role, "content": message.content}, name)
        elif isinstance(message, MessagesAssistantMessage):
            out.assistant(message.content, name)
        else:
            out.user(message.content, name)
    if len(out.messages) == (1 if system else 0):
        raise GatewayError(
            400,
            "There is nothing to answer: the messages hold only system text.",
            param="messages",
            code="invalid_value",
        )
    return out


def _tools(req: MessagesInput, referenced: set[str]) -> list[FunctionTool]:
    """The client tools, less those deferred (`defer_loading`) that nothing has named yet."""
    named = req.tool_choice.name if isinstance(req.tool_choice, ToolChoiceTool) else None
    tools = []
    for tool in req.tools or []:
        if tool.defer_loading and tool.name not in referenced and tool.name != named:
            continue
        schema = {
            key: value for key, value in (tool.input_schema or {}).items() if key != "$schema"
        }
        tools.append(FunctionTool(tool.name, tool.description, schema, tool.strict))
    return tools


def _tool_choice(req: MessagesInput) -> ToolChoice | None:
    choice = req.tool_choice
    if isinstance(choice, ToolChoiceTool):
        return Named(choice.name)
    if isinstance(choice, ToolChoiceAny):
        return "required"
    if isinstance(choice, ToolChoiceNone):
        return "none"
    return "auto" if choice is not None else None


def reasoning_effort(req: MessagesInput) -> ReasoningEffort | None:
    """`output_config.effort` as is; else `thinking`: `enabled` by its budget
    (EFFORT_BUDGETS), `disabled` as the least effort; else none (the model's default)."""
    if req.output_config and req.output_config.effort:
        return req.output_config.effort
    thinking = req.thinking
    if isinstance(thinking, ThinkingEnabled):
        budget = thinking.budget_tokens
        return next((effort for bound, effort in EFFORT_BUDGETS if budget < bound), "high")
    if isinstance(thinking, ThinkingDisabled):
        return "none"
    return None


def generation_input(req: MessagesInput, max_tokens: int) -> TextGenerationInput:
    """The request as text generation's input (the count of tokens reads the same)."""
    talk = conversation(req)
    output_format = req.output_config.format if req.output_config else None
    sampling = Sampling()
    if isinstance(req, MessagesRequest):
        sampling = Sampling(temperature=req.temperature, top_p=req.top_p, top_k=req.top_k)
    return TextGenerationInput(
        messages=talk.messages,
        max_tokens=max_tokens,
        sampling=sampling,
        tools=_tools(req, talk.referenced),
        tool_choice=_tool_choice(req),
        response_format=(
            {"type": "json_schema", "json_schema": output_format.schema_} if output_format else None
        ),
        reasoning_effort=reasoning_effort(req),
        message_names=talk.names,
    )


def thinking_display(req: MessagesInput) -> str:
    """How reasoning comes back: `summarized` (as the model wrote it), `omitted` (thinking
    blocks with no text), or `none` (no thinking blocks: thinking was disabled)."""
    thinking = req.thinking
    if isinstance(thinking, ThinkingDisabled):
        return "none"
    if isinstance(thinking, ThinkingEnabled | ThinkingAdaptive) and thinking.display:
        return thinking.display
    return "summarized"


# --- answers -> message objects --------------------------------------------------------------


def stop_reason(finish: str, matched: str | None) -> tuple[str, str | None]:
    """Anthropic's `stop_reason` and `stop_sequence` for a finish reason and the stop sequence
    that cut the answer (if one did)."""
    if finish == "stop" and matched is not None:
        return "stop_sequence", matched
    return STOP_REASONS.get(finish, "end_turn"), None


def message_usage(usage: TokenUsage | None) -> dict[str, Any]:
    """Anthropic's `usage` from the upstream's counts: cached prompt tokens apart from
    `input_tokens`, reasoning tokens as `output_tokens_details.thinking_tokens`. Without
    counts from upstream (the field is required), zeros."""
    if usage is None:
        return {"input_tokens": 0, "output_tokens": 0}
    cached = usage.get("prompt_tokens_details", {}).get("cached_tokens")
    out: dict[str, Any] = {
        "input_tokens": usage["prompt_tokens"] - (cached or 0),
        "output_tokens": usage["completion_tokens"],
    }
    if cached is not None:
        out["cache_read_input_tokens"] = cached
    reasoning = usage.get("completion_tokens_details", {}).get("reasoning_tokens")
    if reasoning is not None:
        out["output_tokens_details"] = {"thinking_tokens": reasoning}
    return out


def tool_input(arguments: str) -> dict[str, Any]:
    """A tool call's JSON arguments as Anthropic's `input` object (`{}` when the model wrote
    something else)."""
    try:
        value = json.loads(arguments or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def thinking_block(text: str) -> dict[str, Any]:
    return {"type": "thinking", "thinking": text, "signature": ""}


def tool_use_block(call: dict[str, Any], input_: dict[str, Any]) -> dict[str, Any]:
    name = call.get("function", {}).get("name", "")
    return {"type": "tool_use", "id": new_id("toolu"), "name": name, "input": input_}


def message_object(
    answer: Piece,
    *,
    model: str,
    stops: list[str],
    max_tokens: int,
    calls: list[dict[str, Any]],
    display: str,
) -> dict[str, Any]:
    """A whole `message`; `model` is the name the client asked for; `calls` are the tool calls
    that go out (ToolRules.keep)."""
    scanner = StopScanner(stops)
    text = scanner.feed(answer.text) + scanner.flush()
    content: list[dict[str, Any]] = []
    if answer.reasoning and display != "none":
        content.append(thinking_block(answer.reasoning if display == "summarized" else ""))
    if text:
        content.append({"type": "text", "text": text})
    for call in calls:
        arguments = call.get("function", {}).get("arguments", "")
        content.append(tool_use_block(call, tool_input(arguments)))
    finish = finish_reason(
        answer.finish_reason,
        tool_calls=bool(calls),
        stopped=scanner.stopped,
        usage=answer.usage,
        max_tokens=max_tokens,
    )
    reason, sequence = stop_reason(finish, scanner.matched)
    return {
        "id": new_id("msg"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": reason,
        "stop_sequence": sequence,
        "usage": message_usage(answer.usage),
    }
