"""POST /v1/chat/completions, streamed and not."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from gateway.catalog import Capabilities, capabilities
from gateway.errors import GatewayError
from gateway.fallback import Deadline
from gateway.generation import Job
from gateway.observability import RequestContext
from gateway.routes.responses import GENERATION_ERRORS, respond
from gateway.schemas import ChatCompletion, ChatCompletionChunk, ChatCompletionRequest
from gateway.services import Services, request_context, services
from gateway.streaming import ChunkEncoder
from gateway.translate import (
    ToolRules,
    chat_body,
    chat_completion,
    chat_max_tokens,
    has_images,
    recover_text_tool_call,
)

router = APIRouter()


@router.post(
    "/chat/completions",
    summary="Create a chat completion",
    response_model=ChatCompletion,
    responses={
        200: {
            "description": "A chat.completion, or with `stream: true` an SSE stream of "
            "chat.completion.chunk events ending with `data: [DONE]`.",
            "content": {"text/event-stream": {"schema": ChatCompletionChunk.model_json_schema()}},
        },
        **GENERATION_ERRORS,
    },
)
async def create_chat_completion(
    req: ChatCompletionRequest,
    svc: Services = Depends(services),
    ctx: RequestContext = Depends(request_context),
) -> Response:
    chain = await svc.catalog.chain(req.model, svc.catalogue)
    ctx.fields.update(requested_model=req.model, stream=bool(req.stream))
    if has_images(req.messages):
        if capabilities(chain[0]).vision is False:
            raise GatewayError(
                400,
                f"The model {chain[0]} does not accept images; use a vision model such as "
                f"{svc.catalog.primary}.",
                code="model_not_vision_capable",
                param="messages",
            )
        deadline = Deadline.of_request(svc.settings.request_deadline, ctx)
        await svc.images.inline(req.messages, deadline.remaining())
    max_tokens = chat_max_tokens(req, svc.settings.default_max_tokens)
    tools = ToolRules.of(req)

    def build(caps: Capabilities, stream: bool, has_backup: bool) -> dict:
        return chat_body(req, caps, max_tokens=max_tokens, stream=stream, has_backup=has_backup)

    job = Job(chain, build, adjust=lambda piece: recover_text_tool_call(piece, tools.names))
    return await respond(
        svc,
        ctx,
        job,
        stream=bool(req.stream),
        whole=lambda model, answer: chat_completion(
            answer, model=req.model, stops=req.stops, max_tokens=max_tokens, tools=tools
        ),
        encoder=lambda model: ChunkEncoder("chat", req.model, req.include_usage, tools=tools),
        stops=req.stops,
        max_tokens=max_tokens,
    )
