"""Legacy completions' requests (OpenAI's `CreateCompletionRequest`), validated, and the
`text_completion` objects they are answered with (documented only)."""

from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from gateway.apis.completions.parameters import COMPLETIONS
from gateway.core.parameters import refuse_unsupported
from gateway.core.sampling import FinishReason, SamplingParams, Usage
from gateway.core.tokens import TokenIds
from gateway.core.validation import AnswerModel


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
    def _check(self) -> Self:
        refuse_unsupported(COMPLETIONS, self)
        return self


# Answers (documentation only).


class CompletionChoice(AnswerModel):
    index: int
    text: str
    finish_reason: FinishReason | None
    logprobs: None


class Completion(AnswerModel):
    id: str
    object: Literal["text_completion"]
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage | None = None
