"""POST /v1/completions: the legacy API, with real `text_completion` objects."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from gateway.catalog import Capabilities
from gateway.generation import Job, generate, open_stream
from gateway.observability import RequestContext
from gateway.routes.responses import GENERATION_ERRORS, event_stream
from gateway.schemas import Completion, CompletionRequest
from gateway.services import Services, request_context, services
from gateway.streaming import ChunkEncoder, record_usage, relay
from gateway.translate import completion_body, text_completion

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
    chain = svc.catalog.chain(req.model)
    ctx.fields.update(requested_model=req.model, stream=bool(req.stream))
    max_tokens = req.max_tokens or 16

    def build(caps: Capabilities, stream: bool, has_backup: bool) -> dict:
        return completion_body(req, caps, stream=stream, has_backup=has_backup)

    job = Job(chain, build)
    if not req.stream:
        model, answer = await generate(svc, ctx, job)
        record_usage(ctx, answer.usage)
        payload = text_completion(answer, model=model, req=req)
        return JSONResponse(payload, headers={"x-gateway-model": model})

    model, pieces, stack = await open_stream(svc, ctx, job)
    encoder = ChunkEncoder("text", model, req.include_usage)
    chunks = relay(pieces, encoder, stops=req.stops, max_tokens=max_tokens, ctx=ctx)
    if req.echo:
        chunks = _echo_first(encoder.text(req.prompt_text), chunks)
    return event_stream(chunks, stack, model)


async def _echo_first(first: bytes, chunks):
    yield first
    async for chunk in chunks:
        yield chunk
