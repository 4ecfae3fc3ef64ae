"""Usage records of named keys (core/metering.py, core/upstream.py): every answered request counts
exactly once, whole or streamed, on every API, under the key, the UTC day and the model that
answered, with the upstream's own token counts; failures after the first byte and clients that
leave count as errors; requests refused before any model call are no usage; and the EMF metrics
carry the key's name."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from helpers import (
    BACKUP,
    PRIMARY,
    gateway_output,
    mint_key,
    post,
    upstream_runs,
    usage_rows,
)

HELLO = [{"role": "user", "content": "hi"}]
EMBEDDING_MODEL = "@cf/baai/bge-base-en-v1.5"
CALLS = {
    "chat": ("/v1/chat/completions", {"model": "gpt-4o", "messages": HELLO}),
    "chat-stream": ("/v1/chat/completions", {"model": "gpt-4o", "messages": HELLO, "stream": True}),
    "completions": ("/v1/completions", {"model": "gpt-4o", "prompt": "hi"}),
    "completions-stream": ("/v1/completions", {"model": "gpt-4o", "prompt": "hi", "stream": True}),
    "responses": ("/v1/responses", {"model": "gpt-4o", "input": "hi"}),
    "responses-stream": ("/v1/responses", {"model": "gpt-4o", "input": "hi", "stream": True}),
    "backup-stream": ("/v1/chat/completions", {"model": BACKUP, "messages": HELLO, "stream": True}),
    "embeddings": ("/v1/embeddings", {"model": "text-embedding-3-small", "input": ["a", "b c"]}),
}


def sent_usage(emulator: Any) -> tuple[int, int]:
    """The input and output tokens of every answer the emulator gave (0 where it gave none)."""
    usages = [run["usage"] or {} for run in upstream_runs(emulator)]
    return (
        sum(u.get("prompt_tokens", 0) for u in usages),
        sum(u.get("completion_tokens", 0) for u in usages),
    )


def row_of(rows: list[dict[str, Any]]) -> tuple[Any, ...]:
    (row,) = rows
    return row["model"], row["requests"], row["input_tokens"], row["output_tokens"], row["errors"]


@pytest.mark.parametrize("call", CALLS)
def test_every_answer_counts_once_with_the_upstreams_tokens(keys_gateway, emulator, call):
    path, body = CALLS[call]
    secret, key = mint_key(keys_gateway, name=call)
    for _ in range(3):
        answer = post(keys_gateway, path, body, key=secret)
        assert answer.status_code == 200, answer.text
        assert answer.text
    models = {run["model"] for run in upstream_runs(emulator)}
    assert len(models) == 1 and len(upstream_runs(emulator)) == 3
    model = models.pop()
    assert model == {"backup-stream": BACKUP, "embeddings": EMBEDDING_MODEL}.get(call, PRIMARY)
    assert row_of(usage_rows(keys_gateway, key_id=key["id"])) == (
        model,
        3,
        *sent_usage(emulator),
        0,
    )


def test_a_stream_that_fails_after_its_first_byte_counts_as_an_error(keys_gateway, emulator):
    secret, key = mint_key(keys_gateway, name="cut")
    path, body = CALLS["chat-stream"]
    emulator.add_fault(model=PRIMARY, error_after_chunks=2)
    answer = post(keys_gateway, path, body, key=secret)
    assert answer.status_code == 200
    assert '"error"' in answer.text, "the stream ends with an error event"
    assert row_of(usage_rows(keys_gateway, key_id=key["id"])) == (PRIMARY, 1, 0, 0, 1)


def test_a_failed_answer_counts_under_the_model_that_failed(keys_gateway, emulator):
    secret, key = mint_key(keys_gateway, name="failed")
    path, body = CALLS["chat"]
    emulator.add_fault(model=PRIMARY, status=400, code=5004)
    assert post(keys_gateway, path, body, key=secret).status_code == 400
    assert row_of(usage_rows(keys_gateway, key_id=key["id"])) == (PRIMARY, 1, 0, 0, 1)


def test_a_fallback_counts_once_under_the_model_that_answered(keys_gateway, emulator):
    secret, key = mint_key(keys_gateway, name="fallback")
    path, body = CALLS["chat"]
    emulator.add_fault(model=PRIMARY, status=429, code=3040)
    answer = post(keys_gateway, path, body, key=secret)
    assert answer.headers["x-gateway-model"] == BACKUP
    assert row_of(usage_rows(keys_gateway, key_id=key["id"])) == (
        BACKUP,
        1,
        *sent_usage(emulator),
        0,
    )


def test_requests_refused_before_any_model_call_are_no_usage(keys_gateway, emulator):
    secret, key = mint_key(keys_gateway, name="refused", models=["gpt-4o"])
    for body in (
        {"model": "gpt-4o"},  # no messages: 400
        {"model": "gpt-4o-mini", "messages": HELLO},  # not its model: 403
        {"model": "no-such-model", "messages": HELLO},  # 404
    ):
        assert post(keys_gateway, "/v1/chat/completions", body, key=secret).status_code >= 400
    httpx.get(f"{keys_gateway.url}/v1/models", headers={"authorization": f"Bearer {secret}"})
    assert upstream_runs(emulator) == []
    assert usage_rows(keys_gateway, key_id=key["id"]) == []


def test_a_client_that_leaves_mid_stream_counts_as_an_error(keys_gateway, emulator):
    secret, key = mint_key(keys_gateway, name="leaver")
    path, body = CALLS["chat-stream"]
    emulator.add_fault(model=PRIMARY, chunk_delay_ms=200)
    with httpx.stream(
        "POST",
        f"{keys_gateway.url}{path}",
        json=body,
        headers={"authorization": f"Bearer {secret}"},
        timeout=30,
    ) as response:
        assert response.status_code == 200
        next(response.iter_bytes())
    deadline = time.monotonic() + 10
    while not (rows := usage_rows(keys_gateway, key_id=key["id"])):
        assert time.monotonic() < deadline, "the request was never recorded"
        time.sleep(0.05)
    assert row_of(rows)[:2] == (PRIMARY, 1)
    assert row_of(rows)[4] == 1


def test_the_metrics_carry_the_key_name(keys_gateway, emulator):
    secret, _ = mint_key(keys_gateway, name="metered")
    path, body = CALLS["chat"]
    with gateway_output() as output:
        named = post(keys_gateway, path, body, key=secret)
        operator = post(keys_gateway, path, body)
        named_log, named_emf = output.request(named.headers["x-request-id"])
        _, operator_emf = output.request(operator.headers["x-request-id"])
    (directive,) = named_emf["_aws"]["CloudWatchMetrics"]
    assert directive["Dimensions"] == [["service"], ["service", "key"]]
    assert named_emf["key"] == "metered"
    assert named_emf["PromptTokens"] == [sent_usage(emulator)[0] / 2]
    assert named_log["key"] == "metered"
    assert operator_emf["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    assert "key" not in operator_emf
    assert secret not in output.text
