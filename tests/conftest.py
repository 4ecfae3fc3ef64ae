"""Shared fixtures: the emulator and the gateway as real servers on loopback, the OpenAI SDK as
the client, OpenAI's official schemas to check every answer against, and for named keys moto's
DynamoDB, a clock the test moves and gateways sharing one key store."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import openai
import pytest
from helpers import (
    KEYS_TABLE,
    OPENAI_SPEC,
    USAGE_TABLE,
    FakeClock,
    GatewayServer,
    OpenAISchemas,
    create_tables,
    fake_aws_credentials,
    gateway_settings,
    sdk,
    utc,
)
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

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


@pytest.fixture(scope="module")
def moto_dynamodb() -> Iterator[Any]:
    """moto's DynamoDB for one test module (starting it per test costs more than the tests).

    DynamoDB applies each request atomically (a conditional update, a transaction); moto does
    not when threads call it at once, so here each of its requests runs under one lock. Any
    race between two requests of ours still shows, as it would against DynamoDB.
    """
    lock = threading.Lock()
    process = BotocoreStubber.process_request

    def one_at_a_time(self: BotocoreStubber, request: Any) -> Any:
        with lock:
            return process(self, request)

    with pytest.MonkeyPatch.context() as patch:
        fake_aws_credentials(patch)
        patch.setattr(BotocoreStubber, "process_request", one_at_a_time)
        with mock_aws():
            yield boto3.client("dynamodb", region_name="us-east-1")


@pytest.fixture
def aws(moto_dynamodb: Any) -> Any:
    """moto's DynamoDB with no tables (those of the module's previous test are deleted)."""
    for table in moto_dynamodb.list_tables()["TableNames"]:
        moto_dynamodb.delete_table(TableName=table)
    return moto_dynamodb


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc("2026-12-15T12:00:00"))


@pytest.fixture(params=["sqlite", "dynamodb"])
def keys_backend(request: pytest.FixtureRequest) -> str:
    """Where named keys live: a SQLite file, or moto's DynamoDB (with the template's tables)."""
    return str(request.param)


@pytest.fixture
def start_keys_gateway(
    emulator_server: EmulatorServer,
    keys_backend: str,
    tmp_path: Path,
    clock: FakeClock,
    request: pytest.FixtureRequest,
):
    """Start gateways whose named keys live on the test's backend, on the test's clock: every
    gateway it starts shares them, as the instances of one deployment do."""
    if keys_backend == "dynamodb":
        create_tables(request.getfixturevalue("aws"))
        backend = {"keys_table": KEYS_TABLE, "usage_table": USAGE_TABLE, "aws_region": "us-east-1"}
    else:
        backend = {"keys_db_path": str(tmp_path / "keys.sqlite3")}

    @contextmanager
    def start(**overrides: Any) -> Iterator[GatewayServer]:
        settings = gateway_settings(emulator_server, **(backend | overrides))
        with GatewayServer(settings, clock) as server:
            yield server

    return start


@pytest.fixture
def keys_gateway(start_keys_gateway: Any, emulator: EmulatorServer) -> Iterator[GatewayServer]:
    """A gateway with named keys on the test's backend (both, by `keys_backend`)."""
    with start_keys_gateway() as server:
        yield server


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI (`CI` set, as .ci/run does) a skipped test fails the run: every test must run
    on a fresh machine, whose missing pieces .ci/run and `make test` install."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI") and skipped and session.exitstatus == 0:
        reporter.write_line(f"CI: {len(skipped)} test(s) skipped; none may skip here.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
