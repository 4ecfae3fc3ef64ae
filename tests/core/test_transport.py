"""The outbound HTTP stack (httpx over aiohttp's transport): each kind of transport failure keeps
its meaning, as httpx's own transport would give it (a refused or dropped connection is not a
timeout, a stall is), and the answer still tells the client which."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from helpers import KEYS

from emulator.testing import ServerThread
from gateway.core.transport import new_client

CHAT = {"model": "gpt-4", "messages": [{"role": "user", "content": "hello transport"}]}
AUTH = {"authorization": f"Bearer {KEYS[0]}"}


def closed_port_url() -> str:
    """A loopback base URL nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/client/v4/accounts/{{account_id}}/ai"


def chat(url: str, **extra: object) -> httpx.Response:
    return httpx.post(f"{url}/v1/chat/completions", json=CHAT | extra, headers=AUTH, timeout=30)


def test_refused_connection_is_unreachable_not_a_timeout(start_gateway, emulator):
    with start_gateway(workers_ai_base_url=closed_port_url()) as server:
        response = chat(server.url)
    assert response.status_code == 502, response.text
    assert response.json()["error"]["code"] == "upstream_unavailable"


def test_dropped_connection_is_unreachable_not_a_timeout(gateway, emulator):
    emulator.add_fault(connection_reset=True, times=2)
    response = chat(gateway.url)
    assert response.status_code == 502, response.text
    assert response.json()["error"]["code"] == "upstream_unavailable"


def test_upstream_slower_than_the_attempt_timeout_is_a_timeout(start_gateway, emulator):
    emulator.add_fault(delay_ms=1500, times=2)
    with start_gateway(attempt_timeout=0.5) as server:
        response = chat(server.url)
    assert response.status_code == 504, response.text
    assert response.json()["error"]["code"] == "upstream_timeout"


@pytest.mark.parametrize(
    ("fault", "code"),
    [({"chunk_delay_ms": 1500}, "upstream_timeout"), ({"cut_after_chunks": 3}, None)],
)
def test_stream_failures_after_the_first_byte_keep_their_kind(start_gateway, emulator, fault, code):
    """A stall mid-stream is a timeout; a connection cut mid-stream is not."""
    emulator.add_fault(**fault)
    with start_gateway(attempt_timeout=0.5) as server:
        response = chat(server.url, stream=True)
    assert response.status_code == 200
    assert response.text.endswith("data: [DONE]\n\n")
    error_events = [line for line in response.text.splitlines() if '"error"' in line]
    assert len(error_events) == 1, response.text
    assert ("upstream_timeout" in error_events[0]) == (code == "upstream_timeout")


def test_the_upstream_client_keeps_no_cookies():
    """A cookie one answer sets is never sent with a later request: the process's one client
    serves every caller."""

    async def app(scope, receive, send):
        """Sets a cookie; answers with the Cookie header it was sent."""
        sent = dict(scope["headers"]).get(b"cookie", b"")
        headers = [(b"set-cookie", b"session=caller-one; Path=/"), (b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": sent})

    async def two_requests(url: str) -> list[httpx.Response]:
        async with new_client() as client:
            return [await client.get(url), await client.get(url)]

    with ServerThread(app) as server:
        first, second = asyncio.run(two_requests(server.root_url))
    assert first.headers["set-cookie"].startswith("session=caller-one")
    assert second.status_code == 200
    assert second.text == ""
