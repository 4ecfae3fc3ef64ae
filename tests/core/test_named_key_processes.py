"""Limits that hold across instances: several gateway PROCESSES (`python -m gateway`, as on
Lambda or in containers) sharing one SQLite key store, many concurrent requests against a small
rpm. Exactly the rpm passes, and the recorded usage equals the emulator's token sums."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from helpers import CF_TOKEN, KEYS, ROOT, mint_key, upstream_runs

from emulator.testing import EmulatorServer

PROCESSES = 3
REQUESTS = 30
RPM = 7
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


class GatewayProcess:
    """`python -m gateway` on a free port, with the given environment, stopped on exit."""

    def __init__(self, port: int, process: subprocess.Popen[bytes]) -> None:
        self.port = port
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self.api_key = KEYS[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gateway_process(env: dict[str, str]) -> Iterator[GatewayProcess]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "--port", str(port)],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": f"{ROOT / 'functions' / 'gateway'}{os.pathsep}{ROOT}",
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = GatewayProcess(port, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the gateway process died"
            try:
                if httpx.get(f"{server.url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the gateway process never answered"
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


def away_from_a_minutes_end(margin: float = 20.0) -> None:
    """The rpm counts per UTC minute: start the burst where no minute turns during it."""
    into_minute = time.time() % 60
    if into_minute > 60 - margin:
        time.sleep(60 - into_minute + 0.5)


def test_processes_sharing_a_store_pass_exactly_the_rpm(tmp_path: Path, emulator: EmulatorServer):
    env = {
        "WORKER_API_KEY": ",".join(KEYS),
        "CLOUDFLARE_ACCOUNT_ID": "emulator",
        "CLOUDFLARE_API_TOKEN": CF_TOKEN,
        "WORKERS_AI_BASE_URL": emulator.base_url,
        "KEYS_DB_PATH": str(tmp_path / "keys.sqlite3"),
        "RESPONSES_DB_PATH": ":memory:",
        "LOG_LEVEL": "ERROR",
    }
    with ExitStack() as stack:
        gateways = [stack.enter_context(gateway_process(env)) for _ in range(PROCESSES)]
        secret, key = mint_key(gateways[0], name="shared", rpm=RPM)
        emulator.clear()
        away_from_a_minutes_end()

        def send(index: int) -> int:
            target = gateways[index % PROCESSES]
            answer = httpx.post(
                f"{target.url}/v1/chat/completions",
                json=CHAT,
                headers={"authorization": f"Bearer {secret}"},
                timeout=60,
            )
            assert answer.status_code in {200, 429}, answer.text
            return answer.status_code

        with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
            statuses = list(pool.map(send, range(REQUESTS)))

        assert statuses.count(200) == RPM
        assert statuses.count(429) == REQUESTS - RPM
        runs = upstream_runs(emulator)
        assert len(runs) == RPM
        rows = []
        for gateway in gateways:  # each report waits for its own process's usage writes
            report = httpx.get(
                f"{gateway.url}/admin/usage",
                params={"key_id": key["id"], "group_by": "key"},
                headers={"authorization": f"Bearer {gateway.api_key}"},
                timeout=30,
            )
            rows = report.json()["data"]
        (row,) = rows
        assert row["requests"] == RPM
        assert row["input_tokens"] == sum(run["usage"]["prompt_tokens"] for run in runs)
        assert row["output_tokens"] == sum(run["usage"]["completion_tokens"] for run in runs)
        assert row["errors"] == 0
