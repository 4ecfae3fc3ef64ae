"""The emulator's media models over real HTTP: a client on the session's emulator."""

from collections.abc import Iterator

import httpx
import pytest

from emulator.testing import EmulatorServer


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """A client for the Workers AI routes of a clean emulator (no faults, empty log)."""
    with httpx.Client(
        base_url=emulator.base_url, headers={"Authorization": "Bearer t"}, timeout=30
    ) as client:
        yield client
