"""Anthropic's Messages API requests (`POST /v1/messages` and `/v1/messages/count_tokens`),
validated, and the `message` objects, stream events and errors they are answered with (documented
only: answers are built as plain dicts, and checked against the `anthropic` SDK's own types in
the tests).

Unknown fields are ignored, as Anthropic's newer clients send extras (Claude Code's message-level
`output_config`, tools' `eager_input_streaming`...). Every top-level field has a row in
parameters.py; the content blocks Workers AI cannot take are refused here, naming the block.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from gateway.apis.messages.parameters import COUNT_TOKENS, MESSAGES
from gateway.core.errors import GatewayError
from gateway.core.parameters import refuse_unsupported
from gateway.core.validation import AnswerModel, RequestModel, Tagged, Unsupported

MAX_STOP_SEQUENCES = 64
"""Each is looked for in every piece of an answer: a bound on that work."""

# --- content blocks --------------------------------------------------------------------------


class TextBlock(RequestModel):
    type: Literal["text"]
    text: str
    cache_control: dict[str, Any] | None = None
    citations: list[dict[str, Any]] | None = None


class Base64ImageSource(RequestModel):
    type: Literal["base64"]
    media_type: Literal["image/jpeg", "image/png", "image/gif", "image/webp"]
    data: str


class URLImageSource(RequestModel):
    type: Literal["url"]
    url: str = Field(description="An http(s) URL: the gateway fetches it (SSRF-safe).")


class FileSource(Unsupported):
    reason: ClassVar[str] = (
        "the Files API is Anthropic's own store, which this gateway has not: send the "
        "content inline (base64, a URL, or text)"
    )
    type: Literal["file"]
    file_id: str | None = None


ImageSource = Annotated[
    Base64ImageSource | URLImageSource | FileSource, Tagged("an image source's")
]


class ImageBlock(RequestModel):
    type: Literal["image"]
    source: ImageSource
    cache_control: dict[str, Any] | None = None


class PlainTextSource(RequestModel):
    type: Literal["text"]
    media_type: Literal["text/plain"] = "text/plain"
    data: str


class ContentSource(RequestModel):
    """A document made of content blocks (text and images)."""

    type: Literal["content"]
    content: str | list[Annotated[TextBlock | ImageBlock, Tagged("a document block's")]]


class PDFSource(Unsupported):
    reason: ClassVar[str] = (
        "PDF documents cannot be read by Workers AI chat models: send their text as a text "
        "block, or as a document with a `text` source"
    )
    type: Literal["base64", "url"]


DocumentSource = Annotated[
    PlainTextSource | ContentSource | PDFSource | FileSource, Tagged("a document source's")
]


class DocumentBlock(RequestModel):
    type: Literal["document"]
    source: DocumentSource
    title: str | None = None
    context: str | None = None
    citations: dict[str, Any] | None = None
    cache_control: dict[str, Any] | None = None


class SearchResultBlock(RequestModel):
    type: Literal["search_result"]
    source: str
    title: str
    content: list[TextBlock]
    citations: dict[str, Any] | None = None
    cache_control: dict[str, Any] | None = None


class ToolReferenceBlock(RequestModel):
    """A tool found by a tool search: its definition (`defer_loading`) is offered from then on."""

    type: Literal["tool_reference"]
    tool_name: str


ToolResultContent = Annotated[
    TextBlock | ImageBlock | DocumentBlock | SearchResultBlock | ToolReferenceBlock,
    Tagged("a tool result block's"),
]


class ToolResultBlock(RequestModel):
    type: Literal["tool_result"]
    tool_use_id: str
    content: str | list[ToolResultContent] | None = None
    is_error: bool | None = None
    cache_control: dict[str, Any] | None = None


class ToolUseBlock(RequestModel):
    type: Literal["tool_use"]
    id: str
    name: str
    input: dict[str, Any]
    cache_control: dict[str, Any] | None = None


class ThinkingBlock(RequestModel):
    type: Literal["thinking"]
    thinking: str
    signature: str | None = None


class RedactedThinkingBlock(RequestModel):
    type: Literal["redacted_thinking"]
    data: str


class ServerToolBlock(Unsupported):
    reason: ClassVar[str] = (
        "blocks of Anthropic's server tools (web search and fetch, code execution, tool "
        "search, MCP) come from tools Workers AI does not run"
    )
    type: Literal[
        "server_tool_use",
        "web_search_tool_result",
        "web_fetch_tool_result",
        "code_execution_tool_result",
        "bash_code_execution_tool_result",
        "text_editor_code_execution_tool_result",
        "tool_search_tool_result",
        "container_upload",
        "mcp_tool_use",
        "mcp_tool_result",
    ]


ContentBlock = Annotated[
    TextBlock
    | ImageBlock
    | DocumentBlock
    | SearchResultBlock
    | ToolUseBlock
    | ToolResultBlock
    | ThinkingBlock
    | RedactedThinkingBlock
    | ServerToolBlock,
    Tagged("a content block's"),
]


class MessagesUserMessage(RequestModel):
    role: Literal["user"]
    content: str | list[ContentBlock]


class MessagesAssistantMessage(RequestModel):
    role: Literal["assistant"]
    content: str | list[ContentBlock]


class MessagesSystemMessage(RequestModel):
    """A system message among the messages (Claude Code sends one after the first turn)."""

    role: Literal["system"]
    content: str | list[TextBlock]


Message = Annotated[
    MessagesUserMessage | MessagesAssistantMessage | MessagesSystemMessage,
    Tagged("a message's", key="role"),
]

# --- tools, tool choice, thinking, output ----------------------------------------------------

CLIENT_TOOL_TYPES = (None, "custom")


class MessagesTool(RequestModel):
    """A client tool (`type` absent or `custom`). Anthropic's server tools (`web_search_...`,
    `bash_...`, `code_execution_...`) have other types; the request refuses them by name."""

    type: str | None = None
    name: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,128}$")
    description: str | None = None
    input_schema: dict[str, Any] | None = Field(
        default=None,
        description="The JSON Schema of the tool's input (required for a client tool).",
    )
    strict: bool | None = None
    defer_loading: bool | None = Field(
        default=None,
        description="Offered to the model only once a `tool_reference` block names it.",
    )
    cache_control: dict[str, Any] | None = None


class ToolChoiceAuto(RequestModel):
    type: Literal["auto"]
    disable_parallel_tool_use: bool | None = None


class ToolChoiceAny(RequestModel):
    type: Literal["any"]
    disable_parallel_tool_use: bool | None = None


class ToolChoiceTool(RequestModel):
    type: Literal["tool"]
    name: str
    disable_parallel_tool_use: bool | None = None


class ToolChoiceNone(RequestModel):
    type: Literal["none"]


ToolChoice = Annotated[
    ToolChoiceAuto | ToolChoiceAny | ToolChoiceTool | ToolChoiceNone, Tagged("a tool choice's")
]

ThinkingDisplay = Literal["summarized", "omitted"]


class ThinkingEnabled(RequestModel):
    type: Literal["enabled"]
    budget_tokens: int = Field(ge=1)
    display: ThinkingDisplay | None = None


class ThinkingAdaptive(RequestModel):
    type: Literal["adaptive", "between_tools"]
    display: ThinkingDisplay | None = None


class ThinkingDisabled(RequestModel):
    type: Literal["disabled"]


Thinking = Annotated[
    ThinkingEnabled | ThinkingAdaptive | ThinkingDisabled, Tagged("a thinking configuration's")
]


class JSONOutputFormat(RequestModel):
    type: Literal["json_schema"]
    schema_: dict[str, Any] = Field(alias="schema")


class OutputConfig(RequestModel):
    effort: Literal["low", "medium", "high", "xhigh", "max"] | None = None
    format: JSONOutputFormat | None = None


# --- the requests ----------------------------------------------------------------------------


class MessagesInput(RequestModel):
    """What `POST /v1/messages` and `/v1/messages/count_tokens` share: the model and the prompt."""

    model: str = Field(
        description="A Claude name (see CLAUDE_MODELS), an alias, or a Workers AI name."
    )
    messages: list[Message] = Field(min_length=1)
    system: str | list[TextBlock] | None = None
    tools: list[MessagesTool] | None = None
    tool_choice: ToolChoice | None = None
    thinking: Thinking | None = None
    output_config: OutputConfig | None = None
    cache_control: dict[str, Any] | None = None
    context_management: dict[str, Any] | None = None
    mcp_servers: list[dict[str, Any]] | None = None
    speed: str | None = None
    user_profile_id: str | None = None
    workspace_id: str | None = None

    def _check_tools(self) -> None:
        """Server tools are refused by type; a tool choice needs the tools it names."""
        for index, tool in enumerate(self.tools or []):
            if tool.type not in CLIENT_TOOL_TYPES:
                raise GatewayError(
                    400,
                    f"The tool type '{tool.type}' is one of Anthropic's server tools, which "
                    "Workers AI models do not run: give client tools (a name and an "
                    "input_schema), which your code executes.",
                    param=f"tools[{index}].type",
                    code="unsupported_tool_type",
                )
            if tool.input_schema is None:
                raise GatewayError(
                    400,
                    f"Missing required parameter: 'tools[{index}].input_schema'.",
                    param=f"tools[{index}].input_schema",
                    code="missing_required_parameter",
                )
        choice, names = self.tool_choice, {tool.name for tool in self.tools or []}
        if isinstance(choice, ToolChoiceAny | ToolChoiceTool) and not names:
            problem = "a tool choice of 'any' or 'tool' needs tools."
        elif isinstance(choice, ToolChoiceTool) and choice.name not in names:
            problem = f"no tool is named '{choice.name}'."
        else:
            return
        raise GatewayError(
            400,
            f"Invalid value for 'tool_choice': {problem}",
            param="tool_choice",
            code="invalid_value",
        )


class MessagesRequest(MessagesInput):
    """Anthropic's `MessageCreateParams` (parameters.MESSAGES says what becomes of each field)."""

    max_tokens: int = Field(ge=1)
    stop_sequences: list[str] | None = Field(default=None, max_length=MAX_STOP_SEQUENCES)
    stream: bool | None = False
    temperature: float | None = Field(default=None, ge=0.0, le=1.0)
    top_p: float | None = Field(default=None, ge=0.0, le=1.0)
    top_k: int | None = Field(default=None, ge=1)
    metadata: dict[str, Any] | None = None
    service_tier: str | None = None
    container: str | dict[str, Any] | None = None
    inference_geo: str | None = None
    diagnostics: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _check(self) -> MessagesRequest:
        refuse_unsupported(MESSAGES, self)
        self._check_tools()
        return self

    @property
    def stops(self) -> list[str]:
        return [stop for stop in self.stop_sequences or [] if stop]

    @property
    def one_tool_call(self) -> bool:
        """`disable_parallel_tool_use`: at most one tool call per answer."""
        choice = self.tool_choice
        return bool(getattr(choice, "disable_parallel_tool_use", False))

    @property
    def user_id(self) -> str | None:
        user = (self.metadata or {}).get("user_id")
        return user if isinstance(user, str) and user else None


class CountTokensRequest(MessagesInput):
    """Anthropic's `MessageCountTokensParams` (parameters.COUNT_TOKENS)."""

    @model_validator(mode="after")
    def _check(self) -> CountTokensRequest:
        refuse_unsupported(COUNT_TOKENS, self)
        self._check_tools()
        return self


# --- answers (documentation only; see the module docstring) ----------------------------------


class TextContent(AnswerModel):
    type: Literal["text"]
    text: str


class ThinkingContent(AnswerModel):
    type: Literal["thinking"]
    thinking: str = Field(description="The model's reasoning (empty with `display: omitted`).")
    signature: str = Field(description="Always empty: Workers AI does not sign reasoning.")


class ToolUseContent(AnswerModel):
    type: Literal["tool_use"]
    id: str = Field(description="`toolu_` and 24 hex digits.")
    name: str
    input: dict[str, Any]


class MessagesUsage(AnswerModel):
    """Workers AI's own counts. `input_tokens` excludes the cached ones, as Anthropic's does."""

    input_tokens: int
    output_tokens: int
    cache_read_input_tokens: int | None = Field(
        default=None, description="Prompt tokens Workers AI read from its prefix cache."
    )
    output_tokens_details: dict[str, int] | None = Field(
        default=None, description="`thinking_tokens`: the tokens the model spent reasoning."
    )


StopReason = Literal["end_turn", "max_tokens", "stop_sequence", "tool_use", "refusal"]


class MessageObject(AnswerModel):
    """A `message`: the answer of `POST /v1/messages`."""

    id: str = Field(description="`msg_` and 24 hex digits.")
    type: Literal["message"]
    role: Literal["assistant"]
    model: str = Field(
        description="The name the request gave; `x-gateway-model` names the model that answered."
    )
    content: list[
        Annotated[TextContent | ThinkingContent | ToolUseContent, Field(discriminator="type")]
    ]
    stop_reason: StopReason
    stop_sequence: str | None
    usage: MessagesUsage


class StreamEvent(AnswerModel):
    """One event of a streamed message: `event: <type>` and `data: {"type": <type>, ...}`, in
    the order `message_start`, per block `content_block_start`, `content_block_delta`s,
    `content_block_stop`, then `message_delta` and `message_stop`; `ping` while the upstream is
    quiet; `error` on a failure after the first byte."""

    type: Literal[
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "ping",
        "error",
    ]


class TokenCount(AnswerModel):
    """The answer of `POST /v1/messages/count_tokens`."""

    input_tokens: int = Field(description="cl100k_base tokens of the prompt (an estimate).")


class AnthropicErrorDetail(AnswerModel):
    type: str = Field(
        description="invalid_request_error, authentication_error, ..., overloaded_error"
    )
    message: str


class AnthropicErrorResponse(AnswerModel):
    """Anthropic's error envelope, which every error of the Messages API uses."""

    type: Literal["error"]
    error: AnthropicErrorDetail
