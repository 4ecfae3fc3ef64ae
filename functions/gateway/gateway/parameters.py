"""What the gateway does with each field of OpenAI's request schemas: the table, written once.

Every field of `CreateChatCompletionRequest`, `CreateCompletionRequest` and
`CreateEmbeddingRequest` (OpenAI's OpenAPI document) has one row, with one of four handlings:

- `UPSTREAM`: sent to Workers AI, which honours it (maybe under its own name or range);
- `GATEWAY`: the gateway does it itself, as OpenAI would;
- `REFUSED`: a 400 naming the parameter, unless the value asks for nothing (`n: 1`,
  `logprobs: false`, `logit_bias: {}`...), since Workers AI cannot honour it;
- `NO_EFFECT`: accepted and not acted on, only where OpenAI's answer would not differ either
  (`user`, `store`, `metadata`, caching hints).

The request models in `schemas.py` check their REFUSED rows through `refuse_unsupported`, and the
README's parameter tables are rendered from these rows by `markdown()` (a test keeps them equal).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gateway.errors import GatewayError


class Handling(StrEnum):
    UPSTREAM = "honoured upstream"
    GATEWAY = "done by the gateway"
    REFUSED = "400 unless it asks for nothing"
    NO_EFFECT = "accepted, no effect"


def _never(value: Any) -> bool:
    return False


@dataclass(frozen=True)
class Parameter:
    handling: Handling
    how: str
    asks_nothing: Callable[[Any], bool] = _never
    """For REFUSED rows: the values that ask for nothing Workers AI lacks (accepted)."""
    extension: bool = False
    """A field OpenAI's schema for this endpoint lacks (Workers AI's own, or another
    endpoint's taken here too)."""


def upstream(how: str, *, extension: bool = False) -> Parameter:
    return Parameter(Handling.UPSTREAM, how, extension=extension)


def gateway(how: str) -> Parameter:
    return Parameter(Handling.GATEWAY, how)


def refused(how: str, asks_nothing: Callable[[Any], bool] = _never) -> Parameter:
    return Parameter(Handling.REFUSED, how, asks_nothing)


def no_effect(how: str) -> Parameter:
    return Parameter(Handling.NO_EFFECT, how)


_SAMPLING: dict[str, Parameter] = {
    "model": gateway(
        "an alias or a Workers AI name; unknown names are a 404 `model_not_found`; the answer's "
        "`model` echoes it, `x-gateway-model` names the model that answered"
    ),
    "stream": gateway("SSE relayed as it arrives; synthesised for models that cannot stream"),
    "stream_options": gateway(
        "`include_usage`: one final usage chunk; `include_obfuscation` has no effect"
    ),
    "temperature": upstream("sent as is"),
    "top_p": upstream("sent as is"),
    "seed": upstream("sent as is"),
    "presence_penalty": upstream("sent, clamped to the model's range (0..2 on most)"),
    "frequency_penalty": upstream("sent, clamped to the model's range (0..2 on most)"),
    "stop": gateway("up to 4 sequences, cut by the gateway (also across stream pieces)"),
    "n": refused("only one choice: `n` must be 1", lambda value: value == 1),
    "logit_bias": refused(
        "Workers AI takes no token biases: only `{}` is accepted", lambda value: value == {}
    ),
    "user": no_effect("an end-user id for OpenAI's abuse monitoring"),
    "top_k": upstream("Workers AI extension, sent as is", extension=True),
    "repetition_penalty": upstream("Workers AI extension, sent as is", extension=True),
}

PROMPT_CACHE_KEY = (
    "sent as the `x-session-affinity` header, which keeps the conversation on one Workers AI "
    "replica so its prompt prefix stays cached (a key that is not a plain header value goes "
    "as its SHA-256); cached tokens come back in `usage`"
)

CHAT_COMPLETIONS: dict[str, Parameter] = {
    **_SAMPLING,
    "messages": upstream(
        "every role and content part of the spec; converted to what Workers AI takes (see below)"
    ),
    "max_completion_tokens": upstream("sent as `max_tokens` (wins over `max_tokens`)"),
    "max_tokens": upstream("sent as is; default `DEFAULT_MAX_TOKENS`, never Workers AI's 256"),
    "tools": upstream("function tools; `custom` tools are a 400"),
    "tool_choice": upstream(
        "`none`, `auto`, `required` (also the spelling `any`), a named function, and "
        "`allowed_tools` (the gateway narrows `tools`); a `custom` choice is a 400"
    ),
    "parallel_tool_calls": gateway("`false` keeps only the first tool call of an answer"),
    "functions": gateway("deprecated: sent as `tools`; the answer uses `function_call`"),
    "function_call": gateway("deprecated: sent as `tool_choice`"),
    "response_format": upstream(
        "`json_schema` as the bare schema Workers AI wants; `json_object`; `text`"
    ),
    "reasoning_effort": upstream(
        "every value of the spec, mapped to the nearest the model supports "
        "(gpt-oss: `low`/`medium`/`high`); dropped for models that do not reason"
    ),
    "logprobs": refused("Workers AI returns no log probabilities", lambda value: value is False),
    "top_logprobs": refused("needs `logprobs`: only 0 is accepted", lambda value: value == 0),
    "audio": refused("Workers AI chat models do not speak"),
    "modalities": refused(
        'text only: `["text"]` is accepted', lambda value: set(value) <= {"text"}
    ),
    "verbosity": refused(
        "Workers AI has no verbosity control: only `medium` (the default) is accepted",
        lambda value: value == "medium",
    ),
    "web_search_options": refused("Workers AI chat models do not search the web"),
    "moderation": refused("Workers AI runs no moderation on chat"),
    "prediction": no_effect("Predicted Outputs only speed answers up; the text is the same"),
    "service_tier": no_effect("OpenAI's processing tiers change latency, not the answer"),
    "store": no_effect("OpenAI's distillation store; nothing is stored"),
    "metadata": no_effect("tags for OpenAI's stored completions; nothing is stored"),
    "safety_identifier": no_effect("an end-user id for OpenAI's abuse monitoring"),
    "prompt_cache_key": upstream(PROMPT_CACHE_KEY),
    "prompt_cache_retention": no_effect("a caching hint"),
    "prompt_cache_options": no_effect("a caching hint"),
}

COMPLETIONS: dict[str, Parameter] = {
    **_SAMPLING,
    "prompt": gateway(
        "a string or a token array (decoded with `cl100k_base`), alone or as a list's one "
        "item; several prompts are a 400"
    ),
    "max_tokens": upstream("sent as is; default 16, as OpenAI's"),
    "echo": gateway("the prompt is put before the text (and first in a stream)"),
    "suffix": refused('Workers AI does no insertion: only `""` is accepted', lambda v: v == ""),
    "logprobs": refused("Workers AI returns no log probabilities"),
    "best_of": refused("only one candidate: `best_of` must be 0 or 1", lambda value: value <= 1),
    "prompt_cache_key": upstream(f"chat's, taken here too: {PROMPT_CACHE_KEY}", extension=True),
}

EMBEDDINGS: dict[str, Parameter] = {
    "model": _SAMPLING["model"],
    "input": gateway(
        "a string, strings, a token array or token arrays (decoded with `cl100k_base`); "
        "at most 100 inputs"
    ),
    "encoding_format": gateway("`float` or `base64` (little-endian float32)"),
    "dimensions": gateway("must equal the model's own size, else a 400"),
    "user": _SAMPLING["user"],
}

TABLES: dict[str, dict[str, Parameter]] = {
    "POST /v1/chat/completions": CHAT_COMPLETIONS,
    "POST /v1/completions": COMPLETIONS,
    "POST /v1/embeddings": EMBEDDINGS,
}


def refuse_unsupported(table: dict[str, Parameter], request: Any) -> None:
    """Raise a 400 `unsupported_parameter` naming the first REFUSED field that asks for
    something Workers AI cannot do (None and values that ask for nothing pass)."""
    for name, parameter in table.items():
        if parameter.handling is not Handling.REFUSED:
            continue
        value = getattr(request, name, None)
        if value is not None and not parameter.asks_nothing(value):
            raise GatewayError(
                400,
                f"Unsupported parameter: '{name}'. {parameter.how[:1].upper()}{parameter.how[1:]}.",
                param=name,
                code="unsupported_parameter",
            )


def markdown() -> str:
    """The tables as the README shows them."""
    out: list[str] = []
    for endpoint, table in TABLES.items():
        out += [f"`{endpoint}`", "", "| parameter | handling | how |", "|---|---|---|"]
        for name, parameter in table.items():
            out.append(f"| `{name}` | {parameter.handling} | {parameter.how} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
