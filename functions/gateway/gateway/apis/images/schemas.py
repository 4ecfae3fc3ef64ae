"""The images API's requests (OpenAI's `CreateImageRequest`, and `CreateImageEditRequest` as a
multipart form), validated, and the `ImagesResponse` they are answered with (documented only)."""

import re
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from gateway.apis.images.parameters import IMAGE_EDITS, IMAGE_GENERATIONS
from gateway.core.multipart import Upload, UploadField
from gateway.core.parameters import refuse_unsupported
from gateway.core.validation import AnswerModel, RequestModel

SIZE = re.compile(r"([1-9][0-9]{0,4})x([1-9][0-9]{0,4})")
"""`WIDTHxHEIGHT`, each 1 to 99999 pixels (a model's own range is checked later)."""

Quality = Literal["standard", "hd", "low", "medium", "high", "auto"]
OutputFormat = Literal["png", "jpeg", "webp"]


def _size(value: str | None) -> str | None:
    if value is None or value == "auto" or SIZE.fullmatch(value):
        return value
    raise ValueError("give `auto` or WIDTHxHEIGHT in pixels, such as 1024x1024")


class ImageRequest(RequestModel):
    """The fields generations and edits share."""

    prompt: str = Field(min_length=1, max_length=32000, description="What to draw.")
    model: str | None = Field(
        default=None,
        description="dall-e-2, dall-e-3, gpt-image-1, or a Workers AI text-to-image model.",
    )
    n: int | None = Field(default=1, ge=1, le=10, description="Images to make, 1 to 10.")
    quality: Quality | None = None
    response_format: Literal["url", "b64_json"] | None = None
    output_format: OutputFormat | None = None
    output_compression: int | None = Field(default=None, ge=0, le=100)
    stream: bool | None = None
    partial_images: int | None = Field(default=None, ge=0, le=3)
    size: str | None = Field(default=None, description="`auto` or WIDTHxHEIGHT, e.g. 1024x768.")
    background: Literal["transparent", "opaque", "auto"] | None = None
    user: str | None = None
    seed: int | None = Field(default=None, ge=0, description="Workers AI extension.")
    negative_prompt: str | None = Field(
        default=None, min_length=1, description="Workers AI extension."
    )
    guidance: float | None = Field(default=None, description="Workers AI extension.")

    _check_size = field_validator("size")(_size)

    @property
    def count(self) -> int:
        return self.n or 1


class ImageGenerationRequest(ImageRequest):
    moderation: Literal["low", "auto"] | None = None
    style: Literal["vivid", "natural"] | None = None

    @model_validator(mode="after")
    def _refuse(self) -> Self:
        refuse_unsupported(IMAGE_GENERATIONS, self)
        return self


class ImageEditRequest(ImageRequest):
    """A `multipart/form-data` body: files for `image` (one, or several as `image[]`) and
    `mask`, text for the rest."""

    image: UploadField | list[UploadField] = Field(
        description="The image(s) to edit: PNG, JPEG or WebP."
    )
    mask: UploadField | None = Field(
        default=None,
        description="A PNG the size of the image; its transparent pixels are what to edit.",
    )
    quality: Literal["standard", "low", "medium", "high", "auto"] | None = None
    input_fidelity: Literal["high", "low"] | None = None
    strength: float | None = Field(
        default=None, ge=0, le=1, description="Workers AI extension: 0 keeps the source."
    )

    @field_validator("image")
    @classmethod
    def _some_images(cls, value: Upload | list[Upload]) -> Upload | list[Upload]:
        if isinstance(value, list) and not 1 <= len(value) <= 16:
            raise ValueError("give 1 to 16 images")
        return value

    @model_validator(mode="after")
    def _refuse(self) -> Self:
        refuse_unsupported(IMAGE_EDITS, self)
        return self

    @property
    def images(self) -> list[Upload]:
        return self.image if isinstance(self.image, list) else [self.image]


# Answers (documentation only).


class ImageData(AnswerModel):
    b64_json: str | None = Field(default=None, description="The image, base64-encoded.")
    url: str | None = Field(default=None, description="A link to the image, valid for an hour.")


class ImagesResponse(AnswerModel):
    created: int
    data: list[ImageData]
    output_format: OutputFormat = Field(description="The format of the images.")
