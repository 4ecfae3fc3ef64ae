"""Hostile uploads: oversized (by Content-Length and while streaming in), empty, truncated or not
audio at all, and broken multipart. Each is a 4xx in OpenAI's envelope, never a 5xx, and none
reaches Workers AI unless only the model can tell."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from helpers import (
    GatewayServer,
    assert_error,
    gateway_settings,
    post,
    spoken_mp3,
    spoken_wav,
    upstream_runs,
)

from gateway.core.config import Settings

LIMIT = Settings.model_fields["max_upload_bytes"].default
BOUNDARY = "gateway-test-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def multipart(*parts: tuple[str, str | None, bytes], close: bool = True) -> bytes:
    """A multipart body by hand: (name, filename, content) parts."""
    out = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        out += content + b"\r\n"
    return out + (f"--{BOUNDARY}--\r\n".encode() if close else b"")


def send(gateway: GatewayServer, body, content_type: str = MULTIPART, **headers: str):
    return post(
        gateway,
        "/v1/audio/transcriptions",
        content=body,
        headers={"content-type": content_type, **headers},
    )


@pytest.fixture(scope="module")
def small_gateway(emulator_server) -> Iterator[GatewayServer]:
    settings = gateway_settings(emulator_server, max_upload_bytes=20_000)
    with GatewayServer(settings) as server:
        yield server


def test_an_upload_over_the_default_limit_is_a_413_naming_file(gateway, emulator, openai_schemas):
    big = multipart(("model", None, b"whisper-1"), ("file", "big.mp3", b"\xff\xfb" * (LIMIT // 2)))
    error = assert_error(send(gateway, big), 413, openai_schemas, param="file")
    assert str(LIMIT) in error["message"]
    assert upstream_runs(emulator) == []


def test_the_limit_is_checked_while_a_chunked_upload_streams_in(
    small_gateway, emulator, openai_schemas
):
    body = multipart(("model", None, b"whisper-1"), ("file", "a.mp3", spoken_mp3() * 3))
    assert len(body) > 20_000

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    response = send(small_gateway, pieces())
    assert "content-length" not in response.request.headers
    error = assert_error(response, 413, openai_schemas, param="file", code="request_too_large")
    assert "20000" in error["message"]
    assert upstream_runs(emulator) == []


def test_an_upload_under_the_limit_passes(small_gateway, emulator):
    data = spoken_mp3("Short.")
    assert len(data) < 20_000
    response = post(
        small_gateway,
        "/v1/audio/transcriptions",
        files={"file": ("a.mp3", data)},
        data={"model": "whisper-1"},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("name", "content", "param"),
    [
        ("not-audio", b"This is a text file, not audio.\n" * 20, "file"),
        ("a-png", b"\x89PNG\r\n\x1a\n" + bytes(200), "file"),
        ("empty", b"", "file"),
        ("truncated-wav-header", spoken_wav()[:20], None),
        ("riff-garbage", b"RIFF\x00\x00\x00\x00WAVE" + b"\x07" * 300, None),
    ],
)
def test_what_is_not_audio_is_a_400(gateway, emulator, openai_schemas, name, content, param):
    body = multipart(("model", None, b"whisper-1"), ("file", f"{name}.wav", content))
    error = assert_error(send(gateway, body), 400, openai_schemas, param=param)
    if param == "file":
        assert upstream_runs(emulator) == [], "told by its bytes, before any upstream call"
    else:
        assert "audio" in error["message"].lower(), "only the model could tell: its words"


@pytest.mark.parametrize(
    ("name", "body", "content_type"),
    [
        ("no-closing-boundary", multipart(("model", None, b"whisper-1"), close=False), MULTIPART),
        ("cut-in-a-part", multipart(("file", "a.mp3", spoken_mp3()))[:900], MULTIPART),
        ("garbage", b"\x00\x01 not multipart at all", MULTIPART),
        ("no-boundary", multipart(("model", None, b"whisper-1")), "multipart/form-data"),
        ("json-instead", b'{"model": "whisper-1", "file": "x"}', "application/json"),
        ("no-content-type", multipart(("model", None, b"whisper-1")), ""),
        ("no-disposition", f"--{BOUNDARY}\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode(), MULTIPART),
    ],
)
def test_broken_multipart_is_a_400(gateway, emulator, openai_schemas, name, body, content_type):
    response = send(gateway, body, content_type)
    assert_error(response, 400, openai_schemas, code="invalid_request_body")
    assert upstream_runs(emulator) == []


@pytest.mark.parametrize(
    ("parts", "param", "code"),
    [
        ([("model", None, b"whisper-1")], "file", "missing_required_parameter"),
        ([("file", "a.mp3", b"ID3")], "model", "missing_required_parameter"),
        ([("model", None, b"whisper-1"), ("file", None, b"ID3 as text")], "file", "invalid_value"),
        ([("model", None, b"\xff\xfe"), ("file", "a.mp3", b"ID3")], None, "invalid_request_body"),
    ],
)
def test_missing_or_mistyped_fields_are_a_400(
    gateway, emulator, openai_schemas, parts, param, code
):
    assert_error(send(gateway, multipart(*parts)), 400, openai_schemas, param=param, code=code)


def test_a_client_that_leaves_mid_upload_costs_nothing_upstream(gateway, emulator):
    body = multipart(("model", None, b"whisper-1"), ("file", "a.mp3", spoken_mp3()))
    host, port = gateway.url.removeprefix("http://").split(":")
    head = (
        f"POST /v1/audio/transcriptions HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {gateway.api_key}\r\nContent-Type: {MULTIPART}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(head.encode() + body[: len(body) // 2])
    post(
        gateway,
        "/v1/audio/transcriptions",
        files={"file": ("a.mp3", spoken_mp3())},
        data={"model": "whisper-1"},
    )
    assert len(upstream_runs(emulator)) == 1, "only the whole upload reached Workers AI"
