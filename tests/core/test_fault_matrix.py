"""The fault matrix (issue 7, "Tests"): each way the upstream misbehaves, by the primary alone or
every model failing, by streamed or not, with the outcome the gateway guarantees.

- A failure the backup can help with falls back while no byte has gone to the client; one it
  cannot help with is answered at once. When no model answers, the client gets one documented
  error in OpenAI's envelope, never a 200 that carries an error or an empty success.
- A failure after a stream's first byte ends that stream with an error event, then [DONE].
- Every request ends within its deadlines, and leaves no task behind in the gateway or the
  emulator (an upstream stream left open would keep the emulator's task alive).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from helpers import (
    BACKUP,
    CF_TOKEN,
    KEYS,
    PRIMARY,
    GatewayServer,
    anthropic_events,
    assert_anthropic_error,
    assert_anthropic_error_body,
    stream_events,
    upstream_runs,
    wait_until_quiet,
)

HELLO = [{"role": "user", "content": "hello matrix"}]

SLOW_MS = 5_000  # longer than an attempt; the emulator stops waiting when the gateway leaves


def envelope(result: Any) -> str:
    return json.dumps({"result": result, "success": True, "errors": [], "messages": []})


def answered_200(body: str, content_type: str = "application/json") -> dict[str, Any]:
    return {"status": 200, "raw_status_body": body, "content_type": content_type}


@dataclass(frozen=True)
class Misbehaviour:
    """One upstream fault and what the client gets when no model answers."""

    name: str
    fault: dict[str, Any]
    retryable: bool
    status: int
    code: str
    mid_stream: bool = False
    """Streamed, it strikes after the first byte: no fallback, an error event ends the stream."""
    retry_after: str | None = None


MATRIX = [
    Misbehaviour(
        "429-with-retry-after",
        {"status": 429, "raw_status_body": "Too Many Requests", "retry_after": 30},
        retryable=False,
        status=429,
        code="rate_limit_exceeded",
        retry_after="30",
    ),
    Misbehaviour("500", {"status": 500}, True, 502, "upstream_error"),
    Misbehaviour(
        "503", {"status": 503, "retry_after": 5}, True, 503, "upstream_unavailable", retry_after="5"
    ),
    Misbehaviour(
        "capacity-3040", {"code": 3040, "retry_after": 7}, True, 429, "model_busy", retry_after="7"
    ),
    Misbehaviour("daily-quota-3036", {"code": 3036}, False, 429, "daily_quota_exceeded"),
    Misbehaviour(
        "daily-quota-4006",
        {"code": 4006, "retry_after": 3600},
        False,
        429,
        "daily_quota_exceeded",
        retry_after="3600",
    ),
    Misbehaviour("bad-token-10000", {"code": 10000}, False, 502, "upstream_auth_failed"),
    Misbehaviour("connection-reset", {"connection_reset": True}, True, 502, "upstream_unavailable"),
    Misbehaviour("slow-first-byte", {"delay_ms": SLOW_MS}, True, 504, "upstream_timeout"),
    Misbehaviour(
        "cut-mid-stream", {"cut_after_chunks": 3}, True, 502, "upstream_unavailable", True
    ),
    Misbehaviour("malformed-sse", {"garble_after_chunks": 3}, True, 502, "upstream_error", True),
    Misbehaviour("malformed-first-event", {"garble_after_chunks": 0}, True, 502, "upstream_error"),
    Misbehaviour("error-event", {"error_after_chunks": 3}, True, 502, "upstream_error", True),
    Misbehaviour("error-first-event", {"error_after_chunks": 0}, True, 502, "upstream_error"),
    Misbehaviour("idle-stream", {"stall_after_chunks": 2}, True, 504, "upstream_timeout", True),
    Misbehaviour("idle-from-the-start", {"stall_after_chunks": 0}, True, 504, "upstream_timeout"),
    Misbehaviour(
        "200-not-json",
        answered_200("<html>upstream trouble</html>", "text/html"),
        True,
        502,
        "upstream_error",
    ),
    Misbehaviour("200-empty-body", answered_200(""), True, 502, "upstream_error"),
    Misbehaviour(
        "200-error-object",
        answered_200(json.dumps({"error": {"message": "provider overloaded", "code": 502}})),
        True,
        502,
        "upstream_error",
    ),
    Misbehaviour(
        "200-success-false",
        answered_200(json.dumps({"success": False, "errors": [{"code": 3040, "message": "busy"}]})),
        True,
        429,
        "model_busy",
    ),
    Misbehaviour("200-empty-result", answered_200(envelope({})), True, 502, "upstream_error"),
    Misbehaviour("200-null-result", answered_200(envelope(None)), True, 502, "upstream_error"),
    Misbehaviour(
        "200-empty-stream",
        answered_200("data: [DONE]\n\n", "text/event-stream"),
        True,
        502,
        "upstream_error",
    ),
]


def assert_envelope(error: Any, code: str) -> None:
    assert set(error) == {"message", "type", "param", "code"}, error
    assert error["code"] == code, error
    assert error["message"]
    for secret in (*KEYS, CF_TOKEN):
        assert secret not in error["message"]


def request(gateway: GatewayServer, stream: bool) -> tuple[httpx.Response, list[Any]]:
    body = {"model": "gpt-4", "messages": HELLO}
    if stream:
        return stream_events(gateway, "/v1/chat/completions", body)
    response = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        json=body,
        headers={"authorization": f"Bearer {gateway.api_key}"},
        timeout=30,
    )
    return response, []


def text_of(events: list[Any]) -> str:
    return "".join(
        event["choices"][0]["delta"].get("content") or ""
        for event in events
        if isinstance(event, dict) and event.get("choices")
    )


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize("failing", ["primary", "every-model"])
@pytest.mark.parametrize("case", MATRIX, ids=lambda case: case.name)
def test_fault_matrix(matrix_gateway, emulator, case: Misbehaviour, failing: str, stream: bool):
    baselines = {server: len(server.running_tasks()) for server in (matrix_gateway, emulator)}
    emulator.add_fault(model=PRIMARY if failing == "primary" else "*", times=None, **case.fault)

    response, events = request(matrix_gateway, stream)
    tried = [run["model"] for run in upstream_runs(emulator)]

    if stream and case.mid_stream:
        # The first byte went out: no fallback, the stream ends with an error event and [DONE].
        assert response.status_code == 200
        assert events[-1] == "[DONE]"
        assert_envelope(events[-2]["error"], case.code)
        assert events[-2]["error"]["type"] == "api_error"
        assert text_of(events[:-2]).startswith("This is")
        assert tried == [PRIMARY]
    elif case.retryable and failing == "primary":
        # The backup answers, and nothing of the failure shows.
        assert response.status_code == 200, response.text
        assert response.headers["x-gateway-model"] == BACKUP
        if stream:
            assert events[-1] == "[DONE]"
            assert not any("error" in event for event in events[:-1] if isinstance(event, dict))
            assert text_of(events).startswith(f"This is an emulated reply from {BACKUP}")
        else:
            message = response.json()["choices"][0]["message"]
            assert message["content"].startswith(f"This is an emulated reply from {BACKUP}")
        assert tried == [PRIMARY, BACKUP]
    else:
        # One documented error, before any byte of an answer.
        assert response.status_code == case.status, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert set(response.json()) == {"error"}
        assert_envelope(response.json()["error"], case.code)
        assert response.headers.get("retry-after") == case.retry_after
        assert tried == ([PRIMARY, BACKUP] if case.retryable else [PRIMARY])

    for server, baseline in baselines.items():
        wait_until_quiet(server, baseline)


ANTHROPIC_STATUS = {"model_busy": 529}
"""Where the Messages API's status differs from chat's: capacity is Anthropic's 529."""


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize("failing", ["primary", "every-model"])
@pytest.mark.parametrize("case", MATRIX, ids=lambda case: case.name)
def test_fault_matrix_messages(
    matrix_gateway, emulator, case: Misbehaviour, failing: str, stream: bool
):
    """The same guarantees on the Messages API, in Anthropic's envelope and statuses."""
    baselines = {server: len(server.running_tasks()) for server in (matrix_gateway, emulator)}
    emulator.add_fault(model=PRIMARY if failing == "primary" else "*", times=None, **case.fault)
    body = {"model": "claude-opus-5-5", "max_tokens": 100, "messages": HELLO}
    if stream:
        response, events = anthropic_events(matrix_gateway, body)
    else:
        response = httpx.post(
            f"{matrix_gateway.url}/v1/messages",
            json=body,
            headers={"x-api-key": matrix_gateway.api_key},
            timeout=30,
        )
    tried = [run["model"] for run in upstream_runs(emulator)]

    if stream and case.mid_stream:
        assert response.status_code == 200
        name, data = events[-1]
        assert name == "error"
        assert_anthropic_error_body(data, case.status)
        text = "".join(
            data["delta"].get("text", "") for name, data in events if name == "content_block_delta"
        )
        assert text.startswith("This is")
        assert tried == [PRIMARY]
    elif case.retryable and failing == "primary":
        assert response.status_code == 200, response.text
        assert response.headers["x-gateway-model"] == BACKUP
        if stream:
            assert [name for name, _ in events][-1] == "message_stop"
        else:
            assert response.json()["content"][-1]["text"].startswith(
                f"This is an emulated reply from {BACKUP}"
            )
        assert tried == [PRIMARY, BACKUP]
    else:
        status = ANTHROPIC_STATUS.get(case.code, case.status)
        assert_anthropic_error(response, status)
        assert response.headers.get("retry-after") == case.retry_after
        assert tried == ([PRIMARY, BACKUP] if case.retryable else [PRIMARY])

    for server, baseline in baselines.items():
        wait_until_quiet(server, baseline)


def test_a_stream_may_end_without_done_and_unknown_events_are_skipped(gateway, emulator):
    """reference/workers-ai.md: some streams end without [DONE], and unknown keys are ignored.
    Neither is a failure: the answer is what the events carried."""
    events = [{"p": "padding only"}, {"response": "Hel"}, {"response": "lo", "p": "x"}]
    body = "".join(f"data: {json.dumps(event)}\n\n" for event in events)
    emulator.add_fault(model=PRIMARY, **answered_200(body, "text/event-stream"))
    response, chunks = stream_events(
        gateway, "/v1/chat/completions", {"model": "gpt-4", "messages": HELLO}
    )
    assert response.headers["x-gateway-model"] == PRIMARY
    assert chunks[-1] == "[DONE]"
    assert text_of(chunks) == "Hello"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize(
    "fault",
    [
        answered_200("not json"),
        answered_200(json.dumps({"error": {"message": "provider overloaded"}})),
        answered_200(envelope({"shape": [0, 768], "data": []})),
        answered_200(envelope(None)),
    ],
    ids=["not-json", "error-object", "no-rows", "null-result"],
)
def test_embeddings_never_answer_200_without_embeddings(gateway, emulator, fault):
    emulator.add_fault(**fault)
    response = httpx.post(
        f"{gateway.url}/v1/embeddings",
        json={"model": "text-embedding-3-small", "input": "hello"},
        headers={"authorization": f"Bearer {gateway.api_key}"},
        timeout=30,
    )
    assert response.status_code == 502
    assert_envelope(response.json()["error"], "upstream_error")


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_legacy_completions_fall_back_from_a_200_that_carries_an_error(gateway, emulator, stream):
    error = json.dumps({"error": {"message": "provider overloaded", "code": 502}})
    emulator.add_fault(model=PRIMARY, **answered_200(error))
    body = {"model": "gpt-4", "prompt": "Once upon", "max_tokens": 200}
    if stream:
        response, events = stream_events(gateway, "/v1/completions", body)
        assert events[-1] == "[DONE]"
        assert not [event for event in events[:-1] if "error" in event]
    else:
        response = httpx.post(
            f"{gateway.url}/v1/completions",
            json=body,
            headers={"authorization": f"Bearer {gateway.api_key}"},
            timeout=30,
        )
        assert response.json()["choices"][0]["text"]
    assert response.headers["x-gateway-model"] == BACKUP
