"""Benchmark: the gateway beside the floor and the Workers AI emulator, in one run; then cold start.

The report leads with issue 13's figures, each the gateway's over the floor's (target at most 1.5):
the added latency p50 and p99 at concurrency 1 and 16, the added time to first token, and the
cold start to the first answered chat, with no CPU limit and at Lambda's CPU share of the
template's default memory (a cgroup CPU quota, benchmarks/cpu_quota.py; 512 MB ≈ 0.29 CPU).

Starts the emulator, the floor (`benchmarks/floor.py`: the least a Python gateway can do) and the
gateway (through `functions/gateway/run.sh`, as on Lambda), each pointed at the same emulator, as
separate processes on free loopback ports. The same chat requests go to the emulator's native
`/run/{model}`, to the floor and to the gateway, interleaved request by request (round by round at
concurrency 16), so all three see the same machine noise. Each figure is reported as the
milliseconds the floor and the gateway add over the emulator, and the ratio gateway/floor.
Then images (b64_json), which the floor does not do: the same image asked of the emulator's
`/run/{model}` and of the gateway, taking turns, for a model answering base64 in JSON (FLUX.1
schnell) and one answering raw PNG (SDXL); the p50 the gateway adds and its CPU per image.

Then what a named key costs (docs/keys.md): the same gateway answers chats for its operator key,
for a named key without limits, and for one with rpm, tpm and a monthly budget (every request
then counted in the key store, SQLite here), taking turns; the report gives their latency and
the gateway's CPU per request, and what each named key adds over the operator key.

Then cold start, best of several runs: the import of IMPORT_MODULE alone, and from spawning the
server (the gateway through run.sh, the floor through uvicorn, each on the same interpreter) to
the first answered GET /health and the first answered chat, floor and gateway taking turns. The
gateway has the keys and the Cloudflare credentials in environment variables, and again reads them
from Secrets Manager through the Parameters and Secrets Lambda Extension (a fake one on loopback).
The floor and the gateway start once more each under a CPU quota of Lambda's share for the
template's MemorySize, where this machine allows a cgroup (root, the cpu controller); else the
report says why not. Also the function package and dependency layer sizes, and the peak RSS.
Results also go to artifacts/bench.json.

    .venv/bin/python benchmarks/bench.py [--requests 300] [--stream-requests 60] [--cold-runs 5]
        [--image-requests 30] [--memory-mb 512]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime
import http.client
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "functions" / "gateway")]

from benchmarks.cpu_quota import (  # noqa: E402
    CpuQuota,
    CpuQuotaUnavailable,
    cpu_quota,
    lambda_cpu_share,
)
from emulator.secrets_extension import SecretsExtensionServer  # noqa: E402

HOST = "127.0.0.1"
EMULATOR_BASE = "/client/v4/accounts/emulator/ai"
MODEL = "@cf/meta/llama-4-scout-17b-16e-instruct"
PROMPT = "Say hello to the benchmark."
STREAM_PROMPT = "Please give a long answer about benchmarks."
IMAGE_PROMPT = "A fox in a benchmark."
IMAGE_MODELS = {
    "FLUX.1 schnell (base64 in JSON)": "@cf/black-forest-labs/flux-1-schnell",
    "SDXL base (raw PNG)": "@cf/stabilityai/stable-diffusion-xl-base-1.0",
}
"""The image rows: one model of each answer kind; the gateway answers both as b64_json."""
CHAT_TOKENS = 64
STREAM_TOKENS = 256
TRANSCRIPTION_MODEL = "@cf/openai/whisper-large-v3-turbo"
SPOKEN = "A benchmark sentence, spoken by the emulator for the transcription row. " * 6
WARMUP = 30
TIMEOUT = httpx.Timeout(30.0)
RUN_SH = ROOT / "functions" / "gateway" / "run.sh"
GATEWAY_ARGV = ["/bin/sh", str(RUN_SH)]
"""How the gateway starts, as on Lambda (run.sh reads the port from AWS_LWA_PORT)."""
IMPORT_MODULE = "gateway.app"
"""The module whose import alone is timed: the one run.sh's command loads the app from."""
TEMPLATE = ROOT / "template.yaml"
RUNTIME_PYTHON = ROOT / ".venv-runtime" / "bin" / "python"
"""An interpreter with the gateway's own dependencies only (functions/gateway/requirements.txt,
what the Lambda layer holds; `make bench` makes it). The gateway runs on it when it exists: the
development venv's test tools change import times (httpx imports `rich` for its command line
when it is installed, some 40 ms)."""
GATEWAY_PYTHON = RUNTIME_PYTHON if RUNTIME_PYTHON.exists() else Path(sys.executable)
# The issue's targets: the gateway's figure at most this many times the floor's (the added time
# over the emulator for the warm figures, the whole time from spawn for cold start).
TARGETS = {"latency": 1.5, "first token": 1.5, "per chunk": 2.0, "cold start": 1.5}
ISSUE_13 = (
    "latency_p50_c1",
    "latency_p99_c1",
    "latency_p50_concurrent",
    "latency_p99_concurrent",
    "ttft_p50",
)
"""The warm figures issue 13 sets a target for (keys of `table` rows); cold start follows them."""
Command = Callable[[int], tuple[list[str], dict[str, str]]]
"""How to start one server listening on the given port: its argv and environment."""
T = TypeVar("T")


# --- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def get(port: int, path: str) -> int | None:
    """One GET on loopback with the standard library (cheap enough to poll with); the status,
    or None when nothing listens yet."""
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def wait_ready(process: subprocess.Popen, port: int, path: str, name: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with code {process.returncode} before it was ready")
        if get(port, path) == 200:
            return
        time.sleep(0.05)
    raise SystemExit(f"{name} did not answer {path} within 30 s")


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and script, fixed arguments
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def serve(name: str, argv: list[str], env: dict[str, str], port: int, path: str, log: Path):
    """Run one server process until the block ends, however it ends."""
    process = start(argv, env, log)
    try:
        wait_ready(process, port, path, name)
        yield process
    finally:
        stop(process)


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (peak resident) of a process, in KiB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            fields[key] = int(value.split()[0])
    return fields


def cpu_seconds(pid: int) -> float:
    """CPU time a process has run so far, in seconds: the scheduler's nanosecond count from
    /proc/PID/schedstat (the tick-sampled utime/stime of /proc/PID/stat are too coarse for
    sub-millisecond requests)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def gateway_command(env: dict[str, str], port: int) -> tuple[list[str], dict[str, str]]:
    """GATEWAY_ARGV as on Lambda, with GATEWAY_PYTHON first on PATH (run.sh calls `python3`)."""
    path = f"{GATEWAY_PYTHON.parent}{os.pathsep}{env.get('PATH', '')}"
    return GATEWAY_ARGV, env | {"AWS_LWA_PORT": str(port), "PATH": path}


def floor_command(env: dict[str, str], port: int) -> tuple[list[str], dict[str, str]]:
    """The floor under uvicorn with uvloop and httptools, on the gateway's interpreter."""
    argv = [str(GATEWAY_PYTHON), "-m", "uvicorn", "benchmarks.floor:app", "--host", HOST]
    argv += ["--port", str(port), "--loop", "uvloop", "--http", "httptools"]
    argv += ["--no-access-log", "--log-level", "warning"]
    return argv, env


def template_memory_mb() -> int:
    """The gateway function's default memory (MB) in template.yaml: the MemorySize of the
    function whose CodeUri holds run.sh, else Globals.Function's (SAM's precedence); a `!Ref` to
    a parameter gives that parameter's Default. SystemExit when the template has none."""

    class CloudFormationLoader(yaml.SafeLoader):
        """YAML with CloudFormation's short tags: `!Ref X` reads as {"Ref": "X"}, and so on."""

    def tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            return {suffix: loader.construct_scalar(node)}
        if isinstance(node, yaml.SequenceNode):
            return {suffix: loader.construct_sequence(node, deep=True)}
        return {suffix: loader.construct_mapping(node, deep=True)}

    CloudFormationLoader.add_multi_constructor("!", tagged)
    template = yaml.load(TEMPLATE.read_text(), Loader=CloudFormationLoader)  # noqa: S506
    code_uri = RUN_SH.parent.relative_to(ROOT)
    functions = [
        resource.get("Properties") or {}
        for resource in template.get("Resources", {}).values()
        if resource.get("Type") == "AWS::Serverless::Function"
    ]
    memory = next(
        (
            f["MemorySize"]
            for f in functions
            if Path(str(f.get("CodeUri"))) == code_uri and "MemorySize" in f
        ),
        template.get("Globals", {}).get("Function", {}).get("MemorySize"),
    )
    if isinstance(memory, dict) and "Ref" in memory:
        memory = template.get("Parameters", {}).get(memory["Ref"], {}).get("Default")
    if memory is None:
        raise SystemExit(f"{TEMPLATE.name}: no MemorySize for {code_uri}; pass --memory-mb")
    return int(memory)


# --- the targets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One way to ask for the same answer: the emulator's native route, the floor's or ours."""

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

    async def stream(self, client: httpx.AsyncClient) -> tuple[float, float, int, str]:
        """One streamed answer: ms to the first content, ms to the end, the number of content
        events, and the whole text."""
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
                if text:
                    parts.append(text)
        total = (time.perf_counter() - start) * 1000
        if first is None:
            raise SystemExit(f"{self.name}: the stream carried no content")
        return first, total, len(parts), "".join(parts)


def check(response: httpx.Response, name: str) -> None:
    if response.status_code != 200:
        raise SystemExit(f"{name}: HTTP {response.status_code}: {response.text[:500]}")


# --- measures ------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def rotated(items: list[T], turn: int) -> list[T]:
    """The items (targets, servers) in a different order each turn, so none always goes first."""
    turn %= len(items)
    return items[turn:] + items[:turn]


async def sequential_chat(
    targets: list[Target], client: httpx.AsyncClient, count: int
) -> dict[str, dict[str, float]]:
    """Concurrency 1: the targets take turns request by request."""
    samples: dict[str, list[float]] = {t.name: [] for t in targets}
    for turn in range(count):
        for target in rotated(targets, turn):
            samples[target.name].append(await target.chat(client))
    return {
        name: {"n": len(v), "p50": percentile(v, 0.5), "p99": percentile(v, 0.99)}
        for name, v in samples.items()
    }


async def sequential_stream(
    targets: list[Target], client: httpx.AsyncClient, count: int
) -> dict[str, dict[str, float]]:
    """Streamed answers, taking turns: median time to first content, to the end, and the
    median time per content event after the first."""
    samples: dict[str, list[tuple[float, float, int, str]]] = {t.name: [] for t in targets}
    for turn in range(count):
        for target in rotated(targets, turn):
            samples[target.name].append(await target.stream(client))
    out = {}
    for name, values in samples.items():
        out[name] = {
            "n": len(values),
            "first_token_p50": statistics.median(v[0] for v in values),
            "total_p50": statistics.median(v[1] for v in values),
            "chunks": statistics.median(v[2] for v in values),
            "per_chunk_us": statistics.median(
                (v[1] - v[0]) * 1000 / max(v[2] - 1, 1) for v in values
            ),
        }
    return out


async def concurrent_chat(
    targets: list[Target], client: httpx.AsyncClient, per_round: int, rounds: int, workers: int
) -> dict[str, dict[str, float]]:
    """Concurrency `workers`: in each round every target in turn serves `per_round` requests."""
    latencies: dict[str, list[float]] = {t.name: [] for t in targets}
    seconds = dict.fromkeys(latencies, 0.0)
    for turn in range(rounds):
        for target in rotated(targets, turn):
            remaining = per_round

            async def worker(target: Target = target) -> None:
                nonlocal remaining
                while remaining > 0:
                    remaining -= 1
                    latencies[target.name].append(await target.chat(client))

            start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(workers)))
            seconds[target.name] += time.perf_counter() - start
    return {
        name: {
            "n": len(v),
            "p50": percentile(v, 0.5),
            "p99": percentile(v, 0.99),
            "rps": len(v) / seconds[name],
        }
        for name, v in latencies.items()
    }


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
    *_, direct_text = await direct.stream(client)
    *_, gateway_text = await gateway.stream(client)
    if direct_text != gateway_text:
        raise SystemExit("the streamed answers differ between the emulator and the gateway")
    return sent


async def images(
    direct: Target, gateway: Target, client: httpx.AsyncClient, count: int, gateway_pid: int
) -> dict[str, dict[str, float]]:
    """What an image adds: the same image asked of the emulator's `/run/{model}` and of the
    gateway's `/v1/images/generations` (b64_json), taking turns; p50 of each, and the gateway's
    CPU ms per image. The floor does not do images."""
    run = direct.url.rsplit("/run/", 1)[0] + "/run/"
    url = gateway.url.replace("/v1/chat/completions", "/v1/images/generations")
    out = {}
    for label, model in IMAGE_MODELS.items():
        samples: dict[str, list[float]] = {"emulator": [], "gateway": []}
        calls = {
            "emulator": (run + model, {"prompt": IMAGE_PROMPT}, direct.headers),
            "gateway": (
                url,
                {"model": model, "prompt": IMAGE_PROMPT, "response_format": "b64_json"},
                gateway.headers,
            ),
        }
        for name, (target, body, headers) in calls.items():  # warm-up, and a check
            check(await client.post(target, json=body, headers=headers), name)
        cpu = 0.0
        for turn in range(count):
            for name in rotated(list(calls), turn):
                target, body, headers = calls[name]
                before = cpu_seconds(gateway_pid)
                start = time.perf_counter()
                response = await client.post(target, json=body, headers=headers)
                samples[name].append((time.perf_counter() - start) * 1000)
                check(response, name)
                if name == "gateway":
                    cpu += cpu_seconds(gateway_pid) - before
        emulator, ours = (percentile(samples[name], 0.5) for name in ("emulator", "gateway"))
        out[label] = {
            "n": count,
            "emulator_p50": emulator,
            "gateway_p50": ours,
            "gateway_added_p50": ours - emulator,
            "gateway_cpu_ms": cpu * 1000 / count,
        }
    return out


async def mint(client: httpx.AsyncClient, gateway: Target, **fields: Any) -> str:
    """A named key made through the gateway's admin API with its operator key; its secret."""
    url = gateway.url.replace("/v1/chat/completions", "/admin/keys")
    response = await client.post(url, json=fields, headers=gateway.headers)
    if response.status_code != 201:
        raise SystemExit(f"cannot mint a named key: HTTP {response.status_code}: {response.text}")
    secret: str = response.json()["key"]
    return secret


async def named_keys(
    gateway: Target, pid: int, client: httpx.AsyncClient, count: int
) -> dict[str, dict[str, float]]:
    """Chats at c=1 for the operator key, a named key without limits and one with every limit
    (never reached), taking turns for latency; then each alone for the gateway's CPU per
    request. {key kind: {p50, p99, cpu_ms}}."""
    unlimited = await mint(client, gateway, name=f"bench-{secrets.token_hex(4)}")
    limited = await mint(
        client,
        gateway,
        name=f"bench-limited-{secrets.token_hex(4)}",
        rpm=10**9,
        tpm=10**12,
        monthly_token_budget=10**15,
    )
    kinds = [
        gateway,
        Target("named", gateway.url, {"authorization": f"Bearer {unlimited}"}, native=False),
        Target("limited", gateway.url, {"authorization": f"Bearer {limited}"}, native=False),
    ]
    for target in kinds:
        for _ in range(WARMUP):
            await target.chat(client)
    out = await sequential_chat(kinds, client, count)
    for target in kinds:
        before = cpu_seconds(pid)
        for _ in range(count):
            await target.chat(client)
        out[target.name]["cpu_ms"] = (cpu_seconds(pid) - before) * 1000 / count
    return {("operator" if name == gateway.name else name): v for name, v in out.items()}


async def measure(
    targets: list[Target], pids: dict[str, int], emulator_url: str, args: argparse.Namespace
) -> dict[str, Any]:
    """Every measure, plus the CPU ms each server process spent per request in each phase
    (far less noisy than latency on a shared machine)."""
    direct, _, gateway = targets
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    cpu: dict[str, dict[str, float]] = {}

    def cpu_now() -> dict[str, float]:
        return {name: cpu_seconds(pid) for name, pid in pids.items()}

    def per_request(phase: str, before: dict[str, float], count: int) -> None:
        after = cpu_now()
        cpu[phase] = {name: (after[name] - before[name]) * 1000 / count for name in pids}

    async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits) as client:
        upstream_bodies = await same_request(direct, gateway, client, emulator_url)
        for target in targets:
            for _ in range(WARMUP):
                await target.chat(client)
            await target.stream(client)
        before = cpu_now()
        c1 = await sequential_chat(targets, client, args.requests)
        per_request("chat", before, args.requests)
        before = cpu_now()
        stream = await sequential_stream(targets, client, args.stream_requests)
        per_request("stream", before, args.stream_requests)
        before = cpu_now()
        c16 = await concurrent_chat(
            targets, client, args.round_requests, args.rounds, args.concurrency
        )
        per_request("concurrent chat", before, args.round_requests * args.rounds)
        # What the server stack costs with (almost) no work: the framework's share of the above.
        before = cpu_now()
        for _ in range(args.requests):
            for target in targets[1:]:
                await client.get(target.url.replace("/v1/chat/completions", "/health"))
        per_request("GET /health", before, args.requests)
        upstream = direct.url.rsplit("/run/", 1)[0]
        transcription = await transcriptions(
            upstream, gateway, client, args.transcriptions, pids["gateway"]
        )
        image = await images(direct, gateway, client, args.image_requests, pids["gateway"])
        keys = await named_keys(gateway, pids["gateway"], client, args.requests)
    return {
        "transcription": transcription,
        "images": image,
        "c1": c1,
        "stream": stream,
        "concurrent": c16,
        "cpu_ms_per_request": cpu,
        "named_keys": keys,
        "upstream": upstream_bodies,
    }


def spoken_mp3() -> bytes:
    """About 26 s of the emulator's speech as MP3 (some 160 KB): the upload measured."""
    from emulator.audio import mp3
    from emulator.speech import DEFAULT_RATE, pcm

    return mp3(pcm(SPOKEN, "luna", DEFAULT_RATE), DEFAULT_RATE, SPOKEN)


async def transcriptions(
    upstream: str, gateway: Target, client: httpx.AsyncClient, count: int, gateway_pid: int
) -> dict[str, Any]:
    """What a transcription adds: the same audio transcribed by the emulator directly (the base64
    JSON the gateway sends Whisper large-v3-turbo) and through the gateway (a multipart upload
    of `whisper-1`), alternating; latency per target and the gateway's CPU ms per request. The
    floor does not do audio."""
    audio = spoken_mp3()
    direct_body = {"audio": base64.b64encode(audio).decode(), "task": "transcribe"}
    gateway_url = gateway.url.replace("/v1/chat/completions", "/v1/audio/transcriptions")

    async def direct() -> None:
        response = await client.post(
            f"{upstream}/run/{TRANSCRIPTION_MODEL}",
            json=direct_body,
            headers={"authorization": "Bearer emulator"},
        )
        check(response, "emulator transcription")

    async def through_gateway() -> None:
        response = await client.post(
            gateway_url,
            files={"file": ("bench.mp3", audio, "audio/mpeg")},
            data={"model": "whisper-1"},
            headers=gateway.headers,
        )
        check(response, "gateway transcription")
        if response.json()["text"] != SPOKEN.strip():
            raise SystemExit("the gateway's transcript differs from what was spoken")

    calls = [("emulator", direct), ("gateway", through_gateway)]
    for _ in range(WARMUP // 3):
        for _, call in calls:
            await call()
    timings: dict[str, list[float]] = {"emulator": [], "gateway": []}
    cpu_before = cpu_seconds(gateway_pid)
    for turn in range(count):
        for name, call in rotated(calls, turn):
            start = time.perf_counter()
            await call()
            timings[name].append((time.perf_counter() - start) * 1000)
    cpu_ms = (cpu_seconds(gateway_pid) - cpu_before) * 1000 / count
    stats = {
        name: {"p50": percentile(values, 0.5), "p99": percentile(values, 0.99)}
        for name, values in timings.items()
    }
    return {"audio_bytes": len(audio), "requests": count, "gateway_cpu_ms": cpu_ms, **stats}


# --- cold start and sizes ------------------------------------------------------------------


def import_seconds(env: dict[str, str]) -> float:
    code = f"import time; t = time.perf_counter(); import {IMPORT_MODULE}; "
    code += "print(time.perf_counter() - t)"
    out = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [GATEWAY_PYTHON, "-c", code], env=env, check=True, capture_output=True, text=True
    )
    return float(out.stdout)


def precompile() -> None:
    """Write the .pyc of the gateway's and the floor's own modules, as `sam build` ships the
    function (the dependencies have theirs from pip): without this, a shell that sets
    PYTHONDONTWRITEBYTECODE makes every cold start compile the gateway from source, which
    Lambda never does."""
    sources = [ROOT / "functions" / "gateway" / "gateway", ROOT / "benchmarks" / "floor.py"]
    subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [GATEWAY_PYTHON, "-m", "compileall", "-q", *map(str, sources)], check=True
    )


def import_seconds_without_bytecode(env: dict[str, str]) -> float:
    """The import when no module has a .pyc to load (every module compiled from source), as on
    Lambda if the layer were not precompiled: its read-only filesystem keeps no cache."""
    with tempfile.TemporaryDirectory() as empty:
        return import_seconds(env | {"PYTHONPYCACHEPREFIX": empty, "PYTHONDONTWRITEBYTECODE": "1"})


def chat_once(port: int, key: str) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": PROMPT}]})
    headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
    try:
        connection.request("POST", "/v1/chat/completions", body, headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def start_to_answers(
    command: Command, key: str, log: Path, quota: CpuQuota | None
) -> tuple[float, float]:
    """Seconds from spawning a server to its first answered /health, and to the first chat
    answered right after it (as the Web Adapter forwards the first request once ready); under
    the CPU `quota` when one is given."""
    port = free_port()
    argv, env = command(port)
    if quota is not None:
        argv = quota.argv(argv)
    started = time.perf_counter()
    process = start(argv, env, log)
    try:
        while get(port, "/health") != 200:
            if process.poll() is not None or time.perf_counter() - started > 60:
                raise SystemExit(f"{argv[-1]} did not become ready (see {log})")
            time.sleep(0.005)
        health = time.perf_counter() - started
        status = chat_once(port, key)
        chat = time.perf_counter() - started
        if status != 200:
            raise SystemExit(f"cold start: the first chat got HTTP {status} (see {log})")
        return health, chat
    finally:
        stop(process)


def best_starts(
    commands: dict[str, Command], key: str, runs: int, log: Path, quota: CpuQuota | None = None
) -> dict[str, dict[str, float]]:
    """Best of `runs` starts of each server, taking turns run by run (so all see the same machine
    noise): {name: {"health_s": first /health, "chat_s": first chat}}, in seconds."""
    pairs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for turn in range(runs):
        for name in rotated(list(commands), turn):
            pairs[name].append(start_to_answers(commands[name], key, log, quota))
    return {
        name: {"health_s": min(h for h, _ in values), "chat_s": min(c for _, c in values)}
        for name, values in pairs.items()
    }


def cold_start(
    env: dict[str, str],
    commands: dict[str, Command],
    key: str,
    runs: int,
    memory_mb: int,
    log: Path,
) -> dict[str, Any]:
    """The import alone (in `env`), then every server in `commands` (floor, gateway,
    gateway_aws) with no CPU limit, then the floor and the gateway under Lambda's CPU share for
    `memory_mb`, where a cgroup can impose it (else `cpu_share` says why it could not)."""
    results: dict[str, Any] = {
        "runs": runs,
        "import_module": IMPORT_MODULE,
        "import_s": min(import_seconds(env) for _ in range(runs)),
        "import_without_bytecode_s": min(import_seconds_without_bytecode(env) for _ in range(2)),
        "no_limit": best_starts(commands, key, runs, log),
    }
    share = lambda_cpu_share(memory_mb)
    limited: dict[str, Any] = {"memory_mb": memory_mb, "cpu": share}
    try:
        with cpu_quota(share, f"bench-cpu-{os.getpid()}") as quota:
            limited["mechanism"] = quota.describe()
            print(f"cold start at {share:.2f} CPU ({memory_mb} MB): {limited['mechanism']}")
            pair = {name: commands[name] for name in ("floor", "gateway")}
            limited |= best_starts(pair, key, runs, log, quota)
            limited["cpu_stat"] = quota.stat()
    except CpuQuotaUnavailable as error:
        limited["unavailable"] = str(error)
        print(
            f"cold start at {share:.2f} CPU ({memory_mb} MB) NOT measured, no CPU quota here: "
            f"{error}; the figures with no CPU limit stand alone"
        )
    results["cpu_share"] = limited
    return results


def tree_bytes(*paths: Path, bytecode: bool = False) -> int:
    """Bytes of the files under `paths`; `__pycache__` only counts with `bytecode` (a build
    ships it, a source tree merely caches it)."""
    total = 0
    for path in paths:
        files = [path] if path.is_file() else path.rglob("*")
        total += sum(
            f.stat().st_size
            for f in files
            if f.is_file() and (bytecode or "__pycache__" not in f.parts)
        )
    return total


def sizes() -> dict[str, Any]:
    """Unzipped sizes in bytes of the function package and the dependency layer: as `sam build`
    made them (precompiled bytecode included) when it ran, else the sources functions/gateway's
    Makefile copies and the installed distributions functions/gateway/requirements.txt pulls
    in (one architecture)."""
    build = ROOT / ".aws-sam" / "build"
    if (build / "DependenciesLayer").is_dir() and (build / "GatewayFunction").is_dir():
        return {
            "function_package": tree_bytes(build / "GatewayFunction", bytecode=True),
            "layer": tree_bytes(build / "DependenciesLayer", bytecode=True),
            "layer_source": "sam build",
        }
    per_dist = installed_sizes()
    return {
        "function_package": tree_bytes(ROOT / "functions/gateway/gateway", RUN_SH, ROOT / "static"),
        "layer": sum(per_dist.values()),
        "layer_source": "installed distributions (one architecture)",
        "layer_by_distribution": per_dist,
    }


def installed_sizes() -> dict[str, int]:
    """Bytes on disk of each distribution the gateway's requirements pull in, transitively."""
    from importlib import metadata

    from packaging.requirements import Requirement

    requirements = ROOT / "functions" / "gateway" / "requirements.txt"
    todo = [
        Requirement(line.split("#")[0].strip()).name
        for line in requirements.read_text().splitlines()
        if line.split("#")[0].strip()
    ]
    seen: dict[str, int] = {}
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        files = [dist.locate_file(f) for f in dist.files or []]
        seen[name] = sum(Path(f).stat().st_size for f in files if Path(f).is_file())
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return dict(sorted(seen.items(), key=lambda item: -item[1]))


# --- report --------------------------------------------------------------------------------


def verdict(ratio: float | None, target: float | None) -> bool | None:
    """Whether a ratio meets its target; None when either is missing."""
    return None if target is None or ratio is None else ratio <= target


def table(results: dict[str, Any], concurrency: int) -> list[dict[str, Any]]:
    """One row per warm figure: a key, the emulator's value, what the floor and the gateway add
    to it (ms; µs per chunk), their ratio, and the issue's target for that ratio."""
    rows = []

    def add(key: str, label: str, values: list[float], target: float | None) -> None:
        emulator, floor, gateway = values
        floor_added, gateway_added = floor - emulator, gateway - emulator
        # A floor that adds (almost) nothing has no meaningful ratio: compare in ms then.
        ratio = gateway_added / floor_added if floor_added >= 0.05 else None
        rows.append(
            {
                "key": key,
                "measure": label,
                "emulator": emulator,
                "floor_added": floor_added,
                "gateway_added": gateway_added,
                "ratio": ratio,
                "target": target,
                "met": verdict(ratio, target),
            }
        )

    names = ("emulator", "floor", "gateway")
    for level, key in (("1", "c1"), (str(concurrency), "concurrent")):
        r = results[key]
        for stat in ("p50", "p99"):
            label = f"latency {stat}, c={level} (ms)"
            values = [r[name][stat] for name in names]
            add(f"latency_{stat}_{key}", label, values, TARGETS["latency"])
    s = results["stream"]
    for key, stat, label, target in (
        ("ttft_p50", "first_token_p50", "time to first token p50 (ms)", TARGETS["first token"]),
        ("per_chunk", "per_chunk_us", "time per streamed chunk (µs)", TARGETS["per chunk"]),
    ):
        add(key, label, [s[name][stat] for name in names], target)
    # For a rate, what is added is the extra wall time per request at that concurrency.
    c = results["concurrent"]
    label = f"wall time per request at c={concurrency} (ms)"
    add("wall_per_request", label, [1000 / c[name]["rps"] for name in names], None)
    return rows


def summary(rows: list[dict[str, Any]], cold: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 13's figures, one row each: the floor's and the gateway's value (warm: ms added
    over the emulator; cold: seconds from spawn to the first answered chat), the ratio
    gateway/floor, the target and whether it is met; `note` says why a row has no ratio."""
    out = []
    for row in rows:
        if row["key"] in ISSUE_13:
            note = "" if row["ratio"] is not None else "no ratio: the floor adds < 0.05 ms"
            out.append(
                {
                    "measure": f"added {row['measure']}",
                    "floor": row["floor_added"],
                    "gateway": row["gateway_added"],
                    "ratio": row["ratio"],
                    "target": row["target"],
                    "met": row["met"],
                    "note": note,
                }
            )
    limited = cold["cpu_share"]
    for label, starts in (
        ("no CPU limit", cold["no_limit"]),
        (f"{limited['cpu']:.2f} CPU, {limited['memory_mb']} MB", limited),
    ):
        measured = "floor" in starts
        floor = starts["floor"]["chat_s"] if measured else None
        gateway = starts["gateway"]["chat_s"] if measured else None
        ratio = gateway / floor if measured else None
        out.append(
            {
                "measure": f"cold start to first chat, {label} (s)",
                "floor": floor,
                "gateway": gateway,
                "ratio": ratio,
                "target": TARGETS["cold start"],
                "met": verdict(ratio, TARGETS["cold start"]),
                "note": "" if measured else f"not measured: {starts['unavailable']}",
            }
        )
    return out


def print_summary(rows: list[dict[str, Any]]) -> None:
    """The compact table the report leads with."""
    met = sum(row["met"] is True for row in rows)
    judged = sum(row["met"] is not None for row in rows)
    header = f"{'issue 13: gateway / floor':<48}{'floor':>9}{'gateway':>9}{'ratio':>7}{'target':>8}"
    print("\n" + header + "\n" + "-" * len(header))
    for row in rows:
        number = "{:>9.3f}" if row["measure"].endswith("(s)") else "{:>9.2f}"
        floor = "" if row["floor"] is None else number.format(row["floor"])
        gateway = "" if row["gateway"] is None else number.format(row["gateway"])
        ratio = "—" if row["ratio"] is None else f"{row['ratio']:.2f}"
        target = f"≤{row['target']:g}"
        mark = {True: "met", False: "MISSED", None: ""}[row["met"]]
        note = f"  ({row['note']})" if row["note"] else ""
        print(f"{row['measure']:<48}{floor:>9}{gateway:>9}{ratio:>7}{target:>8}  {mark}{note}")
    print(f"{met} of {judged} targets met ({len(rows) - judged} without a ratio)")


def print_report(report: dict[str, Any]) -> None:
    machine, config, results = report["machine"], report["config"], report["results"]
    print_summary(report["summary"])
    print(
        f"\n{report['date']}  Python {machine['python']}  {machine['cpus']} CPUs  "
        f"{machine['platform']}\ngateway and floor on {machine['gateway_python']}\n"
        f"model {config['model']}; c=1 n={config['requests']} each, "
        f"streams n={config['stream_requests']} each ({STREAM_TOKENS} tokens), "
        f"c={config['concurrency']}: {config['rounds']} rounds x {config['round_requests']} each"
    )
    header = (
        f"{'measure':<36}{'emulator':>10}{'floor +ms':>11}{'gateway +ms':>13}"
        f"{'ratio':>8}{'target':>8}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for row in report["table"]:
        ratio = "—" if row["ratio"] is None else f"{row['ratio']:.2f}"
        target = "" if row["target"] is None else f"≤{row['target']:g}"
        mark = {True: " ok", False: " MISSED", None: ""}[row["met"]]
        print(
            f"{row['measure']:<36}{row['emulator']:>10.2f}{row['floor_added']:>11.2f}"
            f"{row['gateway_added']:>13.2f}{ratio:>8}{target:>8}{mark}"
        )
    print("\nCPU ms per request, whole process (less noisy than latency):")
    for phase, ms in results["cpu_ms_per_request"].items():
        print(
            f"  {phase:<16} floor {ms['floor']:6.3f}  gateway {ms['gateway']:6.3f}  "
            f"ratio {ms['gateway'] / ms['floor']:.2f}"
        )
    rps = {name: results["concurrent"][name]["rps"] for name in ("emulator", "floor", "gateway")}
    print(
        f"req/s at c={config['concurrency']}: emulator {rps['emulator']:.0f}, "
        f"floor {rps['floor']:.0f} ({rps['floor'] / rps['emulator']:.2f} of it), "
        f"gateway {rps['gateway']:.0f} ({rps['gateway'] / rps['emulator']:.2f} of it)"
    )
    t = results["transcription"]
    print(
        f"transcription ({t['audio_bytes'] // 1024} KB MP3 upload, n={t['requests']} each; the "
        f"floor does no audio): emulator p50 {t['emulator']['p50']:.2f} ms, gateway adds "
        f"{t['gateway']['p50'] - t['emulator']['p50']:.2f} ms at p50 and "
        f"{t['gateway']['p99'] - t['emulator']['p99']:.2f} ms at p99; gateway CPU "
        f"{t['gateway_cpu_ms']:.2f} ms per transcription"
    )
    print_named_keys(results["named_keys"])
    memory = report["memory_kib"]
    print(
        f"peak RSS: gateway {memory['gateway']['VmHWM'] / 1024:.1f} MiB, "
        f"floor {memory['floor']['VmHWM'] / 1024:.1f} MiB"
    )
    print(f"\nimages, b64_json, n={config['image_requests']} each (the floor does not do images):")
    for label, row in results["images"].items():
        print(
            f"  {label:<32} emulator p50 {row['emulator_p50']:7.2f} ms, gateway adds "
            f"{row['gateway_added_p50']:6.2f} ms (CPU {row['gateway_cpu_ms']:.2f} ms per image)"
        )
    print_cold_start(report["cold_start"])
    size = report["sizes"]
    print(
        f"sizes, unzipped: function package {size['function_package'] / 2**20:.2f} MiB, "
        f"dependency layer {size['layer'] / 2**20:.1f} MiB ({size['layer_source']})\n"
    )


def print_named_keys(keys: dict[str, dict[str, float]]) -> None:
    """What a named key adds over the operator key, on the same gateway (c=1 chats)."""
    operator = keys["operator"]
    print(
        "\nnamed keys, c=1 chats on one gateway (ms; CPU ms per request; + over the operator key):"
    )
    for kind, label in (
        ("operator", "operator key"),
        ("named", "named key, no limits"),
        ("limited", "named key, rpm+tpm+budget"),
    ):
        row = keys[kind]
        added = ""
        if kind != "operator":
            p50, p99 = row["p50"] - operator["p50"], row["p99"] - operator["p99"]
            cpu = row["cpu_ms"] - operator["cpu_ms"]
            added = f"  (+{p50:.2f} p50, +{p99:.2f} p99, +{cpu:.3f} CPU)"
        print(
            f"  {label:<28} p50 {row['p50']:6.2f}  p99 {row['p99']:6.2f}  "
            f"CPU {row['cpu_ms']:6.3f}{added}"
        )


def print_cold_start(cold: dict[str, Any]) -> None:
    print(
        f"\ncold start, best of {cold['runs']} (s): import {cold['import_module']} "
        f"{cold['import_s']:.3f} ({cold['import_without_bytecode_s']:.3f} without .pyc files)"
    )
    limited = cold["cpu_share"]
    variants = [("no CPU limit", cold["no_limit"])]
    if "unavailable" not in limited:
        variants.append((f"{limited['cpu']:.2f} CPU", limited))
    for label, starts in variants:
        line = f"  {label:<14}" + "".join(
            f"  {name} /health {starts[name]['health_s']:.3f}, chat {starts[name]['chat_s']:.3f};"
            for name in ("floor", "gateway", "gateway_aws")
            if name in starts
        )
        print(line.rstrip(";"))
    if "unavailable" in limited:
        print(f"  at {limited['cpu']:.2f} CPU: not measured ({limited['unavailable']})")
    print("  (gateway_aws: keys and credentials read through the secrets extension, as on AWS)")
    if "mechanism" in limited:
        stat = limited["cpu_stat"]
        print(
            f"  CPU quota: {limited['mechanism']}; throttled in {stat['nr_throttled']} of "
            f"{stat['nr_periods']} periods"
        )


# --- main ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="c=1 chats per target")
    parser.add_argument("--stream-requests", type=int, default=60, help="streams per target")
    parser.add_argument(
        "--transcriptions", type=int, default=60, help="transcriptions, emulator and gateway"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent workers")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved concurrent rounds")
    parser.add_argument(
        "--round-requests", type=int, default=200, help="requests per target per round"
    )
    parser.add_argument("--image-requests", type=int, default=30, help="images per target")
    parser.add_argument(
        "--cold-runs", type=int, default=5, help="cold starts per server and CPU limit (best of)"
    )
    parser.add_argument(
        "--memory-mb",
        type=int,
        default=None,
        help="Lambda memory whose CPU share limits the cold starts (default: template.yaml's)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "artifacts" / "bench.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    memory_mb = args.memory_mb or template_memory_mb()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    logs = args.output.parent
    for log in logs.glob("bench-*.log"):
        log.unlink()
    emulator_port, floor_port, gateway_port = free_port(), free_port(), free_port()
    emulator_url = f"http://{HOST}:{emulator_port}"
    key = "sk-bench-" + secrets.token_urlsafe(16)
    pythonpath = os.pathsep.join([str(ROOT / "functions" / "gateway"), str(ROOT)])
    env = os.environ | {"PYTHONPATH": pythonpath, "EMULATOR_TOKEN": ""}
    for name in ("API_KEYS_SECRET_ARN", "CLOUDFLARE_SECRET_ARN"):
        env.pop(name, None)
    upstream = emulator_url + EMULATOR_BASE
    keys_dir = Path(tempfile.mkdtemp(prefix="bench-keys-"))
    gateway_env = env | {
        "KEYS_DB_PATH": str(keys_dir / "keys.sqlite3"),
        "WORKER_API_KEY": key,
        "CLOUDFLARE_ACCOUNT_ID": "emulator",
        "CLOUDFLARE_API_TOKEN": "emulator",
        "WORKERS_AI_BASE_URL": upstream,
        "DEFAULT_MODEL": MODEL,
    }
    floor_env = env | {"FLOOR_UPSTREAM": upstream, "FLOOR_UPSTREAM_TOKEN": "emulator"}
    # split-bytes 0: one write per SSE event, so the emulator's own framing does not dominate.
    emulator_argv = [sys.executable, "-m", "emulator", "--host", HOST]
    emulator_argv += ["--port", str(emulator_port), "--split-bytes", "0"]
    floor_argv, floor_env = floor_command(floor_env, floor_port)
    gateway_argv, gateway_run_env = gateway_command(gateway_env, gateway_port)

    started = time.perf_counter()
    with (
        serve("emulator", emulator_argv, env, emulator_port, "/_emulator/faults",
              logs / "bench-emulator.log"),
        serve("floor", floor_argv, floor_env, floor_port, "/health", logs / "bench-floor.log")
        as floor_process,
        serve("gateway", gateway_argv, gateway_run_env, gateway_port, "/health",
              logs / "bench-gateway.log") as gateway_process,
    ):  # fmt: skip
        targets = [
            Target(
                "emulator",
                f"{upstream}/run/{MODEL}",
                {"authorization": "Bearer emulator"},
                native=True,
            ),
            Target("floor", f"http://{HOST}:{floor_port}/v1/chat/completions", {}, native=False),
            Target(
                "gateway",
                f"http://{HOST}:{gateway_port}/v1/chat/completions",
                {"authorization": f"Bearer {key}"},
                native=False,
            ),
        ]
        pids = {"floor": floor_process.pid, "gateway": gateway_process.pid}
        results = asyncio.run(measure(targets, pids, emulator_url, args))
        memory = {
            "gateway": memory_kib(gateway_process.pid),
            "floor": memory_kib(floor_process.pid),
        }
        with SecretsExtensionServer() as extension:
            keys_arn = extension.put_secret("gateway/api-keys", json.dumps({"key": key}))
            cloudflare_arn = extension.put_secret(
                "gateway/cloudflare",
                json.dumps({"account_id": "emulator", "api_token": "emulator"}),
            )
            aws_env = (
                gateway_env
                | extension.environment()
                | {
                    "API_KEYS_SECRET_ARN": keys_arn,
                    "CLOUDFLARE_SECRET_ARN": cloudflare_arn,
                    "WORKERS_AI_BASE_URL": emulator_url + "/client/v4/accounts/{account_id}/ai",
                }
            )
            commands = {
                "floor": partial(floor_command, floor_env),
                "gateway": partial(gateway_command, gateway_env),
                "gateway_aws": partial(gateway_command, aws_env),
            }
            precompile()
            cold = cold_start(
                gateway_env, commands, key, args.cold_runs, memory_mb, logs / "bench-cold.log"
            )

    report = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "gateway_python": str(GATEWAY_PYTHON),
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
            "rounds": args.rounds,
            "round_requests": args.round_requests,
            "image_requests": args.image_requests,
            "emulator_split_bytes": 0,
            "cold_runs": args.cold_runs,
            "memory_mb": memory_mb,
            "wall_seconds": round(time.perf_counter() - started, 2),
        },
        "results": results,
        "table": table(results, args.concurrency),
        "memory_kib": memory,
        "cold_start": cold,
        "sizes": sizes(),
    }
    for leftover in keys_dir.iterdir():
        leftover.unlink()
    keys_dir.rmdir()
    report["summary"] = summary(report["table"], cold)
    print_report(report)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.output} in {report['config']['wall_seconds']:.0f} s")


if __name__ == "__main__":
    main()
