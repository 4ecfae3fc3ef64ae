"""POST /v1/completions: the legacy API, with real `text_completion` objects."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.catalog import Capabilities
from gateway.generation import Dialect
from gateway.routes.answer import GENERATION_ERRORS, respond
from gateway.schemas import Completion, CompletionRequest
from gateway.services import request_context, services
from gateway.streaming import ChunkEncoder
from gateway.translate import (
    Piece,
    completion_body,
    completion_max_tokens,
    prompt_text,
    text_completion,
)

router = APIRouter()


class LegacyCompletion(Dialect):
    """Legacy completions: `text_completion` objects, whole and as stream events."""

    def __init__(self, req: CompletionRequest, chain: list[str]) -> None:
        super().__init__(
            chain,
            max_tokens=completion_max_tokens(req),
            stops=req.stops,
            prompt_cache_key=req.prompt_cache_key,
        )
        self.req = req
        self.prompt = prompt_text(req)

    def body(self, caps: Capabilities, stream: bool, has_backup: bool) -> dict[str, Any]:
        return completion_body(self.req, self.prompt, caps, stream=stream, has_backup=has_backup)

    def whole(self, answer: Piece) -> dict[str, Any]:
        return text_completion(answer, model=self.req.model, req=self.req, prompt=self.prompt)

    def encoder(self) -> ChunkEncoder:
        echo = self.prompt if self.req.echo else ""
        return ChunkEncoder("text", self.req.model, self.req.include_usage, echo=echo)


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
    request: Request,
) -> Response:
    svc, ctx = services(request), request_context(request)
    chain = await svc.catalog.chain(req.model, svc.catalogue)
    ctx.fields.update(requested_model=req.model, stream=bool(req.stream))
    return await respond(svc, ctx, LegacyCompletion(req, chain), stream=bool(req.stream))
