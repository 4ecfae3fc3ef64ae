"""The Responses API: POST /v1/responses (streamed and not), and the stored responses:
GET /v1/responses/{id}, GET /v1/responses/{id}/input_items, DELETE /v1/responses/{id}.

A request reads top-down like chat's, over the same generation core: the input items (their
`item_reference`s read from the store, after the stored conversation named by
`previous_response_id`) and the tools (tools.py) become text generation's input, then chain ->
upstream -> a `Response` object or its stream of events. With `store` (OpenAI's default) the
response and its input items are saved under the caller's key before the answer ends.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, TypeAdapter, ValidationError

from gateway.apis.responses.dialect import Responses
from gateway.apis.responses.items import (
    current_turn_reasoning,
    input_resources,
    message_params,
    upstream_messages,
)
from gateway.apis.responses.schemas import (
    CreateResponseRequest,
    DeletedResponse,
    ResponseItemList,
    ResponseObject,
    Tool,
)
from gateway.apis.responses.stored import (
    conversation,
    resolve_references,
    response_not_found,
    stored_record,
)
from gateway.apis.responses.tools import Toolset, toolset
from gateway.apis.responses.translate import ResponseDraft, generation_input
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
from gateway.core.validation import RequestModel, validation_error

STORED_ERRORS = (401, 404, 503)
_TOOLS = TypeAdapter(list[Tool])


def request_owner(request: Request[Services]) -> str:
    """The owner of what this request stores: its API key (checked by auth), hashed."""
    api_key = request.context.api_key
    assert api_key is not None, "the route needs a key"
    return hash_secret(api_key)


def _tools(req: CreateResponseRequest, items: list[dict[str, Any]], history: int) -> Toolset:
    """The request's `tools`, and those of the conversation's `additional_tools` items (stored
    ones are read back from their stored form)."""
    extra = []
    for index, item in enumerate(items):
        if item["type"] == "additional_tools":
            param = "previous_response_id" if index < history else f"input[{index - history}]"
            extra.append((_TOOLS.validate_python(item["tools"]), f"{param}.tools"))
    return toolset(req.tools, extra)


async def create_response(request: Request[Services], req: CreateResponseRequest) -> ASGIApp:
    svc, ctx, owner = request.services, request.context, request_owner(request)
    chain = await svc.catalog.chain(req.model)
    ctx.fields.update(requested_model=req.model, stream=bool(req.stream), dialect="responses")
    draft = ResponseDraft(req)
    items = input_resources(req, draft.ids)
    if any(item["type"] == "item_reference" for item in items):
        names = [f"input[{index}]" for index in range(len(items))]
        items = await resolve_references(svc.store, owner, items, names)
    history = (
        await conversation(svc.store, owner, req.previous_response_id)
        if req.previous_response_id
        else []
    )
    draft.tools = _tools(req, history + items, len(history))
    messages, sources = upstream_messages(req.instructions, history + items)
    if req.reasoning and req.reasoning.context == "current_turn":
        messages = current_turn_reasoning(messages)
    inp = generation_input(req, messages, draft.tools, svc.settings.default_max_tokens)
    inp.message_names = message_params(req, sources, len(history))
    await prepare_images(svc, ctx, chain, inp, "input")
    dialect = Responses(draft, inp, chain, store=svc.store, owner=owner, items=items)
    if draft.tools.left_out:
        ctx.fields.update(tools_left_out=draft.tools.left_out)
    return await respond(svc, ctx, dialect, stream=bool(req.stream))


async def get_response(request: Request[Services]) -> ASGIApp:
    owner = request_owner(request)
    record = await stored_record(request.services.store, owner, request.params["response_id"])
    return JSONResponse(record["response"])


async def delete_response(request: Request[Services]) -> ASGIApp:
    response_id = request.params["response_id"]
    if not await request.services.store.delete(request_owner(request), response_id):
        raise response_not_found(response_id)
    return JSONResponse({"id": response_id, "object": "response", "deleted": True})


class InputItemsQuery(RequestModel):
    """The query of `GET /v1/responses/{id}/input_items`."""

    limit: int = Field(default=20, ge=1, le=100)
    order: Literal["asc", "desc"] = "desc"
    after: str | None = Field(default=None, description="List the items after this item id.")


async def list_input_items(request: Request[Services]) -> ASGIApp:
    try:
        query = InputItemsQuery.model_validate(request.query)
    except ValidationError as exc:
        raise validation_error(exc) from None
    owner = request_owner(request)
    record = await stored_record(request.services.store, owner, request.params["response_id"])
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
