"""Client matrix: LiteLLM as a client (`openai/` models with `api_base` set to the gateway),
driven by tests/clients/litellm_cases.py in its own process."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from clients.weather import TOOL_RESULT
from helpers import GatewayServer
from matrix import CLIENTS, EXPECTED_WEATHER, embedding_of, observed, run_cases, said, tool_returned

from emulator.text import REASONING


@pytest.fixture(scope="module")
def results(gateway: GatewayServer) -> dict[str, dict[str, Any]]:
    script = str(CLIENTS / "litellm_cases.py")
    return run_cases([sys.executable, script], f"{gateway.url}/v1", gateway.api_key)


def assert_text_answer(answer: dict[str, Any], text: str) -> None:
    assert said(text) in answer["content"]
    assert answer["finish_reason"] == "stop"
    assert answer["usage"]["prompt_tokens"] > 0 and answer["usage"]["completion_tokens"] > 0


def test_completion(results):
    answer = observed(results, "completion")
    assert_text_answer(answer, "Paris?")
    assert answer["model"] == "gpt-4o"


def test_stream(results):
    answer = observed(results, "stream")
    assert answer["chunks"] > 3
    assert_text_answer(answer, "stream it")


def test_async_completion(results):
    assert_text_answer(observed(results, "async_completion"), "async")


def test_reasoning(results):
    answer = observed(results, "reasoning")
    assert said("Think?") in answer["content"]
    assert answer["reasoning"] == answer["streamed_reasoning"] == REASONING


def test_tool_round_trip(results):
    turns = observed(results, "tool_round_trip")
    assert turns["first"]["tool_calls"] == [["get_weather", {"city": "emulated"}]]
    assert turns["first"]["finish_reason"] == "tool_calls"
    assert tool_returned(TOOL_RESULT) in turns["second"]["content"]


def test_forced_tool(results):
    answer = observed(results, "forced_tool")
    assert answer["tool_calls"] == [["get_weather", {"city": "emulated"}]]


def test_structured_output(results):
    assert observed(results, "structured_output") == EXPECTED_WEATHER.model_dump()


def test_embedding(results):
    first, second = observed(results, "embedding")
    assert first == pytest.approx(embedding_of("hello"), rel=1e-6)
    assert second == pytest.approx(embedding_of("world"), rel=1e-6)


def test_error_classes(results):
    assert observed(results, "errors") == [
        "AuthenticationError",
        "NotFoundError",
        "BadRequestError",
    ]
