"""POST /v1/messages (streamed and not) and POST /v1/messages/count_tokens: Anthropic's
Messages API over the same generation core as chat, with Anthropic's error envelope.

Anthropic's clients send the key as `x-api-key` (or `Authorization: Bearer`, core.auth), an
`anthropic-version` and maybe `anthropic-beta` header (both accepted; no version changes the
answer), and Claude Code posts to `/v1/messages?beta=true` (the query is ignored).
"""

from __future__ import annotations

from gateway.apis.messages.count import count_tokens
from gateway.apis.messages.dialect import Messages
from gateway.apis.messages.errors import ANTHROPIC_ERRORS
from gateway.apis.messages.schemas import (
    CountTokensRequest,
    MessageObject,
    MessagesRequest,
    StreamEvent,
    TokenCount,
)
from gateway.apis.messages.translate import generation_input
from gateway.core.answer import prepare_images, respond
from gateway.core.http import GENERATION_ERRORS, ASGIApp, JSONResponse, Request, Route, post
from gateway.core.services import Services

OVERLOADED = 529


async def create_message(request: Request[Services], req: MessagesRequest) -> ASGIApp:
    svc, ctx = request.services, request.context
    chain = await svc.catalog.chain(req.model)
    ctx.fields.update(requested_model=req.model, stream=bool(req.stream), dialect="messages")
    inp = generation_input(req, req.max_tokens)
    dialect = Messages(req, inp, chain, svc.settings.messages_ping_seconds)
    await prepare_images(svc, ctx, chain, inp, "messages")
    return await respond(svc, ctx, dialect, stream=bool(req.stream))


async def count_message_tokens(request: Request[Services], req: CountTokensRequest) -> ASGIApp:
    await request.services.catalog.chain(req.model)
    inp = generation_input(req, max_tokens=1)
    return JSONResponse({"input_tokens": count_tokens(inp)})


ROUTES: list[Route] = [
    post(
        "/v1/messages",
        MessagesRequest,
        create_message,
        summary="Create a message (Anthropic's Messages API)",
        description="For Claude Code and the Anthropic SDKs: send the key as `x-api-key` or "
        "`Authorization: Bearer`. Errors use Anthropic's envelope; an upstream out of capacity "
        "is 529 `overloaded_error`.",
        response_model=MessageObject,
        errors=(*GENERATION_ERRORS, OVERLOADED),
        stream=(
            "A message, or with `stream: true` Anthropic's event stream: message_start, per "
            "content block content_block_start / content_block_delta / content_block_stop, "
            "message_delta and message_stop (ping while the model is quiet).",
            StreamEvent,
        ),
        error_format=ANTHROPIC_ERRORS,
    ),
    post(
        "/v1/messages/count_tokens",
        CountTokensRequest,
        count_message_tokens,
        summary="Count the tokens of a message's prompt",
        description="Counted with cl100k_base, which approximates the models' own tokenizers.",
        response_model=TokenCount,
        errors=(400, 401, 404, 413, 503),
        error_format=ANTHROPIC_ERRORS,
    ),
]
