"""The Responses API: POST /v1/responses (streamed and not), and the stored responses:
GET /v1/responses/{id}, GET /v1/responses/{id}/input_items, DELETE /v1/responses/{id}.

A request reads top-down like chat's, over the same generation core: the input items (after
the stored conversation named by `previous_response_id`) become a chat request, then chain ->
upstream -> a `Response` object or its stream of events. With `store` (OpenAI's default) the
response and its input items are saved under the caller's key before the answer ends.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from gateway.catalog import Capabilities
from gateway.errors import GatewayError
from gateway.generation import Dialect
from gateway.responses.events import ResponseEvents
from gateway.responses.schemas import (
    CreateResponseRequest,
    DeletedResponse,
    ResponseItemList,
    ResponseObject,
)
from gateway.responses.translate import (
    ResponseDraft,
    chat_messages,
    chat_request,
    input_resources,
    message_params,
    whole_response,
)
from gateway.routes.answer import GENERATION_ERRORS, errors, prepare_images, respond
from gateway.routes.chat import Chat
from gateway.services import Services, request_context, services
from gateway.storage import ResponseStore, key_owner
from gateway.translate import Piece

router = APIRouter()

MAX_TURNS = 1000
"""How far back `previous_response_id` is followed (each turn is one store read)."""

STORED_ERRORS = errors(401, 404, 503)


def request_owner(request: Request) -> str:
    """The owner of what this request stores: its API key (checked and kept by `v1_checks`),
    hashed."""
    return key_owner(request.scope["state"]["api_key"])


def _not_found(response_id: str, param: str | None = None) -> GatewayError:
    """Unknown, expired, deleted or another key's: the same 404 (nothing tells them apart)."""
    return GatewayError(
        404, f"No response found with id '{response_id}'.", code="response_not_found", param=param
    )


async def _record(svc: Services, owner: str, response_id: str, param: str | None = None) -> dict:
    record = await svc.store.load(owner, response_id)
    if record is None:
        raise _not_found(response_id, param)
    return record


async def _conversation(svc: Services, owner: str, previous_id: str) -> list[dict[str, Any]]:
    """The items of a stored conversation, oldest first: each turn's input, then its output.

    The named response must exist (else a 404 naming `previous_response_id`); the walk back
    stops early where an older turn has expired or was deleted.
    """
    record: dict | None = await _record(svc, owner, previous_id, "previous_response_id")
    turns: list[list[dict[str, Any]]] = []
    while record is not None and len(turns) < MAX_TURNS:
        turns.append(record["input_items"] + record["response"]["output"])
        earlier = record["response"].get("previous_response_id")
        record = await svc.store.load(owner, earlier) if earlier else None
    return [item for turn in reversed(turns) for item in turn]


class Responses(Dialect):
    """The Responses API: `response` objects and their stream of events. Upstream it speaks
    chat: the input items become a chat request (`chat_request`), sent as the `Chat` dialect
    sends it."""

    def __init__(
        self,
        req: CreateResponseRequest,
        chat: Chat,
        *,
        store: ResponseStore,
        owner: str,
        items: list[dict[str, Any]],
    ) -> None:
        super().__init__(
            chat.chain, max_tokens=chat.max_tokens, prompt_cache_key=req.prompt_cache_key
        )
        self.chat = chat
        self.draft = ResponseDraft(req)
        self.store = store if req.store is not False else None
        self.owner = owner
        self.items = items

    def body(self, caps: Capabilities, stream: bool, has_backup: bool) -> dict[str, Any]:
        return self.chat.body(caps, stream, has_backup)

    def adjust(self, answer: Piece) -> Piece:
        return self.chat.adjust(answer)

    def whole(self, answer: Piece) -> dict[str, Any]:
        return whole_response(self.draft, answer, tools=self.chat.tools, max_tokens=self.max_tokens)

    def encoder(self) -> ResponseEvents:
        return ResponseEvents(self.draft, self.chat.tools)

    async def keep(self, response: dict[str, Any]) -> None:
        """With `store`, save the response and its input items (before the answer goes out, so
        a client can fetch it at once)."""
        if self.store is not None:
            record = {"response": response, "input_items": self.items}
            await self.store.save(self.owner, response["id"], record)


@router.post(
    "/responses",
    summary="Create a model response (Responses API)",
    response_model=ResponseObject,
    responses={
        200: {
            "description": "A `response` object, or with `stream: true` an SSE stream of "
            "response events (`response.created` ... `response.completed`), each with a "
            "`sequence_number`.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **GENERATION_ERRORS,
    },
)
async def create_response(
    req: CreateResponseRequest,
    request: Request,
) -> Response:
    svc, ctx, owner = services(request), request_context(request), request_owner(request)
    chain = await svc.catalog.chain(req.model, svc.catalogue)
    ctx.fields.update(requested_model=req.model, stream=bool(req.stream), dialect="responses")
    items = input_resources(req)
    history = (
        await _conversation(svc, owner, req.previous_response_id)
        if req.previous_response_id
        else []
    )
    messages, sources = chat_messages(req.instructions, history + items)
    chat = Chat(chat_request(req, messages), chain, svc.settings.default_max_tokens)
    names = message_params(req, sources, len(history))
    await prepare_images(svc, ctx, chain, chat.req.messages, "input", names)
    dialect = Responses(req, chat, store=svc.store, owner=owner, items=items)
    return await respond(svc, ctx, dialect, stream=bool(req.stream))


@router.get(
    "/responses/{response_id}",
    summary="Retrieve a stored response",
    response_model=ResponseObject,
    responses=STORED_ERRORS,
)
async def get_response(
    response_id: str,
    request: Request,
) -> JSONResponse:
    record = await _record(services(request), request_owner(request), response_id)
    return JSONResponse(record["response"])


@router.delete(
    "/responses/{response_id}",
    summary="Delete a stored response",
    response_model=DeletedResponse,
    responses=STORED_ERRORS,
)
async def delete_response(
    response_id: str,
    request: Request,
) -> dict[str, Any]:
    if not await services(request).store.delete(request_owner(request), response_id):
        raise _not_found(response_id)
    return {"id": response_id, "object": "response", "deleted": True}


@router.get(
    "/responses/{response_id}/input_items",
    summary="List a stored response's input items",
    response_model=ResponseItemList,
    responses=STORED_ERRORS,
)
async def list_input_items(
    response_id: str,
    request: Request,
    limit: int = Query(default=20, ge=1, le=100),
    order: Literal["asc", "desc"] = Query(default="desc"),
    after: str | None = Query(default=None, description="List the items after this item id."),
) -> dict[str, Any]:
    items = (await _record(services(request), request_owner(request), response_id))["input_items"]
    if order == "desc":
        items = items[::-1]
    if after is not None:
        ids = [item["id"] for item in items]
        if after not in ids:
            raise GatewayError(
                400, f"No input item with id '{after}' in this response.", param="after"
            )
        items = items[ids.index(after) + 1 :]
    page = items[:limit]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": len(items) > limit,
    }
