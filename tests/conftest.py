"""Shared fixtures: the emulator and the gateway as real servers on loopback, the OpenAI SDK as
the client, and OpenAI's official schemas to check every answer against."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openai
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from emulator.testing import EmulatorServer, ServerThread
from gateway.app import create_app
from gateway.config import Settings

ROOT = Path(__file__).resolve().parents[1]
OPENAI_SPEC = ROOT.parent / "shared" / "reference" / "openai-openapi.json"
KEYS = ("sk-test-primary", "sk-test-rotated")


class GatewayServer(ServerThread):
    """The real gateway app under uvicorn in a background thread."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(create_app(settings), lifespan="on")
        self.settings = settings
        self.api_key = KEYS[0]

    @property
    def url(self) -> str:
        return self.root_url


def gateway_settings(emulator: EmulatorServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "worker_api_key": ",".join(KEYS),
        "cloudflare_account_id": "emulator",
        "cloudflare_api_token": "emulator-token",
        "workers_ai_base_url": emulator.base_url,
        "attempt_timeout": 5.0,
        "request_deadline": 20.0,
        "cooldown_failures": 1000,
        "allow_private_image_urls": True,
    }
    return Settings(_env_file=None, **(values | overrides))


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> Iterator[EmulatorServer]:
    """The session's emulator, with no faults and an empty request log."""
    emulator_server.clear()
    yield emulator_server
    emulator_server.clear()


@pytest.fixture(scope="session")
def gateway(emulator_server: EmulatorServer) -> Iterator[GatewayServer]:
    with GatewayServer(gateway_settings(emulator_server)) as server:
        yield server


@pytest.fixture
def start_gateway(emulator_server: EmulatorServer):
    """Start a gateway with its own settings, for tests that need other timeouts or keys."""

    @contextmanager
    def start(**overrides: Any) -> Iterator[GatewayServer]:
        with GatewayServer(gateway_settings(emulator_server, **overrides)) as server:
            yield server

    return start


def sdk(server: GatewayServer, key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{server.url}/v1", api_key=key or server.api_key, max_retries=0, timeout=30
    )


@pytest.fixture
def client(gateway: GatewayServer, emulator: EmulatorServer) -> openai.OpenAI:
    return sdk(gateway)


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


@pytest.fixture(scope="session")
def openai_schemas() -> OpenAISchemas:
    if not OPENAI_SPEC.is_file():
        pytest.skip(f"OpenAI's spec is not at {OPENAI_SPEC}: schema checks skipped")
    return OpenAISchemas(json.loads(OPENAI_SPEC.read_text()))
