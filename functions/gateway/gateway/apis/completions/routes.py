"""POST /v1/completions: the legacy API, with real `text_completion` objects."""

from __future__ import annotations

from gateway.apis.completions.dialect import LegacyCompletion
from gateway.apis.completions.schemas import Completion, CompletionRequest
from gateway.core.answer import respond
from gateway.core.http import GENERATION_ERRORS, ASGIApp, Request, Route, post
from gateway.core.services import Services


async def create_completion(request: Request[Services], req: CompletionRequest) -> ASGIApp:
    svc, ctx = request.services, request.context
    chain = await svc.catalog.chain(req.model)
    ctx.fields.update(requested_model=req.model, stream=bool(req.stream))
    return await respond(svc, ctx, LegacyCompletion(req, chain), stream=bool(req.stream))


ROUTES: list[Route] = [
    post(
        "/v1/completions",
        CompletionRequest,
        create_completion,
        summary="Create a completion (legacy)",
        response_model=Completion,
        errors=GENERATION_ERRORS,
        stream=(
            "A text_completion, or with `stream: true` an SSE stream of text_completion events "
            "ending with `data: [DONE]`.",
            None,
        ),
    )
]
