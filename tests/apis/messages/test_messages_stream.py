"""The Messages API's event stream on the wire: Anthropic's grammar, event by event, each checked
against the `anthropic` SDK's event types; pings while the upstream is quiet; a failure after the
first byte as an `error` event."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from anthropic.types import RawMessageStreamEvent
from helpers import (
    PRIMARY,
    anthropic_events,
    assert_anthropic_error_body,
    assert_shape,
    wait_until_quiet,
)

from emulator.text import REASONING

BASE = {"model": "claude-opus-5-5", "max_tokens": 300}
WEATHER = {
    "name": "get_weather",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def check_grammar(events: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Anthropic's order: message_start; per block a start, its deltas (of the block's kind, to
    the open block only) and its stop, one block open at a time; message_delta; message_stop.
    Pings may come anywhere after message_start. Returns the blocks as they were built."""
    kinds = [name for name, _ in events if name != "ping"]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"], kinds
    blocks: list[dict[str, Any]] = []
    open_index = None
    allowed = {"text": "text_delta", "thinking": "thinking_delta", "tool_use": "input_json_delta"}
    for name, data in events:
        if name != "error":
            assert_shape(RawMessageStreamEvent, data) if name != "ping" else None
        if name == "content_block_start":
            assert open_index is None, "a block started while another was open"
            assert data["index"] == len(blocks)
            blocks.append({**data["content_block"], "deltas": []})
            open_index = data["index"]
        elif name == "content_block_delta":
            assert data["index"] == open_index, "a delta outside the open block"
            block = blocks[open_index]
            assert data["delta"]["type"] == allowed[block["type"]], (block["type"], data)
            block["deltas"].append(data["delta"])
        elif name == "content_block_stop":
            assert data["index"] == open_index
            open_index = None
        elif name == "message_delta":
            assert open_index is None, "message_delta while a block was open"
    return blocks


def text_of(block: dict[str, Any]) -> str:
    return "".join(
        delta.get("text") or delta.get("thinking") or delta.get("partial_json", "")
        for delta in block["deltas"]
    )


def test_a_text_stream(gateway, emulator):
    response, events = anthropic_events(
        gateway, {**BASE, "messages": [{"role": "user", "content": "hello"}]}
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-gateway-model"] == PRIMARY
    (block,) = check_grammar(events)
    assert block["type"] == "text" and block["text"] == ""
    assert text_of(block) == f'This is an emulated reply from {PRIMARY}: you said "hello".'
    start = events[0][1]["message"]
    assert start["id"].startswith("msg_") and start["model"] == "claude-opus-5-5"
    assert start["content"] == [] and start["stop_reason"] is None
    delta = events[-2][1]
    assert delta["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert delta["usage"]["input_tokens"] == 4
    assert delta["usage"]["output_tokens"] == len(text_of(block).split())


def test_thinking_then_text_in_their_own_blocks(gateway, emulator):
    body = {**BASE, "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Think?"}]}
    _, events = anthropic_events(gateway, body)
    thinking, text = check_grammar(events)
    assert thinking["type"] == "thinking" and text_of(thinking) == REASONING
    assert text["type"] == "text" and text_of(text).startswith("This is an emulated reply")
    assert events[-2][1]["usage"]["output_tokens_details"] == {"thinking_tokens": 16}


def test_omitted_thinking_streams_an_empty_block(gateway, emulator):
    body = {
        **BASE,
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Think?"}],
        "thinking": {"type": "adaptive", "display": "omitted"},
    }
    _, events = anthropic_events(gateway, body)
    thinking, _ = check_grammar(events)
    assert thinking["type"] == "thinking" and thinking["deltas"] == []


@pytest.mark.parametrize("model", [PRIMARY, "@cf/mistralai/mistral-small-3.1-24b-instruct"])
def test_tool_use_streams_its_input_as_json_deltas(gateway, emulator, model):
    """llama-4-scout streams whole calls (native events); mistral OpenAI chunks."""
    body = {
        **BASE,
        "model": model,
        "messages": [{"role": "user", "content": "Use get_weather and call get_time {}"}],
        "tools": [WEATHER, {"name": "get_time", "input_schema": {"type": "object"}}],
    }
    _, events = anthropic_events(gateway, body)
    blocks = check_grammar(events)
    assert [block["type"] for block in blocks] == ["tool_use"]
    assert blocks[0]["name"] == "get_time" and blocks[0]["input"] == {}
    assert text_of(blocks[0]) == "{}"
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"


def test_two_tool_calls_are_two_blocks(gateway, emulator):
    body = {
        **BASE,
        "messages": [{"role": "user", "content": "Use get_weather and get_time"}],
        "tools": [WEATHER, {"name": "get_time", "input_schema": {"type": "object"}}],
    }
    _, events = anthropic_events(gateway, body)
    first, second = check_grammar(events)
    assert (first["name"], text_of(first)) == ("get_weather", '{"city": "emulated"}')
    assert (second["name"], text_of(second)) == ("get_time", "{}")
    assert first["id"] != second["id"] and first["id"].startswith("toolu_")


def test_a_stop_sequence_ends_the_stream_naming_it(gateway, emulator):
    body = {
        **BASE,
        "messages": [{"role": "user", "content": "a long answer"}],
        "stop_sequences": ["keeps"],
    }
    _, events = anthropic_events(gateway, body)
    (block,) = check_grammar(events)
    assert text_of(block).endswith("The emulator ")
    assert events[-2][1]["delta"] == {"stop_reason": "stop_sequence", "stop_sequence": "keeps"}


def test_pings_while_the_upstream_is_quiet(start_gateway, emulator):
    with start_gateway(messages_ping_seconds=0.1) as gateway:
        emulator.add_fault(model=PRIMARY, chunk_delay_ms=250, times=1)
        _, events = anthropic_events(
            gateway, {**BASE, "messages": [{"role": "user", "content": "hi"}]}
        )
    names = [name for name, _ in events]
    assert "ping" in names
    assert all(data == {"type": "ping"} for name, data in events if name == "ping")
    (block,) = check_grammar(events)
    assert text_of(block) == f'This is an emulated reply from {PRIMARY}: you said "hi".'


def test_a_failure_after_the_first_byte_is_an_error_event(gateway, emulator):
    emulator.add_fault(model=PRIMARY, cut_after_chunks=3)
    _, events = anthropic_events(gateway, {**BASE, "messages": [{"role": "user", "content": "hi"}]})
    name, data = events[-1]
    assert name == "error"
    assert_anthropic_error_body(data, 502)
    assert "message_stop" not in [name for name, _ in events]


def test_a_client_leaving_mid_stream_stops_the_pings_and_the_upstream(start_gateway, emulator):
    """The reader task behind the pings (streaming.with_pings) ends with the request: once the
    client hangs up, neither the gateway nor the emulator keeps a task for the stream."""
    emulator.add_fault(model=PRIMARY, chunk_delay_ms=200, times=None)
    with start_gateway(messages_ping_seconds=0.05) as gateway:
        baselines = {server: len(server.running_tasks()) for server in (gateway, emulator)}
        body = {**BASE, "stream": True, "messages": [{"role": "user", "content": "a long answer"}]}
        with httpx.stream(
            "POST",
            f"{gateway.url}/v1/messages",
            json=body,
            headers={"x-api-key": gateway.api_key},
            timeout=30,
        ) as response:
            lines = response.iter_lines()
            assert next(line for line in lines if line == "event: ping")
            assert next(line for line in lines if line == "event: content_block_delta")
        for server, baseline in baselines.items():
            wait_until_quiet(server, baseline)
