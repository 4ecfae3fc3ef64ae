"""Text generation in Workers AI's terms: what every text API's request becomes, and its `/run`
body for one model of the chain.

Chat completions, legacy completions, the Responses API and the Messages API each turn their
request into one `TextGenerationInput`: Workers AI's chat messages
(docs/upstream.md#request-fields), the sampling parameters, function tools and the tool choice,
the response format and the reasoning effort, all in the upstream's own vocabulary. `run_body`
then fits it to one model (`catalog.Capabilities`): images only for vision models, earlier
reasoning only for reasoning models, penalties within the model's range, the reasoning effort to
the nearest level it takes, the bare prompt for models that have that form.

Messages are plain dicts:

- `{"role": "system", "content": str}`
- `{"role": "user", "content": str | [{"type": "text", "text"} | {"type": "image_url",
  "image_url": {"url", "detail"?}}]}` (a list only when it holds an image)
- `{"role": "assistant", "content": str, "tool_calls"?: [{"id", "type": "function",
  "function": {"name", "arguments"}}], "reasoning"?: str}`
- `{"role": "tool", "tool_call_id": str, "content": str}`
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from gateway.core.catalog import Capabilities

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
"""Every value of OpenAI's `ReasoningEffort` schema, least effort first: the vocabulary every
API's reasoning control is mapped to."""

REASONING_EFFORTS: tuple[str, ...] = get_args(ReasoningEffort)


def reasoning_effort(asked: str | None, supported: tuple[str, ...]) -> str | None:
    """The supported value nearest to the one asked for (a tie goes to the lesser effort);
    None when nothing was asked or the model takes no control (it does not reason)."""
    if asked is None or not supported:
        return None
    rank = REASONING_EFFORTS.index
    return min(supported, key=lambda level: (abs(rank(level) - rank(asked)), rank(level)))


@dataclass(frozen=True)
class FunctionTool:
    """A function the model may call; `parameters` is its JSON Schema."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None

    def body(self) -> dict[str, Any]:
        """The tool as Workers AI takes it (OpenAI's `{"type": "function", "function"}`)."""
        function: dict[str, Any] = {"name": self.name}
        for key in ("description", "parameters", "strict"):
            value = getattr(self, key)
            if value is not None:
                function[key] = value
        return {"type": "function", "function": function}


@dataclass(frozen=True)
class Named:
    """The model must call this one function."""

    name: str


@dataclass(frozen=True)
class Allowed:
    """Only these functions may be called; `mode` as `auto` or `required` over them."""

    names: frozenset[str]
    mode: Literal["auto", "required"]


ToolChoice = Literal["none", "auto", "required"] | Named | Allowed


@dataclass
class Sampling:
    """The sampling parameters Workers AI takes (None: the model's default)."""

    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    seed: int | None = None
    repetition_penalty: float | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None


PENALTIES = ("frequency_penalty", "presence_penalty")


@dataclass
class TextGenerationInput:
    """One text-generation request, before a model is chosen (see the module docstring).

    `prompt` is set instead of `messages` for the legacy completions' bare prompt.
    `message_names[m]` is what the client calls message `m` (`messages[0]`, `input[3]`), for
    the `param` of an error about one of its images.
    """

    messages: list[dict[str, Any]]
    max_tokens: int
    prompt: str | None = None
    sampling: Sampling = field(default_factory=Sampling)
    tools: list[FunctionTool] = field(default_factory=list)
    tool_choice: ToolChoice | None = None
    response_format: dict[str, Any] | None = None
    """Workers AI's form: `{"type": "json_object"}` or `{"type": "json_schema", "json_schema":
    <the bare schema>}`."""
    reasoning_effort: ReasoningEffort | None = None
    message_names: list[str] | None = None

    def upstream_tools(self) -> tuple[list[FunctionTool], Any]:
        """The tools to offer and the `tool_choice` to send.

        Workers AI takes OpenAI's `none`, `auto`, `required` and named-function forms
        (docs/upstream.md#request-fields); `Allowed` narrows the tools and sends its mode, and a
        named choice also narrows the tools to that one, so no model can call another.
        """
        tools, choice = self.tools, self.tool_choice
        if not tools:
            return [], None
        if isinstance(choice, Allowed):
            return [tool for tool in tools if tool.name in choice.names], choice.mode
        if isinstance(choice, Named):
            named = [tool for tool in tools if tool.name == choice.name]
            return named, {"type": "function", "function": {"name": choice.name}}
        return tools, choice

    def callable_names(self) -> frozenset[str]:
        """The functions the model may call (none under `tool_choice: "none"`)."""
        tools, choice = self.upstream_tools()
        return frozenset() if choice == "none" else frozenset(tool.name for tool in tools)

    def image_names(self) -> list[str]:
        return self.message_names or [f"messages[{m}]" for m in range(len(self.messages))]


def image_parts(messages: list[dict[str, Any]]) -> list[tuple[int, int, dict[str, Any]]]:
    """Every image part of the user messages: (message index, part index, the part)."""
    return [
        (m, p, part)
        for m, message in enumerate(messages)
        if message["role"] == "user" and isinstance(message["content"], list)
        for p, part in enumerate(message["content"])
        if part.get("type") == "image_url"
    ]


def _text(parts: list[dict[str, Any]]) -> str:
    return "\n".join(part["text"] for part in parts if part.get("type") == "text")


def _for_model(message: dict[str, Any], caps: Capabilities) -> dict[str, Any]:
    """One message as this model takes it: a user turn's images only for a vision model (else
    its text), an assistant turn's earlier reasoning only for a reasoning model, where Workers
    AI reads it back (docs/upstream.md#gpt-oss)."""
    role = message["role"]
    if role == "user" and isinstance(message["content"], list) and caps.vision is False:
        return {**message, "content": _text(message["content"])}
    if role == "assistant" and "reasoning" in message and not caps.reasoning_efforts:
        return {key: value for key, value in message.items() if key != "reasoning"}
    return message


def _sampling(sampling: Sampling, caps: Capabilities, max_tokens: int) -> dict[str, Any]:
    low, high = caps.penalty_range
    body: dict[str, Any] = {"max_tokens": max_tokens}
    for name in ("temperature", "top_p", "top_k", "seed", "repetition_penalty"):
        value = getattr(sampling, name)
        if value is not None:
            body[name] = value
    for name in PENALTIES:
        value = getattr(sampling, name)
        if value is not None:
            body[name] = min(max(value, low), high)
    return body


def run_body(
    inp: TextGenerationInput, caps: Capabilities, *, stream: bool, has_backup: bool
) -> dict[str, Any]:
    """The `/run/{model}` body of `inp` for a model with `caps`.

    `stream` asks for server-sent events; `has_backup` adds `options.rejectIfBusy`, so a busy
    model answers at once (3040) and the chain moves on instead of queueing.
    """
    body: dict[str, Any]
    if inp.prompt is not None:
        body = (
            {"prompt": inp.prompt}
            if caps.prompt_form
            else {"messages": [{"role": "user", "content": inp.prompt}]}
        )
    else:
        body = {"messages": [_for_model(message, caps) for message in inp.messages]}
    body |= _sampling(inp.sampling, caps, inp.max_tokens)
    tools, choice = inp.upstream_tools()
    if tools:
        body["tools"] = [tool.body() for tool in tools]
        if choice is not None:
            body["tool_choice"] = choice
    if inp.response_format is not None:
        body["response_format"] = inp.response_format
    if effort := reasoning_effort(inp.reasoning_effort, caps.reasoning_efforts):
        body["reasoning_effort"] = effort
    if stream:
        body["stream"] = True
    if has_backup:
        body["options"] = {"rejectIfBusy": True}
    return body


@dataclass(frozen=True)
class ToolRules:
    """How tool calls come back: the names the model may call, and whether only the first call
    of an answer is kept (`parallel_tool_calls: false`)."""

    names: frozenset[str] = frozenset()
    one_call: bool = False

    @classmethod
    def of(cls, inp: TextGenerationInput, *, one_call: bool = False) -> ToolRules:
        return cls(inp.callable_names(), one_call)

    def keep(self, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The calls of a whole answer that go out."""
        return calls[:1] if self.one_call else calls
