"""The fault matrix (test_fault_matrix.py's rows) over the audio, moderation and rerank endpoints.

Transcriptions, moderations and rerank answer JSON: every fault strikes before the client's first
byte (the `*_after_chunks` faults spoil a whole body), so a failure the backup can help with falls
back and anything else is one documented error. Speech is streamed bytes: a failure before its
first byte falls back the same way (first bytes that are not the format asked for count as one);
after it, the body is broken off, so the client sees it incomplete instead of a whole file. Bytes
that turn into other bytes mid-stream (zeroed, or an error object in place of audio) cannot be told
from audio; those two rows do not apply to speech.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from helpers import GatewayServer, spoken_mp3, upstream_runs, wait_until_quiet
from test_fault_matrix import MATRIX, Misbehaviour, assert_envelope

Sent = tuple[httpx.Response, bytes | None]
"""The response, and the body as read (None when reading it broke off)."""


def _auth(gateway: GatewayServer) -> dict[str, str]:
    return {"authorization": f"Bearer {gateway.api_key}"}


def transcribe(gateway: GatewayServer) -> Sent:
    response = httpx.post(
        f"{gateway.url}/v1/audio/transcriptions",
        files={"file": ("a.mp3", spoken_mp3("Fault matrix."))},
        data={"model": "whisper-1"},
        headers=_auth(gateway),
        timeout=30,
    )
    return response, response.content


def speak(gateway: GatewayServer) -> Sent:
    body = {"model": "tts-1", "voice": "alloy", "input": "The fault matrix speaks here."}
    with httpx.stream(
        "POST", f"{gateway.url}/v1/audio/speech", json=body, headers=_auth(gateway), timeout=30
    ) as response:
        try:
            return response, response.read()
        except httpx.RemoteProtocolError:
            return response, None


def moderate(gateway: GatewayServer) -> Sent:
    response = httpx.post(
        f"{gateway.url}/v1/moderations", json={"input": "hello"}, headers=_auth(gateway)
    )
    return response, response.content


def rerank(gateway: GatewayServer) -> Sent:
    body = {"query": "apple", "documents": ["apple", "pear"]}
    response = httpx.post(f"{gateway.url}/v1/rerank", json=body, headers=_auth(gateway))
    return response, response.content


@dataclass(frozen=True)
class Endpoint:
    name: str
    send: Callable[[GatewayServer], Sent]
    primary: str
    backup: str | None
    streamed: bool = False


ENDPOINTS = [
    Endpoint(
        "transcriptions",
        transcribe,
        "@cf/openai/whisper-large-v3-turbo",
        "@cf/openai/whisper",
    ),
    Endpoint("speech", speak, "@cf/deepgram/aura-2-en", "@cf/deepgram/aura-1", streamed=True),
    Endpoint("moderations", moderate, "@cf/meta/llama-guard-3-8b", None),
    Endpoint("rerank", rerank, "@cf/baai/bge-reranker-base", None),
]
UNTELLABLE = {"malformed-sse", "error-event"}
"""Mid-stream faults whose spoilt bytes are still bytes: they do not apply to speech."""


def cases() -> Iterator[Any]:
    for endpoint in ENDPOINTS:
        for case in MATRIX:
            for failing in ("primary", "every-model") if endpoint.backup else ("every-model",):
                if endpoint.streamed and case.name in UNTELLABLE:
                    continue
                yield pytest.param(
                    endpoint, case, failing, id=f"{endpoint.name}-{case.name}-{failing}"
                )


@pytest.mark.parametrize(("endpoint", "case", "failing"), list(cases()))
def test_media_fault_matrix(
    matrix_gateway, emulator, endpoint: Endpoint, case: Misbehaviour, failing: str
):
    baselines = {server: len(server.running_tasks()) for server in (matrix_gateway, emulator)}
    model = endpoint.primary if failing == "primary" else "*"
    emulator.add_fault(model=model, route="run", times=None, **case.fault)

    response, body = endpoint.send(matrix_gateway)
    tried = [run["model"] for run in upstream_runs(emulator)]
    backup_helps = case.retryable and failing == "primary" and endpoint.backup is not None

    if endpoint.streamed and case.mid_stream:
        # The first bytes went out: no fallback, the body is broken off.
        assert response.status_code == 200
        assert body is None, "a body cut short must not end as if whole"
        assert tried == [endpoint.primary]
    elif backup_helps:
        assert response.status_code == 200, response.text
        assert response.headers["x-gateway-model"] == endpoint.backup
        assert body
        assert tried == [endpoint.primary, endpoint.backup]
    else:
        assert response.status_code == case.status, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert set(response.json()) == {"error"}
        assert_envelope(response.json()["error"], case.code)
        assert response.headers.get("retry-after") == case.retry_after
        chain = [endpoint.primary] + ([endpoint.backup] if endpoint.backup else [])
        assert tried == (chain if case.retryable else [endpoint.primary])

    for server, baseline in baselines.items():
        wait_until_quiet(server, baseline)
