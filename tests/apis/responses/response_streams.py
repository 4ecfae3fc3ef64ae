"""What the Responses tests share about streams: reading one over raw HTTP, OpenAI's event
grammar, and comparing a stream's items with a whole answer's."""

from __future__ import annotations

import json
from typing import Any

import httpx

OPENAI_STYLE = "@cf/mistralai/mistral-small-3.1-24b-instruct"
TERMINAL = {"response.completed", "response.incomplete", "response.failed"}
ITEM_TEXT_EVENTS = {
    # delta event -> (done event, the field of the done event that holds the whole text)
    "response.output_text.delta": ("response.output_text.done", "text"),
    "response.reasoning_text.delta": ("response.reasoning_text.done", "text"),
    "response.reasoning_summary_text.delta": ("response.reasoning_summary_text.done", "text"),
    "response.function_call_arguments.delta": (
        "response.function_call_arguments.done",
        "arguments",
    ),
    "response.custom_tool_call_input.delta": ("response.custom_tool_call_input.done", "input"),
}


def stream(gateway, **body: Any) -> tuple[httpx.Response, list[dict[str, Any]]]:
    """POST a streamed response; the events, each block's `event:` line matching its type."""
    body = {"model": "gpt-4", "input": "hello stream", "stream": True} | body
    headers = {"authorization": f"Bearer {gateway.api_key}"}
    with httpx.stream(
        "POST", f"{gateway.url}/v1/responses", json=body, headers=headers, timeout=30
    ) as response:
        raw = response.read().decode()
    if response.status_code != 200:
        return response, []
    events = []
    for block in raw.strip().split("\n\n"):
        name, data = block.split("\n")
        event = json.loads(data.removeprefix("data: "))
        assert name == f"event: {event['type']}"
        events.append(event)
    return response, events


def check_order(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Assert OpenAI's event grammar; return the final response.

    created, in_progress, then per item: output_item.added, its parts and deltas (each kind of
    delta adding up to its `.done` text), output_item.done; then exactly one terminal event,
    last (a failure: `error`, then `response.failed`). Sequence numbers count up from 0.
    """
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert [e["type"] for e in events[:2]] == ["response.created", "response.in_progress"]
    assert events[0]["response"]["status"] == "in_progress"
    assert events[0]["response"]["output"] == []
    response_id = events[0]["response"]["id"]
    items: dict[int, dict[str, Any]] = {}
    done: dict[int, dict[str, Any]] = {}
    texts: dict[tuple[int, str], str] = {}
    failed = events[-1]["type"] == "response.failed"
    if failed:
        assert events[-2]["type"] == "error", "a failed stream says why first"
    for event in events[2 : -2 if failed else -1]:
        kind, index = event["type"], event.get("output_index")
        assert kind not in TERMINAL and kind not in {"response.created", "response.in_progress"}
        if kind == "response.output_item.added":
            assert index == len(items) and event["item"]["status"] == "in_progress"
            items[index] = event["item"]
            continue
        assert index in items and index not in done, f"{kind} outside its item"
        assert event.get("item_id", items[index]["id"]) == items[index]["id"]
        if kind in ITEM_TEXT_EVENTS:
            key = (index, ITEM_TEXT_EVENTS[kind][0])
            texts[key] = texts.get(key, "") + event["delta"]
        for done_kind, field in ITEM_TEXT_EVENTS.values():
            if kind == done_kind:
                assert event[field] == texts.get((index, kind), ""), kind
        if kind == "response.output_item.done":
            done[index] = event["item"]
    response = events[-1]["response"]
    assert response["id"] == response_id
    assert events[-1]["type"] == f"response.{response['status']}"
    if not failed:
        assert set(done) == set(items), "an item was added but never done"
        assert response["output"] == [done[i] for i in sorted(done)]
    return response


def validated(gateway, openai_schemas, **body: Any) -> tuple[httpx.Response, list, dict]:
    """A stream whose every event and final response pass OpenAI's schemas and grammar."""
    response, events = stream(gateway, **body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    for event in events:
        openai_schemas.validate("ResponseStreamEvent", event)
    final = check_order(events)
    openai_schemas.validate("Response", final)
    return response, events, final


ID_FIELDS = {"id", "call_id"}


def without_ids(value: Any) -> Any:
    """Items with their ids (random per answer) left out, for comparing two answers."""
    if isinstance(value, list):
        return [without_ids(item) for item in value]
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k not in ID_FIELDS}
    return value
