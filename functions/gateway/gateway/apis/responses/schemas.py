"""Pydantic models of the Responses API requests (`CreateResponse` and its input items).

Shapes and names follow OpenAI's `CreateResponse`, `InputItem` and `Tool` schemas. Items are
told apart by `type` (a message may omit it). Fields this gateway cannot honour are refused
with a 400 naming them; unknown fields are ignored, as for chat.
"""

from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Discriminator, Field, Tag, field_validator, model_validator

from gateway.core.validation import RequestModel, Tagged


class InputText(RequestModel):
    type: Literal["input_text"]
    text: str


class InputImage(RequestModel):
    type: Literal["input_image"]
    image_url: str | None = Field(
        default=None, description="A data: URI or an http(s) URL (the gateway inlines it)."
    )
    file_id: str | None = None
    detail: Literal["auto", "low", "high", "original"] | None = None

    @model_validator(mode="after")
    def _by_url(self) -> Self:
        if self.file_id is not None:
            raise ValueError("file_id images need the Files API, which this gateway lacks")
        if not self.image_url:
            raise ValueError("image_url is required")
        return self


class OutputText(RequestModel):
    type: Literal["output_text"]
    text: str


class Refusal(RequestModel):
    type: Literal["refusal"]
    refusal: str


ContentPart = Annotated[InputText | InputImage | OutputText | Refusal, Tagged("a content part's")]
OutputContentPart = Annotated[InputText | InputImage, Tagged("an output content part's")]


class MessageItem(RequestModel):
    type: Literal["message"] = "message"
    id: str | None = None
    role: Literal["user", "assistant", "system", "developer"]
    content: str | list[ContentPart]


class FunctionCallItem(RequestModel):
    type: Literal["function_call"]
    id: str | None = None
    call_id: str = Field(min_length=1)
    name: str
    arguments: str = Field(description="The arguments, JSON-encoded.")


class FunctionCallOutputItem(RequestModel):
    type: Literal["function_call_output"]
    id: str | None = None
    call_id: str = Field(min_length=1)
    output: str | list[OutputContentPart]


class ReasoningText(RequestModel):
    type: Literal["reasoning_text", "summary_text"]
    text: str


class ReasoningItem(RequestModel):
    """Reasoning from an earlier turn, as the model wrote it (`content`) or its `summary`."""

    type: Literal["reasoning"]
    id: str | None = None
    summary: list[ReasoningText] = Field(default_factory=list)
    content: list[ReasoningText] | None = None
    encrypted_content: str | None = None


InputItem = Annotated[
    MessageItem | FunctionCallItem | FunctionCallOutputItem | ReasoningItem,
    Tagged("an input item's", default="message"),
]


class FunctionTool(RequestModel):
    type: Literal["function"]
    name: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,64}$")
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class HostedTool(RequestModel):
    """A built-in tool (web search, file search, computer use...): refused by name."""

    type: str


def _tool_kind(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return "FunctionTool" if kind == "function" else "HostedTool"


Tool = Annotated[
    Annotated[FunctionTool, Tag("FunctionTool")] | Annotated[HostedTool, Tag("HostedTool")],
    Discriminator(_tool_kind),
]


class FunctionChoice(RequestModel):
    type: Literal["function"]
    name: str


class HostedToolChoice(RequestModel):
    type: str


class FormatText(RequestModel):
    type: Literal["text"]


class FormatJSONObject(RequestModel):
    type: Literal["json_object"]


class FormatJSONSchema(RequestModel):
    type: Literal["json_schema"]
    name: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,64}$")
    description: str | None = None
    schema_: dict[str, Any] = Field(alias="schema")
    strict: bool | None = None


TextFormat = Annotated[FormatText | FormatJSONObject | FormatJSONSchema, Tagged("a text format's")]


class TextConfig(RequestModel):
    format: TextFormat | None = None
    verbosity: None = Field(default=None, description="Not supported by Workers AI models.")


class ReasoningConfig(RequestModel):
    effort: Literal["low", "medium", "high"] | None = None
    summary: Literal["auto", "concise", "detailed"] | None = Field(
        default=None,
        description="Accepted; the reasoning itself is given in full as `reasoning_text`.",
    )


Includable = Literal[
    "file_search_call.results",
    "web_search_call.results",
    "web_search_call.action.sources",
    "message.input_image.image_url",
    "computer_call_output.output.image_url",
    "code_interpreter_call.outputs",
    "reasoning.encrypted_content",
    "message.output_text.logprobs",
]
"""OpenAI's `IncludeEnum`. The built-in tools' values include nothing here (those tools are
refused), input image URLs are always kept in the input items, and reasoning is always given in
full as plain `reasoning_text` (never encrypted): all are accepted but log probabilities."""


class CreateResponseRequest(RequestModel):
    """`POST /v1/responses`: OpenAI's `CreateResponse`, less the built-in tools."""

    model: str = Field(description="An alias such as gpt-4o, or a Workers AI model name.")
    input: str | list[InputItem] | None = Field(
        default=None, description="Text, or a list of messages and function-call items."
    )
    instructions: str | None = None
    previous_response_id: str | None = None
    store: bool | None = True
    stream: bool | None = False
    tools: list[Tool] | None = None
    tool_choice: Literal["none", "auto", "required"] | FunctionChoice | HostedToolChoice | None = (
        None
    )
    parallel_tool_calls: bool | None = None
    text: TextConfig | None = None
    reasoning: ReasoningConfig | None = None
    max_output_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, ge=0.0, le=1.0)
    metadata: dict[str, Annotated[str, Field(max_length=512)]] | None = Field(
        default=None, max_length=16
    )
    user: str | None = None
    prompt_cache_key: str | None = Field(
        default=None, description="Sent to Workers AI as `x-session-affinity`."
    )
    background: bool | None = Field(default=None, description="Only false is supported.")
    include: list[Includable] | None = Field(
        default=None,
        description="Every value but `message.output_text.logprobs` (Workers AI gives no "
        "log probabilities). `reasoning.encrypted_content` is accepted: reasoning is never "
        "encrypted here, it is in the reasoning items' `content` in full, which serves the same "
        "purpose (send the items back, or use `previous_response_id`).",
    )
    truncation: Literal["disabled"] | None = None
    conversation: None = Field(default=None, description="Not supported: use previous_response_id.")
    prompt: None = Field(default=None, description="Stored prompts are not supported.")
    top_logprobs: Literal[0] | None = None

    @field_validator("background")
    @classmethod
    def _no_background(cls, value: bool | None) -> bool | None:
        if value:
            raise ValueError("background responses are not supported; omit it or send false")
        return value

    @field_validator("include")
    @classmethod
    def _includable(cls, value: list[str] | None) -> list[str] | None:
        if value and "message.output_text.logprobs" in value:
            raise ValueError(
                "Workers AI returns no log probabilities: remove 'message.output_text.logprobs' "
                "from include"
            )
        return value

    @field_validator("metadata")
    @classmethod
    def _metadata_keys(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value and any(len(key) > 64 for key in value):
            raise ValueError("metadata keys are at most 64 characters")
        return value

    @model_validator(mode="after")
    def _has_input(self) -> Self:
        if self.input is None and self.previous_response_id is None:
            raise ValueError("give `input`, or `previous_response_id` to continue a response")
        return self


# Answers (documentation only: they are built as plain dicts, checked against OpenAI's schema
# in the tests).


class ResponseUsage(BaseModel):
    input_tokens: int
    input_tokens_details: dict[str, int]
    output_tokens: int
    output_tokens_details: dict[str, int] = Field(
        description="`reasoning_tokens` where the upstream reports them."
    )
    total_tokens: int


class ResponseObject(BaseModel):
    """OpenAI's `Response` (the echoed request fields are listed in OpenAI's reference)."""

    id: str
    object: Literal["response"]
    created_at: int
    status: Literal["completed", "incomplete", "failed", "in_progress"]
    completed_at: int | None
    error: dict[str, str] | None
    incomplete_details: dict[str, str] | None = Field(
        description='`{"reason": "max_output_tokens"}` when the token limit cut the answer.'
    )
    model: str = Field(description="The Workers AI model that answered.")
    output: list[dict[str, Any]] = Field(
        description="`reasoning`, `message` (with `output_text`) and `function_call` items."
    )
    output_text: str
    previous_response_id: str | None
    usage: ResponseUsage | None
    store: bool
    metadata: dict[str, str]


class ResponseItemList(BaseModel):
    object: Literal["list"]
    data: list[dict[str, Any]] = Field(description="Input items, with their ids.")
    first_id: str | None
    last_id: str | None
    has_more: bool


class DeletedResponse(BaseModel):
    id: str
    object: Literal["response"]
    deleted: Literal[True]
