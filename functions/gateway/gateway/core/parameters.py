"""What the gateway does with each field of a request schema: the kinds of handling, and the rows
the text APIs share.

Every field of each request schema an API takes (`CreateChatCompletionRequest`,
`CreateCompletionRequest`, `CreateEmbeddingRequest`... in OpenAI's OpenAPI document) has one row
in that API's table (its package's `parameters.py`), with one of four handlings:

- `UPSTREAM`: sent to Workers AI, which honours it (maybe under its own name or range);
- `GATEWAY`: the gateway does it itself, as OpenAI would;
- `REFUSED`: a 400 naming the parameter, unless the value asks for nothing (`n: 1`,
  `logprobs: false`, `logit_bias: {}`...), since Workers AI cannot honour it;
- `NO_EFFECT`: accepted and not acted on, only where OpenAI's answer would not differ either
  (`user`, `store`, `metadata`, caching hints).

Each API's request model checks its REFUSED rows through `refuse_unsupported`, and docs/api.md's
parameter tables are rendered from the rows by `markdown()` (a test keeps them equal).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gateway.core.errors import GatewayError


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


SAMPLING: Table = {
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

Table = dict[str, Parameter]
"""One request schema's fields, in the schema's order -> how each is handled."""


def refuse_unsupported(table: Table, request: Any) -> None:
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


def markdown(tables: dict[str, Table]) -> str:
    """The tables (endpoint -> table) as docs/api.md shows them."""
    out: list[str] = []
    for endpoint, table in tables.items():
        out += [f"`{endpoint}`", "", "| parameter | handling | how |", "|---|---|---|"]
        for name, parameter in table.items():
            out.append(f"| `{name}` | {parameter.handling} | {parameter.how} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
