"""Embeddings' requests (OpenAI's `CreateEmbeddingRequest`), validated, and the list of
embeddings they are answered with (documented only)."""

from typing import Any, Literal

from pydantic import Field, field_validator

from gateway.core.tokens import TokenIds
from gateway.core.validation import AnswerModel, RequestModel

EmbeddingInput = str | list[str] | TokenIds | list[TokenIds]


class EmbeddingRequest(RequestModel):
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
        value: Any = self.input
        return [value] if isinstance(value, str) or _is_token_ids(value) else list(value)


def _is_token_ids(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], int)


# Answers (documentation only).


class Embedding(AnswerModel):
    object: Literal["embedding"]
    index: int
    embedding: list[float] | str


class EmbeddingUsage(AnswerModel):
    prompt_tokens: int
    total_tokens: int


class EmbeddingList(AnswerModel):
    object: Literal["list"]
    data: list[Embedding]
    model: str
    usage: EmbeddingUsage
