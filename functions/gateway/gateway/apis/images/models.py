"""What each Workers AI text-to-image model takes, as the images API needs to know it.

Source: docs/upstream.md and the reference it follows (workers-ai-media.md §1-2, from each
model's schema in Cloudflare's docs). Every model of `catalog.IMAGE_MODELS` has a row; a
model the gateway does not know (a new `@cf/` name the catalogue lists) is called with the
plainest body (`UNKNOWN`: a prompt, and width and height when a size is asked for).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Literal

Side = tuple[int, int]
"""(width, height) in pixels."""

OPTIONS = ("seed", "negative_prompt", "guidance", "strength")
"""Workers AI's own fields a request may carry beside OpenAI's (`strength` in edits only)."""


@dataclass(frozen=True)
class Steps:
    """A model's denoising steps: the field that sets them, its most, and what `quality` asks
    for. `auto` and `standard` send nothing (the model's default); `low`, `medium` and
    `high`/`hd` ask for a quarter, half and all of the most, rounded up."""

    field: str
    most: int

    def for_quality(self, quality: str | None) -> int | None:
        """The steps `quality` asks for; None: the model's default."""
        share = {"low": 4, "medium": 2, "high": 1, "hd": 1}.get(quality or "auto")
        return None if share is None else max(1, ceil(self.most / share))


@dataclass(frozen=True)
class ImageModel:
    """One text-to-image model.

    `form`: the body is multipart/form-data (FLUX.2), else JSON. `sides`: the smallest and
    largest width or height it takes (None: it makes only `default_size` and takes no size).
    `steps`: its steps control (None: fixed). `options`: which of `OPTIONS` it takes.
    `edits`: how it takes images to edit: `source` (one image as `image_b64`, Stable Diffusion's
    img2img, with an optional or `mask_required` mask), `references` (up to `references`
    images of at most `reference_side` pixels a side, FLUX.2), or None (it cannot edit).
    `needs_source`: it only edits (SD 1.5 img2img and inpainting).
    """

    form: bool = False
    sides: Side | None = None
    default_size: Side | None = None
    steps: Steps | None = None
    options: frozenset[str] = frozenset()
    edits: Literal["source", "references"] | None = None
    needs_source: bool = False
    mask_required: bool = False
    references: int = 0
    reference_side: int = 512


SD = frozenset({"seed", "negative_prompt", "guidance", "strength"})
SD_STEPS = Steps("num_steps", 20)
FLUX_2 = ImageModel(
    form=True,
    sides=(256, 1920),
    default_size=(1024, 768),
    steps=Steps("steps", 50),
    options=frozenset({"seed", "guidance"}),
    edits="references",
    references=4,
)
FLUX_2_KLEIN = ImageModel(
    form=True,
    sides=(256, 1920),
    default_size=(1024, 768),
    options=frozenset({"seed", "guidance"}),
    edits="references",
    references=4,
)

MODELS: dict[str, ImageModel] = {
    # additionalProperties: false in its current schema: a prompt and steps, nothing else.
    "@cf/black-forest-labs/flux-1-schnell": ImageModel(
        default_size=(1024, 1024), steps=Steps("steps", 8)
    ),
    "@cf/bytedance/stable-diffusion-xl-lightning": ImageModel(
        sides=(256, 2048), default_size=(1024, 1024), steps=SD_STEPS, options=SD - {"strength"}
    ),
    "@cf/stabilityai/stable-diffusion-xl-base-1.0": ImageModel(
        sides=(256, 2048), default_size=(1024, 1024), steps=SD_STEPS, options=SD, edits="source"
    ),
    "@cf/runwayml/stable-diffusion-v1-5-img2img": ImageModel(
        sides=(256, 2048), steps=SD_STEPS, options=SD, edits="source", needs_source=True
    ),
    "@cf/runwayml/stable-diffusion-v1-5-inpainting": ImageModel(
        sides=(256, 2048),
        steps=SD_STEPS,
        options=SD,
        edits="source",
        needs_source=True,
        mask_required=True,
    ),
    "@cf/leonardo/lucid-origin": ImageModel(
        sides=(1, 2500),
        default_size=(1120, 1120),
        steps=Steps("num_steps", 40),
        options=frozenset({"seed", "guidance"}),
    ),
    "@cf/leonardo/phoenix-1.0": ImageModel(
        sides=(1, 2048),
        default_size=(1024, 1024),
        steps=Steps("num_steps", 50),
        options=frozenset({"seed", "guidance", "negative_prompt"}),
    ),
    "@cf/black-forest-labs/flux-2-dev": FLUX_2,
    "@cf/black-forest-labs/flux-2-klein-4b": FLUX_2_KLEIN,
    "@cf/black-forest-labs/flux-2-klein-9b": FLUX_2_KLEIN,
}

UNKNOWN = ImageModel(sides=(1, 4096))
"""A text-to-image model the gateway has no row for: a prompt, and a size when asked."""


def image_model(name: str) -> ImageModel:
    return MODELS.get(name, UNKNOWN)
