"""A whole answer and a stream of the same upstream answer have the same items, item for item
(type, content, status, call names and arguments, reasoning and its summary), on every model the
gateway knows and for every kind of output: text, reasoning, each kind of tool call, several
calls, and answers the token limit cut. Only ids differ, since each answer mints its own."""

from __future__ import annotations

from typing import Any

import pytest
from response_streams import validated, without_ids

from gateway.core.catalog import KNOWN_MODELS, capabilities

WEATHER = {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}
TIME = {"type": "function", "name": "get_time", "parameters": {"type": "object"}}
NAMESPACE = {"type": "namespace", "name": "ops", "description": "Ops.", "tools": [TIME]}
CUSTOM = {"type": "custom", "name": "note"}
SHELL = {"type": "local_shell"}

SCENARIOS: dict[str, dict[str, Any]] = {
    "text": {"input": "hello there"},
    "summary": {"input": "think", "reasoning": {"summary": "auto", "effort": "low"}},
    "cut": {"input": "long answer", "max_output_tokens": 20},
    "cut early": {"input": "long answer", "max_output_tokens": 6},
    "function": {"input": "call get_weather", "tools": [WEATHER]},
    "two calls": {"input": "get_weather and get_time", "tools": [WEATHER, TIME]},
    "one call": {
        "input": "get_weather and get_time",
        "tools": [WEATHER, TIME],
        "parallel_tool_calls": False,
    },
    "namespace": {"input": "use ops__get_time", "tools": [WEATHER, NAMESPACE]},
    "custom": {"input": 'note {"input": "remember this"}', "tools": [CUSTOM]},
    "local shell": {"input": 'local_shell {"command": ["ls"]}', "tools": [SHELL]},
}
TOOL_SCENARIOS = {"function", "two calls", "one call", "namespace", "custom", "local shell"}
CASES = [
    (model, scenario)
    for model in KNOWN_MODELS
    for scenario in SCENARIOS
    if capabilities(model).tools or scenario not in TOOL_SCENARIOS
]


@pytest.mark.parametrize(("model", "scenario"), CASES)
def test_whole_and_streamed_answers_have_the_same_items(
    client, gateway, emulator, openai_schemas, model, scenario
):
    body = {"model": model} | SCENARIOS[scenario]
    raw = client.responses.with_raw_response.create(**body)
    whole = raw.http_response.json()
    openai_schemas.validate("Response", whole)
    _, _, streamed = validated(gateway, openai_schemas, **body)
    assert without_ids(streamed["output"]) == without_ids(whole["output"])
    for field in ("status", "incomplete_details", "output_text", "usage", "tools"):
        assert streamed[field] == whole[field], field
    assert whole["output"], "every answer has an item"
