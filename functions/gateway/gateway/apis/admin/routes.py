"""The admin API (`/admin/keys`, `/admin/usage`: operator keys only) and `GET /v1/key` (any key).

Operators mint, list, change and revoke named keys and read their usage; a named key on these
routes gets a 403. A key holder asks `GET /v1/key` where it stands. Everything is stored by
`core.keys` (docs/keys.md describes the rules and bounds).

Usage is written as each answer ends (core/metering.py), after its bytes went out; a report first
waits for this instance's writes still running, so it includes every answer the instance gave.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from gateway.apis.admin.schemas import (
    CreatedKey,
    DeletedKey,
    KeyCreate,
    KeyList,
    KeyObject,
    KeyUpdate,
    OwnKey,
    UsageQuery,
    UsageReport,
)
from gateway.core.auth import store_unavailable
from gateway.core.errors import GatewayError
from gateway.core.http import ASGIApp, JSONResponse, Request, Route, delete, get, patch, post
from gateway.core.keys import (
    InvalidField,
    KeyRecord,
    MonthTotals,
    NameTaken,
    StoreUnavailable,
    Usage,
    looks_like_key_id,
)
from gateway.core.keys.store import GROUPS
from gateway.core.keys.windows import Windows
from gateway.core.services import Services
from gateway.core.validation import validation_error

T = TypeVar("T")

ADMIN_ERRORS = (400, 401, 403, 404, 409, 503)


async def _stored(request: Request[Services], call: Awaitable[T]) -> T:
    """A key store call, its failures as the client's errors: a broken rule is a 400 naming
    the field, a taken name a 409, a store that cannot answer a 503."""
    try:
        return await call
    except NameTaken as taken:
        raise GatewayError(
            409, taken.message, param="name", code="name_taken", type="invalid_request_error"
        ) from None
    except InvalidField as invalid:
        raise GatewayError(
            400, invalid.message, param=invalid.param, code="invalid_value"
        ) from None
    except StoreUnavailable as exc:
        raise store_unavailable(exc, request.context) from None


def _month(totals: MonthTotals) -> dict[str, Any]:
    usage = totals.usage
    return {
        "month": totals.month,
        "requests": usage.requests,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "errors": usage.errors,
        "resets_at": totals.resets_at,
    }


def _key_object(record: KeyRecord, totals: MonthTotals) -> dict[str, Any]:
    return {"object": "key", **record.public(), "usage": _month(totals)}


def _not_found(key_id: str) -> GatewayError:
    return GatewayError(404, f"No key found with id '{key_id}'.", code="key_not_found")


async def _live_key(request: Request[Services]) -> KeyRecord:
    """The live key named by the path (unknown, revoked or malformed ids: the same 404)."""
    key_id = request.params["key_id"]
    if not looks_like_key_id(key_id):
        raise _not_found(key_id)
    record = await _stored(request, request.services.keys.get_key(key_id))
    if record is None:
        raise _not_found(key_id)
    return record


async def _month_totals(request: Request[Services], key_ids: list[str]) -> dict[str, MonthTotals]:
    """This month's totals of the keys, once this instance's usage writes have landed."""
    store = request.services.keys
    await store.flush()
    return await _stored(request, store.month_totals(key_ids))


async def _with_usage(request: Request[Services], records: list[KeyRecord]) -> list[dict[str, Any]]:
    totals = await _month_totals(request, [record.id for record in records])
    return [_key_object(record, totals[record.id]) for record in records]


async def create_key(request: Request[Services], body: KeyCreate) -> ASGIApp:
    store = request.services.keys
    minted = await _stored(request, store.create_key(body.model_dump(exclude_unset=True)))
    windows = Windows.at(store.clock())
    fresh = MonthTotals(windows.month, Usage(), windows.month_reset)
    return JSONResponse({**_key_object(minted.record, fresh), "key": minted.secret}, status=201)


async def list_keys(request: Request[Services]) -> ASGIApp:
    records = await _stored(request, request.services.keys.list_keys())
    return JSONResponse({"object": "list", "data": await _with_usage(request, records)})


async def get_key(request: Request[Services]) -> ASGIApp:
    (found,) = await _with_usage(request, [await _live_key(request)])
    return JSONResponse(found)


async def update_key(request: Request[Services], body: KeyUpdate) -> ASGIApp:
    key = await _live_key(request)
    changes = body.model_dump(exclude_unset=True)
    updated = await _stored(request, request.services.keys.update_key(key.id, changes))
    if updated is None:  # revoked meanwhile
        raise _not_found(key.id)
    (found,) = await _with_usage(request, [updated])
    return JSONResponse(found)


async def revoke_key(request: Request[Services]) -> ASGIApp:
    key = await _live_key(request)
    if not await _stored(request, request.services.keys.revoke_key(key.id)):
        raise _not_found(key.id)
    return JSONResponse({"id": key.id, "object": "key", "deleted": True})


def _group_by(value: str | None) -> list[str]:
    """The dimensions named in `group_by` (all of them when it is unset), each once."""
    if value is None:
        return list(GROUPS)
    named = list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    if not named:
        raise GatewayError(
            400,
            "group_by names one or more of day, key and model, separated by commas.",
            param="group_by",
            code="invalid_value",
        )
    return named


async def usage_report(request: Request[Services]) -> ASGIApp:
    try:
        query = UsageQuery.model_validate(request.query)
    except ValidationError as exc:
        raise validation_error(exc) from None
    if query.key_id is not None and not looks_like_key_id(query.key_id):
        raise GatewayError(
            400, f"No key has the id '{query.key_id[:64]}'.", param="key_id", code="invalid_value"
        )
    store = request.services.keys
    today = datetime.fromtimestamp(store.clock(), UTC).date()
    start, end = query.start or today.replace(day=1), query.end or today
    group_by = _group_by(query.group_by)
    await store.flush()
    rows = await _stored(request, store.usage(start, end, key_id=query.key_id, group_by=group_by))
    names: dict[str, str] = {}
    if "key" in group_by:
        every = await _stored(request, store.list_keys(include_revoked=True))
        names = {record.id: record.name for record in every}
    data = [
        {
            "day": row.day,
            "key_id": row.key_id,
            "key_name": names.get(row.key_id) if row.key_id else None,
            "model": row.model,
            "requests": row.usage.requests,
            "input_tokens": row.usage.input_tokens,
            "output_tokens": row.usage.output_tokens,
            "errors": row.usage.errors,
        }
        for row in rows
    ]
    return JSONResponse(
        {
            "object": "list",
            "start": start.isoformat(),
            "end": end.isoformat(),
            "group_by": group_by,
            "data": data,
        }
    )


async def own_key(request: Request[Services]) -> ASGIApp:
    """The asking key's limits, this month's usage and what remains of its budget."""
    key = request.context.key
    if key is None:
        return JSONResponse(
            {
                "object": "key",
                "kind": "operator",
                "id": None,
                "name": None,
                "models": None,
                "rpm": None,
                "tpm": None,
                "monthly_token_budget": None,
                "expires_at": None,
                "usage": None,
                "remaining": None,
            }
        )
    totals = (await _month_totals(request, [key.id]))[key.id]
    budget = key.monthly_token_budget
    public = key.public()
    return JSONResponse(
        {
            "object": "key",
            "kind": "named",
            **{name: public[name] for name in ("id", "name", "models", "rpm", "tpm")},
            "monthly_token_budget": budget,
            "expires_at": key.expires_at,
            "usage": _month(totals),
            "remaining": {
                "monthly_tokens": None if budget is None else max(0, budget - totals.usage.tokens)
            },
        }
    )


ADMIN = {"access": "operator", "errors": ADMIN_ERRORS}

ROUTES: list[Route] = [
    post(
        "/admin/keys",
        KeyCreate,
        create_key,
        summary="Create a named key (operator keys only)",
        description="Answers 201 with the key object and its secret, `key`, shown this once.",
        response_model=CreatedKey,
        status=201,
        **ADMIN,
    ),
    get(
        "/admin/keys",
        list_keys,
        summary="List the named keys, each with this month's usage (operator keys only)",
        response_model=KeyList,
        **ADMIN,
    ),
    get(
        "/admin/keys/{key_id}",
        get_key,
        summary="Retrieve a named key (operator keys only)",
        response_model=KeyObject,
        **ADMIN,
    ),
    patch(
        "/admin/keys/{key_id}",
        KeyUpdate,
        update_key,
        summary="Change a named key's limits, models, name, expiry or disabled flag",
        response_model=KeyObject,
        **ADMIN,
    ),
    delete(
        "/admin/keys/{key_id}",
        revoke_key,
        summary="Revoke a named key (operator keys only)",
        description="Every instance refuses it within KEY_CACHE_SECONDS (10 s at most).",
        response_model=DeletedKey,
        **ADMIN,
    ),
    get(
        "/admin/usage",
        usage_report,
        summary="Usage per UTC day, key and model (operator keys only)",
        response_model=UsageReport,
        query=UsageQuery,
        **ADMIN,
    ),
    get(
        "/v1/key",
        own_key,
        summary="The calling key: its limits, this month's usage and what remains",
        response_model=OwnKey,
        errors=(401, 503),
        access="key",
    ),
]
