"""Named keys at the door (core/auth.py, core/metering.py), over real HTTP on SQLite and on
moto's DynamoDB, with a clock the test moves: the limits (rpm, tpm, monthly budget), the models a
key may use, expiry, disabling, revocation within the bound, the store down, and the
`x-ratelimit-*` headers as the openai SDK reads them."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from helpers import (
    BACKUP,
    PRIMARY,
    USAGE_TABLE,
    assert_error,
    gateway_output,
    mint_key,
    operator_headers,
    post,
    sdk,
    upstream_runs,
    usage_rows,
    utc,
)

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
RATE_LIMIT_HEADERS = (
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-reset-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-tokens",
)
DURATION = re.compile(r"(\d+m)?\d+(\.\d+)?s|\d+ms")
"""How OpenAI writes a reset: `20ms`, `6.5s`, `1m0s`."""


def chat(server: Any, key: str, **fields: Any) -> httpx.Response:
    return post(server, "/v1/chat/completions", CHAT | fields, key=key)


def chat_and_settle(server: Any, key: str) -> int:
    """A chat's status, once the gateway has written its usage: the next request's limits then
    see its tokens (a write lands after the answer's bytes; GET /admin/usage waits for it)."""
    status = chat(server, key).status_code
    usage_rows(server)
    return status


def tokens_of(emulator: Any) -> list[int]:
    """The tokens (input and output) of each answer the emulator gave, oldest first."""
    return [
        run["usage"]["prompt_tokens"] + run["usage"]["completion_tokens"]
        for run in upstream_runs(emulator)
    ]


# --- limits ----------------------------------------------------------------------------------


def test_rpm_lets_exactly_its_number_through_each_minute(
    keys_gateway, emulator, clock, openai_schemas
):
    secret, _ = mint_key(keys_gateway, name="rpm", rpm=3)
    answers = [chat(keys_gateway, secret) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert [a.headers["x-ratelimit-remaining-requests"] for a in answers] == [
        "2",
        "1",
        "0",
        "0",
        "0",
    ]
    refused = answers[3]
    error = assert_error(refused, 429, openai_schemas, type="requests", code="rate_limit_exceeded")
    assert "3 requests per minute" in error["message"]
    assert refused.headers["retry-after"] == "60"  # the clock stands at 12:00:00
    assert refused.headers["x-ratelimit-reset-requests"] == "1m0s"
    assert len(upstream_runs(emulator)) == 3, "a refused request reached the upstream"
    clock.advance(60)
    assert chat(keys_gateway, secret).status_code == 200


def test_tpm_refuses_once_the_minutes_tokens_reach_it(
    keys_gateway, emulator, clock, openai_schemas
):
    secret, _ = mint_key(keys_gateway, name="tpm", tpm=30)
    statuses = []
    while len(statuses) < 10 and (not statuses or statuses[-1] == 200):
        statuses.append(chat_and_settle(keys_gateway, secret))
    used = tokens_of(emulator)
    passed = statuses.count(200)
    assert statuses == [200] * passed + [429]
    assert sum(used[: passed - 1]) < 30 <= sum(used), "admitted while below, refused at the limit"
    refused = chat(keys_gateway, secret)
    assert_error(refused, 429, openai_schemas, type="tokens", code="rate_limit_exceeded")
    assert refused.headers["x-ratelimit-remaining-tokens"] == "0"
    clock.advance(60)
    answer = chat(keys_gateway, secret)
    assert answer.status_code == 200
    assert answer.headers["x-ratelimit-remaining-tokens"] == "30"


def test_the_budget_is_spent_then_resets_at_the_months_turn(keys_gateway, emulator, clock):
    clock.now = utc("2026-12-31T23:59:00")
    secret, key = mint_key(keys_gateway, name="budget", monthly_token_budget=40)
    statuses = []
    while len(statuses) < 10 and (not statuses or statuses[-1] == 200):
        statuses.append(chat_and_settle(keys_gateway, secret))
    passed = statuses.count(200)
    used = tokens_of(emulator)
    assert statuses == [200] * passed + [429]
    assert sum(used[: passed - 1]) < 40 <= sum(used)

    sent: list[httpx.Request] = []
    client = openai.OpenAI(
        base_url=f"{keys_gateway.url}/v1",
        api_key=secret,
        max_retries=2,
        http_client=httpx.Client(event_hooks={"request": [sent.append]}),
    )
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(**CHAT)
    assert caught.value.code == "insufficient_quota"
    assert caught.value.type == "insufficient_quota"
    assert "retry-after" not in caught.value.response.headers
    assert len(sent) == 1, "the SDK retried a spent budget"

    clock.now = utc("2027-01-01T00:00:01")
    assert chat(keys_gateway, secret).status_code == 200
    own = httpx.get(
        f"{keys_gateway.url}/v1/key", headers={"authorization": f"Bearer {secret}"}, timeout=30
    ).json()
    assert own["usage"]["month"] == "2027-01"
    assert own["usage"]["requests"] == 1
    assert own["remaining"] == {"monthly_tokens": 40 - tokens_of(emulator)[-1]}
    december = usage_rows(keys_gateway, start="2026-12-01", end="2026-12-31", group_by="key")
    assert december[0]["requests"] == passed
    assert december[0]["key_id"] == key["id"]


def test_a_key_may_use_only_its_models(keys_gateway, emulator, openai_schemas):
    secret, _ = mint_key(keys_gateway, name="scoped", models=["gpt-4o"])
    assert chat(keys_gateway, secret).status_code == 200
    assert chat(keys_gateway, secret, model=PRIMARY).status_code == 200, "gpt-4o stands for it"
    refused = chat(keys_gateway, secret, model="gpt-4o-mini")
    error = assert_error(refused, 403, openai_schemas, code="model_not_allowed", param="model")
    assert "gpt-4o-mini" in error["message"]
    embeddings = post(
        keys_gateway,
        "/v1/embeddings",
        {"model": "text-embedding-3-small", "input": "hi"},
        key=secret,
    )
    assert_error(embeddings, 403, openai_schemas, code="model_not_allowed")
    assert [run["model"] for run in upstream_runs(emulator)] == [PRIMARY, PRIMARY]


def test_a_key_lists_only_its_models(keys_gateway, openai_schemas):
    """GET /v1/models shows a key with a list of models what it may use: the alias it names, the
    model that alias stands for and the other aliases of that model, each of which answers it;
    other models are not found for it."""
    secret, _ = mint_key(keys_gateway, name="lister", models=["gpt-4o"])
    client = openai.OpenAI(base_url=f"{keys_gateway.url}/v1", api_key=secret)
    listed = {model.id for model in client.models.list()}
    assert {"gpt-4o", PRIMARY} <= listed
    assert not listed & {"gpt-4o-mini", BACKUP, "text-embedding-3-small"}
    for model in listed:
        assert chat(keys_gateway, secret, model=model).status_code == 200, model
    assert client.models.retrieve("gpt-4o").id == "gpt-4o"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o-mini")
    everyone = openai.OpenAI(base_url=f"{keys_gateway.url}/v1", api_key=keys_gateway.api_key)
    assert {"gpt-4o-mini", BACKUP} <= {model.id for model in everyone.models.list()}


def test_the_backup_answers_only_a_key_that_may_use_it(keys_gateway, emulator):
    narrow, _ = mint_key(keys_gateway, name="narrow", models=["gpt-4o"])
    wide, _ = mint_key(keys_gateway, name="wide", models=["gpt-4o", BACKUP])
    emulator.add_fault(model=PRIMARY, status=429, code=3040, times=2)
    assert chat(keys_gateway, narrow).status_code == 429
    assert [run["model"] for run in upstream_runs(emulator)] == [PRIMARY]
    answer = chat(keys_gateway, wide)
    assert answer.status_code == 200
    assert answer.headers["x-gateway-model"] == BACKUP


def test_an_expired_key_is_refused(keys_gateway, clock, openai_schemas):
    secret, _ = mint_key(keys_gateway, name="brief", expires_at=int(clock()) + 60)
    assert chat(keys_gateway, secret).status_code == 200
    clock.advance(60)
    assert_error(chat(keys_gateway, secret), 401, openai_schemas, code="key_expired")


def test_disabling_takes_effect_at_once_where_it_is_made(keys_gateway, openai_schemas):
    secret, key = mint_key(keys_gateway, name="paused")
    assert chat(keys_gateway, secret).status_code == 200
    url = f"{keys_gateway.url}/admin/keys/{key['id']}"
    headers = operator_headers(keys_gateway)
    httpx.patch(url, json={"disabled": True}, headers=headers, timeout=30)
    refused = chat(keys_gateway, secret)
    assert_error(refused, 401, openai_schemas, type="authentication_error", code="key_disabled")
    httpx.patch(url, json={"disabled": False}, headers=headers, timeout=30)
    assert chat(keys_gateway, secret).status_code == 200


def test_a_revocation_reaches_every_instance_within_the_bound(
    start_keys_gateway, emulator, clock, openai_schemas
):
    with start_keys_gateway() as here, start_keys_gateway() as there:
        secret, key = mint_key(here, name="leaver")
        assert chat(there, secret).status_code == 200  # `there` now holds the key in its cache
        revoked = httpx.delete(
            f"{here.url}/admin/keys/{key['id']}", headers=operator_headers(here), timeout=30
        )
        assert revoked.status_code == 200
        assert_error(chat(here, secret), 401, openai_schemas, code="key_revoked")
        assert chat(there, secret).status_code == 200, "within the bound, a cached key may pass"
        clock.advance(here.settings.key_cache_seconds)
        assert_error(chat(there, secret), 401, openai_schemas, code="key_revoked")


# --- the store down ----------------------------------------------------------------------------


def unreachable_store(keys_backend: str, tmp_path: Path) -> dict[str, Any]:
    """Settings naming a store that cannot work: tables that do not exist, or a SQLite file
    whose folder is a file."""
    if keys_backend == "dynamodb":
        return {"keys_table": "missing-keys", "usage_table": "missing-usage"}
    (tmp_path / "a-file").write_text("not a folder")
    return {"keys_db_path": str(tmp_path / "a-file" / "keys.sqlite3")}


def test_with_the_store_down_named_keys_get_503_and_operators_are_served(
    start_keys_gateway, keys_backend, tmp_path, emulator, openai_schemas
):
    with (
        start_keys_gateway(**unreachable_store(keys_backend, tmp_path)) as server,
        gateway_output() as output,
    ):
        named = "sk-" + "n" * 43
        refused = chat(server, named)
        assert_error(refused, 503, openai_schemas, code="key_store_unavailable")
        assert chat(server, server.api_key).status_code == 200
        admin = httpx.get(f"{server.url}/admin/keys", headers=operator_headers(server), timeout=30)
        assert_error(admin, 503, openai_schemas, code="key_store_unavailable")
        assert len(upstream_runs(emulator)) == 1
        log, emf = output.request(refused.headers["x-request-id"])
        assert log["status"] == 503
        assert emf["KeyStoreErrors"] == [1.0]
        assert named not in output.text


def break_usage_store(keys_backend: str, server: Any, aws: Any) -> None:
    """Take the usage counters away from under a running gateway."""
    if keys_backend == "dynamodb":
        aws.delete_table(TableName=USAGE_TABLE)
        return
    with sqlite3.connect(server.settings.keys_db_path) as db:
        for table in ("minute_counters", "monthly_usage", "daily_usage"):
            db.execute(f"DROP TABLE {table}")


def test_a_usage_write_that_fails_never_breaks_the_answer(
    keys_gateway, keys_backend, request, emulator, openai_schemas
):
    free, free_key = mint_key(keys_gateway, name="free")
    limited, _ = mint_key(keys_gateway, name="limited", rpm=100)
    assert chat(keys_gateway, free).status_code == 200  # both keys cached now
    assert chat(keys_gateway, limited).status_code == 200
    assert len(usage_rows(keys_gateway)) == 2  # and their usage written
    aws = request.getfixturevalue("aws") if keys_backend == "dynamodb" else None
    break_usage_store(keys_backend, keys_gateway, aws)
    with gateway_output() as output:
        answer = chat(keys_gateway, free)
        assert answer.status_code == 200
        assert answer.json()["choices"][0]["message"]["content"]
        _, emf = output.request(answer.headers["x-request-id"])
        assert emf["UsageWriteFailures"] == [1.0]
        assert emf["key"] == "free"
        (failure,) = [r for r in output.records() if r.get("message") == "usage write failed"]
        assert failure["key_id"] == free_key["id"]
        assert failure["model"] == PRIMARY
        assert failure["attempts"] == 3
        assert free not in output.text
    assert_error(chat(keys_gateway, limited), 503, openai_schemas, code="key_store_unavailable")
    assert chat(keys_gateway, keys_gateway.api_key).status_code == 200


@pytest.mark.parametrize("keys_backend", ["dynamodb"], indirect=True)
def test_a_usage_write_that_fails_once_loses_nothing(keys_gateway, emulator, monkeypatch):
    from moto.core.botocore_stubber import BotocoreStubber

    secret, key = mint_key(keys_gateway, name="steady")
    failures = {"left": 1}
    process = BotocoreStubber.process_request

    def fail_once(self: Any, request: Any) -> Any:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        if failures["left"] and target.endswith("UpdateItem") and "usage#" in body:
            failures["left"] -= 1
            raise ConnectionError("injected: the day row's write fails once")
        return process(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", fail_once)
    assert chat(keys_gateway, secret).status_code == 200
    (row,) = usage_rows(keys_gateway)  # after this instance's writes
    assert failures["left"] == 0, "the failure was never injected"
    (sent,) = [run["usage"] for run in upstream_runs(emulator)]
    assert (row["key_id"], row["requests"], row["input_tokens"], row["output_tokens"]) == (
        key["id"],
        1,
        sent["prompt_tokens"],
        sent["completion_tokens"],
    )


# --- the headers ------------------------------------------------------------------------------

V1_CALLS = [
    ("POST", "/v1/chat/completions", CHAT),
    ("POST", "/v1/chat/completions", CHAT | {"stream": True}),
    ("POST", "/v1/completions", {"model": "gpt-4o", "prompt": "hi", "max_tokens": 5}),
    ("POST", "/v1/completions", {"model": "gpt-4o", "prompt": "hi", "stream": True}),
    ("POST", "/v1/responses", {"model": "gpt-4o", "input": "hi"}),
    ("POST", "/v1/responses", {"model": "gpt-4o", "input": "hi", "stream": True}),
    ("POST", "/v1/embeddings", {"model": "text-embedding-3-small", "input": "hi"}),
    ("GET", "/v1/models", None),
    ("GET", "/v1/models/gpt-4", None),
    ("POST", "/v1/chat/completions", {"model": "gpt-4o"}),  # a 400
    ("POST", "/v1/chat/completions", CHAT | {"model": "@cf/no/such-model"}),  # a 404
]


@pytest.mark.parametrize(("method", "path", "body"), V1_CALLS)
def test_every_v1_answer_to_a_named_key_carries_the_rate_limit_headers(
    keys_gateway, emulator, method, path, body
):
    secret, _ = mint_key(keys_gateway, name="headers", rpm=50, tpm=100_000)
    free, _ = mint_key(keys_gateway, name="free")
    for key, limited in ((secret, True), (free, False), (keys_gateway.api_key, False)):
        headers = {"authorization": f"Bearer {key}"}
        answer = httpx.request(
            method, f"{keys_gateway.url}{path}", json=body, headers=headers, timeout=30
        )
        found = {name: answer.headers.get(name) for name in RATE_LIMIT_HEADERS}
        if not limited:
            assert found == dict.fromkeys(RATE_LIMIT_HEADERS), "a key without limits has none"
            continue
        assert found["x-ratelimit-limit-requests"] == "50"
        assert found["x-ratelimit-remaining-requests"] == "49"
        assert found["x-ratelimit-limit-tokens"] == "100000"
        assert found["x-ratelimit-remaining-tokens"] == "100000"
        for name in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"):
            assert DURATION.fullmatch(found[name] or ""), found[name]


def test_v1_key_carries_the_headers_without_counting(keys_gateway, emulator):
    secret, _ = mint_key(keys_gateway, name="standing", rpm=2, tpm=1000)
    for _ in range(2):
        assert chat(keys_gateway, secret).status_code == 200
    assert chat(keys_gateway, secret).status_code == 429
    headers = {"authorization": f"Bearer {secret}"}
    for _ in range(2):
        own = httpx.get(f"{keys_gateway.url}/v1/key", headers=headers, timeout=30)
        assert own.status_code == 200
        assert own.headers["x-ratelimit-remaining-requests"] == "0"
        assert own.headers["x-ratelimit-limit-tokens"] == "1000"
        assert int(own.headers["x-ratelimit-remaining-tokens"]) == 1000 - sum(tokens_of(emulator))


def test_the_openai_sdk_reads_the_headers_from_its_raw_response(keys_gateway, emulator):
    secret, _ = mint_key(keys_gateway, name="sdk", rpm=10, tpm=10_000)
    client = sdk(keys_gateway, secret)
    raw = client.chat.completions.with_raw_response.create(**CHAT)
    assert raw.parse().choices[0].message.content
    assert raw.headers["x-ratelimit-limit-requests"] == "10"
    assert raw.headers["x-ratelimit-remaining-requests"] == "9"
    assert raw.headers["x-ratelimit-limit-tokens"] == "10000"
    assert raw.headers["x-ratelimit-reset-requests"] == "1m0s"
    streamed = client.chat.completions.with_raw_response.create(**CHAT, stream=True)
    assert streamed.headers["x-ratelimit-remaining-requests"] == "8"
    assert [chunk for chunk in streamed.parse()]
    usage_rows(keys_gateway)  # the chats' tokens are written
    used = tokens_of(emulator)[0]
    embedded = client.embeddings.with_raw_response.create(
        model="text-embedding-3-small", input="hi"
    )
    assert embedded.headers["x-ratelimit-remaining-requests"] == "7"
    assert int(embedded.headers["x-ratelimit-remaining-tokens"]) <= 10_000 - used


def test_browsers_may_read_the_headers(keys_gateway):
    secret, _ = mint_key(keys_gateway, name="browser", rpm=5)
    answer = httpx.get(
        f"{keys_gateway.url}/v1/models",
        headers={"authorization": f"Bearer {secret}", "origin": "https://app.example"},
        timeout=30,
    )
    exposed = answer.headers["access-control-expose-headers"].split(", ")
    assert set(RATE_LIMIT_HEADERS) <= set(exposed)
    assert answer.headers["x-ratelimit-remaining-requests"] == "4"


def test_keys_that_are_no_named_key_are_refused_without_a_store_lookup(
    start_keys_gateway, keys_backend, tmp_path, openai_schemas
):
    with start_keys_gateway(**unreachable_store(keys_backend, tmp_path)) as server:
        for wrong in ("sk-wrong", "x" * 46, "sk-" + "!" * 43):
            assert_error(chat(server, wrong), 401, openai_schemas, code="invalid_api_key")
