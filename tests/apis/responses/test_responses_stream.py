"""Streamed responses: every event checked against OpenAI's `ResponseStreamEvent` schema, the
event order checked as OpenAI documents it, through raw HTTP and the official SDK."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest
from helpers import BACKUP, PRIMARY

OPENAI_STYLE = "@cf/mistralai/mistral-small-3.1-24b-instruct"
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    "strict": False,
}
TERMINAL = {"response.completed", "response.incomplete", "response.failed"}


def stream(gateway, **body: Any) -> tuple[httpx.Response, list[dict[str, Any]]]:
    """POST a streamed response; the events, each block's `event:` line matching its type."""
    body = {"model": "gpt-4", "input": "hello stream", "stream": True} | body
    headers = {"authorization": f"Bearer {gateway.api_key}"}
    with httpx.stream(
        "POST", f"{gateway.url}/v1/responses", json=body, headers=headers, timeout=30
    ) as response:
        raw = response.read().decode()
    events = []
    for block in raw.strip().split("\n\n"):
        name, data = block.split("\n")
        event = json.loads(data.removeprefix("data: "))
        assert name == f"event: {event['type']}"
        events.append(event)
    return response, events


def check_order(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Assert OpenAI's event grammar; return the final response.

    created, in_progress, then per item: output_item.added, (content_part.added, deltas,
    text done, content_part.done)* or (arguments deltas, arguments done), output_item.done;
    then exactly one terminal event, last (a failure: `error`, then `response.failed`).
    Sequence numbers count up from 0.
    """
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert [e["type"] for e in events[:2]] == ["response.created", "response.in_progress"]
    assert events[0]["response"]["status"] == "in_progress"
    assert events[0]["response"]["output"] == []
    response_id = events[0]["response"]["id"]
    items: dict[int, dict[str, Any]] = {}
    done: dict[int, dict[str, Any]] = {}
    texts: dict[int, str] = {}
    failed = events[-1]["type"] == "response.failed"
    if failed:
        assert events[-2]["type"] == "error", "a failed stream says why first"
    for event in events[2 : -2 if failed else -1]:
        kind, index = event["type"], event.get("output_index")
        assert kind not in TERMINAL and kind not in {"response.created", "response.in_progress"}
        if kind == "response.output_item.added":
            assert index == len(items) and event["item"]["status"] == "in_progress"
            items[index] = event["item"]
            texts[index] = ""
            continue
        assert index in items and index not in done, f"{kind} outside its item"
        assert event.get("item_id", items[index]["id"]) == items[index]["id"]
        if kind.endswith(".delta"):
            texts[index] += event["delta"]
        elif kind in {"response.output_text.done", "response.reasoning_text.done"}:
            assert event["text"] == texts[index]
        elif kind == "response.function_call_arguments.done":
            assert event["arguments"] == texts[index]
        elif kind == "response.output_item.done":
            done[index] = event["item"]
    response = events[-1]["response"]
    assert response["id"] == response_id
    assert events[-1]["type"] == f"response.{response['status']}"
    if not failed:
        assert set(done) == set(items), "an item was added but never done"
        assert response["output"] == [done[i] for i in sorted(done)]
    return response


def validated(gateway, openai_schemas, **body: Any) -> tuple[httpx.Response, list, dict]:
    response, events = stream(gateway, **body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    for event in events:
        openai_schemas.validate("ResponseStreamEvent", event)
    final = check_order(events)
    openai_schemas.validate("Response", final)
    return response, events, final


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
