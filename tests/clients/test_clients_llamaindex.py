"""Client matrix: LlamaIndex's OpenAILike (`llama-index-llms-openai-like`) pointed at the
gateway, driven by tests/clients/llamaindex_cases.py in .venv-llamaindex (LlamaIndex pins an
`openai` older than the project's, so it has a virtualenv of its own; `make test` creates it)."""

from __future__ import annotations

from typing import Any

import pytest
from clients.weather import TOOL_RESULT
from helpers import ROOT, GatewayServer, upstream_runs
from matrix import CLIENTS, EXPECTED_WEATHER, observed, run_cases, said, tool_returned

from emulator.testing import EmulatorServer

PYTHON = ROOT / ".venv-llamaindex" / "bin" / "python"


@pytest.fixture(scope="module")
def run(gateway: GatewayServer, emulator_server: EmulatorServer) -> tuple[dict, list[dict]]:
    """What each check observed, and what reached the emulator's /run meanwhile."""
    assert PYTHON.exists(), f"{PYTHON} is missing: `make test` (or make .venv-llamaindex) makes it"
    script = str(CLIENTS / "llamaindex_cases.py")
    emulator_server.clear()
    results = run_cases([str(PYTHON), script], f"{gateway.url}/v1", gateway.api_key)
    return results, upstream_runs(emulator_server)


@pytest.fixture
def results(run) -> dict[str, dict[str, Any]]:
    return run[0]


@pytest.mark.parametrize(("name", "text"), [("chat", "Paris?"), ("async_chat", "async")])
def test_chat(results, name, text):
    answer = observed(results, name)
    assert said(text) in answer["content"]
    assert answer["usage"]["prompt_tokens"] > 0 and answer["usage"]["completion_tokens"] > 0


def test_stream_chat(results):
    answer = observed(results, "stream_chat")
    assert answer["chunks"] > 3
    assert said("stream it") in answer["content"]


def test_complete_on_the_legacy_endpoint(run):
    results, runs = run
    assert said("Once upon") in observed(results, "complete")["text"]
    # The gateway sends legacy completions upstream in the prompt form, chat in messages.
    assert [r["body"]["prompt"] for r in runs if "prompt" in r["body"]] == ["Once upon"]


def test_tool_round_trip(results):
    turns = observed(results, "tool_round_trip")
    assert turns["calls"] == [["get_weather", {"city": "emulated"}]]
    assert tool_returned(TOOL_RESULT) in turns["second"]["content"]


def test_structured_predict(results):
    assert observed(results, "structured_predict") == EXPECTED_WEATHER.model_dump()


def test_error_classes(results):
    assert observed(results, "errors") == [
        "AuthenticationError",
        "NotFoundError",
        "BadRequestError",
    ]
