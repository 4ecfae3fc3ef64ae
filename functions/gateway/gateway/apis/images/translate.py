"""An images request in Workers AI's terms: whether a model can do it (else a 400 naming the
field), and the `/run` body of each image for that model.

The rules (docs/api.md#images): `size` is the model's `width` and `height` within its range;
`quality` its steps (models.Steps); `seed`, `negative_prompt`, `guidance` and `strength` go
to models that take them; image *i* of `n` gets `seed + i`. Edits send Stable Diffusion one
source image as `image_b64` with an optional mask (a byte array of a white-means-repaint PNG),
and FLUX.2 up to four reference images as `input_image_0`..`3`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from gateway.apis.images.models import ImageModel, Side
from gateway.apis.images.pictures import NAMES, as_reference, as_source, inpainting_mask
from gateway.apis.images.schemas import SIZE, ImageEditRequest, ImageRequest
from gateway.core.errors import GatewayError
from gateway.core.multipart import Upload
from gateway.core.upstream import Body, FormBody

UNMASKED_STRENGTH = {"low": 0.8, "high": 0.5}
"""The `strength` an unmasked Stable Diffusion edit gets when none is given, by
`input_fidelity` (diffusers' img2img default is 0.8; the model's own, 1, ignores the source)."""


def _refusal(message: str, param: str) -> GatewayError:
    return GatewayError(400, message, param=param, code="unsupported_value")


@dataclass
class EditImages:
    """The uploads of an edit, prepared (once each) as the models of the chain take them."""

    images: list[Upload]
    mask: Upload | None

    @cached_property
    def source(self) -> tuple[bytes, Side]:
        """The one image as Stable Diffusion takes it, and its size."""
        return as_source(self.images[0].data, "image")

    @cached_property
    def sd_mask(self) -> bytes | None:
        if self.mask is None:
            return None
        return inpainting_mask(self.mask.data, self.source[1])

    def references(self, side: int) -> list[tuple[bytes, str]]:
        param = "image" if len(self.images) == 1 else "image[{}]"
        return [
            as_reference(upload.data, param.format(index), side)
            for index, upload in enumerate(self.images)
        ]


@dataclass
class Plan:
    """One request's images, as every model of its chain is asked for them."""

    request: ImageRequest
    edit: EditImages | None = None
    _references: dict[int, list[tuple[bytes, str]]] = field(default_factory=dict)

    @classmethod
    def of(cls, request: ImageRequest) -> Plan:
        edit = None
        if isinstance(request, ImageEditRequest):
            edit = EditImages(request.images, request.mask)
        return cls(request, edit)

    @property
    def size(self) -> Side | None:
        found = SIZE.fullmatch(self.request.size or "")
        return (int(found[1]), int(found[2])) if found else None

    def refusal(self, name: str, spec: ImageModel) -> GatewayError | None:
        """Why `spec` (the model called `name`) cannot do this request, or None when it can."""
        req = self.request
        if self.edit is None and spec.needs_source:
            return _refusal(f"{name} edits images: use POST /v1/images/edits.", "model")
        if self.edit is not None:
            if spec.edits is None:
                return _refusal(
                    f"{name} cannot edit images; use an image-to-image model such as "
                    "@cf/runwayml/stable-diffusion-v1-5-img2img.",
                    "model",
                )
            if spec.edits == "references" and self.edit.mask is not None:
                return _refusal(f"{name} takes no mask.", "mask")
            if spec.mask_required and self.edit.mask is None:
                return _refusal(f"{name} needs a `mask`.", "mask")
            most = spec.references if spec.edits == "references" else 1
            if len(self.edit.images) > most:
                return _refusal(f"{name} takes at most {most} image(s) to edit.", "image")
            fidelity = getattr(req, "input_fidelity", None)
            if spec.edits == "references" and fidelity not in {None, "low"}:
                return _refusal(f"{name} has no fidelity control: only `low`.", "input_fidelity")
        return self._size_refusal(name, spec) or self._field_refusal(name, spec)

    def _size_refusal(self, name: str, spec: ImageModel) -> GatewayError | None:
        size = self.size
        if size is None:
            return None
        if spec.sides is None:
            if size == spec.default_size:
                return None
            made = f"{spec.default_size[0]}x{spec.default_size[1]}" if spec.default_size else ""
            return _refusal(f"{name} makes only {made} images; `size` cannot change it.", "size")
        low, high = spec.sides
        if not (low <= size[0] <= high and low <= size[1] <= high):
            return _refusal(
                f"{name} makes widths and heights from {low} to {high} pixels, not "
                f"{size[0]}x{size[1]}.",
                "size",
            )
        return None

    def _field_refusal(self, name: str, spec: ImageModel) -> GatewayError | None:
        req = self.request
        if spec.steps is None and req.quality not in {None, "auto", "standard"}:
            return _refusal(
                f"{name} has no steps control the gateway knows of: `quality` can only be "
                "`auto` or `standard`.",
                "quality",
            )
        for option in ("seed", "negative_prompt", "guidance", "strength"):
            if getattr(req, option, None) is not None and option not in spec.options:
                return _refusal(f"{name} takes no `{option}`.", option)
        return None

    def fields(self, spec: ImageModel, index: int) -> dict[str, Any]:
        """The model's fields besides the images, for image `index` of the request."""
        req = self.request
        fields: dict[str, Any] = {"prompt": req.prompt}
        if self.size is not None and spec.sides is not None:
            fields["width"], fields["height"] = self.size
        steps = spec.steps.for_quality(req.quality) if spec.steps else None
        if spec.steps is not None and steps is not None:
            fields[spec.steps.field] = steps
        if req.seed is not None:
            fields["seed"] = req.seed + index
        if req.negative_prompt is not None:
            fields["negative_prompt"] = req.negative_prompt
        if req.guidance is not None:
            fields["guidance"] = req.guidance
        return fields

    def body(self, spec: ImageModel, index: int) -> Body:
        """The `/run` body of image `index` for `spec`; pictures' 400s for unusable uploads."""
        fields = self.fields(spec, index)
        if self.edit is not None and spec.edits == "source":
            source, _ = self.edit.source
            fields["image_b64"] = base64.b64encode(source).decode()
            mask = self.edit.sd_mask
            if mask is not None:
                fields["mask"] = list(mask)
            strength = getattr(self.request, "strength", None)
            if strength is None and mask is None:
                fidelity = getattr(self.request, "input_fidelity", None) or "low"
                strength = UNMASKED_STRENGTH[fidelity]
            if strength is not None:
                fields["strength"] = strength
        if not spec.form:
            return fields
        files: dict[str, tuple[str, bytes, str]] = {}
        if self.edit is not None and spec.edits == "references":
            references = self._references.get(spec.reference_side)
            if references is None:
                references = self.edit.references(spec.reference_side)
                self._references[spec.reference_side] = references
            for number, (data, media_type) in enumerate(references):
                extension = NAMES.get(media_type, "png")
                files[f"input_image_{number}"] = (f"image{number}.{extension}", data, media_type)
        return FormBody({key: str(value) for key, value in fields.items()}, files)
