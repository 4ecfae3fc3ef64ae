"""POST /v1/chat/completions, streamed and not."""

from __future__ import annotations

from gateway.apis.chat.dialect import Chat
from gateway.apis.chat.schemas import ChatCompletion, ChatCompletionChunk, ChatCompletionRequest
from gateway.core.answer import prepare_images, respond
from gateway.core.http import GENERATION_ERRORS, ASGIApp, Request, Route, post
from gateway.core.services import Services


async def create_chat_completion(request: Request[Services], req: ChatCompletionRequest) -> ASGIApp:
    svc, ctx = request.services, request.context
    chain = await svc.catalog.chain(req.model)
    ctx.fields.update(requested_model=req.model, stream=bool(req.stream))
    dialect = Chat(req, chain, svc.settings.default_max_tokens)
    await prepare_images(svc, ctx, chain, dialect.input, "messages")
    return await respond(svc, ctx, dialect, stream=bool(req.stream))


ROUTES: list[Route] = [
    post(
        "/v1/chat/completions",
        ChatCompletionRequest,
        create_chat_completion,
        summary="Create a chat completion",
        response_model=ChatCompletion,
        errors=GENERATION_ERRORS,
        stream=(
            "A chat.completion, or with `stream: true` an SSE stream of chat.completion.chunk "
            "events ending with `data: [DONE]`.",
            ChatCompletionChunk,
        ),
    )
]
