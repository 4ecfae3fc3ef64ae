"""The admin API over real HTTP, on SQLite and on moto's DynamoDB: minting, listing, changing
and revoking named keys, the usage report, who may call it, and hostile bodies, queries and ids
(each a 4xx naming what is wrong, never a 5xx)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from helpers import (
    KEYS,
    GatewayServer,
    assert_error,
    mint_key,
    operator_headers,
    post,
    usage_rows,
)

from gateway.core.keys.records import MAX_LIMIT, MAX_TIMESTAMP

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
KEY_FIELDS = {
    "object",
    "id",
    "name",
    "models",
    "rpm",
    "tpm",
    "monthly_token_budget",
    "expires_at",
    "disabled",
    "created_at",
    "metadata",
    "usage",
}


def admin(
    server: GatewayServer, method: str, path: str, body: Any = None, key: str | None = None
) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"} if key else operator_headers(server)
    return httpx.request(method, f"{server.url}{path}", json=body, headers=headers, timeout=30)


def test_a_key_is_minted_listed_changed_and_revoked(keys_gateway, clock):
    created = admin(
        keys_gateway,
        "POST",
        "/admin/keys",
        {"name": "alice", "rpm": 60, "models": ["gpt-4o"], "metadata": {"team": "search"}},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    secret = body.pop("key")
    assert secret.startswith("sk-") and len(secret) == 46
    assert set(body) == KEY_FIELDS
    assert body | {"id": None} == {
        "object": "key",
        "id": None,
        "name": "alice",
        "models": ["gpt-4o"],
        "rpm": 60,
        "tpm": None,
        "monthly_token_budget": None,
        "expires_at": None,
        "disabled": False,
        "created_at": int(clock()),
        "metadata": {"team": "search"},
        "usage": {
            "month": "2026-12",
            "requests": 0,
            "input_tokens": 0,
            "output_tokens": 0,
            "errors": 0,
            "resets_at": 1798761600,
        },
    }
    key_id = body["id"]

    listed = admin(keys_gateway, "GET", "/admin/keys").json()
    assert listed["object"] == "list"
    assert [k["id"] for k in listed["data"]] == [key_id]
    assert admin(keys_gateway, "GET", f"/admin/keys/{key_id}").json() == body
    for answer in (listed, body):
        assert secret not in json.dumps(answer)

    changed = admin(
        keys_gateway, "PATCH", f"/admin/keys/{key_id}", {"rpm": None, "tpm": 1000, "name": "al"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() | {"usage": None} == body | {
        "rpm": None,
        "tpm": 1000,
        "name": "al",
        "usage": None,
    }
    assert post(keys_gateway, "/v1/chat/completions", CHAT, key=secret).status_code == 200

    revoked = admin(keys_gateway, "DELETE", f"/admin/keys/{key_id}")
    assert revoked.json() == {"id": key_id, "object": "key", "deleted": True}
    assert admin(keys_gateway, "GET", f"/admin/keys/{key_id}").status_code == 404
    assert admin(keys_gateway, "DELETE", f"/admin/keys/{key_id}").status_code == 404
    assert admin(keys_gateway, "PATCH", f"/admin/keys/{key_id}", {"rpm": 1}).status_code == 404
    assert admin(keys_gateway, "GET", "/admin/keys").json()["data"] == []
    refused = post(keys_gateway, "/v1/chat/completions", CHAT, key=secret)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "key_revoked"


def test_names_are_unique_among_live_keys(keys_gateway, openai_schemas):
    _, first = mint_key(keys_gateway, name="bob")
    taken = admin(keys_gateway, "POST", "/admin/keys", {"name": "bob"})
    assert_error(taken, 409, openai_schemas, code="name_taken", param="name")
    _, other = mint_key(keys_gateway, name="carol")
    renamed = admin(keys_gateway, "PATCH", f"/admin/keys/{other['id']}", {"name": "bob"})
    assert_error(renamed, 409, openai_schemas, code="name_taken", param="name")
    admin(keys_gateway, "DELETE", f"/admin/keys/{first['id']}")
    assert admin(keys_gateway, "POST", "/admin/keys", {"name": "bob"}).status_code == 201


ADMIN_CALLS = [
    ("POST", "/admin/keys", {"name": "mallory"}),
    ("GET", "/admin/keys", None),
    ("GET", "/admin/keys/{id}", None),
    ("PATCH", "/admin/keys/{id}", {"rpm": 1}),
    ("DELETE", "/admin/keys/{id}", None),
    ("GET", "/admin/usage", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS)
def test_only_operator_keys_may_manage_keys(keys_gateway, openai_schemas, method, path, body):
    secret, key = mint_key(keys_gateway, name="named")
    path = path.replace("{id}", key["id"])
    refused = admin(keys_gateway, method, path, body, key=secret)
    assert_error(refused, 403, openai_schemas, code="operator_key_required")
    assert secret not in refused.text
    missing = httpx.request(method, f"{keys_gateway.url}{path}", json=body, timeout=30)
    assert_error(missing, 401, openai_schemas, code="missing_api_key")
    wrong = admin(keys_gateway, method, path, body, key="sk-" + "x" * 43)
    assert_error(wrong, 401, openai_schemas, code="invalid_api_key")
    assert admin(keys_gateway, "GET", f"/admin/keys/{key['id']}").json()["rpm"] is None
    assert [k["name"] for k in admin(keys_gateway, "GET", "/admin/keys").json()["data"]] == [
        "named"
    ]
    for operator in KEYS:  # every configured key is an operator key
        assert admin(keys_gateway, "GET", "/admin/keys", key=operator).status_code == 200


CREATE_REFUSED = [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": " padded"}, "name"),
    ({"name": "bell\u0007"}, "name"),
    ({"name": "line\nbreak"}, "name"),
    ({"name": "x" * 129}, "name"),
    ({"name": 5}, "name"),
    ({"name": None}, "name"),
    ({"name": ["a"]}, "name"),
    ({"name": "x", "rpm": "60"}, "rpm"),
    ({"name": "x", "rpm": 0}, "rpm"),
    ({"name": "x", "rpm": -1}, "rpm"),
    ({"name": "x", "rpm": 1.5}, "rpm"),
    ({"name": "x", "rpm": True}, "rpm"),
    ({"name": "x", "rpm": MAX_LIMIT + 1}, "rpm"),
    ({"name": "x", "tpm": 10**400}, "tpm"),
    ({"name": "x", "monthly_token_budget": {}}, "monthly_token_budget"),
    ({"name": "x", "models": []}, "models"),
    ({"name": "x", "models": "gpt-4o"}, "models"),
    ({"name": "x", "models": [""]}, "models[0]"),
    ({"name": "x", "models": ["gpt-4o", 5]}, "models[1]"),
    ({"name": "x", "models": ["m" * 257]}, "models[0]"),
    ({"name": "x", "models": [f"m{i}" for i in range(101)]}, "models"),
    ({"name": "x", "expires_at": "tomorrow"}, "expires_at"),
    ({"name": "x", "expires_at": 0}, "expires_at"),
    ({"name": "x", "expires_at": MAX_TIMESTAMP + 1}, "expires_at"),
    ({"name": "x", "disabled": "yes"}, "disabled"),
    ({"name": "x", "disabled": 1}, "disabled"),
    ({"name": "x", "metadata": []}, "metadata"),
    ({"name": "x", "metadata": "note"}, "metadata"),
    ({"name": "x", "metadata": {"note": "n" * 5000}}, "metadata"),
    ({"name": "x", "rmp": 60}, "rmp"),
    ({"name": "x", "id": "key_000000000000000000000000"}, "id"),
    ({"name": "x", "secret_hash": "00"}, "secret_hash"),
    ({"name": "x", "key": "sk-mine"}, "key"),
    ({"name": "x", "created_at": 1}, "created_at"),
    ({"name": "x", "revoked_at": 1}, "revoked_at"),
]


@pytest.mark.parametrize(("body", "param"), CREATE_REFUSED)
def test_a_bad_new_key_is_a_400_naming_the_field(keys_gateway, openai_schemas, body, param):
    refused = admin(keys_gateway, "POST", "/admin/keys", body)
    assert_error(refused, 400, openai_schemas, type="invalid_request_error", param=param)
    assert admin(keys_gateway, "GET", "/admin/keys").json()["data"] == []


UPDATE_REFUSED = [
    ({"name": None}, "name"),
    ({"name": "tab\tname"}, "name"),
    ({"disabled": None}, "disabled"),
    ({"rpm": "5"}, "rpm"),
    ({"models": [None]}, "models[0]"),
    ({"expires_at": -5}, "expires_at"),
    ({"limits": {"rpm": 5}}, "limits"),
]


@pytest.mark.parametrize(("body", "param"), UPDATE_REFUSED)
def test_a_bad_change_is_a_400_naming_the_field(keys_gateway, openai_schemas, body, param):
    _, key = mint_key(keys_gateway, name="steady", rpm=5)
    refused = admin(keys_gateway, "PATCH", f"/admin/keys/{key['id']}", body)
    assert_error(refused, 400, openai_schemas, param=param)
    assert admin(keys_gateway, "GET", f"/admin/keys/{key['id']}").json() == key


def test_an_empty_change_changes_nothing(keys_gateway):
    _, key = mint_key(keys_gateway, name="steady", rpm=5, models=["gpt-4"])
    same = admin(keys_gateway, "PATCH", f"/admin/keys/{key['id']}", {})
    assert same.status_code == 200
    assert same.json() == key


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"", "application/json"),
        (b"[]", "application/json"),
        (b'"name"', "application/json"),
        (b"{", "application/json"),
        (b'{"name": "x", "rpm": NaN}', "application/json"),
        (b'{"name": "x\\u0000"}', "application/json"),
        (b'{"name": "\\ud800"}', "application/json"),
        (b'{"name": "x", "metadata": ' + b'{"a": ' * 100 + b"1" + b"}" * 101, "application/json"),
        (b'{"name": "x"}', "text/plain"),
    ],
)
def test_a_body_that_is_no_key_is_a_400(keys_gateway, openai_schemas, content, content_type):
    headers = operator_headers(keys_gateway) | {"content-type": content_type}
    refused = httpx.post(
        f"{keys_gateway.url}/admin/keys", content=content, headers=headers, timeout=30
    )
    assert_error(refused, 400, openai_schemas)
    assert admin(keys_gateway, "GET", "/admin/keys").json()["data"] == []


@pytest.mark.parametrize(
    "key_id",
    [
        "key_000000000000000000000000",
        "nope",
        "key_" + "A" * 24,
        "k" * 5000,
        "key_%00",
        "key_%2e%2e",
    ],
)
def test_an_unknown_or_malformed_key_id_is_a_404(keys_gateway, openai_schemas, key_id):
    for method, body in (("GET", None), ("PATCH", {"rpm": 1}), ("DELETE", None)):
        answer = admin(keys_gateway, method, f"/admin/keys/{key_id}", body)
        assert_error(answer, 404, openai_schemas, code="key_not_found")


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ({"start": "2026-13-01"}, "start"),
        ({"end": "yesterday"}, "end"),
        ({"start": "2026-12-10", "end": "2026-12-01"}, "end"),
        ({"start": "2025-01-01", "end": "2026-12-31"}, "end"),
        ({"group_by": "week"}, "group_by"),
        ({"group_by": "day,hour"}, "group_by"),
        ({"group_by": ","}, "group_by"),
        ({"key_id": "alice"}, "key_id"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_usage_query_is_a_400_naming_it(keys_gateway, openai_schemas, query, param):
    answer = httpx.get(
        f"{keys_gateway.url}/admin/usage",
        params=query,
        headers=operator_headers(keys_gateway),
        timeout=30,
    )
    assert_error(answer, 400, openai_schemas, param=param)


def test_the_usage_report_groups_by_day_key_and_model(keys_gateway, emulator, clock):
    alice, a = mint_key(keys_gateway, name="alice")
    bob, b = mint_key(keys_gateway, name="bob")
    mini = {**CHAT, "model": "gpt-4o-mini"}
    for key, body in ((alice, CHAT), (alice, CHAT), (alice, mini), (bob, CHAT)):
        assert post(keys_gateway, "/v1/chat/completions", body, key=key).status_code == 200
    usage_rows(keys_gateway)  # written (on the 15th) before the clock moves on
    clock.advance(86400)
    assert post(keys_gateway, "/v1/chat/completions", CHAT, key=bob).status_code == 200
    sent = [run["usage"] for run in emulator.requests() if run["route"] == "run"]
    assert len(sent) == 5

    def counts(usage: list[dict[str, int]]) -> dict[str, int]:
        return {
            "requests": len(usage),
            "input_tokens": sum(u["prompt_tokens"] for u in usage),
            "output_tokens": sum(u["completion_tokens"] for u in usage),
            "errors": 0,
        }

    primary, backup = (
        "@cf/meta/llama-4-scout-17b-16e-instruct",
        "@cf/openai/gpt-oss-120b",
    )
    expected = [
        {"day": "2026-12-15", "key_id": a["id"], "key_name": "alice", "model": primary}
        | counts(sent[0:2]),
        {"day": "2026-12-15", "key_id": a["id"], "key_name": "alice", "model": backup}
        | counts(sent[2:3]),
        {"day": "2026-12-15", "key_id": b["id"], "key_name": "bob", "model": primary}
        | counts(sent[3:4]),
        {"day": "2026-12-16", "key_id": b["id"], "key_name": "bob", "model": primary}
        | counts(sent[4:5]),
    ]
    assert usage_rows(keys_gateway) == sorted(
        expected, key=lambda row: (row["day"], row["key_id"], row["model"])
    )
    assert usage_rows(keys_gateway, group_by="key", key_id=b["id"]) == [
        {"day": None, "key_id": b["id"], "key_name": "bob", "model": None} | counts(sent[3:5])
    ]
    assert usage_rows(keys_gateway, group_by="day", start="2026-12-16") == [
        {"day": "2026-12-16", "key_id": None, "key_name": None, "model": None} | counts(sent[4:5])
    ]
    assert usage_rows(keys_gateway, group_by="model,model") == [
        {"day": None, "key_id": None, "key_name": None, "model": primary}
        | counts(sent[0:2] + sent[3:5]),
        {"day": None, "key_id": None, "key_name": None, "model": backup} | counts(sent[2:3]),
    ]
    assert usage_rows(keys_gateway, start="2026-11-01", end="2026-11-30") == []
    listed = {
        k["name"]: k["usage"] for k in admin(keys_gateway, "GET", "/admin/keys").json()["data"]
    }
    assert listed["alice"]["requests"] == 3
    assert listed["bob"] | {"resets_at": 0} == {"month": "2026-12", "resets_at": 0} | counts(
        sent[3:5]
    )


def test_a_revoked_keys_usage_stays_in_the_report(keys_gateway):
    secret, key = mint_key(keys_gateway, name="gone")
    assert post(keys_gateway, "/v1/chat/completions", CHAT, key=secret).status_code == 200
    admin(keys_gateway, "DELETE", f"/admin/keys/{key['id']}")
    (row,) = usage_rows(keys_gateway, group_by="key")
    assert (row["key_id"], row["key_name"], row["requests"]) == (key["id"], "gone", 1)


def test_v1_key_shows_a_holder_where_it_stands(keys_gateway, emulator):
    secret, key = mint_key(
        keys_gateway, name="dave", rpm=1, monthly_token_budget=1000, metadata={"owner": "ops"}
    )
    assert post(keys_gateway, "/v1/chat/completions", CHAT, key=secret).status_code == 200
    used = emulator.requests()[-1]["usage"]
    tokens = used["prompt_tokens"] + used["completion_tokens"]
    for _ in range(2):  # not counted against the rpm, and answered while the minute is full
        own = httpx.get(
            f"{keys_gateway.url}/v1/key", headers={"authorization": f"Bearer {secret}"}, timeout=30
        )
        assert own.status_code == 200, own.text
    assert own.json() == {
        "object": "key",
        "kind": "named",
        "id": key["id"],
        "name": "dave",
        "models": None,
        "rpm": 1,
        "tpm": None,
        "monthly_token_budget": 1000,
        "expires_at": None,
        "usage": {
            "month": "2026-12",
            "requests": 1,
            "input_tokens": used["prompt_tokens"],
            "output_tokens": used["completion_tokens"],
            "errors": 0,
            "resets_at": 1798761600,
        },
        "remaining": {"monthly_tokens": 1000 - tokens},
    }
    operator = httpx.get(
        f"{keys_gateway.url}/v1/key", headers=operator_headers(keys_gateway), timeout=30
    )
    assert operator.json()["kind"] == "operator"
    assert operator.json()["usage"] is None
