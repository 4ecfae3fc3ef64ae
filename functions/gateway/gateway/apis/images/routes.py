"""POST /v1/images/generations and /v1/images/edits; /v1/images/variations is a clear 400; and
GET /media/{name}, the links of `response_format: url` when the gateway keeps the images."""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from gateway.apis.images.media import MEDIA_ROUTES
from gateway.apis.images.models import image_model
from gateway.apis.images.pictures import FORMATS, NAMES, convert, sniff, whole
from gateway.apis.images.schemas import (
    ImageEditRequest,
    ImageGenerationRequest,
    ImageRequest,
    ImagesResponse,
)
from gateway.apis.images.translate import Plan
from gateway.core.catalog import IMAGE_ALIASES, TEXT_TO_IMAGE
from gateway.core.errors import GatewayError
from gateway.core.fallback import Deadline, run_chain
from gateway.core.http import GENERATION_ERRORS, ASGIApp, JSONResponse, Request, Route, post
from gateway.core.multipart import form
from gateway.core.services import Services
from gateway.core.upstream import BinaryAnswer
from gateway.core.upstream_errors import UpstreamError, from_upstream

T = TypeVar("T")


@dataclass(frozen=True)
class Picture:
    """One image a model made: its bytes and their media type (checked, not as told)."""

    data: bytes
    media_type: str


def is_image_result(result: Any) -> bool:
    """The JSON answer of the models that answer JSON (FLUX, Lucid Origin): `{"image": base64}`."""
    return (
        isinstance(result, dict) and isinstance(result.get("image"), str) and bool(result["image"])
    )


def _not_an_image(what: str) -> UpstreamError:
    return UpstreamError(f"it answered 200 with {what}.", status=200, kind="invalid")


async def picture_of(answer: BinaryAnswer) -> Picture:
    """The image in an upstream answer (raw bytes, or base64 in `{"image"}`), as its bytes say
    it is; an UpstreamError (an upstream failure: the backup is tried) when it is none, or is
    not whole (`pictures.whole`)."""
    if answer.result is None:
        data = b"".join([chunk async for chunk in answer.chunks()])
    else:
        try:
            data = base64.b64decode(answer.result["image"], validate=True)
        except (binascii.Error, ValueError):
            raise _not_an_image("an `image` that is not base64") from None
    media_type = sniff(data)
    if media_type is None:
        raise _not_an_image("bytes that are not a PNG, JPEG or WebP image")
    if not whole(data, media_type):
        raise _not_an_image(f"an {media_type} image cut short")
    return Picture(data, media_type)


async def _all(jobs: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Run the jobs at once; the first failure cancels the others and is raised."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(job) for job in jobs]
    except BaseExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]


def _check_output(req: ImageRequest) -> str | None:
    """The media type asked for (None: the model's own); `output_compression` needs a lossy
    `output_format`."""
    wanted = FORMATS.get(req.output_format or "")
    compression = req.output_compression
    if compression not in {None, 100} and wanted not in {"image/jpeg", "image/webp"}:
        raise GatewayError(
            400,
            "`output_compression` applies to `output_format` `jpeg` or `webp` only.",
            param="output_compression",
            code="unsupported_value",
        )
    return wanted


def _unchanged(picture: Picture, wanted: str | None, quality: int | None) -> bool:
    """Whether the picture already is what was asked for (no conversion, no re-encoding)."""
    return (wanted or picture.media_type) == picture.media_type and quality in {None, 100}


def _finish(picture: Picture, wanted: str | None, quality: int | None) -> Picture:
    """The picture in the format asked for: converted, or re-encoded at `quality` (Pillow, in
    a worker thread); a 502 when the model's image does not decode."""
    target = wanted or picture.media_type
    try:
        data = convert(picture.data, picture.media_type, target, quality or 100)
    except ValueError:
        raise GatewayError(
            502, "Workers AI returned an image that does not decode.", code="upstream_error"
        ) from None
    return Picture(data, target)


async def _answer(
    request: Request[Services], req: ImageRequest, asked: str, chain: list[str]
) -> ASGIApp:
    """Make `req.n` images over `chain` (the first model must be able to; later ones that cannot
    are dropped) and answer OpenAI's ImagesResponse."""
    svc, ctx = request.services, request.context
    wanted = _check_output(req)
    plan = Plan.of(req)
    refusal = plan.refusal(chain[0], image_model(chain[0]))
    if refusal is not None:
        raise refusal
    chain = [chain[0], *(m for m in chain[1:] if plan.refusal(m, image_model(m)) is None)]
    plan.body(image_model(chain[0]), 0)  # uploads that cannot be used: a 400 before any call
    ctx.fields.update(requested_model=asked, images=req.count)
    deadline = Deadline.of_request(svc.settings.request_deadline, ctx)
    timeout = svc.settings.attempt_timeout

    async def make(index: int) -> tuple[str, Picture]:
        async def attempt(model: str, has_backup: bool) -> Picture:
            body = plan.body(image_model(model), index)
            async with svc.upstream.binary(
                model, body, timeout, ("image/",), expected=is_image_result
            ) as answer:
                return await picture_of(answer)

        return await run_chain(
            chain,
            attempt,
            cooldown=svc.cooldown,
            deadline=deadline,
            attempt_timeout=timeout,
            ctx=ctx,
        )

    try:
        made = await _all([make(index) for index in range(req.count)])
    except UpstreamError as error:
        raise from_upstream(error) from None
    ctx.count("Images", len(made))
    quality = req.output_compression
    finished = [picture for _, picture in made]
    converting = [i for i, one in enumerate(finished) if not _unchanged(one, wanted, quality)]
    converted = await asyncio.gather(
        *(asyncio.to_thread(_finish, finished[i], wanted, quality) for i in converting)
    )
    for index, picture in zip(converting, converted, strict=True):
        finished[index] = picture
    as_url = (req.response_format or ("url" if asked.startswith("dall-e") else "b64_json")) == "url"
    if as_url:
        base = request.base_url()
        urls = await asyncio.gather(
            *(svc.media.save(picture.data, picture.media_type, base) for picture in finished)
        )
        data = [{"url": url} for url in urls]
    else:
        data = [{"b64_json": base64.b64encode(picture.data).decode()} for picture in finished]
    body = {
        "created": int(time.time()),
        "data": data,
        "output_format": NAMES[finished[0].media_type],
    }
    models = ", ".join(dict.fromkeys(model for model, _ in made))
    return JSONResponse(body, headers={"x-gateway-model": models})


async def create_image(request: Request[Services], req: ImageGenerationRequest) -> ASGIApp:
    asked = req.model or "dall-e-2"  # OpenAI's default for generations
    chain = await request.services.catalog.chain(asked, TEXT_TO_IMAGE)
    return await _answer(request, req, asked, chain)


async def create_image_edit(request: Request[Services], req: ImageEditRequest) -> ASGIApp:
    settings = request.services.settings
    asked = req.model or "gpt-image-1"
    model = asked
    if req.model is None or req.model in IMAGE_ALIASES:
        model = settings.image_edit_model if req.mask is None else settings.image_inpainting_model
    chain = await request.services.catalog.chain(model, TEXT_TO_IMAGE)
    return await _answer(request, req, asked, chain)


async def create_image_variation(request: Request[Services]) -> ASGIApp:
    raise GatewayError(
        400,
        "Image variations are not available: Workers AI has no image-variation model. Use POST "
        "/v1/images/edits with the image and a prompt that describes it.",
        code="unsupported_endpoint",
    )


ROUTES: list[Route] = [
    post(
        "/v1/images/generations",
        ImageGenerationRequest,
        create_image,
        summary="Create an image",
        response_model=ImagesResponse,
        errors=GENERATION_ERRORS,
    ),
    form(
        "/v1/images/edits",
        ImageEditRequest,
        create_image_edit,
        upload="image",
        summary="Edit an image",
        description="A `multipart/form-data` body, as the OpenAI SDKs send it.",
        response_model=ImagesResponse,
        errors=GENERATION_ERRORS,
    ),
    Route(
        "POST",
        "/v1/images/variations",
        create_image_variation,
        summary="Create an image variation (not available)",
        description="Always a 400: Workers AI has no image-variation model.",
        errors=(400, 401, 413, 503),
    ),
    *MEDIA_ROUTES,
]
