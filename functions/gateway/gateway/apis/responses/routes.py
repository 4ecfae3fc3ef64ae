"""The Responses API: POST /v1/responses (streamed and not), and the stored responses:
GET /v1/responses/{id}, GET /v1/responses/{id}/input_items, DELETE /v1/responses/{id}.

A request reads top-down like chat's, over the same generation core: the input items (after
the stored conversation named by `previous_response_id`) become text generation's input, then
chain -> upstream -> a `Response` object or its stream of events. With `store` (OpenAI's
default) the response and its input items are saved under the caller's key before the answer
ends.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from gateway.apis.responses.dialect import Responses
from gateway.apis.responses.schemas import (
    CreateResponseRequest,
    DeletedResponse,
    ResponseItemList,
    ResponseObject,
)
from gateway.apis.responses.translate import (
    generation_input,
    input_resources,
    message_params,
    upstream_messages,
)
from gateway.core.answer import prepare_images, respond
from gateway.core.errors import GatewayError
from gateway.core.http import (
    GENERATION_ERRORS,
    ASGIApp,
    JSONResponse,
    Request,
    Route,
    delete,
    get,
    post,
)
from gateway.core.keys import hash_secret
from gateway.core.services import Services
from gateway.core.validation import validation_error

MAX_TURNS = 1000
"""How far back `previous_response_id` is followed (each turn is one store read)."""

STORED_ERRORS = (401, 404, 503)


def request_owner(request: Request[Services]) -> str:
    """The owner of what this request stores: its API key (checked by auth), hashed."""
    api_key = request.context.api_key
    assert api_key is not None, "the route needs a key"
    return hash_secret(api_key)


def _not_found(response_id: str, param: str | None = None) -> GatewayError:
    """Unknown, expired, deleted or another key's: the same 404 (nothing tells them apart)."""
    return GatewayError(
        404, f"No response found with id '{response_id}'.", code="response_not_found", param=param
    )


async def _record(
    svc: Services, owner: str, response_id: str, param: str | None = None
) -> dict[str, Any]:
    record = await svc.store.load(owner, response_id)
    if record is None:
        raise _not_found(response_id, param)
    return record


async def _conversation(svc: Services, owner: str, previous_id: str) -> list[dict[str, Any]]:
    """The items of a stored conversation, oldest first: each turn's input, then its output.

    The named response must exist (else a 404 naming `previous_response_id`); the walk back
    stops early where an older turn has expired or was deleted.
    """
    record: dict[str, Any] | None = await _record(svc, owner, previous_id, "previous_response_id")
    turns: list[list[dict[str, Any]]] = []
    while record is not None and len(turns) < MAX_TURNS:
        turns.append(record["input_items"] + record["response"]["output"])
        earlier = record["response"].get("previous_response_id")
        record = await svc.store.load(owner, earlier) if earlier else None
    return [item for turn in reversed(turns) for item in turn]


async def create_response(request: Request[Services], req: CreateResponseRequest) -> ASGIApp:
    svc, ctx, owner = request.services, request.context, request_owner(request)
    chain = await svc.catalog.chain(req.model)
    ctx.fields.update(requested_model=req.model, stream=bool(req.stream), dialect="responses")
    items = input_resources(req)
    history = (
        await _conversation(svc, owner, req.previous_response_id)
        if req.previous_response_id
        else []
    )
    messages, sources = upstream_messages(req.instructions, history + items)
    inp = generation_input(req, messages, svc.settings.default_max_tokens)
    inp.message_names = message_params(req, sources, len(history))
    await prepare_images(svc, ctx, chain, inp, "input")
    dialect = Responses(req, inp, chain, store=svc.store, owner=owner, items=items)
    return await respond(svc, ctx, dialect, stream=bool(req.stream))


async def get_response(request: Request[Services]) -> ASGIApp:
    record = await _record(request.services, request_owner(request), request.params["response_id"])
    return JSONResponse(record["response"])


async def delete_response(request: Request[Services]) -> ASGIApp:
    response_id = request.params["response_id"]
    if not await request.services.store.delete(request_owner(request), response_id):
        raise _not_found(response_id)
    return JSONResponse({"id": response_id, "object": "response", "deleted": True})


class InputItemsQuery(BaseModel):
    """The query of `GET /v1/responses/{id}/input_items`."""

    limit: int = Field(default=20, ge=1, le=100)
    order: Literal["asc", "desc"] = "desc"
    after: str | None = Field(default=None, description="List the items after this item id.")


async def list_input_items(request: Request[Services]) -> ASGIApp:
    try:
        query = InputItemsQuery.model_validate(request.query)
    except ValidationError as exc:
        raise validation_error(exc) from None
    record = await _record(request.services, request_owner(request), request.params["response_id"])
    items = record["input_items"]
    if query.order == "desc":
        items = items[::-1]
    if query.after is not None:
        ids = [item["id"] for item in items]
        if query.after not in ids:
            raise GatewayError(
                400, f"No input item with id '{query.after}' in this response.", param="after"
            )
        items = items[ids.index(query.after) + 1 :]
    page = items[: query.limit]
    return JSONResponse(
        {
            "object": "list",
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": len(items) > query.limit,
        }
    )


ROUTES: list[Route] = [
    post(
        "/v1/responses",
        CreateResponseRequest,
        create_response,
        summary="Create a model response (Responses API)",
        response_model=ResponseObject,
        errors=GENERATION_ERRORS,
        stream=(
            "A `response` object, or with `stream: true` an SSE stream of response events "
            "(`response.created` ... `response.completed`), each with a `sequence_number`.",
            None,
        ),
    ),
    get(
        "/v1/responses/{response_id}",
        get_response,
        summary="Retrieve a stored response",
        response_model=ResponseObject,
        errors=STORED_ERRORS,
    ),
    delete(
        "/v1/responses/{response_id}",
        delete_response,
        summary="Delete a stored response",
        response_model=DeletedResponse,
        errors=STORED_ERRORS,
    ),
    get(
        "/v1/responses/{response_id}/input_items",
        list_input_items,
        summary="List a stored response's input items",
        response_model=ResponseItemList,
        errors=STORED_ERRORS,
        query=InputItemsQuery,
    ),
]
