"""Image bytes: what format they are, and the few changes the gateway makes to them (Pillow).

Pillow is imported on first use, by a request that needs to decode or encode an image: asking
for the model's own format as `b64_json` or `url` never loads it. Every decode of an upload is
bounded: an image of more than `MAX_PIXELS` is refused from its header, before it is decoded (a
decompression bomb is a 400, not a lost process).
"""

from __future__ import annotations

import io
from typing import Any

from gateway.core.errors import GatewayError

MAX_PIXELS = 40_000_000
"""Pixels of an uploaded image or mask: 40 MP holds any photograph (and 4 x the 8 MP at 4096 a
side that Workers AI makes at most); more is refused before decoding."""

FORMATS = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
"""OpenAI's `output_format` names -> media types."""
NAMES = {media_type: name for name, media_type in FORMATS.items()}
_PILLOW = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}


def sniff(data: bytes) -> str | None:
    """The media type the bytes are (PNG, JPEG or WebP, by their magic numbers), else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def whole(data: bytes, media_type: str) -> bool:
    """Whether an image of `media_type` ends where its format says it ends (checked without
    decoding): PNG with its IEND chunk, JPEG with its end-of-image marker, WebP at the length its
    RIFF header gives. An answer cut short, or padded, is not whole."""
    if media_type == "image/png":
        return data.endswith(b"IEND\xaeB`\x82")
    if media_type == "image/jpeg":
        return data.endswith(b"\xff\xd9")
    return len(data) >= 12 and int.from_bytes(data[4:8], "little") + 8 == len(data)


def _pillow() -> Any:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    return Image


def _open(data: bytes, param: str) -> Any:
    """The decoded image; a 400 naming `param` when it is not a PNG, JPEG or WebP that
    decodes, or is too large."""
    image = _pillow()
    if sniff(data) is None:
        raise GatewayError(
            400, f"`{param}` must be a PNG, JPEG or WebP image.", param=param, code="invalid_image"
        )
    too_large = GatewayError(
        400, f"`{param}` has more than {MAX_PIXELS} pixels.", param=param, code="invalid_image"
    )
    try:
        opened = image.open(io.BytesIO(data))  # reads the header only
        if opened.size[0] * opened.size[1] > MAX_PIXELS:
            raise too_large
        opened.load()
    except image.DecompressionBombError:
        raise too_large from None
    except (OSError, ValueError, SyntaxError):
        raise GatewayError(
            400, f"`{param}` is not an image that decodes.", param=param, code="invalid_image"
        ) from None
    return opened


def _encode(image: Any, media_type: str, quality: int | None = None) -> bytes:
    buffer = io.BytesIO()
    fmt = _PILLOW[media_type]
    if fmt == "JPEG" and image.mode not in {"RGB", "L"}:
        image = image.convert("RGB")
    options: dict[str, Any] = {"compress_level": 1} if fmt == "PNG" else {}
    if quality is not None and fmt != "PNG":
        options["quality"] = quality
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def convert(data: bytes, media_type: str, wanted: str, quality: int | None) -> bytes:
    """`data` (a `media_type` image the model made) as `wanted`, at JPEG/WebP `quality` (None:
    Pillow's default). Raises ValueError when it does not decode (the upstream's fault)."""
    try:
        image = _pillow().open(io.BytesIO(data))
        image.load()
    except (OSError, SyntaxError) as exc:
        raise ValueError(f"the {media_type} image does not decode") from exc
    return _encode(image, wanted, quality)


def as_source(data: bytes, param: str) -> tuple[bytes, tuple[int, int]]:
    """An uploaded image as Stable Diffusion takes it (PNG or JPEG as they are; WebP as PNG),
    and its size."""
    image = _open(data, param)
    if sniff(data) == "image/webp":
        data = _encode(image, "image/png")
    return data, (int(image.size[0]), int(image.size[1]))


def as_reference(data: bytes, param: str, side: int) -> tuple[bytes, str]:
    """An uploaded image as FLUX.2 takes it: at most `side` pixels a side (scaled down,
    keeping its proportions), as PNG or JPEG; and its media type."""
    image = _open(data, param)
    media_type = sniff(data) or "image/png"
    if max(image.size) <= side and media_type != "image/webp":
        return data, media_type
    image.thumbnail((side, side))
    media_type = "image/jpeg" if media_type == "image/jpeg" else "image/png"
    return _encode(image, media_type), media_type


def inpainting_mask(data: bytes, size: tuple[int, int]) -> bytes:
    """OpenAI's mask (a PNG whose fully transparent pixels are where to edit) as Stable
    Diffusion's: a greyscale PNG, white where to repaint and black where to keep (diffusers'
    convention, which the emulator follows). The mask must have the image's `size`, an
    alpha channel and a fully transparent pixel (a 400 naming `mask` otherwise)."""
    image = _open(data, "mask")
    if image.size != size:
        raise GatewayError(
            400,
            f"`mask` is {image.size[0]}x{image.size[1]}; it must have the image's size, "
            f"{size[0]}x{size[1]}.",
            param="mask",
            code="invalid_image",
        )
    if "A" not in image.getbands() and "transparency" not in image.info:
        raise GatewayError(
            400,
            "`mask` has no transparency: its fully transparent pixels mark what to edit.",
            param="mask",
            code="invalid_image",
        )
    alpha = image.convert("RGBA").getchannel("A")
    if alpha.getextrema()[0] != 0:
        raise GatewayError(
            400,
            "`mask` has no fully transparent pixel: nothing would be edited. Its fully "
            "transparent pixels mark what to edit.",
            param="mask",
            code="invalid_image",
        )
    return _encode(alpha.point(lambda value: 255 if value == 0 else 0), "image/png")
