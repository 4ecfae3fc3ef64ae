"""The fault matrix (test_fault_matrix.py's rows) over the images endpoints.

An image is one whole answer (base64 in JSON for FLUX, raw PNG for Stable Diffusion): every fault
strikes before the client's first byte, so a failure the backup can help with falls back and
anything else is one documented error. The `*_after_chunks` faults spoil the whole body: cut or
stalled, or half a body (a PNG cut short, or half a JSON envelope), or an error object in place of
the image.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from helpers import GatewayServer, picture, upstream_runs, wait_until_quiet
from test_fault_matrix import MATRIX, Misbehaviour, assert_envelope

from gateway.core.config import Settings

DEFAULTS = Settings.model_fields


def _auth(gateway: GatewayServer) -> dict[str, str]:
    return {"authorization": f"Bearer {gateway.api_key}"}


def generate(gateway: GatewayServer) -> httpx.Response:
    body = {"model": "dall-e-3", "prompt": "the fault matrix", "response_format": "b64_json"}
    return httpx.post(
        f"{gateway.url}/v1/images/generations", json=body, headers=_auth(gateway), timeout=30
    )


def edit(gateway: GatewayServer) -> httpx.Response:
    return httpx.post(
        f"{gateway.url}/v1/images/edits",
        files={"image": ("source.png", picture(), "image/png")},
        data={"prompt": "the fault matrix"},
        headers=_auth(gateway),
        timeout=30,
    )


@dataclass(frozen=True)
class Endpoint:
    name: str
    send: Callable[[GatewayServer], httpx.Response]
    primary: str
    backup: str


ENDPOINTS = [
    Endpoint(
        "generations",
        generate,
        DEFAULTS["image_model"].default,
        DEFAULTS["image_backup_model"].default,
    ),
    Endpoint(
        "edits", edit, DEFAULTS["image_edit_model"].default, DEFAULTS["image_backup_model"].default
    ),
]


def cases() -> Iterator[Any]:
    for endpoint in ENDPOINTS:
        for case in MATRIX:
            for failing in ("primary", "every-model"):
                yield pytest.param(
                    endpoint, case, failing, id=f"{endpoint.name}-{case.name}-{failing}"
                )


@pytest.mark.parametrize(("endpoint", "case", "failing"), list(cases()))
def test_images_fault_matrix(
    matrix_gateway, emulator, endpoint: Endpoint, case: Misbehaviour, failing: str
):
    baselines = {server: len(server.running_tasks()) for server in (matrix_gateway, emulator)}
    model = endpoint.primary if failing == "primary" else "*"
    emulator.add_fault(model=model, route="run", times=None, **case.fault)

    response = endpoint.send(matrix_gateway)
    tried = [run["model"] for run in upstream_runs(emulator)]

    if case.retryable and failing == "primary":
        assert response.status_code == 200, response.text
        assert response.headers["x-gateway-model"] == endpoint.backup
        assert response.json()["data"][0]["b64_json"]
        assert tried == [endpoint.primary, endpoint.backup]
    else:
        assert response.status_code == case.status, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert set(response.json()) == {"error"}
        assert_envelope(response.json()["error"], case.code)
        assert response.headers.get("retry-after") == case.retry_after
        chain = [endpoint.primary, endpoint.backup]
        assert tried == (chain if case.retryable else [endpoint.primary])

    for server, baseline in baselines.items():
        wait_until_quiet(server, baseline)
