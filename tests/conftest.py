"""Shared fixtures: the emulator and the gateway as real servers on loopback, the OpenAI SDK as
the client, and OpenAI's official schemas to check every answer against."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import openai
import pytest
from helpers import OPENAI_SPEC, GatewayServer, OpenAISchemas, gateway_settings, sdk

from emulator.testing import EmulatorServer


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


@pytest.fixture
def client(gateway: GatewayServer, emulator: EmulatorServer) -> openai.OpenAI:
    return sdk(gateway)


@pytest.fixture(scope="session")
def openai_schemas() -> OpenAISchemas:
    return OpenAISchemas(json.loads(OPENAI_SPEC.read_text()))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI (`CI` set, as .ci/run does) a skipped test fails the run: every test must run
    on a fresh machine, whose missing pieces .ci/run and `make test` install."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI") and skipped and session.exitstatus == 0:
        reporter.write_line(f"CI: {len(skipped)} test(s) skipped; none may skip here.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
