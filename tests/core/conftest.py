"""The gateway the fault matrices (test_fault_matrix*.py: chat and Messages, audio, images) send
to, with short bounds so that a hung or slow upstream is found out quickly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers import GatewayServer, gateway_settings

from emulator.testing import EmulatorServer

ATTEMPT_TIMEOUT = 1.0
IDLE_TIMEOUT = 0.6


@pytest.fixture(scope="module")
def matrix_gateway(emulator_server: EmulatorServer) -> Iterator[GatewayServer]:
    settings = gateway_settings(
        emulator_server,
        attempt_timeout=ATTEMPT_TIMEOUT,
        stream_idle_timeout=IDLE_TIMEOUT,
        request_deadline=10.0,
    )
    with GatewayServer(settings) as server:
        yield server
