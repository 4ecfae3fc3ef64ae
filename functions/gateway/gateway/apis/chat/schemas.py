"""Chat completions' requests (OpenAI's `CreateChatCompletionRequest`), validated, and the
`chat.completion` objects and chunks they are answered with (documented only: answers are built
as plain dicts on the hot path, and checked against OpenAI's schemas in the tests).

Unknown request fields are ignored, as many OpenAI clients send extras.
"""

from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import Field, field_validator, model_validator

from gateway.apis.chat.parameters import CHAT_COMPLETIONS
from gateway.core.errors import GatewayError
from gateway.core.parameters import refuse_unsupported
from gateway.core.sampling import FinishReason, SamplingParams, Usage
from gateway.core.text_generation import ReasoningEffort
from gateway.core.validation import AnswerModel, RequestModel, Tagged, Unsupported


class TextPart(RequestModel):
    type: Literal["text"]
    text: str


class RefusalPart(RequestModel):
    """An earlier assistant refusal; it goes upstream as that turn's text."""

    type: Literal["refusal"]
    refusal: str


class ImageURL(RequestModel):
    url: str = Field(description="A data: URI or an http(s) URL (the gateway inlines it).")
    detail: Literal["auto", "low", "high"] | None = None


class ImagePart(RequestModel):
    type: Literal["image_url"]
    image_url: ImageURL


class AudioPart(Unsupported):
    reason: ClassVar[str] = "audio input is not supported by Workers AI chat models"
    type: Literal["input_audio"]
    input_audio: dict[str, Any]


class FilePart(Unsupported):
    reason: ClassVar[str] = "file input is not supported by Workers AI chat models"
    type: Literal["file"]
    file: dict[str, Any]


UserContentPart = Annotated[TextPart | ImagePart | AudioPart | FilePart, Tagged("a content part's")]
AssistantContentPart = Annotated[TextPart | RefusalPart, Tagged("an assistant content part's")]


class FunctionCall(RequestModel):
    name: str
    arguments: str = Field(description="The arguments, JSON-encoded.")


class ToolCall(RequestModel):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class CustomToolCall(Unsupported):
    reason: ClassVar[str] = "custom tool calls are not supported by Workers AI"
    type: Literal["custom"]
    custom: dict[str, Any]


AssistantToolCall = Annotated[
    ToolCall | CustomToolCall, Tagged("a tool call's", default="function")
]


class SystemMessage(RequestModel):
    role: Literal["system", "developer"]
    content: str | list[TextPart]
    name: str | None = None


class UserMessage(RequestModel):
    role: Literal["user"]
    content: str | list[UserContentPart]
    name: str | None = None


class AssistantMessage(RequestModel):
    role: Literal["assistant"]
    content: str | list[AssistantContentPart] | None = None
    refusal: str | None = None
    tool_calls: list[AssistantToolCall] | None = None
    function_call: FunctionCall | None = Field(default=None, description="Deprecated.")
    name: str | None = None
    audio: dict[str, Any] | None = None
    reasoning: str | None = Field(
        default=None, description="Earlier reasoning (also read from `reasoning_content`)."
    )
    reasoning_content: str | None = None

    @field_validator("audio")
    @classmethod
    def _no_audio(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            raise ValueError("Workers AI chat models give no audio answers to refer to")
        return value


class ToolMessage(RequestModel):
    role: Literal["tool"]
    content: str | list[TextPart]
    tool_call_id: str


class FunctionMessage(RequestModel):
    """Deprecated: the result of a `function_call`, answered as a tool result."""

    role: Literal["function"]
    name: str
    content: str | None


Message = Annotated[
    SystemMessage | UserMessage | AssistantMessage | ToolMessage | FunctionMessage,
    Tagged("a message's", key="role"),
]


class FunctionDefinition(RequestModel):
    name: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,64}$")
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class Tool(RequestModel):
    type: Literal["function"]
    function: FunctionDefinition


class CustomTool(Unsupported):
    reason: ClassVar[str] = "custom tools are not supported by Workers AI: use function tools"
    type: Literal["custom"]
    custom: dict[str, Any]


class NamedFunction(RequestModel):
    name: str


class NamedToolChoice(RequestModel):
    type: Literal["function"]
    function: NamedFunction


class AllowedTools(RequestModel):
    mode: Literal["auto", "required"]
    tools: list[dict[str, Any]]

    @property
    def names(self) -> set[str]:
        return {
            tool["function"].get("name")
            for tool in self.tools
            if isinstance(tool.get("function"), dict)
        }


class AllowedToolsChoice(RequestModel):
    type: Literal["allowed_tools"]
    allowed_tools: AllowedTools


class CustomToolChoice(Unsupported):
    reason: ClassVar[str] = "custom tools are not supported by Workers AI: name a function tool"
    type: Literal["custom"]
    custom: dict[str, Any]


ToolChoice = (
    Literal["none", "auto", "required", "any"]
    | Annotated[NamedToolChoice | AllowedToolsChoice | CustomToolChoice, Tagged("a tool choice's")]
)
ToolDefinition = Annotated[Tool | CustomTool, Tagged("a tool's")]


class JSONSchemaFormat(RequestModel):
    name: str
    description: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class ResponseFormatText(RequestModel):
    type: Literal["text"]


class ResponseFormatJSONObject(RequestModel):
    type: Literal["json_object"]


class ResponseFormatJSONSchema(RequestModel):
    type: Literal["json_schema"]
    json_schema: JSONSchemaFormat


ResponseFormat = Annotated[
    ResponseFormatText | ResponseFormatJSONObject | ResponseFormatJSONSchema,
    Tagged("a format's"),
]


class ChatCompletionRequest(SamplingParams):
    messages: list[Message] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    tools: list[ToolDefinition] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    functions: list[FunctionDefinition] | None = Field(
        default=None, description="Deprecated: use `tools`."
    )
    function_call: Literal["none", "auto"] | NamedFunction | None = Field(
        default=None, description="Deprecated: use `tool_choice`."
    )
    response_format: ResponseFormat | None = None
    reasoning_effort: ReasoningEffort | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = Field(default=None, ge=0, le=20)
    audio: dict[str, Any] | None = None
    modalities: list[Literal["text", "audio"]] | None = None
    verbosity: Literal["low", "medium", "high"] | None = None
    web_search_options: dict[str, Any] | None = None
    moderation: dict[str, Any] | None = None
    prediction: dict[str, Any] | None = None
    service_tier: str | None = None
    store: bool | None = None
    metadata: dict[str, str] | None = None
    safety_identifier: str | None = None
    prompt_cache_key: str | None = None
    prompt_cache_retention: str | None = None
    prompt_cache_options: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        refuse_unsupported(CHAT_COMPLETIONS, self)
        if self.tools and self.functions:
            raise GatewayError(
                400,
                "Give either `tools` or the deprecated `functions`, not both.",
                param="functions",
                code="invalid_value",
            )
        _check_tool_choice(self)
        return self

    @property
    def legacy_functions(self) -> bool:
        """The request uses the deprecated `functions`: answers use `function_call`."""
        return bool(self.functions) and not self.tools

    @property
    def function_tools(self) -> list[FunctionDefinition]:
        if self.legacy_functions:
            return list(self.functions or [])
        return [tool.function for tool in self.tools or [] if isinstance(tool, Tool)]

    @property
    def choice(self) -> ToolChoice | None:
        """`tool_choice`, or the deprecated `function_call` in its terms."""
        if self.function_call is not None and not self.tools:
            if isinstance(self.function_call, NamedFunction):
                return NamedToolChoice(type="function", function=self.function_call)
            return self.function_call
        return self.tool_choice

    @property
    def one_tool_call(self) -> bool:
        """At most one tool call per answer: `parallel_tool_calls: false`, or legacy functions."""
        return self.parallel_tool_calls is False or self.legacy_functions


def _check_tool_choice(req: ChatCompletionRequest) -> None:
    """A choice that forces or names tools needs those tools (OpenAI answers a 400 too)."""
    choice, names = req.choice, {tool.name for tool in req.function_tools}
    param = "function_call" if req.function_call is not None and not req.tools else "tool_choice"
    if choice is None or choice in ("none", "auto"):
        return
    if not names:
        problem = f"'{param}' is only allowed when tools are given."
    elif isinstance(choice, NamedToolChoice) and choice.function.name not in names:
        problem = f"no tool is named '{choice.function.name}'."
    elif isinstance(choice, AllowedToolsChoice) and not choice.allowed_tools.names & names:
        problem = "none of the allowed tools is among the request's tools."
    else:
        return
    raise GatewayError(
        400, f"Invalid value for '{param}': {problem}", param=param, code="invalid_value"
    )


# Answers (documentation only; see the module docstring).


class ResponseFunctionCall(AnswerModel):
    name: str
    arguments: str


class ResponseToolCall(AnswerModel):
    id: str
    type: Literal["function"]
    function: ResponseFunctionCall


class ResponseMessage(AnswerModel):
    role: Literal["assistant"]
    content: str | None
    refusal: str | None
    tool_calls: list[ResponseToolCall] | None = None
    function_call: ResponseFunctionCall | None = Field(
        default=None, description="Instead of `tool_calls` when the request used `functions`."
    )
    reasoning: str | None = Field(
        default=None, description="The reasoning text of reasoning models, kept out of content."
    )
    reasoning_content: str | None = Field(default=None, description="The same as `reasoning`.")


class ChatChoice(AnswerModel):
    index: int
    message: ResponseMessage
    finish_reason: FinishReason
    logprobs: None


class ChatCompletion(AnswerModel):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str = Field(
        description="The name the request gave; `x-gateway-model` names the model that answered."
    )
    choices: list[ChatChoice]
    usage: Usage | None = None


class ChunkDelta(AnswerModel):
    role: Literal["assistant"] | None = None
    content: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    function_call: dict[str, str] | None = None
    reasoning: str | None = None
    reasoning_content: str | None = None


class ChunkChoice(AnswerModel):
    index: int
    delta: ChunkDelta
    finish_reason: FinishReason | None
    logprobs: None = None


class ChatCompletionChunk(AnswerModel):
    """One `data:` event of a streamed chat completion."""

    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
