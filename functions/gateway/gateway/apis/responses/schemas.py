"""Pydantic models of the Responses API requests (`CreateResponse` and its input items).

Shapes and names follow OpenAI's `CreateResponse`, `InputItem` and `Tool` schemas. Items are
told apart by `type` (a message may omit it, and so may an item reference). Fields this gateway
cannot honour are refused with a 400 naming them (parameters.RESPONSES); unknown fields are
ignored, as for chat.
"""

from typing import Annotated, Any, Literal, Self

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from gateway.apis.responses.parameters import RESPONSES
from gateway.core.errors import GatewayError
from gateway.core.parameters import refuse_unsupported
from gateway.core.sampling import Penalty
from gateway.core.text_generation import ReasoningEffort
from gateway.core.validation import AnswerModel, RequestModel, Tagged


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
ToolOutput = str | list[OutputContentPart]


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
    namespace: str | None = Field(default=None, description="The `namespace` tool it belongs to.")
    arguments: str = Field(description="The arguments, JSON-encoded.")


class FunctionCallOutputItem(RequestModel):
    type: Literal["function_call_output"]
    id: str | None = None
    call_id: str = Field(min_length=1)
    output: ToolOutput


class CustomToolCallItem(RequestModel):
    type: Literal["custom_tool_call"]
    id: str | None = None
    call_id: str = Field(min_length=1)
    name: str
    namespace: str | None = None
    input: str = Field(description="The free-form input the model wrote.")


class CustomToolCallOutputItem(RequestModel):
    type: Literal["custom_tool_call_output"]
    id: str | None = None
    call_id: str = Field(min_length=1)
    output: ToolOutput


class LocalShellAction(RequestModel):
    type: Literal["exec"] = "exec"
    command: list[str]
    timeout_ms: int | None = None
    working_directory: str | None = None
    env: dict[str, str] | None = None
    user: str | None = None


class LocalShellCallItem(RequestModel):
    type: Literal["local_shell_call"]
    id: str | None = None
    call_id: str = Field(min_length=1)
    action: LocalShellAction


class LocalShellCallOutputItem(RequestModel):
    """The output of a `local_shell_call`, named by its `call_id` (or, as OpenAI's schema
    describes it, by `id`: the call's id)."""

    type: Literal["local_shell_call_output"]
    id: str | None = None
    call_id: str | None = None
    output: str

    @model_validator(mode="after")
    def _names_its_call(self) -> Self:
        if not (self.call_id or self.id):
            raise ValueError("give the call_id of the local_shell_call this is the output of")
        return self


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


class ItemReference(RequestModel):
    """An item of one of the key's stored responses, by its id (its `type` may be left out)."""

    type: Literal["item_reference"]
    id: str = Field(min_length=1)


# Tools


ToolName = Annotated[str, Field(pattern=r"^[a-zA-Z0-9_-]{1,64}$")]


class FunctionTool(RequestModel):
    type: Literal["function"]
    name: ToolName
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None
    defer_loading: bool | None = Field(
        default=None, description="Deferred tools are offered at once (there is no tool search)."
    )


class CustomTextFormat(RequestModel):
    type: Literal["text"]


class CustomGrammarFormat(RequestModel):
    type: Literal["grammar"]
    syntax: Literal["lark", "regex"]
    definition: str


CustomFormat = Annotated[CustomTextFormat | CustomGrammarFormat, Tagged("a custom format's")]


class CustomToolParam(RequestModel):
    """A tool whose input is free-form text (optionally following a grammar) that the client's
    code takes: offered upstream as a function of one string, `input`."""

    type: Literal["custom"]
    name: ToolName
    description: str | None = None
    format: CustomFormat | None = None
    defer_loading: bool | None = None


NamespaceMember = Annotated[FunctionTool | CustomToolParam, Tagged("a namespace tool's")]


class NamespaceTool(RequestModel):
    """A named group of function and custom tools: each is offered as `<namespace>__<name>` and
    called back under its own name with the item's `namespace`."""

    type: Literal["namespace"]
    name: ToolName
    description: str | None = None
    tools: list[NamespaceMember] = Field(min_length=1)


class LocalShellTool(RequestModel):
    """OpenAI's `local_shell`: the client runs the commands; offered as a function."""

    type: Literal["local_shell"]


class HostedTool(RequestModel):
    """A tool OpenAI runs on its own servers (web search, file search, code interpreter,
    computer use, image generation, MCP...), or any other kind this gateway cannot offer:
    left out of what the model is offered (see apis/responses/tools.py)."""

    type: str


CLIENT_TOOLS: dict[str, str] = {
    "function": "FunctionTool",
    "custom": "CustomToolParam",
    "namespace": "NamespaceTool",
    "local_shell": "LocalShellTool",
}


def _tool_kind(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return CLIENT_TOOLS.get(kind, "HostedTool") if isinstance(kind, str) else "HostedTool"


Tool = Annotated[
    Annotated[FunctionTool, Tag("FunctionTool")]
    | Annotated[CustomToolParam, Tag("CustomToolParam")]
    | Annotated[NamespaceTool, Tag("NamespaceTool")]
    | Annotated[LocalShellTool, Tag("LocalShellTool")]
    | Annotated[HostedTool, Tag("HostedTool")],
    Discriminator(_tool_kind),
]


class AdditionalToolsItem(RequestModel):
    """Tools made available from this point of the conversation on (offered as `tools` are)."""

    type: Literal["additional_tools"]
    id: str | None = None
    role: Literal["developer"] = "developer"
    tools: list[Tool]


InputItem = Annotated[
    MessageItem
    | FunctionCallItem
    | FunctionCallOutputItem
    | CustomToolCallItem
    | CustomToolCallOutputItem
    | LocalShellCallItem
    | LocalShellCallOutputItem
    | ReasoningItem
    | ItemReference
    | AdditionalToolsItem,
    Tagged("an input item's", default="message"),
]

CallItem = FunctionCallItem | CustomToolCallItem | LocalShellCallItem
OutputItem = FunctionCallOutputItem | CustomToolCallOutputItem | LocalShellCallOutputItem


# Tool choice


class FunctionChoice(RequestModel):
    type: Literal["function"]
    name: str


class CustomChoice(RequestModel):
    type: Literal["custom"]
    name: str


class AllowedToolsParam(RequestModel):
    """Only these of `tools` may be called (`{"type": "function", "name": ...}` and the like)."""

    type: Literal["allowed_tools"]
    mode: Literal["auto", "required"]
    tools: list[dict[str, Any]]


class HostedToolChoice(RequestModel):
    """A choice that forces a hosted tool: a 400, since that tool is left out."""

    type: str


CHOICES = {"function": "FunctionChoice", "custom": "CustomChoice", "allowed_tools": "Allowed"}


def _choice_kind(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return CHOICES.get(kind, "HostedToolChoice") if isinstance(kind, str) else "HostedToolChoice"


ToolChoice = (
    Literal["none", "auto", "required", "any"]
    | Annotated[
        Annotated[FunctionChoice, Tag("FunctionChoice")]
        | Annotated[CustomChoice, Tag("CustomChoice")]
        | Annotated[AllowedToolsParam, Tag("Allowed")]
        | Annotated[HostedToolChoice, Tag("HostedToolChoice")],
        Discriminator(_choice_kind),
    ]
)


# Text and reasoning


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


def _unsupported(param: str, reason: str) -> GatewayError:
    """The 400 of a nested field refused as chat refuses its counterpart (parameters.py)."""
    message = f"Unsupported parameter: '{param}'. {reason}"
    return GatewayError(400, message, param=param, code="unsupported_parameter")


class TextConfig(RequestModel):
    format: TextFormat | None = None
    verbosity: Literal["low", "medium", "high"] | None = Field(
        default=None, description="Only `medium` (the default): as chat's `verbosity`."
    )

    @model_validator(mode="after")
    def _verbosity(self) -> Self:
        if self.verbosity not in (None, "medium"):
            raise _unsupported(
                "text.verbosity",
                "Workers AI has no verbosity control: only `medium` (the default) is accepted.",
            )
        return self


class ReasoningConfig(RequestModel):
    effort: ReasoningEffort | None = Field(
        default=None, description="Mapped to the nearest level the model supports, as chat's."
    )
    summary: Literal["auto", "concise", "detailed"] | None = Field(
        default=None,
        description="The model's own reasoning text is given as the summary too (not summarised).",
    )
    generate_summary: Literal["auto", "concise", "detailed"] | None = Field(
        default=None, description="Deprecated: `summary`."
    )
    context: Literal["auto", "current_turn", "all_turns"] | None = Field(
        default=None, description="Which turns' earlier reasoning goes back to the model."
    )
    mode: str | None = Field(default=None, description="Only `standard`.")

    @model_validator(mode="after")
    def _standard_mode(self) -> Self:
        if self.mode not in (None, "standard"):
            raise _unsupported(
                "reasoning.mode", "Workers AI models have one reasoning mode: only `standard`."
            )
        return self

    @property
    def summarised(self) -> bool:
        """A summary was asked for: reasoning items carry the reasoning as their summary."""
        return (self.summary or self.generate_summary) is not None


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
"""OpenAI's `IncludeEnum`. The hosted tools' values include nothing here (those tools are left
out), input image URLs are always kept in the input items, and reasoning is always given in full
as plain `reasoning_text` (never encrypted): all are accepted but log probabilities."""


class CreateResponseRequest(RequestModel):
    """`POST /v1/responses`: OpenAI's `CreateResponse` (parameters.RESPONSES says what is done
    with each field)."""

    model: str = Field(description="An alias such as gpt-4o, or a Workers AI model name.")
    input: str | list[InputItem] | None = Field(
        default=None, description="Text, or a list of items (messages, calls, their outputs...)."
    )
    instructions: str | None = None
    previous_response_id: str | None = None
    store: bool | None = True
    stream: bool | None = False
    stream_options: dict[str, Any] | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    max_tool_calls: int | None = Field(default=None, ge=1)
    text: TextConfig | None = None
    reasoning: ReasoningConfig | None = None
    max_output_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, ge=0.0, le=1.0)
    seed: int | None = Field(default=None, description="Chat's, taken here too.")
    frequency_penalty: Penalty | None = Field(default=None, description="Chat's, taken here too.")
    presence_penalty: Penalty | None = Field(default=None, description="Chat's, taken here too.")
    top_k: int | None = Field(default=None, ge=1, description="Workers AI extension.")
    repetition_penalty: float | None = Field(
        default=None, ge=0.0, le=2.0, description="Workers AI extension."
    )
    metadata: dict[str, Annotated[str, Field(max_length=512)]] | None = Field(
        default=None, max_length=16
    )
    user: str | None = None
    safety_identifier: str | None = Field(default=None, max_length=64)
    prompt_cache_key: str | None = Field(
        default=None, description="Sent to Workers AI as `x-session-affinity`."
    )
    prompt_cache_retention: str | None = None
    prompt_cache_options: dict[str, Any] | None = None
    service_tier: str | None = None
    background: bool | None = Field(default=None, description="Only false is supported.")
    include: list[Includable] | None = Field(
        default=None,
        description="Every value but `message.output_text.logprobs` (Workers AI gives no "
        "log probabilities). `reasoning.encrypted_content` is accepted: reasoning is never "
        "encrypted here, it is in the reasoning items' `content` in full, which serves the same "
        "purpose (send the items back, or use `previous_response_id`).",
    )
    truncation: Literal["auto", "disabled"] | None = None
    conversation: str | dict[str, Any] | None = Field(
        default=None, description="Not supported: use previous_response_id."
    )
    prompt: dict[str, Any] | None = Field(
        default=None, description="Stored prompts are not supported."
    )
    top_logprobs: int | None = Field(default=None, ge=0, le=20)
    context_management: list[dict[str, Any]] | None = None
    moderation: dict[str, Any] | None = None
    client_metadata: dict[str, Any] | None = Field(
        default=None, description="Codex's request tags; not sent upstream."
    )

    @model_validator(mode="before")
    @classmethod
    def _typeless_references(cls, value: Any) -> Any:
        """An input item with neither `type` nor `role`, only an `id`, is an item reference
        (OpenAI's `ItemReferenceParam` has an optional `type`)."""
        items = value.get("input") if isinstance(value, dict) else None
        if isinstance(items, list) and any(_typeless_reference(item) for item in items):
            value = {
                **value,
                "input": [
                    {**item, "type": "item_reference"} if _typeless_reference(item) else item
                    for item in items
                ],
            }
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
    def _check(self) -> Self:
        refuse_unsupported(RESPONSES, self)
        if self.input is None and self.previous_response_id is None:
            raise ValueError("give `input`, or `previous_response_id` to continue a response")
        return self


def _typeless_reference(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and item.get("type") is None
        and "role" not in item
        and isinstance(item.get("id"), str)
    )


# Answers (documentation only: they are built as plain dicts, checked against OpenAI's schema
# in the tests).


class ResponseUsage(AnswerModel):
    input_tokens: int
    input_tokens_details: dict[str, int]
    output_tokens: int
    output_tokens_details: dict[str, int] = Field(
        description="`reasoning_tokens` where the upstream reports them."
    )
    total_tokens: int


class ResponseObject(AnswerModel):
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
        description="`reasoning`, `message` (with `output_text`), `function_call`, "
        "`custom_tool_call` and `local_shell_call` items."
    )
    output_text: str
    previous_response_id: str | None
    usage: ResponseUsage | None
    store: bool
    metadata: dict[str, str]


class ResponseItemList(AnswerModel):
    object: Literal["list"]
    data: list[dict[str, Any]] = Field(description="Input items, with their ids.")
    first_id: str | None
    last_id: str | None
    has_more: bool


class DeletedResponse(AnswerModel):
    id: str
    object: Literal["response"]
    deleted: Literal[True]
