"""Deterministic text-to-image models: valid PNG or JPEG pictures drawn from the request.

The pictures (reference: workers-ai-media.md, sections 1 and 2):

- Every picture is a smooth field of colour: a 6x6 grid of colours drawn from a PRNG seeded
  with the SHA-256 of the model name, the prompt and every other parameter that was sent (seed,
  steps, guidance, negative prompt, size, and the SHA-256 of any source, mask or reference
  image), scaled bicubically to width x height. Equal requests give equal pixels; changing the
  prompt, the seed or any other parameter changes them. A missing seed is no seed, not a random
  one: the emulator never draws at random.
- img2img (`image` byte array or `image_b64`) blends that field with the source image, scaled
  to the output size: `strength` 1 (the default) is all field, 0 all source. Inpainting repaints
  only where the `mask` (an encoded image, read as greyscale) is white; black keeps the source.
  Which mask colour means "repaint" upstream is undocumented: white is diffusers' convention.
- Sizes: `width`/`height` where the model takes them, else the model's default (flux-1-schnell
  1024x1024; SDXL 1024x1024; SD 1.5 the source image's size; lucid-origin 1120x1120; phoenix
  1024x1024; FLUX.2 1024x768). 0, which lucid-origin's and phoenix's schemas allow, means the
  default.
- Answers: SD models PNG bytes (`image/png`), phoenix JPEG bytes (`image/jpeg`), flux-1-schnell,
  lucid-origin and FLUX.2 JSON `{"image": base64}` in the envelope, holding a JPEG (upstream
  leaves the format unstated: clients must sniff).
- FLUX.2 (dev, klein-4b, klein-9b) takes only multipart/form-data, even for a bare prompt; its
  `input_image_0`..`_3` files must decode and be at most 512 pixels a side. klein's steps are
  fixed at 4: a `steps` field is ignored.

Schema violations answer 400 / 5006, undecodable images 400 / 3010 (see validation.py).
"""

import base64
import binascii
import contextlib
import hashlib
import io
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from PIL import Image

from emulator import validation as check

GRID = 6
MAX_REFERENCE_SIDE = 512
REFERENCE_FIELDS = tuple(f"input_image_{index}" for index in range(4))
Output = Literal["png", "jpeg", "json"]


@dataclass
class Picture:
    """What to draw: the size, the sources, and every parameter that seeds the pixels."""

    width: int
    height: int
    params: dict[str, Any]
    source: bytes | None = None
    mask: bytes | None = None
    strength: float = 1.0
    references: list[bytes] = field(default_factory=list)


Parser = Callable[[dict[str, Any]], Picture]


@dataclass(frozen=True)
class Rendered:
    """An answer: the encoded image, its media type, and whether it goes out as JSON."""

    data: bytes
    media_type: str
    as_json: bool

    def result(self) -> dict[str, str]:
        """The envelope's `result` for JSON-answering models."""
        return {"image": base64.b64encode(self.data).decode()}


def _open(data: bytes, name: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise check.model_error(f"{name} is not an image that can be decoded") from exc
    return image.convert("RGB")


def _flux_1(body: dict[str, Any]) -> Picture:
    """flux-1-schnell: `additionalProperties: false`, so width, height and seed are refused."""
    check.only(body, ("prompt", "steps"))
    check.require(body, "prompt")
    prompt = check.string(body, "prompt", min_length=1, max_length=2048)
    steps = check.integer(body, "steps", maximum=8)
    return Picture(1024, 1024, {"prompt": prompt, "steps": 4 if steps is None else steps})


def _source(body: dict[str, Any]) -> bytes | None:
    data = check.byte_array(body, "image")
    encoded = check.string(body, "image_b64")
    if data is None and encoded is not None:
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise check.model_error("image_b64 is not valid base64") from exc
    return data


def _stable_diffusion(default_side: int, needs_source: bool, needs_mask: bool) -> Parser:
    """The SD schema, shared by SDXL and the SD 1.5 img2img / inpainting models."""

    def parse(body: dict[str, Any]) -> Picture:
        check.require(body, "prompt")
        params = {
            "prompt": check.string(body, "prompt", min_length=1),
            "negative_prompt": check.string(body, "negative_prompt"),
            "num_steps": check.integer(body, "num_steps", maximum=20),
            "guidance": check.number(body, "guidance"),
            "seed": check.integer(body, "seed"),
        }
        width = check.integer(body, "width", minimum=256, maximum=2048)
        height = check.integer(body, "height", minimum=256, maximum=2048)
        strength = check.number(body, "strength", minimum=0, maximum=1)
        source, mask = _source(body), check.byte_array(body, "mask")
        if needs_source and source is None:
            raise check.model_error("this model needs a source image in image or image_b64")
        if needs_mask and mask is None:
            raise check.model_error("this model needs a mask")
        if source is not None:
            size = _open(source, "image").size
            width, height = width or size[0], height or size[1]
        return Picture(
            width or default_side,
            height or default_side,
            params,
            source=source,
            mask=mask,
            strength=1.0 if strength is None else strength,
        )

    return parse


def _leonardo(
    default_side: int, max_side: int, guidance: tuple[float, float], max_steps: int
) -> Parser:
    """lucid-origin and phoenix-1.0: Leonardo's schemas differ only in their bounds."""

    def parse(body: dict[str, Any]) -> Picture:
        check.require(body, "prompt")
        params = {
            "prompt": check.string(body, "prompt", min_length=1),
            "negative_prompt": check.string(body, "negative_prompt", min_length=1),
            "guidance": check.number(body, "guidance", minimum=guidance[0], maximum=guidance[1]),
            "seed": check.integer(body, "seed", minimum=0),
            "num_steps": check.integer(body, "num_steps", minimum=1, maximum=max_steps),
            "steps": check.integer(body, "steps", minimum=1, maximum=max_steps),
        }
        width = check.integer(body, "width", minimum=0, maximum=max_side)
        height = check.integer(body, "height", minimum=0, maximum=max_side)
        return Picture(width or default_side, height or default_side, params)

    return parse


def _form_number(fields: dict[str, Any], key: str, kind: type) -> None:
    """Multipart fields are text: turn a numeric one into its number, in place."""
    value = fields.get(key)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # left a string, the schema check names it
            fields[key] = kind(value)


def _flux_2(fixed_steps: bool) -> Parser:
    def parse(fields: dict[str, Any]) -> Picture:
        """Multipart fields: text as str, files as bytes."""
        fields = dict(fields)
        if fixed_steps:
            fields.pop("steps", None)
        for key in ("steps", "width", "height", "seed"):
            _form_number(fields, key, int)
        _form_number(fields, "guidance", float)
        check.require(fields, "prompt")
        params = {
            "prompt": check.string(fields, "prompt", min_length=1),
            "steps": 4 if fixed_steps else check.integer(fields, "steps", minimum=1),
            "guidance": check.number(fields, "guidance"),
            "seed": check.integer(fields, "seed"),
        }
        width = check.integer(fields, "width", minimum=256, maximum=1920)
        height = check.integer(fields, "height", minimum=256, maximum=1920)
        references = []
        for name in REFERENCE_FIELDS:
            data = fields.get(name)
            if data is None:
                continue
            if not isinstance(data, bytes):
                raise check.model_error(f"{name} must be a file")
            size = _open(data, name).size
            if max(size) > MAX_REFERENCE_SIDE:
                raise check.model_error(
                    f"{name} is {size[0]}x{size[1]}; input images must be at most "
                    f"{MAX_REFERENCE_SIDE}x{MAX_REFERENCE_SIDE}"
                )
            references.append(data)
        return Picture(width or 1024, height or 768, params, references=references)

    return parse


MODELS: dict[str, tuple[Parser, Output]] = {
    "@cf/black-forest-labs/flux-1-schnell": (_flux_1, "json"),
    "@cf/stabilityai/stable-diffusion-xl-base-1.0": (_stable_diffusion(1024, False, False), "png"),
    "@cf/bytedance/stable-diffusion-xl-lightning": (_stable_diffusion(1024, False, False), "png"),
    "@cf/runwayml/stable-diffusion-v1-5-img2img": (_stable_diffusion(512, True, False), "png"),
    "@cf/runwayml/stable-diffusion-v1-5-inpainting": (_stable_diffusion(512, True, True), "png"),
    "@cf/leonardo/lucid-origin": (_leonardo(1120, 2500, (0, 10), max_steps=40), "json"),
    "@cf/leonardo/phoenix-1.0": (_leonardo(1024, 2048, (2, 10), max_steps=50), "jpeg"),
    "@cf/black-forest-labs/flux-2-dev": (_flux_2(fixed_steps=False), "json"),
    "@cf/black-forest-labs/flux-2-klein-4b": (_flux_2(fixed_steps=True), "json"),
    "@cf/black-forest-labs/flux-2-klein-9b": (_flux_2(fixed_steps=True), "json"),
}
"""Each model's request parser and answer format."""


def _digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _field(model: str, picture: Picture) -> Image.Image:
    """The smooth colour field seeded by everything in the request."""
    key = json.dumps(
        [
            model,
            picture.width,
            picture.height,
            sorted((k, v) for k, v in picture.params.items() if v is not None),
            _digest(picture.source),
            _digest(picture.mask),
            [_digest(data) for data in picture.references],
        ]
    )
    rng = random.Random(hashlib.sha256(key.encode()).digest())
    grid = Image.new("RGB", (GRID, GRID))
    grid.putdata(
        [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(GRID * GRID)]
    )
    return grid.resize((picture.width, picture.height), Image.Resampling.BICUBIC)


def draw(model: str, picture: Picture) -> Image.Image:
    """The picture's pixels: the field, blended with the source and masked as the request says."""
    image = _field(model, picture)
    if picture.source is None:
        return image
    source = _open(picture.source, "image").resize(image.size, Image.Resampling.BICUBIC)
    blended = Image.blend(source, image, picture.strength)
    if picture.mask is None:
        return blended
    mask = _open(picture.mask, "mask").convert("L").resize(image.size)
    return Image.composite(blended, source, mask)


def render(model: str, fields: dict[str, Any]) -> Rendered:
    """Validate a request body (JSON object, or multipart fields with files as bytes) for an
    image model and draw its answer. Raises UpstreamError (5006 schema, 3010 bad image)."""
    parse, output = MODELS[model]
    image = draw(model, parse(fields))
    buffer = io.BytesIO()
    if output == "png":
        image.save(buffer, "PNG", compress_level=1)
        return Rendered(buffer.getvalue(), "image/png", as_json=False)
    image.save(buffer, "JPEG", quality=85)
    return Rendered(buffer.getvalue(), "image/jpeg", as_json=output == "json")
