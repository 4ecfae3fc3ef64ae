"""POST /v1/chat/completions, streamed and not."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.catalog import Capabilities
from gateway.generation import Dialect
from gateway.routes.answer import GENERATION_ERRORS, prepare_images, respond
from gateway.schemas import ChatCompletion, ChatCompletionChunk, ChatCompletionRequest
from gateway.services import request_context, services
from gateway.streaming import ChunkEncoder
from gateway.translate import (
    Piece,
    ToolRules,
    chat_body,
    chat_completion,
    chat_max_tokens,
    recover_text_tool_call,
)

router = APIRouter()


class Chat(Dialect):
    """Chat completions: `chat.completion` objects and `chat.completion.chunk` events."""

    def __init__(self, req: ChatCompletionRequest, chain: list[str], default_max_tokens: int):
        super().__init__(
            chain,
            max_tokens=chat_max_tokens(req, default_max_tokens),
            stops=req.stops,
            prompt_cache_key=req.prompt_cache_key,
        )
        self.req = req
        self.tools = ToolRules.of(req)

    def body(self, caps: Capabilities, stream: bool, has_backup: bool) -> dict[str, Any]:
        return chat_body(
            self.req, caps, max_tokens=self.max_tokens, stream=stream, has_backup=has_backup
        )

    def adjust(self, answer: Piece) -> Piece:
        return recover_text_tool_call(answer, self.tools.names)

    def whole(self, answer: Piece) -> dict[str, Any]:
        return chat_completion(
            answer,
            model=self.req.model,
            stops=self.stops,
            max_tokens=self.max_tokens,
            tools=self.tools,
        )

    def encoder(self) -> ChunkEncoder:
        return ChunkEncoder("chat", self.req.model, self.req.include_usage, tools=self.tools)


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
    request: Request,
) -> Response:
    svc, ctx = services(request), request_context(request)
    chain = await svc.catalog.chain(req.model, svc.catalogue)
    ctx.fields.update(requested_model=req.model, stream=bool(req.stream))
    await prepare_images(svc, ctx, chain, req.messages, "messages")
    dialect = Chat(req, chain, svc.settings.default_max_tokens)
    return await respond(svc, ctx, dialect, stream=bool(req.stream))
