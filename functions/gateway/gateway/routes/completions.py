"""POST /v1/completions: the legacy API, with real `text_completion` objects."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from gateway.catalog import Capabilities
from gateway.generation import Job
from gateway.observability import RequestContext
from gateway.routes.responses import GENERATION_ERRORS, respond
from gateway.schemas import Completion, CompletionRequest
from gateway.services import Services, request_context, services
from gateway.streaming import ChunkEncoder
from gateway.translate import (
    completion_body,
    completion_max_tokens,
    prompt_text,
    text_completion,
)

router = APIRouter()


@router.post(
    "/completions",
    summary="Create a completion (legacy)",
    response_model=Completion,
    responses={
        200: {
            "description": "A text_completion, or with `stream: true` an SSE stream of "
            "text_completion events ending with `data: [DONE]`."
        },
        **GENERATION_ERRORS,
    },
)
async def create_completion(
    req: CompletionRequest,
    svc: Services = Depends(services),
    ctx: RequestContext = Depends(request_context),
) -> Response:
    chain = await svc.catalog.chain(req.model, svc.catalogue)
    ctx.fields.update(requested_model=req.model, stream=bool(req.stream))

    prompt = prompt_text(req)

    def build(caps: Capabilities, stream: bool, has_backup: bool) -> dict:
        return completion_body(req, prompt, caps, stream=stream, has_backup=has_backup)

    echo = prompt if req.echo else ""
    return await respond(
        svc,
        ctx,
        Job(chain, build),
        stream=bool(req.stream),
        whole=lambda model, answer: text_completion(
            answer, model=req.model, req=req, prompt=prompt
        ),
        encoder=lambda model: ChunkEncoder("text", req.model, req.include_usage, echo=echo),
        stops=req.stops,
        max_tokens=completion_max_tokens(req),
    )
