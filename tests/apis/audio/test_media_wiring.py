"""The audio, moderation and rerank endpoints sit behind the same wiring as chat: the key check,
CORS, the request id and overhead headers, and one log line and EMF record per request."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from helpers import KEYS, ROOT, assert_error, gateway_output, post, spoken_mp3, upstream_runs

MEDIA = [
    "/v1/audio/transcriptions",
    "/v1/audio/translations",
    "/v1/audio/speech",
    "/v1/moderations",
    "/v1/rerank",
]


@pytest.mark.parametrize("path", MEDIA)
def test_a_key_is_needed(gateway, emulator, openai_schemas, path):
    response = httpx.post(f"{gateway.url}{path}", json={})
    assert_error(response, 401, openai_schemas)
    response = httpx.post(
        f"{gateway.url}{path}", json={}, headers={"authorization": "Bearer sk-wrong"}
    )
    assert_error(response, 401, openai_schemas)
    assert upstream_runs(emulator) == []


@pytest.mark.parametrize("path", MEDIA)
def test_a_preflight_is_answered_for_a_browser(gateway, emulator, path):
    response = httpx.options(
        f"{gateway.url}{path}",
        headers={
            "origin": "https://app.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"


def test_a_transcription_is_logged_and_measured_with_the_overhead_header(gateway, emulator):
    with gateway_output() as output:
        response = post(
            gateway,
            "/v1/audio/transcriptions",
            files={"file": ("a.mp3", spoken_mp3("Logged."))},
            data={"model": "whisper-1"},
            headers={"origin": "https://app.example"},
        )
        assert response.status_code == 200
        line, emf = output.request(response.headers["x-request-id"])
    assert float(response.headers["x-gateway-overhead-ms"]) >= 0
    assert "x-gateway-model" in response.headers["access-control-expose-headers"]
    assert line["path"] == "/v1/audio/transcriptions" and line["status"] == 200
    assert line["requested_model"] == "whisper-1"
    assert line["model"] == "@cf/openai/whisper-large-v3-turbo"
    assert line["upload_bytes"] > 0
    assert emf["Requests"] == [1.0] and emf["AudioSeconds"][0] > 0
    assert KEYS[0] not in output.text


def test_the_app_starts_without_importing_the_multipart_parser():
    """python-multipart is imported on the first upload, so chat's cold start does not pay."""
    code = "import sys, gateway.app; print('python_multipart' in sys.modules)"
    path = os.pathsep.join([str(ROOT / "functions" / "gateway"), str(ROOT)])
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"PYTHONPATH": path},
    )
    assert done.stdout.strip() == "False"
