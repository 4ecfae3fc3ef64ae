"""What the tests share besides fixtures: the gateway as a real server, the OpenAI SDK pointed
at it, OpenAI's schemas (the repository's trimmed copy), the error-envelope check, and a tee of
the gateway's stdout."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

import anthropic
import httpx
import openai
from jsonschema import Draft202012Validator
from pydantic import BaseModel, TypeAdapter
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from emulator.audio import inspect, mp3, wav
from emulator.speech import DEFAULT_RATE, pcm
from emulator.testing import EmulatorServer, ServerThread
from gateway.app import create_app
from gateway.core.config import Settings
from gateway.core.observability import logger
from gateway.server import KEEP_ALIVE
from scripts import openai_schemas

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]
# OpenAI's schemas, trimmed to the ones the tests use (scripts/openai_schemas.py writes it).
OPENAI_SPEC = openai_schemas.TARGET
KEYS = ("sk-test-primary", "sk-test-rotated")
PRIMARY = Settings.model_fields["default_model"].default
"""The default primary model (`DEFAULT_MODEL`): the aliases gpt-4, gpt-4-turbo, gpt-4o."""
BACKUP = Settings.model_fields["backup_model"].default
"""The default backup model (`BACKUP_MODEL`): gpt-3.5-turbo, gpt-4o-mini, and every fallback."""
CF_TOKEN = "emulator-token"
IMAGES_DIR = Path(tempfile.gettempdir()) / f"gateway-test-images-{os.getpid()}"
"""Where the test gateways keep the images they serve as links (one folder per test run)."""


class GatewayServer(ServerThread):
    """The real gateway app under uvicorn in a background thread (`clock`: the named keys'
    time, which a test may move)."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        super().__init__(create_app(settings, clock), lifespan="on", keep_alive=KEEP_ALIVE)
        self.settings = settings
        self.api_key = KEYS[0]

    @property
    def url(self) -> str:
        return self.root_url


def gateway_settings(emulator: EmulatorServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "worker_api_key": ",".join(KEYS),
        "cloudflare_account_id": "emulator",
        "cloudflare_api_token": CF_TOKEN,
        "workers_ai_base_url": emulator.base_url,
        "attempt_timeout": 5.0,
        "request_deadline": 20.0,
        "cooldown_failures": 1000,
        "allow_private_image_urls": True,
        "responses_db_path": ":memory:",
        "images_dir": str(IMAGES_DIR),
        "keys_db_path": ":memory:",
    }
    return Settings(_env_file=None, **(values | overrides))


def fake_aws_credentials(monkeypatch: Any) -> None:
    """Credentials and a region for moto, and no profile that could reach a real account."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def post(
    server: GatewayServer,
    path: str,
    body: Any = None,
    *,
    key: str | None = None,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """POST to the gateway with a key (the server's own unless `key` is given), `body` as JSON
    (or `content=` raw), and `headers` besides."""
    sent = {"authorization": f"Bearer {key or server.api_key}"} | (headers or {})
    if body is not None:
        kwargs["json"] = body
    return httpx.post(f"{server.url}{path}", headers=sent, timeout=30, **kwargs)


def upstream_runs(emulator: EmulatorServer) -> list[dict[str, Any]]:
    """The inference calls (`/run/{model}`) the emulator received, oldest first."""
    return [r for r in emulator.requests() if r["route"] == "run"]


def last_run(emulator: EmulatorServer) -> dict[str, Any]:
    runs = upstream_runs(emulator)
    assert runs, "the gateway sent nothing upstream"
    return runs[-1]


def stream_events(gateway: GatewayServer, path: str, body: dict) -> tuple[httpx.Response, list]:
    """POST with stream: true; return the response and every `data:` payload, in order."""
    events: list = []
    with httpx.stream(
        "POST",
        f"{gateway.url}{path}",
        json={**body, "stream": True},
        headers={"authorization": f"Bearer {gateway.api_key}"},
        timeout=30,
    ) as response:
        if response.status_code != 200:
            response.read()
            return response, events
        raw = "".join(response.iter_text())
    assert raw.endswith("\n\n")
    for block in raw.split("\n\n")[:-1]:
        assert block.startswith("data: "), block
        data = block.removeprefix("data: ")
        events.append(data if data == "[DONE]" else json.loads(data))
    return response, events


def wait_until_quiet(server: ServerThread, baseline: int) -> None:
    """Wait (10 s at most) until the server runs no more asyncio tasks than `baseline`, its
    count when idle: a request that hangs, or leaves work behind, fails this."""
    deadline = time.monotonic() + 10
    while len(tasks := server.running_tasks()) > baseline:
        assert time.monotonic() < deadline, f"tasks left behind: {tasks}"
        time.sleep(0.02)


def sdk(server: GatewayServer, key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{server.url}/v1", api_key=key or server.api_key, max_retries=0, timeout=30
    )


def anthropic_sdk(server: GatewayServer, key: str | None = None) -> anthropic.Anthropic:
    """The official `anthropic` SDK pointed at the gateway (its base URL has no /v1)."""
    return anthropic.Anthropic(
        base_url=server.url, api_key=key or server.api_key, max_retries=0, timeout=30
    )


ANTHROPIC_HEADERS = {"anthropic-version": "2023-06-01"}

ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
"""Anthropic's error type for each status (https://platform.claude.com/docs/en/api/errors)."""


def assert_anthropic_error_body(body: Any, status: int) -> dict:
    """`body` is exactly Anthropic's error envelope, with the type documented for `status`."""
    assert body["type"] == "error" and set(body) <= {"type", "error", "request_id"}, body
    assert set(body["error"]) == {"type", "message"}, body
    assert body["error"]["type"] == ANTHROPIC_ERROR_TYPES[status], body
    assert body["error"]["message"]
    return body["error"]


def assert_anthropic_error(response: httpx.Response, status: int) -> dict:
    """The response is `status` with exactly Anthropic's error envelope, and shows no
    traceback and no key or upstream token."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "Traceback" not in response.text
    for secret in (*KEYS, CF_TOKEN):
        assert secret not in response.text
    return assert_anthropic_error_body(response.json(), status)


def assert_shape(sdk_type: Any, payload: Any) -> None:
    """`payload` validates as `sdk_type` (a type of the `anthropic` SDK, generated from
    Anthropic's API definition) and has no field that type lacks, at any depth."""
    _no_unknown_fields(TypeAdapter(sdk_type).validate_python(payload), payload)


def _no_unknown_fields(parsed: Any, payload: Any) -> None:
    if isinstance(parsed, BaseModel):
        fields = type(parsed).model_fields
        known = {field.alias or name: name for name, field in fields.items()}
        unknown = set(payload) - set(known)
        assert not unknown, f"{type(parsed).__name__} has no {unknown}: {payload}"
        for key, name in known.items():
            if key in payload:
                _no_unknown_fields(getattr(parsed, name), payload[key])
    elif isinstance(parsed, list):
        for item, raw in zip(parsed, payload, strict=True):
            _no_unknown_fields(item, raw)


def anthropic_events(
    server: GatewayServer, body: dict[str, Any], path: str = "/v1/messages"
) -> tuple[httpx.Response, list[tuple[str, dict[str, Any]]]]:
    """POST a streamed Messages request with `x-api-key`; return the response and each event
    as (its `event:` name, its data), checking that every event names its data's type."""
    headers = {"x-api-key": server.api_key, **ANTHROPIC_HEADERS}
    events: list[tuple[str, dict[str, Any]]] = []
    with httpx.stream(
        "POST", f"{server.url}{path}", json={**body, "stream": True}, headers=headers, timeout=30
    ) as response:
        if response.status_code != 200:
            response.read()
            return response, events
        raw = "".join(response.iter_text())
    assert raw.endswith("\n\n"), raw[-200:]
    for block in raw.split("\n\n")[:-1]:
        name, data = block.split("\n")
        assert name.startswith("event: ") and data.startswith("data: "), block
        events.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
        assert events[-1][0] == events[-1][1]["type"], block
    return response, events


def assert_error(
    response: httpx.Response, status: int, openai_schemas: OpenAISchemas, **expected: Any
) -> dict:
    """The response is `status` with exactly OpenAI's error envelope (and the given fields),
    and shows no traceback and no key or upstream token."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    openai_schemas.validate("ErrorResponse", body)
    assert set(body) == {"error"}, "not OpenAI's envelope"
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["message"]
    assert "Traceback" not in response.text
    for secret in (*KEYS, CF_TOKEN):
        assert secret not in response.text
    for name, value in expected.items():
        assert body["error"][name] == value, body
    return body["error"]


class OpenAISchemas:
    """Validates payloads against a named schema of OpenAI's official OpenAPI document."""

    def __init__(self, spec: dict[str, Any]) -> None:
        resource = Resource.from_contents(_honour_nullable(spec), default_specification=DRAFT202012)
        self.registry = Registry().with_resource("urn:openai", resource)

    def validate(self, name: str, payload: Any) -> None:
        schema = {"$ref": f"urn:openai#/components/schemas/{name}"}
        Draft202012Validator(schema, registry=self.registry).validate(payload)


def _honour_nullable(node: Any) -> Any:
    """OpenAI's 3.1 document still marks some fields with 3.0's `nullable: true`; JSON Schema
    ignores that keyword, so turn it into the `null` type it means."""
    if isinstance(node, list):
        return [_honour_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _honour_nullable(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        if "enum" in node and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
        if "$ref" in node or "allOf" in node or "oneOf" in node or "anyOf" in node:
            node = {"anyOf": [{"type": "null"}, node]}
    return node


class GatewayOutput:
    """A tee of stdout that keeps what the in-process gateway prints: Powertools JSON log lines
    and EMF records.

    Polling capfd.readouterr() instead would race with the server thread: a line written
    between its read and its truncate is lost.
    """

    def __init__(self, forward: TextIO) -> None:
        self.forward = forward
        self.chunks: list[str] = []

    def write(self, text: str) -> int:
        self.chunks.append(text)
        return self.forward.write(text)

    def flush(self) -> None:
        self.forward.flush()

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def records(self) -> list[dict[str, Any]]:
        complete = self.text.split("\n")[:-1]
        return [json.loads(line) for line in complete if line.startswith("{")]

    def wait_for(self, find: Callable[[list[dict[str, Any]]], T | None]) -> T:
        """The server prints just after the client got its answer: wait until `find` finds."""
        deadline = time.monotonic() + 10
        while (found := find(self.records())) is None:
            assert time.monotonic() < deadline, f"the gateway never printed it:\n{self.text}"
            time.sleep(0.02)
        return found

    def request(self, request_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """One request's log line, and its EMF record (printed right after the log line)."""

        def find(records: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]] | None:
            for index, record in enumerate(records):
                if (
                    record.get("message") == "request"
                    and record.get("correlation_id") == request_id
                ):
                    emf = [r for r in records[index + 1 :] if "Requests" in r]
                    return (record, emf[0]) if emf else None
            return None

        return self.wait_for(find)


@contextmanager
def gateway_output() -> Iterator[GatewayOutput]:
    """Keep the gateway's stdout while the block runs (use it inside the test body: pytest
    swaps sys.stdout between a test's phases)."""
    output = GatewayOutput(sys.stdout)
    # Powertools' handler holds the stream it was created with; point it at the tee too.
    handler = logger.powertools.registered_handler
    previous_stream = handler.setStream(output)
    previous_stdout, sys.stdout = sys.stdout, output
    try:
        yield output
    finally:
        sys.stdout = previous_stdout
        handler.setStream(previous_stream)


# --- audio to upload ---------------------------------------------------------------------------
# Made by the emulator's own synthesiser, so its transcript is known: the emulator's speech
# recognition reads the text back from the file's ID3 comment.

SAID = "Hello there. How are you today? Fine, thanks!"
SENTENCES = ["Hello there.", "How are you today?", "Fine, thanks!"]


def spoken_mp3(text: str = SAID) -> bytes:
    return mp3(pcm(text, "luna", DEFAULT_RATE), DEFAULT_RATE, text)


def spoken_wav(text: str = SAID) -> bytes:
    return wav(pcm(text, "luna", DEFAULT_RATE), DEFAULT_RATE, text)


def silent_wav(seconds: float = 1.0) -> bytes:
    return wav(bytes(2 * round(seconds * 16000)), 16000)


DURATION = round(inspect(spoken_mp3()).duration, 3)
"""Seconds of `spoken_mp3()`, as the emulator's models read it."""


def picture(
    size: tuple[int, int] = (64, 48),
    color: tuple[int, ...] = (200, 30, 30),
    mode: str = "RGB",
    fmt: str = "PNG",
) -> bytes:
    """An encoded image of one colour, for uploads (Pillow)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, fmt)
    return buffer.getvalue()


def decoded(data: bytes) -> Any:
    """The image in `data`, decoded (a PIL image), with `format` set."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# --- `make dev` as a process (scripts/dev.py) ----------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dev_process(data: Path, **env: str) -> subprocess.Popen:
    """scripts/dev.py with its data (stored responses, kept key) under `data`, on a free PORT,
    without Cloudflare credentials, WORKER_API_KEY or EMULATOR_PORT unless `env` gives them."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLOUDFLARE_", "WORKER_API", "EMULATOR_", "RESPONSES_"))
    }
    environ |= {"PORT": str(free_port()), "PYTHONUNBUFFERED": "1"}
    environ["RESPONSES_DB_PATH"] = str(data / "responses.sqlite3")
    environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "functions" / "gateway"), str(ROOT)])
    return subprocess.Popen(
        [sys.executable, "scripts/dev.py"],
        cwd=ROOT,
        env=environ | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@contextmanager
def make_dev(data: Path, **env: str) -> Iterator[tuple[str, str, subprocess.Popen]]:
    """Run scripts/dev.py until its banner shows the key line; yield (that line, base URL,
    the process); stop it on exit."""
    process = dev_process(data, **env)
    try:
        assert process.stdout is not None
        seen = []
        for line in process.stdout:
            seen.append(line)
            if "API key:" in line:
                break
        else:
            raise AssertionError("make dev printed no key:\n" + "".join(seen))
        base_url = re.search(r"Gateway:\s+(\S+)", "".join(seen))
        assert base_url, "".join(seen)
        yield line.strip(), base_url.group(1), process
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


# --- named keys -------------------------------------------------------------------------------

KEYS_TABLE = "gateway-keys"
USAGE_TABLE = "gateway-usage"


class FakeClock:
    """A clock that stands still until the test moves it (Unix seconds)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def utc(text: str) -> float:
    """Unix seconds of an ISO time in UTC, e.g. `2026-12-31T23:59:30`."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def create_tables(client: Any) -> None:
    """The two tables as `gateway.core.keys` documents them."""
    client.create_table(
        TableName=KEYS_TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    create_usage_table(client)


def create_usage_table(client: Any) -> None:
    client.create_table(
        TableName=USAGE_TABLE,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=USAGE_TABLE,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )


def operator_headers(server: GatewayServer) -> dict[str, str]:
    return {"authorization": f"Bearer {server.api_key}"}


def mint_key(server: GatewayServer, **fields: Any) -> tuple[str, dict[str, Any]]:
    """A named key made through `POST /admin/keys` with the server's operator key: its secret
    and its key object."""
    response = httpx.post(
        f"{server.url}/admin/keys", json=fields, headers=operator_headers(server), timeout=30
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body.pop("key"), body


def usage_rows(server: GatewayServer, **query: str) -> list[dict[str, Any]]:
    """`GET /admin/usage`'s rows (every key, this month by the server's clock, unless told)."""
    response = httpx.get(
        f"{server.url}/admin/usage", params=query, headers=operator_headers(server), timeout=30
    )
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
"""Bytes that read as a PNG by their magic number (what the gateway checks of an image)."""


class ImageHost(ServerThread):
    """A loopback image server that records what it was asked and which streams are open."""

    def __init__(self, host: str) -> None:
        self.seen: list[tuple[str, str]] = []
        self.open_streams = 0
        routes = [
            Route("/cat.png", self.cat),
            Route("/bytes/{size:int}", self.sized),
            Route("/slow.png", self.slow),
            Route("/late.png", self.late),
            Route("/missing.png", self.missing),
            Route("/text", self.text),
            Route("/redirect", self.redirect),
        ]
        super().__init__(Starlette(routes=routes), host=host)

    def _log(self, request: Request) -> None:
        self.seen.append((request.url.path, request.headers.get("host", "")))

    async def cat(self, request: Request) -> Response:
        self._log(request)
        return Response(PNG, media_type="image/png")

    async def sized(self, request: Request) -> Response:
        self._log(request)
        return Response(b"\0" * request.path_params["size"], media_type="image/png")

    async def slow(self, request: Request) -> StreamingResponse:
        """One byte every 0.1 s for at most 20 s: never finishes within a test's deadline."""
        self._log(request)

        async def trickle():
            self.open_streams += 1
            try:
                for _ in range(200):
                    yield b"\0"
                    await asyncio.sleep(0.1)
            finally:
                self.open_streams -= 1

        return StreamingResponse(trickle(), media_type="image/png")

    async def late(self, request: Request) -> Response:
        """The whole image, after a 1.2 s pause."""
        self._log(request)
        await asyncio.sleep(1.2)
        return Response(PNG, media_type="image/png")

    async def missing(self, request: Request) -> Response:
        self._log(request)
        return Response(status_code=404)

    async def text(self, request: Request) -> Response:
        self._log(request)
        return Response("<html>", media_type="text/html")

    async def redirect(self, request: Request) -> Response:
        self._log(request)
        return RedirectResponse(request.query_params["to"], status_code=302)
