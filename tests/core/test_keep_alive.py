"""The idle-connection race is gone: the server, served as on Lambda and under `make dev`
(`python -m gateway`, gateway/server.py), keeps an idle connection open longer than common client
pools keep one (gateway/server.py lists them), so a pool never sends a request on a connection the
server is closing. So does `make dev`'s emulator (`python -m emulator`) for the gateway's own
upstream pool.

200 connections each get a request, stay idle for 6 s -- past uvicorn's default keep-alive of
5 s and past the OpenAI SDK's, undici's and the Lambda Web Adapter's pools (4-5 s), well within
aiohttp's (15 s) -- then each gets a second request on the same connection, all at once: every
one must be answered there. A server that dropped idle connections at 5 s would have closed all
of them; one that did it while a pool still held them would reset the requests that crossed the
close.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from helpers import CF_TOKEN, KEYS, ROOT, free_port

CONNECTIONS = 200
QUIET = 6.0


def serve(command: list[str], env: dict[str, str], path: str) -> Iterator[tuple[int, str]]:
    """Run a server on a free port until it answers `path`; yield (its port, the path)."""
    port = free_port()
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                assert process.poll() is None, f"{command} exited"
                assert time.monotonic() < deadline, f"{command} never answered {path}"
                time.sleep(0.1)
        yield port, path
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture(scope="module", params=["gateway", "emulator"])
def served(request, emulator_server) -> Iterator[tuple[int, str]]:
    """`python -m gateway` (run.sh's command) on the session's emulator, or `python -m emulator`
    (make dev's upstream)."""
    env = os.environ | {
        "WORKER_API_KEY": KEYS[0],
        "CLOUDFLARE_ACCOUNT_ID": "emulator",
        "CLOUDFLARE_API_TOKEN": CF_TOKEN,
        "WORKERS_AI_BASE_URL": emulator_server.base_url,
        "RESPONSES_DB_PATH": ":memory:",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "functions" / "gateway"), str(ROOT)]),
    }
    if request.param == "gateway":
        yield from serve([sys.executable, "-m", "gateway"], env, "/health")
    else:
        yield from serve([sys.executable, "-m", "emulator"], env, "/_emulator/faults")


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> str:
    """One request on an open connection; its status line, or what went wrong."""
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: server\r\n\r\n".encode())
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
    except (OSError, asyncio.IncompleteReadError) as exc:
        return type(exc).__name__
    status, *headers = head.decode("latin-1").split("\r\n")
    length = next(int(h.split(":")[1]) for h in headers if h.lower().startswith("content-length"))
    await reader.readexactly(length)
    return status


async def reused(port: int, path: str) -> list[str]:
    connections = await asyncio.gather(
        *(asyncio.open_connection("127.0.0.1", port) for _ in range(CONNECTIONS))
    )
    first = await asyncio.gather(*(exchange(r, w, path) for r, w in connections))
    assert set(first) == {"HTTP/1.1 200 OK"}
    await asyncio.sleep(QUIET)
    second = await asyncio.gather(*(exchange(r, w, path) for r, w in connections))
    for _, writer in connections:
        writer.close()
    return second


def test_a_burst_on_connections_idle_past_common_pools_is_answered_on_them_all(served):
    assert asyncio.run(reused(*served)) == ["HTTP/1.1 200 OK"] * CONNECTIONS
