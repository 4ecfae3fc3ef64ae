"""What OpenAI's chat and legacy completions share: their sampling fields, validated, and the
usage object and finish reasons their answers document."""

from typing import Annotated, Literal, Protocol

from pydantic import Field, field_validator

from gateway.core.text_generation import Sampling
from gateway.core.validation import AnswerModel, RequestModel

Penalty = Annotated[float, Field(ge=-2.0, le=2.0)]


class StreamOptions(RequestModel):
    include_usage: bool | None = None
    include_obfuscation: bool | None = None


def _stop_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    stops = [value] if isinstance(value, str) else value
    if len(stops) > 4:
        raise ValueError("at most 4 stop sequences are allowed")
    return [stop for stop in stops if stop]


class SamplingFields(Protocol):
    """A request with OpenAI's sampling fields and Workers AI's two extensions (chat's, legacy
    completions', the Responses API's)."""

    @property
    def temperature(self) -> float | None: ...
    @property
    def top_p(self) -> float | None: ...
    @property
    def top_k(self) -> int | None: ...
    @property
    def seed(self) -> int | None: ...
    @property
    def repetition_penalty(self) -> float | None: ...
    @property
    def frequency_penalty(self) -> float | None: ...
    @property
    def presence_penalty(self) -> float | None: ...


def sampling_of(req: SamplingFields) -> Sampling:
    """The request's sampling parameters that Workers AI takes, in text generation's terms."""
    return Sampling(
        temperature=req.temperature,
        top_p=req.top_p,
        top_k=req.top_k,
        seed=req.seed,
        repetition_penalty=req.repetition_penalty,
        frequency_penalty=req.frequency_penalty,
        presence_penalty=req.presence_penalty,
    )


class SamplingParams(RequestModel):
    """The parameters chat and legacy completions share (see parameters.SAMPLING for each)."""

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


# Answers (documentation only: answers are built as plain dicts).


class PromptTokensDetails(AnswerModel):
    cached_tokens: int = Field(description="Prompt tokens Workers AI read from its prefix cache.")


class CompletionTokensDetails(AnswerModel):
    reasoning_tokens: int = Field(description="Tokens the model spent reasoning.")


class Usage(AnswerModel):
    """Workers AI's own counts; the breakdowns only where it reports them."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None


FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]
