"""The model objects of `GET /v1/models` (documented only)."""

from typing import Literal

from pydantic import Field

from gateway.core.validation import AnswerModel


class Model(AnswerModel):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str
    task: str = Field(
        description="The gateway's extension: the kind of model (text-generation, embedding, "
        "text-to-image, speech-recognition, text-to-speech, moderation, rerank), i.e. the "
        "endpoint that takes it."
    )


class ModelList(AnswerModel):
    object: Literal["list"]
    data: list[Model]
