"""Moderations' requests (OpenAI's `CreateModerationRequest`), validated, and the moderation
object they are answered with (documented only)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from gateway.core.validation import AnswerModel, RequestModel, Tagged


class ModerationText(RequestModel):
    type: Literal["text"]
    text: str


class ModerationImageURL(RequestModel):
    url: str


class ModerationImage(RequestModel):
    type: Literal["image_url"]
    image_url: ModerationImageURL


Part = Annotated[ModerationText | ModerationImage, Tagged("an input part's")]


class ModerationRequest(RequestModel):
    input: str | list[str] | list[Part] = Field(
        description="A string, strings, or text parts (Llama Guard reads no images)."
    )
    model: str = "omni-moderation-latest"


# Answers (documentation only).


class ModerationResult(AnswerModel):
    flagged: bool
    categories: dict[str, bool]
    category_scores: dict[str, float] = Field(
        description="1 for the categories the model's verdict names, else 0: Llama Guard "
        "gives a verdict, not probabilities."
    )
    category_applied_input_types: dict[str, list[Literal["text"]]]
    hazards: list[str] = Field(
        description="The gateway's extension: Llama Guard's hazard codes (S1..S14) behind "
        "the verdict."
    )


class Moderation(AnswerModel):
    id: str
    model: str
    results: list[ModerationResult]
