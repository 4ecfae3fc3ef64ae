"""POST /v1/moderations: each input judged by Llama Guard, as OpenAI's moderation object."""

from __future__ import annotations

import asyncio
import uuid

from gateway.apis.moderations.parameters import MODERATIONS
from gateway.apis.moderations.schemas import Moderation, ModerationImage, ModerationRequest
from gateway.apis.moderations.verdicts import moderation_result, read_verdict
from gateway.core.catalog import MODERATION
from gateway.core.errors import GatewayError
from gateway.core.http import GENERATION_ERRORS, ASGIApp, JSONResponse, Request, Route, post
from gateway.core.media import run_models
from gateway.core.parameters import refuse_unsupported
from gateway.core.services import Services

MAX_INPUTS = 32


def _texts(req: ModerationRequest) -> list[str]:
    """The texts to judge; a 400 naming an image part, or too many inputs."""
    items = [req.input] if isinstance(req.input, str) else list(req.input)
    if not items or len(items) > MAX_INPUTS:
        raise GatewayError(
            400,
            f"Give between 1 and {MAX_INPUTS} inputs.",
            param="input",
            code="invalid_value",
        )
    texts = []
    for index, item in enumerate(items):
        if isinstance(item, ModerationImage):
            raise GatewayError(
                400,
                "Llama Guard reads text only: image inputs cannot be moderated.",
                param=f"input[{index}]",
                code="invalid_value",
            )
        texts.append(item if isinstance(item, str) else item.text)
    return texts


async def create_moderation(request: Request[Services], req: ModerationRequest) -> ASGIApp:
    """One Llama Guard call per input, all at once; the chain falls back as a whole."""
    svc, ctx = request.services, request.context
    refuse_unsupported(MODERATIONS, req)
    chain = await svc.catalog.chain(req.model, MODERATION)
    texts = _texts(req)
    ctx.fields.update(requested_model=req.model, inputs=len(texts))

    async def judge(model: str, text: str) -> tuple[bool, list[str]]:
        body = {
            "messages": [{"role": "user", "content": text}],
            "response_format": {"type": "json_object"},
        }
        return read_verdict(await svc.upstream.run(model, body, svc.settings.attempt_timeout))

    async def attempt(model: str, has_backup: bool) -> list[tuple[bool, list[str]]]:
        return list(await asyncio.gather(*(judge(model, text) for text in texts)))

    model, verdicts = await run_models(svc, ctx, chain, attempt)
    body = {
        "id": f"modr-{uuid.uuid4().hex}",
        "model": req.model,
        "results": [moderation_result(flagged, codes) for flagged, codes in verdicts],
    }
    return JSONResponse(body, headers={"x-gateway-model": model})


ROUTES: list[Route] = [
    post(
        "/v1/moderations",
        ModerationRequest,
        create_moderation,
        summary="Classify text as safe or not",
        response_model=Moderation,
        errors=GENERATION_ERRORS,
    )
]
