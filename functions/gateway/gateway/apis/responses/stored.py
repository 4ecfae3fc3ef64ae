"""What a request reads from the store: the conversation `previous_response_id` continues, and
the items its `item_reference`s name (items.py: how an item id names its response).

Everything is read under the caller's key (`owner`): another key's responses are as unknown as
ids that never were, and answer the same 404.
"""

from __future__ import annotations

from typing import Any

from gateway.apis.responses.items import response_of
from gateway.core.errors import GatewayError
from gateway.core.storage import ResponseStore

MAX_TURNS = 1000
"""How far back `previous_response_id` is followed (each turn is one store read)."""


def response_not_found(response_id: str, param: str | None = None) -> GatewayError:
    """Unknown, expired, deleted or another key's: the same 404 (nothing tells them apart)."""
    return GatewayError(
        404, f"No response found with id '{response_id}'.", code="response_not_found", param=param
    )


async def stored_record(
    store: ResponseStore, owner: str, response_id: str, param: str | None = None
) -> dict[str, Any]:
    """The stored record of a response (`{"response", "input_items"}`), or a 404."""
    record = await store.load(owner, response_id)
    if record is None:
        raise response_not_found(response_id, param)
    return record


async def conversation(store: ResponseStore, owner: str, previous_id: str) -> list[dict[str, Any]]:
    """The items of a stored conversation, oldest first: each turn's input, then its output.

    The named response must exist (else a 404 naming `previous_response_id`); the walk back
    stops early where an older turn has expired or was deleted.
    """
    record: dict[str, Any] | None = await stored_record(
        store, owner, previous_id, "previous_response_id"
    )
    turns: list[list[dict[str, Any]]] = []
    while record is not None and len(turns) < MAX_TURNS:
        turns.append(record["input_items"] + record["response"]["output"])
        earlier = record["response"].get("previous_response_id")
        record = await store.load(owner, earlier) if earlier else None
    return [item for turn in reversed(turns) for item in turn]


async def resolve_references(
    store: ResponseStore, owner: str, items: list[dict[str, Any]], params: list[str]
) -> list[dict[str, Any]]:
    """`items` with every `item_reference` replaced by the stored item it names (`params[i]`
    names item `i` for the 404 of an id that names none of the key's items). Each response is
    read once, however many of its items are referenced."""
    records: dict[str, dict[str, Any] | None] = {}
    resolved = []
    for item, param in zip(items, params, strict=True):
        if item["type"] != "item_reference":
            resolved.append(item)
            continue
        item_id = item["id"]
        response_id = response_of(item_id)
        found = None
        if response_id is not None:
            if response_id not in records:
                records[response_id] = await store.load(owner, response_id)
            record = records[response_id]
            if record is not None:
                stored = record["input_items"] + record["response"]["output"]
                found = next((each for each in stored if each.get("id") == item_id), None)
        if found is None:
            raise GatewayError(
                404,
                f"No item found with id '{item_id}': an item_reference names an item of one of "
                "your stored responses (store: true), such as an output item of an earlier "
                "response.",
                code="item_not_found",
                param=param,
            )
        resolved.append(found)
    return resolved
