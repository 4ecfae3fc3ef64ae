"""Usage records of named keys (core/metering.py, core/upstream.py): every answered request counts
exactly once, whole or streamed, on every API (chat, completions, responses, embeddings,
moderations, rerank, speech, transcriptions), under the key, the UTC day and the model that
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
    spoken_mp3,
    upstream_runs,
    usage_rows,
)

HELLO = [{"role": "user", "content": "hi"}]
EMBEDDING_MODEL = "@cf/baai/bge-base-en-v1.5"
CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "chat": ("/v1/chat/completions", {"json": {"model": "gpt-4o", "messages": HELLO}}),
    "chat-stream": (
        "/v1/chat/completions",
        {"json": {"model": "gpt-4o", "messages": HELLO, "stream": True}},
    ),
    "completions": ("/v1/completions", {"json": {"model": "gpt-4o", "prompt": "hi"}}),
    "completions-stream": (
        "/v1/completions",
        {"json": {"model": "gpt-4o", "prompt": "hi", "stream": True}},
    ),
    "responses": ("/v1/responses", {"json": {"model": "gpt-4o", "input": "hi"}}),
    "responses-stream": (
        "/v1/responses",
        {"json": {"model": "gpt-4o", "input": "hi", "stream": True}},
    ),
    "backup-stream": (
        "/v1/chat/completions",
        {"json": {"model": BACKUP, "messages": HELLO, "stream": True}},
    ),
    "embeddings": (
        "/v1/embeddings",
        {"json": {"model": "text-embedding-3-small", "input": ["a", "b c"]}},
    ),
    "moderations": ("/v1/moderations", {"json": {"input": ["hello", "how are you"]}}),
    "rerank": ("/v1/rerank", {"json": {"query": "cats", "documents": ["cats purr", "dogs"]}}),
    "speech": (
        "/v1/audio/speech",
        {"json": {"model": "tts-1", "voice": "alloy", "input": "Hello there."}},
    ),
    "transcription": (
        "/v1/audio/transcriptions",
        {"files": {"file": ("a.mp3", spoken_mp3())}, "data": {"model": "whisper-1"}},
    ),
}
"""Every API that calls a model, as a named key's client would: path and request."""


CALLS_OF_TEXT = (
    "chat",
    "chat-stream",
    "completions",
    "completions-stream",
    "responses",
    "responses-stream",
    "backup-stream",
    "embeddings",
)


def call_as(server: Any, key: str, path: str, request: dict[str, Any]) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"}
    return httpx.post(f"{server.url}{path}", headers=headers, timeout=30, **request)


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
    """On every API, the media ones included, none with code of its own for it."""
    path, request = CALLS[call]
    secret, key = mint_key(keys_gateway, name=call, rpm=100)
    for _ in range(3):
        answer = call_as(keys_gateway, secret, path, request)
        assert answer.status_code == 200, answer.text
        assert answer.content
        assert answer.headers["x-ratelimit-limit-requests"] == "100"
    models = {run["model"] for run in upstream_runs(emulator)}
    calls = 2 if call == "moderations" else 1  # one model call per input there, tokens summed
    assert len(models) == 1 and len(upstream_runs(emulator)) == 3 * calls
    model = models.pop()
    if call in CALLS_OF_TEXT:
        assert model == {"backup-stream": BACKUP, "embeddings": EMBEDDING_MODEL}.get(call, PRIMARY)
    row = row_of(usage_rows(keys_gateway, key_id=key["id"]))
    assert row == (model, 3, *sent_usage(emulator), 0)


def test_a_stream_that_fails_after_its_first_byte_counts_as_an_error(keys_gateway, emulator):
    secret, key = mint_key(keys_gateway, name="cut")
    path, request = CALLS["chat-stream"]
    emulator.add_fault(model=PRIMARY, error_after_chunks=2)
    answer = call_as(keys_gateway, secret, path, request)
    assert answer.status_code == 200
    assert '"error"' in answer.text, "the stream ends with an error event"
    assert row_of(usage_rows(keys_gateway, key_id=key["id"])) == (PRIMARY, 1, 0, 0, 1)


def test_a_failed_answer_counts_under_the_model_that_failed(keys_gateway, emulator):
    secret, key = mint_key(keys_gateway, name="failed")
    path, request = CALLS["chat"]
    emulator.add_fault(model=PRIMARY, status=400, code=5004)
    assert call_as(keys_gateway, secret, path, request).status_code == 400
    assert row_of(usage_rows(keys_gateway, key_id=key["id"])) == (PRIMARY, 1, 0, 0, 1)


def test_a_fallback_counts_once_under_the_model_that_answered(keys_gateway, emulator):
    secret, key = mint_key(keys_gateway, name="fallback")
    path, request = CALLS["chat"]
    emulator.add_fault(model=PRIMARY, status=429, code=3040)
    answer = call_as(keys_gateway, secret, path, request)
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
    path, request = CALLS["chat-stream"]
    emulator.add_fault(model=PRIMARY, chunk_delay_ms=200)
    with httpx.stream(
        "POST",
        f"{keys_gateway.url}{path}",
        json=request["json"],
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
    path, request = CALLS["chat"]
    with gateway_output() as output:
        named = call_as(keys_gateway, secret, path, request)
        operator = call_as(keys_gateway, keys_gateway.api_key, path, request)
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
