"""What the client-matrix tests share: the tool and schema (tests/clients/weather.py), the
emulator's deterministic answers to check every client against (emulator/text.py writes them),
and the runner for the clients that run in a process of their own."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from clients.weather import Weather

from emulator.embeddings import vector

CLIENTS = Path(__file__).parent

REASONING_ALIAS = "gpt-4o-mini"  # the backup model, gpt-oss-120b: it reasons
EMBEDDING_DIMENSIONS = 768  # @cf/baai/bge-base-en-v1.5, behind text-embedding-3-small
EXPECTED_WEATHER = Weather(city="emulated", unit="celsius")


def said(text: str) -> str:
    """The part of the emulator's reply that quotes the user's last message."""
    return f'you said "{text}"'


def tool_returned(text: str) -> str:
    """The part of the emulator's reply to a turn that ends with a tool result."""
    return f'the tool returned "{text}"'


def embedding_of(text: str) -> list[float]:
    """The vector the emulator gives `text` for the default embedding model."""
    return vector(text, EMBEDDING_DIMENSIONS)


def run_cases(command: list[str], base_url: str, api_key: str) -> dict[str, dict[str, Any]]:
    """Run a client-matrix script (tests/clients/casebook.py, tests/node/cases.mjs) against the
    gateway at `base_url` (its `/v1` URL) and return what each of its checks observed:
    `{name: {"value": ...} | {"error": "..."}}`. The script prints that as its last line."""
    env = os.environ | {"GATEWAY_BASE_URL": base_url, "GATEWAY_API_KEY": api_key}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=100)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.splitlines()[-1])


def observed(results: dict[str, dict[str, Any]], name: str) -> Any:
    """The value one check observed; the test fails with the check's error if it raised."""
    result = results[name]
    assert "error" not in result, result["error"]
    return result["value"]
