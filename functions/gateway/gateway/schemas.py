"""Pydantic models of the OpenAI requests and responses this API documents.

Requests are validated with them; responses are built as plain dicts on the hot path (and
checked against OpenAI's official schema in the tests) and these models only document them.
Unknown request fields are ignored, as many OpenAI clients send extras.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from gateway.errors import GatewayError
from gateway.parameters import CHAT_COMPLETIONS, COMPLETIONS, refuse_unsupported

Penalty = Annotated[float, Field(ge=-2.0, le=2.0)]


class Request(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Unsupported(Request):
    """A shape of OpenAI's spec that Workers AI cannot take: a 400 naming where it is."""

    reason: ClassVar[str]

    @model_validator(mode="after")
    def _refuse(self) -> Unsupported:
        raise ValueError(self.reason)


def _by_type(*models: type[Request], what: str, default: str | None = None) -> Any:
    """A union of `models` chosen by their `type` (`default` when it is missing), each branch
    labelled with its class name (as errors.py expects: a `function` tag would read as a field
    name)."""
    tags = {model.model_fields["type"].annotation.__args__[0]: model.__name__ for model in models}

    def tag(value: Any) -> str | None:
        if isinstance(value, dict):
            return tags.get(value.get("type", default))
        return tags.get(getattr(value, "type", None))

    branches = tuple(Annotated[model, Tag(model.__name__)] for model in models)
    return Annotated[
        Union[branches],  # noqa: UP007 -- built from a tuple
        Discriminator(
            tag,
            custom_error_type="invalid_type",
            custom_error_message=f"{what} type must be one of {', '.join(map(repr, tags))}",
        ),
    ]


class TextPart(Request):
    type: Literal["text"]
    text: str


class RefusalPart(Request):
    """An earlier assistant refusal; it goes upstream as that turn's text."""

    type: Literal["refusal"]
    refusal: str


class ImageURL(Request):
    url: str = Field(description="A data: URI or an http(s) URL (the gateway inlines it).")
    detail: Literal["auto", "low", "high"] | None = None


class ImagePart(Request):
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


UserContentPart = Annotated[
    TextPart | ImagePart | AudioPart | FilePart, Field(discriminator="type")
]
AssistantContentPart = Annotated[TextPart | RefusalPart, Field(discriminator="type")]


class FunctionCall(Request):
    name: str
    arguments: str = Field(description="The arguments, JSON-encoded.")


class ToolCall(Request):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class CustomToolCall(Unsupported):
    reason: ClassVar[str] = "custom tool calls are not supported by Workers AI"
    type: Literal["custom"]
    custom: dict[str, Any]


AssistantToolCall = _by_type(ToolCall, CustomToolCall, what="a tool call's", default="function")


class SystemMessage(Request):
    role: Literal["system", "developer"]
    content: str | list[TextPart]
    name: str | None = None


class UserMessage(Request):
    role: Literal["user"]
    content: str | list[UserContentPart]
    name: str | None = None


class AssistantMessage(Request):
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


class ToolMessage(Request):
    role: Literal["tool"]
    content: str | list[TextPart]
    tool_call_id: str


class FunctionMessage(Request):
    """Deprecated: the result of a `function_call`, answered as a tool result."""

    role: Literal["function"]
    name: str
    content: str | None


Message = Annotated[
    SystemMessage | UserMessage | AssistantMessage | ToolMessage | FunctionMessage,
    Field(discriminator="role"),
]


class FunctionDefinition(Request):
    name: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,64}$")
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class Tool(Request):
    type: Literal["function"]
    function: FunctionDefinition


class CustomTool(Unsupported):
    reason: ClassVar[str] = "custom tools are not supported by Workers AI: use function tools"
    type: Literal["custom"]
    custom: dict[str, Any]


class NamedFunction(Request):
    name: str


class NamedToolChoice(Request):
    type: Literal["function"]
    function: NamedFunction


class AllowedTools(Request):
    mode: Literal["auto", "required"]
    tools: list[dict[str, Any]]

    @property
    def names(self) -> set[str]:
        return {
            tool["function"].get("name")
            for tool in self.tools
            if isinstance(tool.get("function"), dict)
        }


class AllowedToolsChoice(Request):
    type: Literal["allowed_tools"]
    allowed_tools: AllowedTools


class CustomToolChoice(Unsupported):
    reason: ClassVar[str] = "custom tools are not supported by Workers AI: name a function tool"
    type: Literal["custom"]
    custom: dict[str, Any]


ToolChoice = Literal["none", "auto", "required", "any"] | _by_type(
    NamedToolChoice, AllowedToolsChoice, CustomToolChoice, what="a tool choice's"
)
ToolDefinition = _by_type(Tool, CustomTool, what="a tool's")


class JSONSchemaFormat(Request):
    name: str
    description: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class ResponseFormatText(Request):
    type: Literal["text"]


class ResponseFormatJSONObject(Request):
    type: Literal["json_object"]


class ResponseFormatJSONSchema(Request):
    type: Literal["json_schema"]
    json_schema: JSONSchemaFormat


ResponseFormat = Annotated[
    ResponseFormatText | ResponseFormatJSONObject | ResponseFormatJSONSchema,
    Field(discriminator="type"),
]

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
"""Every value of OpenAI's `ReasoningEffort` schema."""


class StreamOptions(Request):
    include_usage: bool | None = None
    include_obfuscation: bool | None = None


def _stop_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    stops = [value] if isinstance(value, str) else value
    if len(stops) > 4:
        raise ValueError("at most 4 stop sequences are allowed")
    return [stop for stop in stops if stop]


TokenIds = list[Annotated[int, Field(ge=0)]]


class SamplingParams(Request):
    """The parameters chat and legacy completions share (see parameters.py for each one)."""

    model: str = Field(description="An alias such as gpt-4o, or a Workers AI model name.")
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, ge=0.0, le=1.0)
    n: int | None = Field(default=None, description="Only 1 is supported.")
    stop: str | list[str] | None = Field(default=None, description="Up to 4 stop sequences.")
    seed: int | None = None
    presence_penalty: Penalty | None = None
    frequency_penalty: Penalty | None = None
    logit_bias: dict[str, int] | None = Field(default=None, description="Only `{}`.")
    user: str | None = None
    top_k: int | None = Field(default=None, ge=1, description="Workers AI extension.")
    repetition_penalty: float | None = Field(
        default=None, ge=0.0, le=2.0, description="Workers AI extension."
    )

    @field_validator("stop")
    @classmethod
    def _check_stop(cls, value: str | list[str] | None) -> str | list[str] | None:
        _stop_list(value)
        return value

    @property
    def stops(self) -> list[str]:
        return _stop_list(self.stop)

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


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
    def _check(self) -> ChatCompletionRequest:
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


class CompletionRequest(SamplingParams):
    prompt: str | list[str] | TokenIds | list[TokenIds] = Field(
        description="One prompt: a string, or one string or token array in a list."
    )
    max_tokens: int | None = Field(default=16, ge=1)
    echo: bool | None = False
    suffix: str | None = None
    logprobs: int | None = None
    best_of: int | None = None
    prompt_cache_key: str | None = Field(
        default=None, description="Chat's caching key, also taken here (a gateway extension)."
    )

    @field_validator("prompt")
    @classmethod
    def _one_prompt(cls, value: Any) -> Any:
        if isinstance(value, list) and value and isinstance(value[0], int):
            return value
        if isinstance(value, list) and len(value) != 1:
            raise ValueError("exactly one prompt is supported per request")
        return value

    @model_validator(mode="after")
    def _check(self) -> CompletionRequest:
        refuse_unsupported(COMPLETIONS, self)
        return self


EmbeddingInput = str | list[str] | TokenIds | list[TokenIds]


class EmbeddingRequest(Request):
    model: str = Field(description="A Workers AI embedding model, e.g. @cf/baai/bge-base-en-v1.5.")
    input: EmbeddingInput = Field(
        description="A string, up to 100 strings, a token array or up to 100 token arrays "
        "(tokens are cl100k_base ids, as OpenAI's clients send them)."
    )
    encoding_format: Literal["float", "base64"] | None = "float"
    dimensions: int | None = Field(default=None, ge=1)
    user: str | None = None

    @field_validator("input")
    @classmethod
    def _inputs(cls, value: Any) -> Any:
        items = [value] if isinstance(value, str) or _is_token_ids(value) else value
        if not items or len(items) > 100:
            raise ValueError("give between 1 and 100 inputs")
        if any(not item for item in items):
            raise ValueError("inputs must not be empty")
        return value

    @property
    def inputs(self) -> list[str | list[int]]:
        """Each input: a string, or a token array to decode."""
        if isinstance(self.input, str) or _is_token_ids(self.input):
            return [self.input]
        return list(self.input)


def _is_token_ids(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], int)


# Responses (documentation only; see the module docstring).


class PromptTokensDetails(BaseModel):
    cached_tokens: int = Field(description="Prompt tokens Workers AI read from its prefix cache.")


class CompletionTokensDetails(BaseModel):
    reasoning_tokens: int = Field(description="Tokens the model spent reasoning.")


class Usage(BaseModel):
    """Workers AI's own counts; the breakdowns only where it reports them."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None


class ResponseFunctionCall(BaseModel):
    name: str
    arguments: str


class ResponseToolCall(BaseModel):
    id: str
    type: Literal["function"]
    function: ResponseFunctionCall


class ResponseMessage(BaseModel):
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


FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]


class ChatChoice(BaseModel):
    index: int
    message: ResponseMessage
    finish_reason: FinishReason
    logprobs: None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str = Field(
        description="The name the request gave; `x-gateway-model` names the model that answered."
    )
    choices: list[ChatChoice]
    usage: Usage | None = None


class ChunkDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    function_call: dict[str, str] | None = None
    reasoning: str | None = None
    reasoning_content: str | None = None


class ChunkChoice(BaseModel):
    index: int
    delta: ChunkDelta
    finish_reason: FinishReason | None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    """One `data:` event of a streamed chat completion."""

    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None


class CompletionChoice(BaseModel):
    index: int
    text: str
    finish_reason: FinishReason | None
    logprobs: None


class Completion(BaseModel):
    id: str
    object: Literal["text_completion"]
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage | None = None


class Model(BaseModel):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"]
    data: list[Model]


class Embedding(BaseModel):
    object: Literal["embedding"]
    index: int
    embedding: list[float] | str


class EmbeddingUsage(BaseModel):
    prompt_tokens: int
    total_tokens: int


class EmbeddingList(BaseModel):
    object: Literal["list"]
    data: list[Embedding]
    model: str
    usage: EmbeddingUsage


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorResponse(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: Literal["healthy"]
    service: str
    version: str
    timestamp: str
    models: dict[str, str]
    upstream: Literal["cloudflare", "emulator", "custom"]
