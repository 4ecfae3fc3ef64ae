"""Benchmark: the gateway against the Workers AI emulator, and the emulator directly, in one run.

Starts the emulator and the gateway (pointed at it) as separate uvicorn processes on free loopback
ports, sends the same chat requests to the emulator's native `/run/{model}` and to the gateway's
`/v1/chat/completions`, and reports, for each measure, both numbers, their ratio and the
milliseconds the gateway adds. Results also go to artifacts/bench.json.

    .venv/bin/python benchmarks/bench.py [--requests 200] [--stream-requests 100] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
EMULATOR_BASE = "/client/v4/accounts/emulator/ai"
MODEL = "@cf/meta/llama-4-scout-17b-16e-instruct"
PROMPT = "Say hello to the benchmark."
STREAM_PROMPT = "Please give a long answer about benchmarks."
CHAT_TOKENS = 64
STREAM_TOKENS = 256
WARMUP = 20
TIMEOUT = httpx.Timeout(30.0)

Send = Callable[[httpx.AsyncClient], Awaitable[Any]]


# --- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_ready(process: subprocess.Popen, url: str, name: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with code {process.returncode} before it was ready")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    raise SystemExit(f"{name} was not ready at {url} within {seconds:.0f} s")


@contextlib.contextmanager
def serve(name: str, argv: list[str], env: dict[str, str], ready_url: str, log: Path) -> Iterator:
    """Run one server process until the block ends, however it ends."""
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, *argv], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            wait_ready(process, ready_url, name)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (peak resident) of a process, in KiB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            fields[key] = int(value.split()[0])
    return fields


# --- the two targets -----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One way to ask for the same answer: the emulator's native route or the gateway's."""

    name: str
    url: str
    headers: dict[str, str]
    native: bool

    def body(self, prompt: str, max_tokens: int, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": max_tokens,
            "stream": stream,
        }
        return body if self.native else {"model": MODEL, **body}

    def content(self, event: dict[str, Any]) -> str:
        """The answer text one streamed event carries ('' for role-only or usage events)."""
        if self.native:
            return event.get("response") or ""
        choices = event.get("choices") or [{}]
        return (choices[0].get("delta") or {}).get("content") or ""

    async def chat(self, client: httpx.AsyncClient) -> float:
        """One non-streamed chat answer; returns its latency in ms."""
        start = time.perf_counter()
        response = await client.post(
            self.url, json=self.body(PROMPT, CHAT_TOKENS, False), headers=self.headers
        )
        elapsed = (time.perf_counter() - start) * 1000
        check(response, self.name)
        return elapsed

    async def stream(self, client: httpx.AsyncClient) -> tuple[float, float, str]:
        """One streamed answer: ms to the first content, ms to the end, and the whole text."""
        body = self.body(STREAM_PROMPT, STREAM_TOKENS, True)
        first, parts = None, []
        start = time.perf_counter()
        async with client.stream("POST", self.url, json=body, headers=self.headers) as response:
            if response.status_code != 200:
                await response.aread()
                check(response, self.name)
            async for line in response.aiter_lines():
                data = line.removeprefix("data:").strip()
                if not line.startswith("data:") or data == "[DONE]":
                    continue
                text = self.content(json.loads(data))
                if text and first is None:
                    first = (time.perf_counter() - start) * 1000
                parts.append(text)
        total = (time.perf_counter() - start) * 1000
        if first is None:
            raise SystemExit(f"{self.name}: the stream carried no content")
        return first, total, "".join(parts)


def check(response: httpx.Response, name: str) -> None:
    if response.status_code != 200:
        raise SystemExit(f"{name}: HTTP {response.status_code}: {response.text[:500]}")


# --- measures ------------------------------------------------------------------------------


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
        "mean": statistics.fmean(ordered),
    }


async def sequential(
    targets: list[Target], client: httpx.AsyncClient, count: int, seconds: float, streaming: bool
) -> dict[str, dict[str, Any]]:
    """Alternate the targets request by request, so both see the same machine noise."""
    samples: dict[str, list[Any]] = {t.name: [] for t in targets}
    deadline = time.monotonic() + seconds
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        for target in targets:
            call = target.stream if streaming else target.chat
            samples[target.name].append(await call(client))
    if not streaming:
        return {name: summary(values) for name, values in samples.items()}
    return {
        name: {
            "first_content_ms": summary([first for first, _, _ in values]),
            "total_ms": summary([total for _, total, _ in values]),
        }
        for name, values in samples.items()
    }


async def throughput(
    target: Target, client: httpx.AsyncClient, count: int, concurrency: int, seconds: float
) -> dict[str, float]:
    """`concurrency` workers share `count` requests; stops early when `seconds` run out."""
    remaining = count
    done = 0
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal remaining, done
        while remaining > 0 and time.monotonic() < deadline:
            remaining -= 1
            await target.chat(client)
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    return {"n": done, "seconds": elapsed, "rps": done / elapsed}


async def same_request(
    direct: Target, gateway: Target, client: httpx.AsyncClient, base: str
) -> list[dict[str, Any]]:
    """Check that the gateway sends the emulator what the direct target sends; return its bodies."""
    await client.delete(f"{base}/_emulator/requests")
    await gateway.chat(client)
    await gateway.stream(client)
    log = (await client.get(f"{base}/_emulator/requests")).json()["requests"]
    sent = [entry["body"] for entry in log]
    for body, (prompt, tokens, stream) in zip(
        sent, [(PROMPT, CHAT_TOKENS, False), (STREAM_PROMPT, STREAM_TOKENS, True)], strict=True
    ):
        expected = direct.body(prompt, tokens, stream)
        as_sent = {"stream": False} | body  # Workers AI's default when `stream` is left out
        differing = {key for key, value in expected.items() if as_sent.get(key) != value}
        if differing:
            raise SystemExit(f"the gateway's upstream body differs in {differing}: {body}")
    _, _, direct_text = await direct.stream(client)
    _, _, gateway_text = await gateway.stream(client)
    if direct_text != gateway_text:
        raise SystemExit("the streamed answers differ between the emulator and the gateway")
    return sent


async def measure(
    direct: Target, gateway: Target, emulator_base: str, args: argparse.Namespace
) -> dict[str, Any]:
    targets = [direct, gateway]
    limits = httpx.Limits(max_connections=args.concurrency * 2, max_keepalive_connections=64)
    budget = args.max_seconds / 3  # each of the three measures gets a third of the time
    async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits) as client:
        upstream_bodies = await same_request(direct, gateway, client, emulator_base)
        for target in targets:
            for _ in range(WARMUP):
                await target.chat(client)
            await target.stream(client)
        chat = await sequential(targets, client, args.requests, budget, streaming=False)
        stream = await sequential(targets, client, args.stream_requests, budget, streaming=True)
        rate = {
            t.name: await throughput(
                t, client, args.throughput_requests, args.concurrency, budget / 2
            )
            for t in targets
        }
    return {"chat_ms": chat, "stream": stream, "throughput": rate, "upstream": upstream_bodies}


# --- report --------------------------------------------------------------------------------


def table(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per reported number: emulator, gateway, their ratio and the added ms."""
    out = []

    def add(label: str, direct: float, gateway: float, added: float | None = None) -> None:
        added = gateway - direct if added is None else added
        out.append(
            {
                "measure": label,
                "emulator": direct,
                "gateway": gateway,
                "ratio": gateway / direct,
                "added_ms": added,
            }
        )

    chat = results["chat_ms"]
    for stat in ("p50", "p95", "mean"):
        add(f"chat latency {stat} (ms)", chat["emulator"][stat], chat["gateway"][stat])
    stream = results["stream"]
    for part, label in (("first_content_ms", "stream first content"), ("total_ms", "stream total")):
        for stat in ("p50", "p95", "mean"):
            add(
                f"{label} {stat} (ms)",
                stream["emulator"][part][stat],
                stream["gateway"][part][stat],
            )
    rate = results["throughput"]
    direct_rps, gateway_rps = rate["emulator"]["rps"], rate["gateway"]["rps"]
    # For a rate, the added cost is the extra wall time per request at that concurrency.
    add("throughput (req/s)", direct_rps, gateway_rps, 1000 / gateway_rps - 1000 / direct_rps)
    return out


def print_report(report: dict[str, Any]) -> None:
    machine, config = report["machine"], report["config"]
    print(
        f"\n{report['date']}  Python {machine['python']}  {machine['cpus']} CPUs  "
        f"{machine['platform']}"
    )
    print(
        f"model {config['model']}; chat n={report['results']['chat_ms']['gateway']['n']}, "
        f"stream n={report['results']['stream']['gateway']['total_ms']['n']} "
        f"({STREAM_TOKENS} tokens), throughput {config['throughput_requests']} requests at "
        f"concurrency {config['concurrency']}"
    )
    header = f"{'measure':<34}{'emulator':>11}{'gateway':>11}{'ratio':>8}{'added ms':>11}"
    print("\n" + header + "\n" + "-" * len(header))
    for row in report["table"]:
        print(
            f"{row['measure']:<34}{row['emulator']:>11.2f}{row['gateway']:>11.2f}"
            f"{row['ratio']:>8.2f}{row['added_ms']:>11.2f}"
        )
    rate = report["results"]["throughput"]
    print(
        f"\nthroughput requests done: emulator {rate['emulator']['n']}, "
        f"gateway {rate['gateway']['n']} (added ms = extra wall time per request)"
    )
    memory = report["gateway_memory_kib"]
    print(
        f"gateway RSS: {memory['idle']['VmRSS'] / 1024:.1f} MiB idle, "
        f"{memory['after']['VmRSS'] / 1024:.1f} MiB after the run, "
        f"peak {memory['after']['VmHWM'] / 1024:.1f} MiB\n"
    )


# --- main ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="sequential chat requests")
    parser.add_argument("--stream-requests", type=int, default=100, help="streamed answers")
    parser.add_argument("--concurrency", type=int, default=8, help="throughput workers")
    parser.add_argument(
        "--throughput-requests", type=int, default=1000, help="requests per throughput run"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=60.0, help="time cap for all measures together"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "artifacts" / "bench.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    logs = args.output.parent
    emulator_port, gateway_port = free_port(), free_port()
    emulator_url, gateway_url = f"http://{HOST}:{emulator_port}", f"http://{HOST}:{gateway_port}"
    key = "sk-bench-" + secrets.token_urlsafe(16)
    pythonpath = os.pathsep.join([str(ROOT / "functions" / "gateway"), str(ROOT)])
    env = os.environ | {"PYTHONPATH": pythonpath, "EMULATOR_TOKEN": ""}
    gateway_env = env | {
        "WORKER_API_KEY": key,
        "CLOUDFLARE_ACCOUNT_ID": "emulator",
        "CLOUDFLARE_API_TOKEN": "emulator",
        "WORKERS_AI_BASE_URL": emulator_url + EMULATOR_BASE,
        "DEFAULT_MODEL": MODEL,
    }
    for name in ("API_KEYS_SECRET_ARN", "CLOUDFLARE_SECRET_ARN"):
        gateway_env.pop(name, None)
    # split-bytes 0: one write per SSE event, so the emulator's own framing does not dominate.
    emulator_argv = ["-m", "emulator", "--host", HOST, "--port", str(emulator_port)]
    emulator_argv += ["--split-bytes", "0"]
    gateway_argv = ["-m", "uvicorn", "--factory", "gateway.app:create_app", "--host", HOST]
    gateway_argv += ["--port", str(gateway_port), "--no-access-log", "--log-level", "warning"]

    with (
        serve(
            "emulator", emulator_argv, env, f"{emulator_url}/_emulator/faults",
            logs / "bench-emulator.log",
        ),
        serve(
            "gateway", gateway_argv, gateway_env, f"{gateway_url}/health",
            logs / "bench-gateway.log",
        ) as gateway_process,
    ):  # fmt: skip
        idle = memory_kib(gateway_process.pid)
        direct = Target(
            "emulator",
            f"{emulator_url}{EMULATOR_BASE}/run/{MODEL}",
            {"authorization": "Bearer emulator"},
            native=True,
        )
        gateway = Target(
            "gateway",
            f"{gateway_url}/v1/chat/completions",
            {"authorization": f"Bearer {key}"},
            native=False,
        )
        started = time.perf_counter()
        results = asyncio.run(measure(direct, gateway, emulator_url, args))
        after = memory_kib(gateway_process.pid)

    report = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "config": {
            "model": MODEL,
            "requests": args.requests,
            "stream_requests": args.stream_requests,
            "stream_max_tokens": STREAM_TOKENS,
            "chat_max_tokens": CHAT_TOKENS,
            "concurrency": args.concurrency,
            "throughput_requests": args.throughput_requests,
            "max_seconds": args.max_seconds,
            "emulator_split_bytes": 0,
            "wall_seconds": round(time.perf_counter() - started, 2),
        },
        "results": results,
        "table": table(results),
        "gateway_memory_kib": {"idle": idle, "after": after},
    }
    print_report(report)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
