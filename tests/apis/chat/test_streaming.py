"""Streamed chat and completions: the SSE wire format, chunk rules, and failures mid-stream."""

from __future__ import annotations

import json

import httpx
import pytest
from helpers import BACKUP, PRIMARY, last_run, stream_events
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.types import Completion
from openai.types.chat import ChatCompletionChunk

from gateway.apis.chat.encoder import ChunkEncoder
from gateway.apis.chat.translate import ChatTools
from gateway.apis.completions.encoder import TextCompletionEncoder
from gateway.core.http import dumps
from gateway.core.text_generation import ToolRules

OPENAI_FORMAT = "@cf/mistralai/mistral-small-3.1-24b-instruct"


def chat(gateway, **body) -> tuple[httpx.Response, list]:
    body.setdefault("messages", [{"role": "user", "content": "hello stream"}])
    return stream_events(gateway, "/v1/chat/completions", body)


@pytest.mark.parametrize("model", ["gpt-4", "gpt-3.5-turbo", OPENAI_FORMAT])
def test_chat_stream_follows_openais_rules(gateway, emulator, openai_schemas, model):
    response, events = chat(gateway, model=model)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    for chunk in chunks:
        openai_schemas.validate("CreateChatCompletionStreamResponse", chunk)
        ChatCompletionChunk.model_validate(chunk)
        assert "usage" not in chunk
    assert len({chunk["id"] for chunk in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all("role" not in chunk["choices"][0]["delta"] for chunk in chunks[1:])
    finishes = [chunk["choices"][0]["finish_reason"] for chunk in chunks]
    assert finishes[-1] == "stop"
    assert all(reason is None for reason in finishes[:-1])
    text = "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in chunks)
    assert text.startswith("This is an emulated reply") and '"hello stream"' in text
    assert {chunk["model"] for chunk in chunks} == {model}, "chunks echo the name asked for"
    assert response.headers["x-gateway-model"].startswith("@cf/")


def test_native_streams_are_forwarded_piece_by_piece(gateway, emulator):
    _, events = chat(gateway, model="gpt-4")
    contents = [e["choices"][0]["delta"].get("content") for e in events[1:-2]]
    assert len(contents) > 5
    assert all(contents)


def test_include_usage_adds_exactly_one_usage_chunk(gateway, emulator, openai_schemas):
    _, events = chat(gateway, model="gpt-4", stream_options={"include_usage": True})
    chunks = events[:-1]
    for chunk in chunks:
        openai_schemas.validate("CreateChatCompletionStreamResponse", chunk)
    with_usage = [chunk for chunk in chunks if chunk["usage"] is not None]
    assert with_usage == [chunks[-1]]
    assert chunks[-1]["choices"] == []
    usage = chunks[-1]["usage"]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks[:-1])
    assert usage["completion_tokens"] == len(text.split())
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_gpt_oss_is_asked_without_streaming_and_the_stream_is_synthesised(gateway, emulator):
    _, events = chat(gateway, model="gpt-3.5-turbo")
    sent = last_run(emulator)
    assert sent["model"] == BACKUP
    assert "stream" not in sent["body"]
    deltas = [chunk["choices"][0]["delta"] for chunk in events[:-1]]
    content = "".join(delta.get("content") or "" for delta in deltas)
    reasoning = "".join(delta.get("reasoning_content") or "" for delta in deltas)
    assert reasoning and reasoning not in content
    assert content.startswith("This is an emulated reply from @cf/openai/gpt-oss-120b")


def test_streamed_tool_calls(gateway, emulator, openai_schemas):
    tool = {
        "type": "function",
        "function": {"name": "add", "parameters": {"type": "object", "properties": {}}},
    }
    for model in ("gpt-4", "gpt-3.5-turbo"):
        _, events = chat(
            gateway, model=model, tools=[tool], messages=[{"role": "user", "content": "add"}]
        )
        for chunk in events[:-1]:
            openai_schemas.validate("CreateChatCompletionStreamResponse", chunk)
        calls = [
            call
            for chunk in events[:-1]
            for call in chunk["choices"][0]["delta"].get("tool_calls") or []
        ]
        assert calls and calls[0]["function"]["name"] == "add"
        assert calls[0]["id"].startswith("call_")
        assert json.loads(calls[0]["function"]["arguments"]) == {}
        assert events[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_stop_sequence_split_across_pieces(gateway, emulator):
    _, events = chat(gateway, model="gpt-4", stop=["emulated reply"])
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in events[:-1])
    assert text == "This is an "
    assert events[-2]["choices"][0]["finish_reason"] == "stop"


def test_max_tokens_reached_ends_with_length(gateway, emulator):
    _, events = chat(
        gateway, model="gpt-4", max_tokens=4, messages=[{"role": "user", "content": "long answer"}]
    )
    assert events[-2]["choices"][0]["finish_reason"] == "length"


def test_a_stream_cut_after_the_first_byte_ends_with_an_error_event(gateway, emulator):
    emulator.add_fault(model=PRIMARY, cut_after_chunks=3)
    response, events = chat(gateway, model="gpt-4")
    assert response.status_code == 200
    assert events[-1] == "[DONE]"
    error = events[-2]["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "api_error"
    delivered = "".join(
        e["choices"][0]["delta"].get("content") or "" for e in events[:-2] if "choices" in e
    )
    assert delivered.startswith("This is")
    assert not [r for r in emulator.requests() if r["model"] == BACKUP]


def test_sdk_streaming(client, emulator):
    stream = client.chat.completions.create(
        model="gpt-4",
        messages=[{"role": "user", "content": "via the sdk"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert '"via the sdk"' in text
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_sdk_sees_an_error_event_as_an_api_error(client, emulator):
    import openai

    emulator.add_fault(model=PRIMARY, cut_after_chunks=2)
    stream = client.chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": "x"}], stream=True
    )
    with pytest.raises(openai.APIError):
        list(stream)


def test_completions_stream(gateway, emulator, openai_schemas):
    _, events = stream_events(
        gateway,
        "/v1/completions",
        {"model": "gpt-4", "prompt": "Once upon", "stream_options": {"include_usage": True}},
    )
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    for chunk in chunks:
        # OpenAI documents no chunk schema for legacy streams; its streams are completion
        # objects whose finish_reason is null until the last one, as here.
        choices = [c | {"finish_reason": c["finish_reason"] or "stop"} for c in chunk["choices"]]
        shape = {k: v for k, v in chunk.items() if v is not None} | {"choices": choices}
        openai_schemas.validate("CreateCompletionResponse", shape)
        Completion.model_validate(shape)
        assert chunk["object"] == "text_completion"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0
    text = "".join(c["choices"][0]["text"] for c in chunks[:-1])
    assert '"Once upon"' in text
    assert chunks[-2]["choices"][0]["finish_reason"] in {"stop", "length"}


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(),
    kind=st.sampled_from(["chat", "text"]),
    include_usage=st.booleans(),
    model=st.text(st.characters(blacklist_characters="\x00")),
)
def test_a_text_delta_is_its_chunk_in_compact_json(text, kind, include_usage, model):
    """Text deltas go out from a template encoded once per stream: byte for byte the compact
    JSON of the whole chunk, whatever the text (quotes, controls, lone surrogates, non-ASCII)."""
    encoder = (
        ChunkEncoder(model, include_usage, ChatTools(ToolRules()))
        if kind == "chat"
        else TextCompletionEncoder(model, include_usage)
    )
    delta = {"delta": {"content": text}} if kind == "chat" else {"text": text}
    chunk = {
        "id": encoder.id,
        "object": "chat.completion.chunk" if kind == "chat" else "text_completion",
        "created": encoder.created,
        "model": model,
        "choices": [{"index": 0, **delta, "finish_reason": None, "logprobs": None}],
    }
    if include_usage:
        chunk["usage"] = None
    assert encoder.text(text) == b"data: " + dumps(chunk) + b"\n\n"
    assert json.loads(encoder.text(text)[6:]) == json.loads(json.dumps(chunk))
