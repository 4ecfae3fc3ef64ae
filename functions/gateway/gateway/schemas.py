"""Pydantic models of the OpenAI requests and responses this API documents.

Requests are validated with them; responses are built as plain dicts on the hot path (and
checked against OpenAI's official schema in the tests) and these models only document them.
Unknown request fields are ignored, as many OpenAI clients send extras.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Penalty = Annotated[float, Field(ge=-2.0, le=2.0)]


class Request(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TextPart(Request):
    type: Literal["text"]
    text: str


class ImageURL(Request):
    url: str = Field(description="A data: URI or an http(s) URL (the gateway inlines it).")
    detail: Literal["auto", "low", "high"] | None = None


class ImagePart(Request):
    type: Literal["image_url"]
    image_url: ImageURL


ContentPart = Annotated[TextPart | ImagePart, Field(discriminator="type")]


class FunctionCall(Request):
    name: str
    arguments: str = Field(description="The arguments, JSON-encoded.")


class ToolCall(Request):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class SystemMessage(Request):
    role: Literal["system", "developer"]
    content: str | list[TextPart]
    name: str | None = None


class UserMessage(Request):
    role: Literal["user"]
    content: str | list[ContentPart]
    name: str | None = None


class AssistantMessage(Request):
    role: Literal["assistant"]
    content: str | list[TextPart] | None = None
    tool_calls: list[ToolCall] | None = None
    name: str | None = None


class ToolMessage(Request):
    role: Literal["tool"]
    content: str | list[TextPart]
    tool_call_id: str


Message = Annotated[
    SystemMessage | UserMessage | AssistantMessage | ToolMessage, Field(discriminator="role")
]


class FunctionDefinition(Request):
    name: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,64}$")
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class Tool(Request):
    type: Literal["function"]
    function: FunctionDefinition


class NamedFunction(Request):
    name: str


class NamedToolChoice(Request):
    type: Literal["function"]
    function: NamedFunction


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


class StreamOptions(Request):
    include_usage: bool | None = None


def _only_one_choice(value: int | None) -> int | None:
    if value is not None and value != 1:
        raise ValueError("only n=1 is supported by Workers AI")
    return value


def _stop_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    stops = [value] if isinstance(value, str) else value
    if len(stops) > 4:
        raise ValueError("at most 4 stop sequences are allowed")
    return [stop for stop in stops if stop]


class SamplingParams(Request):
    """The parameters chat and legacy completions share."""

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
    user: str | None = None
    top_k: int | None = Field(default=None, ge=1, description="Workers AI extension.")
    repetition_penalty: float | None = Field(
        default=None, ge=0.0, le=2.0, description="Workers AI extension."
    )

    _n = field_validator("n")(_only_one_choice)

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
    tools: list[Tool] | None = None
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    reasoning_effort: Literal["low", "medium", "high"] | None = None
    logprobs: bool | None = None

    @field_validator("logprobs")
    @classmethod
    def _no_logprobs(cls, value: bool | None) -> bool | None:
        if value:
            raise ValueError("logprobs are not available from Workers AI")
        return value


class CompletionRequest(SamplingParams):
    prompt: str | list[str] = Field(description="One prompt (a list must hold exactly one).")
    max_tokens: int | None = Field(default=16, ge=1)
    echo: bool | None = False
    suffix: str | None = None
    logprobs: int | None = None
    best_of: int | None = None

    @field_validator("prompt")
    @classmethod
    def _one_prompt(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list) and len(value) != 1:
            raise ValueError("exactly one prompt is supported per request")
        return value

    @field_validator("suffix")
    @classmethod
    def _no_suffix(cls, value: str | None) -> str | None:
        if value:
            raise ValueError("suffix is not supported by Workers AI")
        return value

    @field_validator("logprobs")
    @classmethod
    def _no_logprobs(cls, value: int | None) -> int | None:
        if value:
            raise ValueError("logprobs are not available from Workers AI")
        return value

    _best_of = field_validator("best_of")(_only_one_choice)

    @property
    def prompt_text(self) -> str:
        return self.prompt if isinstance(self.prompt, str) else self.prompt[0]


class EmbeddingRequest(Request):
    model: str = Field(description="A Workers AI embedding model, e.g. @cf/baai/bge-base-en-v1.5.")
    input: str | list[str] = Field(description="A string or up to 100 strings.")
    encoding_format: Literal["float", "base64"] | None = "float"
    dimensions: int | None = None
    user: str | None = None

    @field_validator("input")
    @classmethod
    def _inputs(cls, value: str | list[str]) -> str | list[str]:
        items = [value] if isinstance(value, str) else value
        if not items or len(items) > 100:
            raise ValueError("give between 1 and 100 strings")
        if any(not item for item in items):
            raise ValueError("inputs must be non-empty strings")
        return value


# Responses (documentation only; see the module docstring).


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


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
    reasoning_content: str | None = Field(
        default=None, description="The reasoning text of reasoning models, kept out of content."
    )


FinishReason = Literal["stop", "length", "tool_calls", "content_filter"]


class ChatChoice(BaseModel):
    index: int
    message: ResponseMessage
    finish_reason: FinishReason
    logprobs: None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str = Field(description="The Workers AI model that answered.")
    choices: list[ChatChoice]
    usage: Usage | None = None


class ChunkDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None
    tool_calls: list[dict[str, Any]] | None = None


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
