"""What every HTTP server in front of clients, monitors and proxies is expected to do, over real
sockets: HEAD on every GET route (headers, no body, a response that ends), OPTIONS, paths with a
slash too many, `Expect: 100-continue`, chunked and compressed request bodies, conflicting
repeated headers, oversized header sections, and the request-smuggling shapes the parser
refuses."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from helpers import GatewayServer, assert_error, mint_key, post

from gateway.app import routes
from gateway.core.http import Response, StreamingResponse

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}
BODY = json.dumps(CHAT).encode()


def exchange(server: GatewayServer, request: bytes, body: bytes = b"", wait: float = 5) -> bytes:
    """Send raw bytes (then `body`), read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=wait) as sock:
        sock.sendall(request + body)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def head(method: str, path: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: gateway", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def split(raw: bytes) -> tuple[str, dict[str, str], bytes]:
    """A raw HTTP/1.1 response: its status line, headers (lower-cased names), and the rest."""
    top, _, rest = raw.partition(b"\r\n\r\n")
    status, *lines = top.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, rest


# --- HEAD ---------------------------------------------------------------------------------------


@pytest.fixture
def get_paths(client, gateway) -> Iterator[list[str]]:
    """A concrete path for every GET route (a stored response for the response routes, an image
    for the media route, a named key for the admin routes)."""
    stored = client.responses.create(model="gpt-4o", input="for HEAD")
    image = client.images.generate(model="dall-e-2", prompt="for HEAD", response_format="url")
    media = urlsplit(image.data[0].url).path.rsplit("/", 1)[1]
    _, key = mint_key(gateway, name="for HEAD")
    values = {
        "response_id": stored.id,
        "model_id": "gpt-4o",
        "name": "app.js",
        "key_id": key["id"],
    }
    paths = []
    for route in routes():
        if route.method == "GET":
            path = route.path.replace(":path}", "}")
            named = values | {"name": media} if path.startswith("/media/") else values
            paths.append(path.format(**named))
    yield paths


def test_every_get_route_answers_head_with_its_headers_and_no_body(gateway, get_paths):
    auth = {"authorization": f"Bearer {gateway.api_key}"}
    for path in get_paths:
        status, headers, rest = split(exchange(gateway, head("HEAD", path, auth)))
        got = httpx.get(f"{gateway.url}{path}", headers=auth)
        assert status == f"HTTP/1.1 {got.status_code} {got.reason_phrase}", path
        assert got.status_code == 200, path
        assert rest == b"", f"HEAD {path} sent a body"
        assert headers["content-type"] == got.headers["content-type"], path
        assert int(headers["content-length"]) == len(got.content), path


@pytest.mark.parametrize("path", ["/v1/models", "/v1/responses/resp_nope", "/nowhere"])
def test_errors_answer_head_without_a_body_too(gateway, path):
    status, headers, rest = split(exchange(gateway, head("HEAD", path)))
    assert status.split()[1] in {"401", "404"}
    assert rest == b"" and headers["content-type"] == "application/json"


def test_a_head_answer_ends_and_the_connection_serves_the_next_request(gateway):
    """No stray body after the headers: a GET after a HEAD on one connection gets its own."""
    keep = b"GET /health HTTP/1.1\r\nHost: gateway\r\n\r\n"
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as sock:
        sock.sendall(
            keep.replace(b"GET", b"HEAD")
            + keep.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
        )
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    first, _, second = received.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 200")
    assert second.startswith(b"HTTP/1.1 200"), "the HEAD answer sent bytes after its headers"
    assert json.loads(split(second)[2])["status"] == "healthy"


def asgi_messages(app: Any, method: str) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "http", "method": method}, receive, send))
    return sent


def test_a_streamed_answer_to_head_makes_no_body_and_ends():
    made: list[str] = []

    async def chunks() -> AsyncIterator[bytes]:
        try:
            made.append("first")
            yield b"data: 1\n\n"
        finally:
            made.append("closed")

    sent = asgi_messages(StreamingResponse(chunks()), "HEAD")
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[-1]["body"] == b"" and not sent[-1].get("more_body")
    assert "first" not in made
    streamed = asgi_messages(StreamingResponse(chunks()), "GET")
    assert [m.get("body") for m in streamed[1:]] == [b"data: 1\n\n", b""]


def test_a_whole_answer_to_head_keeps_its_length_and_ends():
    sent = asgi_messages(Response(b"hello"), "HEAD")
    assert (b"content-length", b"5") in sent[0]["headers"]
    assert sent[1] == {"type": "http.response.body", "body": b""}


# --- OPTIONS and paths --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/v1/chat/completions", "OPTIONS, POST"),
        ("/v1/models", "GET, HEAD, OPTIONS"),
        ("/v1/responses/resp_1", "DELETE, GET, HEAD, OPTIONS"),
    ],
)
def test_options_without_cors_lists_the_methods(gateway, path, allow):
    response = httpx.options(f"{gateway.url}{path}")
    assert response.status_code == 200
    assert response.headers["allow"] == allow
    assert response.content


def test_options_asterisk_lists_every_method(gateway):
    status, headers, _ = split(exchange(gateway, head("OPTIONS", "*")))
    assert status == "HTTP/1.1 200 OK"
    served = {
        m for route in routes() for m in (route.method, "HEAD" if route.method == "GET" else "")
    }
    assert headers["allow"] == ", ".join(sorted((served - {""}) | {"OPTIONS"}))


def test_a_method_not_allowed_names_options_too(gateway, openai_schemas):
    response = httpx.put(f"{gateway.url}/v1/models")
    assert_error(response, 405, openai_schemas)
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize(
    "path", ["/v1/chat/completions/", "//v1/chat/completions", "/v1//chat///completions//"]
)
def test_a_slash_too_many_finds_the_route(gateway, emulator, path):
    response = post(gateway, path, CHAT)
    assert response.status_code == 200, response.text
    assert response.json()["object"] == "chat.completion"


def test_an_unknown_path_stays_a_404(gateway, openai_schemas):
    assert_error(post(gateway, "/v1/chat/completion/", CHAT), 404, openai_schemas)


# --- request bodies -----------------------------------------------------------------------------


def test_expect_100_continue_gets_continue_then_the_answer(gateway, emulator):
    request = head(
        "POST",
        "/v1/chat/completions",
        {
            "Authorization": f"Bearer {gateway.api_key}",
            "Content-Type": "application/json",
            "Content-Length": str(len(BODY)),
            "Expect": "100-continue",
        },
    )
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as sock:
        sock.sendall(request)
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(BODY)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 200 OK")


def test_expect_100_continue_with_a_wrong_key_is_refused_before_the_body(gateway, openai_schemas):
    request = head(
        "POST",
        "/v1/chat/completions",
        {
            "Authorization": "Bearer sk-wrong",
            "Content-Type": "application/json",
            "Content-Length": str(len(BODY)),
            "Expect": "100-continue",
        },
    )
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as sock:
        sock.sendall(request)  # and never the body
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    status, _, rest = split(received)
    assert status == "HTTP/1.1 401 Unauthorized"
    assert json.loads(rest)["error"]["code"] == "invalid_api_key"


def chunks_of(body: bytes) -> Iterator[bytes]:
    yield from (body[i : i + 7] for i in range(0, len(body), 7))


def test_a_chunked_body_is_read_whole(gateway, emulator):
    response = post(
        gateway,
        "/v1/chat/completions",
        content=chunks_of(BODY),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert emulator.requests()[-1]["body"]["messages"] == CHAT["messages"]


def raw_deflate(data: bytes) -> bytes:
    """A deflate stream without zlib's framing (what some clients send as `deflate`)."""
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", raw_deflate),
        ("gzip, identity", gzip.compress),
        ("identity", lambda data: data),
    ],
    ids=["gzip", "zlib deflate", "raw deflate", "with identity", "identity"],
)
def test_compressed_bodies_are_decoded(gateway, emulator, coding, encode):
    body = encode(BODY)
    headers = {"content-type": "application/json", "content-encoding": coding}
    response = post(gateway, "/v1/chat/completions", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert emulator.requests()[-1]["body"]["messages"] == CHAT["messages"]


@pytest.mark.parametrize("coding", ["br", "zstd", "compress"])
def test_a_coding_not_taken_is_a_415_saying_which_are(gateway, emulator, openai_schemas, coding):
    headers = {"content-type": "application/json", "content-encoding": coding}
    response = post(gateway, "/v1/chat/completions", content=BODY, headers=headers)
    error = assert_error(response, 415, openai_schemas, code="unsupported_content_encoding")
    assert coding in error["message"]
    assert response.headers["accept-encoding"] == "gzip, deflate"
    assert emulator.requests() == []


def test_a_body_that_is_not_what_its_coding_says_is_a_400(gateway, openai_schemas):
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    response = post(gateway, "/v1/chat/completions", content=BODY, headers=headers)
    assert_error(response, 400, openai_schemas, code="invalid_request_body")


def test_a_compressed_body_is_held_to_the_size_limit_once_decoded(start_gateway, openai_schemas):
    bomb = gzip.compress(b'{"model": "' + b"a" * 50_000 + b'"}')
    with start_gateway(max_body_bytes=10_000) as small:
        assert len(bomb) < 10_000
        headers = {"content-type": "application/json", "content-encoding": "gzip"}
        response = post(small, "/v1/chat/completions", content=bomb, headers=headers)
        assert_error(response, 413, openai_schemas, code="request_too_large")
        chunked = post(small, "/v1/chat/completions", content=chunks_of(b" " * 20_000 + BODY))
        assert_error(chunked, 413, openai_schemas, code="request_too_large")


# --- headers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["Authorization", "Content-Type"])
def test_a_repeated_header_with_different_values_is_refused(gateway, emulator, header):
    values = {
        "Authorization": [f"Bearer {gateway.api_key}", "Bearer sk-other"],
        "Content-Type": ["application/json", "text/plain"],
    }[header]
    others = {"Authorization": f"Bearer {gateway.api_key}", "Content-Type": "application/json"}
    lines = [f"{name}: {value}" for name, value in others.items() if name != header]
    lines += [f"{header}: {value}" for value in values]
    request = head("POST", "/v1/chat/completions", {"Content-Length": str(len(BODY))})
    request = request.replace(b"\r\n\r\n", ("\r\n" + "\r\n".join(lines) + "\r\n\r\n").encode())
    status, _, rest = split(exchange(gateway, request, BODY))
    assert status == "HTTP/1.1 400 Bad Request"
    error = json.loads(rest)["error"]
    assert error["code"] == "duplicate_header" and header.lower() in error["message"]
    assert emulator.requests() == []


def test_a_header_repeated_with_the_same_value_is_fine(gateway, emulator):
    auth = f"Authorization: Bearer {gateway.api_key}"
    request = head("POST", "/v1/chat/completions", {"Content-Type": "application/json"})
    extra = f"{auth}\r\n{auth}\r\nContent-Length: {len(BODY)}\r\n\r\n".encode()
    status, _, _ = split(exchange(gateway, request[:-2] + extra, BODY))
    assert status == "HTTP/1.1 200 OK"


@pytest.mark.parametrize(
    "framing",
    [
        f"Content-Length: {len(BODY)}\r\nContent-Length: {len(BODY) + 1}",
        f"Content-Length: {len(BODY)}\r\nTransfer-Encoding: chunked",
    ],
    ids=["two lengths", "length and chunked"],
)
def test_ambiguous_body_framing_is_refused_by_the_parser(gateway, emulator, framing):
    request = head("POST", "/v1/chat/completions", {"Authorization": f"Bearer {gateway.api_key}"})
    request = request[:-2] + framing.encode() + b"\r\n\r\n"
    status, _, _ = split(exchange(gateway, request, BODY))
    assert status == "HTTP/1.1 400 Bad Request"
    assert emulator.requests() == []


def test_a_header_section_past_the_limit_is_a_431(gateway, openai_schemas):
    big = {"x-padding": "a" * 70_000}
    assert_error(httpx.get(f"{gateway.url}/health", headers=big), 431, openai_schemas)
    fine = {"x-padding": "a" * 16_000, "cookie": "b" * 16_000}
    assert httpx.get(f"{gateway.url}/health", headers=fine).status_code == 200
