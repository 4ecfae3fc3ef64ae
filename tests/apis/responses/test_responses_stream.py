"""Streamed responses: every event checked against OpenAI's `ResponseStreamEvent` schema, the
event order checked as OpenAI documents it, through raw HTTP and the official SDK."""

from __future__ import annotations

import json

import openai
import pytest
from helpers import BACKUP, PRIMARY
from response_streams import OPENAI_STYLE, validated

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    "strict": False,
}


@pytest.mark.parametrize("model", [PRIMARY, OPENAI_STYLE, BACKUP])
def test_text_streams_follow_openais_event_order(gateway, emulator, openai_schemas, model):
    response, events, final = validated(gateway, openai_schemas, model=model)
    assert response.headers["x-gateway-model"] == model == final["model"]
    assert final["status"] == "completed" and final["usage"]["output_tokens"] > 0
    assert '"hello stream"' in final["output_text"]
    kinds = [e["type"] for e in events]
    if model == BACKUP:
        assert [item["type"] for item in final["output"]] == ["reasoning", "message"]
        assert "response.reasoning_text.delta" in kinds
        assert final["output"][0]["content"][0]["text"].startswith("The user wrote")
    else:
        assert kinds.count("response.output_text.delta") > 5, "not forwarded piece by piece"


@pytest.mark.parametrize("model", [PRIMARY, OPENAI_STYLE, BACKUP])
def test_function_calls_stream_as_items(gateway, emulator, openai_schemas, model):
    _, events, final = validated(
        gateway, openai_schemas, model=model, input="call get_weather", tools=[WEATHER]
    )
    calls = [item for item in final["output"] if item["type"] == "function_call"]
    assert [call["name"] for call in calls] == ["get_weather"]
    assert json.loads(calls[0]["arguments"]) == {"city": "emulated"}
    assert "response.function_call_arguments.done" in [e["type"] for e in events]


def test_the_token_limit_ends_with_response_incomplete(gateway, emulator, openai_schemas):
    _, events, final = validated(gateway, openai_schemas, input="long answer", max_output_tokens=4)
    assert events[-1]["type"] == "response.incomplete"
    assert final["incomplete_details"] == {"reason": "max_output_tokens"}


def test_a_stream_cut_after_the_first_byte_fails_with_an_error_event(
    gateway, emulator, openai_schemas, client
):
    emulator.add_fault(model=PRIMARY, cut_after_chunks=3)
    _, events, final = validated(gateway, openai_schemas)
    error, failed = events[-2:]
    assert error["type"] == "error" and error["message"]
    assert failed["type"] == "response.failed"
    assert final["status"] == "failed" and final["error"]["code"] == "server_error"
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(final["id"])


def test_the_sdk_streams_and_the_stored_response_matches(client, emulator):
    events = list(client.responses.create(model="gpt-4", input="via the sdk", stream=True))
    assert events[-1].type == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert '"via the sdk"' in text
    with client.responses.stream(
        model="gpt-4", input="again", previous_response_id=events[-1].response.id
    ) as accumulated:
        final = accumulated.get_final_response()
    assert final.output_text.endswith('you said "again".')
    stored = client.responses.retrieve(final.id)
    assert stored.output_text == final.output_text
    assert stored.previous_response_id == events[-1].response.id
