"""The model objects of `GET /v1/models` (documented only)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Model(BaseModel):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str
    task: str = Field(description="The Workers AI task of the model, e.g. `Text-to-Image`.")


class ModelList(BaseModel):
    object: Literal["list"]
    data: list[Model]
