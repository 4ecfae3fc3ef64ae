"""`make dev` (scripts/dev.py) prints a key it generated in full, since the user needs it, and a
key the user supplied only masked, since terminals and CI logs keep what they show."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from helpers import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def make_dev(**env: str) -> Iterator[tuple[str, str]]:
    """Run scripts/dev.py until its banner shows the key line; yield (that line, base URL)."""
    port = free_port()
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "WORKER_API"))
    }
    environ |= {"PORT": str(port), "EMULATOR_PORT": str(free_port()), "PYTHONUNBUFFERED": "1"}
    environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "functions" / "gateway"), str(ROOT)])
    process = subprocess.Popen(
        [sys.executable, "scripts/dev.py"],
        cwd=ROOT,
        env=environ | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        seen = []
        for line in process.stdout:
            seen.append(line)
            if "API key:" in line:
                break
        else:
            raise AssertionError("make dev printed no key:\n" + "".join(seen))
        yield line.strip(), f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)


def wait_ready(base_url: str) -> None:
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(f"{base_url}/health", timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            assert time.monotonic() < deadline, "make dev never answered /health"
            time.sleep(0.1)


def test_a_generated_key_is_printed_in_full_and_works():
    with make_dev() as (line, base_url):
        key = re.search(r"(sk-local-\S+)", line)
        assert key, line
        wait_ready(base_url)
        headers = {"authorization": f"Bearer {key.group(1)}"}
        assert httpx.get(f"{base_url}/v1/models", headers=headers, timeout=10).status_code == 200


def test_a_supplied_key_is_masked():
    supplied = "sk-my-own-secret-key-wxyz"
    with make_dev(WORKER_API_KEY=f"{supplied}, sk-second-key-abcd") as (line, _):
        assert supplied not in line
        assert "sk-…wxyz" in line
        assert "sk-…abcd" in line
        assert "secret" not in line
