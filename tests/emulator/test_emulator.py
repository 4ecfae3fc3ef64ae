"""The Workers AI emulator over real HTTP: protocol shapes, determinism and fault injection."""

import base64
import json
import math
import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from emulator.testing import EmulatorServer

SCOUT = "@cf/meta/llama-4-scout-17b-16e-instruct"
LLAMA33 = "@cf/meta/llama-3.3-70b-instruct-fp8-fast"
MISTRAL = "@cf/mistralai/mistral-small-3.1-24b-instruct"
GPT_OSS = "@cf/openai/gpt-oss-120b"
BGE = "@cf/baai/bge-base-en-v1.5"
AUTH = {"Authorization": "Bearer test-token"}
PIXEL = "data:image/png;base64," + base64.b64encode(b"\x89PNG fake pixel").decode()
ADD_TOOL = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two numbers",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
    },
}


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(emu: EmulatorServer) -> None:
    emu.clear()


@pytest.fixture
def api(emu: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, headers=AUTH, timeout=10) as http:
        yield http


def run(api: httpx.Client, model: str, body: dict[str, Any]) -> httpx.Response:
    return api.post(f"/run/{model}", json=body)


def user(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


def sse_data(raw: str) -> list[str]:
    """The payload of each `data:` line, with or without the space after the colon."""
    lines = [line for line in raw.split("\n") if line.startswith("data:")]
    return [line.removeprefix("data:").removeprefix(" ") for line in lines]


def error_of(response: httpx.Response) -> tuple[int, int]:
    body = response.json()
    assert body["success"] is False
    assert body["result"] is None
    return response.status_code, body["errors"][0]["code"]


# --- auth and routing ----------------------------------------------------------------------


def test_missing_token_is_401_code_10000(emu: EmulatorServer) -> None:
    response = httpx.post(f"{emu.base_url}/run/{SCOUT}", json=user("hi"))
    assert error_of(response) == (401, 10000)


def test_expected_token_is_enforced_per_instance() -> None:
    with EmulatorServer(token="s3cret") as strict:
        url = f"{strict.base_url}/models/search"
        assert error_of(httpx.get(url, headers=AUTH)) == (401, 10000)
        assert httpx.get(url, headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_unknown_route_answers_the_envelope(api: httpx.Client) -> None:
    assert error_of(api.get("/nothing/here")) == (404, 7000)


# --- native text generation ----------------------------------------------------------------


def test_native_reply_is_templated_and_usage_is_counted(api: httpx.Client) -> None:
    body = {
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "hello there emulator"}]},
        ]
    }
    response = run(api, SCOUT, body)
    assert response.status_code == 200
    envelope = response.json()
    assert envelope["success"] is True and envelope["errors"] == []
    result = envelope["result"]
    assert result["response"].startswith(f"This is an emulated reply from {SCOUT}")
    assert '"hello there emulator"' in result["response"]
    assert "tool_calls" not in result
    words = len(result["response"].split())
    assert result["usage"] == {
        "prompt_tokens": 2 + 3 + 3 + 3,
        "completion_tokens": words,
        "total_tokens": 11 + words,
    }
    assert run(api, SCOUT, body).json() == envelope


def test_prompt_form_and_max_tokens_cut(api: httpx.Client) -> None:
    result = run(api, LLAMA33, {"prompt": "say something", "max_tokens": 4}).json()["result"]
    assert result["response"] == "This is an emulated"
    assert result["usage"]["completion_tokens"] == 4


def test_long_answer_defaults_to_256_tokens(api: httpx.Client) -> None:
    capped = run(api, SCOUT, user("give me a long answer")).json()["result"]
    assert len(capped["response"].split()) == capped["usage"]["completion_tokens"] == 256
    full = run(api, SCOUT, user("give me a long answer") | {"max_tokens": 1000})
    assert len(full.json()["result"]["response"].split()) == 400


def test_stop_sequence_cuts_the_reply(api: httpx.Client) -> None:
    result = run(api, SCOUT, user("hi") | {"stop": ["reply"]}).json()["result"]
    assert result["response"] == "This is an emulated "
    assert result["usage"]["completion_tokens"] == 5  # the cut " reply" still emitted " "


@pytest.mark.parametrize(
    ("model", "body", "expected"),
    [
        (SCOUT, {"messages": [{"role": "user", "content": None}]}, (400, 5004)),
        (SCOUT, {"max_tokens": 10}, (400, 5004)),
        (SCOUT, user("hi") | {"max_tokens": 0}, (400, 5004)),
        (SCOUT, user("hi") | {"frequency_penalty": -1}, (400, 5004)),
        ("@cf/nobody/no-such-model", user("hi"), (400, 5007)),
        ("gpt-4", user("hi"), (404, 3042)),
        (BGE, user("hi"), (400, 5007)),
        (SCOUT, {"text": ["embed me"]}, (400, 5007)),
    ],
)
def test_native_input_errors(
    api: httpx.Client, model: str, body: dict[str, Any], expected: tuple[int, int]
) -> None:
    assert error_of(run(api, model, body)) == expected


def test_llama33_accepts_negative_penalties(api: httpx.Client) -> None:
    assert run(api, LLAMA33, user("hi") | {"frequency_penalty": -1}).status_code == 200


def image_body(url: str) -> dict[str, Any]:
    parts = [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": url}},
    ]
    return {"messages": [{"role": "user", "content": parts}]}


def test_images_must_be_data_uris_on_vision_models(api: httpx.Client) -> None:
    ok = run(api, SCOUT, image_body(PIXEL)).json()["result"]
    assert "You sent 1 image." in ok["response"]
    response = run(api, SCOUT, image_body("https://example.com/cat.png"))
    assert error_of(response) == (400, 3003)
    assert "data URI" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("model", [LLAMA33, GPT_OSS])
def test_text_only_models_reject_images(api: httpx.Client, model: str) -> None:
    assert error_of(run(api, model, image_body(PIXEL))) == (400, 5004)


def test_json_mode_returns_an_object_built_from_the_schema(api: httpx.Client) -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "age": {"type": "integer"},
            "ok": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "pet": {"type": "object", "properties": {"kind": {"enum": ["cat", "dog"]}}},
        },
    }
    body = user("describe") | {"response_format": {"type": "json_schema", "json_schema": schema}}
    result = run(api, SCOUT, body).json()["result"]
    expected = {"name": "emulated", "age": 1, "ok": True, "tags": [], "pet": {"kind": "cat"}}
    assert result["response"] == expected
    streamed = run(api, SCOUT, body | {"stream": True}).text
    events = [json.loads(d) for d in sse_data(streamed) if d != "[DONE]"]
    assert json.loads("".join(e["response"] for e in events)) == expected


def test_native_tool_call_has_object_arguments(api: httpx.Client) -> None:
    body = user("please add 2 and 3") | {"tools": [ADD_TOOL]}
    result = run(api, SCOUT, body).json()["result"]
    assert result["response"] == ""
    assert result["tool_calls"] == [{"name": "add", "arguments": {"a": 1, "b": 1}}]
    assert result["usage"]["completion_tokens"] > 0


@pytest.mark.parametrize(
    ("said", "arguments"),
    [
        ('add {"a": 2, "b": 3} please', {"a": 2, "b": 3}),
        ('add then add {"a": 7}', {"a": 7}),
        ("add {not json} please", {"a": 1, "b": 1}),
        ('add, and later {"a": 9}', {"a": 1, "b": 1}),
    ],
)
def test_json_written_after_a_tools_name_is_its_arguments(
    api: httpx.Client, said: str, arguments: dict[str, Any]
) -> None:
    result = run(api, SCOUT, user(said) | {"tools": [ADD_TOOL]}).json()["result"]
    assert result["tool_calls"] == [{"name": "add", "arguments": arguments}]


def test_flat_tools_and_no_call_after_a_tool_result(api: httpx.Client) -> None:
    flat = [ADD_TOOL["function"]]
    messages = [
        {"role": "user", "content": "add 2 and 3"},
        {"role": "assistant", "content": ""},
        {"role": "tool", "content": "5"},
    ]
    result = run(api, SCOUT, {"messages": messages, "tools": flat}).json()["result"]
    assert "tool_calls" not in result
    assert 'the tool returned "5"' in result["response"]


# --- streams -------------------------------------------------------------------------------


def test_native_stream_matches_the_non_streaming_answer(api: httpx.Client) -> None:
    body = user("stream this please") | {"max_tokens": 9}
    response = run(api, SCOUT, body | {"stream": True})
    assert response.headers["content-type"].startswith("text/event-stream")
    assert all(line.startswith("data: ") for line in response.text.split("\n") if line)
    data = sse_data(response.text)
    assert data[-1] == "[DONE]"
    events = [json.loads(d) for d in data[:-1]]
    assert any("p" in event for event in events)
    text = "".join(event["response"] for event in events)
    assert events[-1]["response"] == ""
    assert events[-1]["usage"] == {"prompt_tokens": 6, "completion_tokens": 9, "total_tokens": 15}
    assert text == run(api, SCOUT, body).json()["result"]["response"]


def test_native_stream_carries_tool_calls_before_usage(api: httpx.Client) -> None:
    body = user("call add now") | {"tools": [ADD_TOOL], "stream": True}
    events = [json.loads(d) for d in sse_data(run(api, SCOUT, body).text)[:-1]]
    assert events[-2] == {
        "response": "",
        "tool_calls": [{"name": "add", "arguments": {"a": 1, "b": 1}}],
    }
    assert "usage" in events[-1]


def test_compact_sse_via_a_fault_flag(emu: EmulatorServer, api: httpx.Client) -> None:
    emu.add_fault(compact_sse=True, split_bytes=0)
    raw = run(api, SCOUT, user("hi") | {"stream": True}).text
    assert raw.startswith('data:{"response":"This"')
    assert raw.endswith("data:[DONE]\n\n")


def test_openai_format_stream_on_run(api: httpx.Client) -> None:
    body = user("hi") | {"stream": True, "max_tokens": 3}
    chunks = [json.loads(d) for d in sse_data(run(api, MISTRAL, body).text)[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "This is an"
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] == 3


NOTE_TOOL = {"type": "function", "function": {"name": "note", "parameters": {"type": "object"}}}


@pytest.mark.parametrize("model", [SCOUT, MISTRAL, GPT_OSS])
def test_tool_choice_in_each_form_the_reference_describes(api: httpx.Client, model: str) -> None:
    """Forced choices call even when the turn names no tool; `none` answers text."""
    tools = {"tools": [ADD_TOOL, NOTE_TOOL]}

    def called(choice: Any) -> list[str]:
        result = run(api, model, user("hello") | tools | {"tool_choice": choice}).json()["result"]
        calls = (
            result.get("tool_calls")
            or result.get("choices", [{}])[0].get("message", {}).get("tool_calls")
            or []
        )
        return [call.get("name") or call["function"]["name"] for call in calls]

    assert called("auto") == []
    assert called("required") == ["add"]
    assert called({"type": "function", "function": {"name": "note"}}) == ["note"]
    assert called("none") == []
    named_none = run(api, model, user("please add") | tools | {"tool_choice": "none"})
    assert "add" not in json.dumps(named_none.json()["result"].get("tool_calls") or [])


@pytest.mark.parametrize(
    "choice", ["any", {"type": "function", "function": {"name": "missing"}}, {"type": "x"}]
)
def test_tool_choice_upstream_does_not_take_is_an_8001(api: httpx.Client, choice: Any) -> None:
    response = run(api, SCOUT, user("hello") | {"tools": [ADD_TOOL], "tool_choice": choice})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == 8001


def test_json_object_answers_take_the_shape_of_a_schema_in_the_prompt(api: httpx.Client) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    }
    messages = [
        {"role": "system", "content": f"Answer as JSON matching this schema: {json.dumps(schema)}"},
        {"role": "user", "content": "weather plan"},
    ]
    body = {"messages": messages, "response_format": {"type": "json_object"}}
    result = run(api, SCOUT, body).json()["result"]
    assert result["response"] == {"city": "emulated", "days": 1}
    plain = run(api, SCOUT, user("weather plan") | {"response_format": {"type": "json_object"}})
    assert set(plain.json()["result"]["response"]) == {"reply"}


def test_openai_format_model_uses_openai_tool_calls(api: httpx.Client) -> None:
    result = run(api, MISTRAL, user("add please") | {"tools": [ADD_TOOL]}).json()["result"]
    (call,) = result["tool_calls"]
    assert call["type"] == "function" and call["id"]
    assert json.loads(call["function"]["arguments"]) == {"a": 1, "b": 1}


# --- gpt-oss: reasoning, no streaming ------------------------------------------------------


def test_gpt_oss_answers_one_json_body_even_when_asked_to_stream(api: httpx.Client) -> None:
    response = run(api, GPT_OSS, user("hi") | {"stream": True, "max_tokens": 200})
    assert response.headers["content-type"] == "application/json"
    completion = response.json()["result"]
    assert completion["object"] == "chat.completion"
    (choice,) = completion["choices"]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["content"].startswith("This is an emulated reply from")
    assert choice["message"]["reasoning_content"]
    reasoning = len(choice["message"]["reasoning_content"].split())
    answer = len(choice["message"]["content"].split())
    assert completion["usage"]["completion_tokens"] == reasoning + answer


def test_gpt_oss_reasoning_eats_a_small_max_tokens(api: httpx.Client) -> None:
    completion = run(api, GPT_OSS, user("hi") | {"max_tokens": 10}).json()["result"]
    (choice,) = completion["choices"]
    assert choice["message"]["content"] == ""
    assert choice["finish_reason"] == "length"
    assert completion["usage"]["completion_tokens"] == 10


def test_gpt_oss_tool_calls_and_the_tool_as_text_bug(api: httpx.Client) -> None:
    normal = run(api, GPT_OSS, user("use add") | {"tools": [ADD_TOOL]}).json()["result"]
    message = normal["choices"][0]["message"]
    assert normal["choices"][0]["finish_reason"] == "tool_calls"
    assert message["tool_calls"][0]["function"]["name"] == "add"
    bug = run(api, GPT_OSS, user("use add tool-as-text") | {"tools": [ADD_TOOL]}).json()
    message = bug["result"]["choices"][0]["message"]
    assert message["tool_calls"] == []
    assert json.loads(message["content"]) == {"name": "add", "arguments": {"a": 1, "b": 1}}


# --- OpenAI-style routes -------------------------------------------------------------------


def test_openai_chat_completion(api: httpx.Client) -> None:
    schema = {"name": "x", "schema": {"type": "object", "properties": {"n": {"type": "number"}}}}
    body = {"model": SCOUT, "response_format": {"type": "json_schema", "json_schema": schema}}
    completion = api.post("/v1/chat/completions", json=body | user("hi")).json()
    assert completion["object"] == "chat.completion"
    assert completion["model"] == SCOUT
    assert json.loads(completion["choices"][0]["message"]["content"]) == {"n": 1}


def test_openai_chat_stream_and_gpt_oss_json(api: httpx.Client) -> None:
    streamed = api.post("/v1/chat/completions", json={"model": SCOUT, "stream": True} | user("x"))
    data = sse_data(streamed.text)
    assert data[-1] == "[DONE]"
    assert json.loads(data[-2])["usage"]["total_tokens"] > 0
    oss = api.post("/v1/chat/completions", json={"model": GPT_OSS, "stream": True} | user("x"))
    assert oss.json()["object"] == "chat.completion"


def test_openai_chat_errors_use_the_cloudflare_envelope(api: httpx.Client) -> None:
    assert error_of(api.post("/v1/chat/completions", json=user("hi"))) == (400, 5004)
    body = {"model": BGE} | user("hi")
    assert error_of(api.post("/v1/chat/completions", json=body)) == (400, 5007)


# --- embeddings ----------------------------------------------------------------------------


def test_native_embeddings_are_deterministic_unit_vectors(api: httpx.Client) -> None:
    result = run(api, BGE, {"text": ["alpha", "beta", "alpha"]}).json()["result"]
    assert result["shape"] == [3, 768]
    first, second, third = result["data"]
    assert len(first) == 768 and first == third and first != second
    assert math.isclose(math.fsum(v * v for v in first), 1.0)
    single = run(api, "@cf/baai/bge-small-en-v1.5", {"text": "alpha"}).json()["result"]
    assert single["shape"] == [1, 384]


def test_embeddings_limit_of_100_inputs(api: httpx.Client) -> None:
    assert error_of(run(api, BGE, {"text": ["x"] * 101})) == (400, 5004)


def test_openai_embeddings(api: httpx.Client) -> None:
    body = {"model": "@cf/baai/bge-m3", "input": ["one two", "three"]}
    answer = api.post("/v1/embeddings", json=body).json()
    assert answer["object"] == "list"
    assert [d["index"] for d in answer["data"]] == [0, 1]
    assert len(answer["data"][0]["embedding"]) == 1024
    assert answer["usage"] == {"prompt_tokens": 3, "total_tokens": 3}
    packed = api.post("/v1/embeddings", json=body | {"encoding_format": "base64"}).json()
    floats = struct.unpack("<1024f", base64.b64decode(packed["data"][0]["embedding"]))
    assert floats == pytest.approx(answer["data"][0]["embedding"], rel=1e-6)
    chat = {"model": SCOUT, "input": "x"}
    assert error_of(api.post("/v1/embeddings", json=chat)) == (400, 5007)


# --- catalogue -----------------------------------------------------------------------------


def test_catalogue_filters_by_task_and_pages(api: httpx.Client) -> None:
    answer = api.get("/models/search", params={"task": "Text Generation"}).json()
    names = {row["name"] for row in answer["result"]}
    assert {SCOUT, GPT_OSS, MISTRAL} <= names and BGE not in names
    scout = next(row for row in answer["result"] if row["name"] == SCOUT)
    props = {p["property_id"]: p["value"] for p in scout["properties"]}
    assert props["context_window"] == "131000" and props["function_calling"] == "true"
    page = api.get("/models/search", params={"per_page": 3, "page": 2}).json()
    assert len(page["result"]) == 3 and page["result_info"]["page"] == 2
    schema = api.get("/models/schema", params={"model": SCOUT}).json()["result"]
    assert "input" in schema and "output" in schema


# --- faults and the request log ------------------------------------------------------------


def test_fault_answers_once_with_retry_after(emu: EmulatorServer, api: httpx.Client) -> None:
    emu.add_fault(model=SCOUT, code=3040, retry_after=7)
    busy = run(api, SCOUT, user("hi"))
    assert error_of(busy) == (429, 3040)
    assert busy.headers["retry-after"] == "7"
    assert run(api, SCOUT, user("hi")).status_code == 200
    assert emu.faults() == []


def test_fault_only_hits_its_model_and_lasts_until_cleared(
    emu: EmulatorServer, api: httpx.Client
) -> None:
    emu.add_fault(model=GPT_OSS, status=408, times=None)
    assert run(api, SCOUT, user("hi")).status_code == 200
    for _ in range(2):
        assert error_of(run(api, GPT_OSS, user("hi"))) == (408, 3007)
    assert emu.faults()[0]["hits"] == 2
    emu.clear()
    assert run(api, GPT_OSS, user("hi")).status_code == 200


def test_fault_only_if_reject_if_busy(emu: EmulatorServer, api: httpx.Client) -> None:
    emu.add_fault(code=3040, only_if_reject_if_busy=True)
    assert run(api, SCOUT, user("hi")).status_code == 200
    busy = run(api, SCOUT, user("hi") | {"options": {"rejectIfBusy": True}})
    assert error_of(busy) == (429, 3040)


def test_raw_5xx_body(emu: EmulatorServer, api: httpx.Client) -> None:
    emu.add_fault(status=503, raw_status_body="upstream connect error")
    response = run(api, SCOUT, user("hi"))
    assert response.status_code == 503
    assert response.text == "upstream connect error"


def test_connection_reset(emu: EmulatorServer, api: httpx.Client) -> None:
    emu.add_fault(connection_reset=True)
    with pytest.raises(httpx.RemoteProtocolError):
        run(api, SCOUT, user("hi"))
    assert run(api, SCOUT, user("hi")).status_code == 200


def test_cut_stream_ends_without_done(emu: EmulatorServer, api: httpx.Client) -> None:
    emu.add_fault(cut_after_chunks=3, chunk_delay_ms=1)
    received: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        api.stream("POST", f"/run/{SCOUT}", json=user("hi") | {"stream": True}) as response,
    ):
        assert response.status_code == 200
        received.extend(line for line in response.iter_lines() if line)
    assert len(received) == 3
    assert "[DONE]" not in "".join(received)


def test_cut_json_body(emu: EmulatorServer, api: httpx.Client) -> None:
    emu.add_fault(model=GPT_OSS, cut_after_chunks=0)
    with pytest.raises(httpx.RemoteProtocolError):
        run(api, GPT_OSS, user("hi"))


def stream_lines(api: httpx.Client, model: str = SCOUT) -> list[str]:
    with api.stream("POST", f"/run/{model}", json=user("hi") | {"stream": True}) as response:
        assert response.status_code == 200
        return [line for line in response.iter_lines() if line]


def test_garbled_and_error_events_take_the_place_of_event_n(
    emu: EmulatorServer, api: httpx.Client
) -> None:
    emu.add_fault(garble_after_chunks=1)
    lines = stream_lines(api)
    assert lines[1].endswith('{"response": "broken')
    json.loads(lines[0].removeprefix("data:"))
    assert lines[-1].endswith("[DONE]")
    emu.add_fault(error_after_chunks=2, message="provider overloaded")
    lines = stream_lines(api)
    assert json.loads(lines[2].removeprefix("data:")) == {
        "error": {"message": "provider overloaded", "code": 502}
    }


def test_the_same_faults_on_a_whole_answer(emu: EmulatorServer, api: httpx.Client) -> None:
    emu.add_fault(model=GPT_OSS, garble_after_chunks=0)
    garbled = run(api, GPT_OSS, user("hi"))
    assert garbled.status_code == 200
    with pytest.raises(ValueError):
        garbled.json()
    emu.add_fault(model=GPT_OSS, error_after_chunks=0)
    assert run(api, GPT_OSS, user("hi")).json() == {
        "error": {"message": "provider overloaded", "code": 502}
    }


def test_a_stalled_stream_keeps_the_connection_alive_without_events(
    emu: EmulatorServer, api: httpx.Client
) -> None:
    emu.add_fault(stall_after_chunks=2)
    data, comments = [], 0
    with api.stream("POST", f"/run/{SCOUT}", json=user("hi") | {"stream": True}) as response:
        for line in response.iter_lines():
            if line.startswith("data:"):
                data.append(line)
            elif line == ": keep-alive":
                comments += 1
                if comments == 2:
                    break
    assert len(data) == 2
    assert "[DONE]" not in "".join(data)


def test_a_200_with_any_body(emu: EmulatorServer, api: httpx.Client) -> None:
    emu.add_fault(status=200, raw_status_body="data: [DONE]\n\n", content_type="text/event-stream")
    response = run(api, SCOUT, user("hi"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text == "data: [DONE]\n\n"


def test_a_delay_ends_when_the_client_leaves(emu: EmulatorServer, api: httpx.Client) -> None:
    emu.add_fault(delay_ms=60_000)
    with pytest.raises(httpx.ReadTimeout):
        api.post(f"/run/{SCOUT}", json=user("hi"), timeout=0.3)
    deadline = time.monotonic() + 10
    while emu.requests()[0]["status"] != 499:
        assert time.monotonic() < deadline, "the emulator did not notice its client leave"
        time.sleep(0.05)


def test_invalid_fault_is_rejected(emu: EmulatorServer) -> None:
    response = httpx.post(f"{emu.root_url}/_emulator/faults", json={"stauts": 429})
    assert response.status_code == 400


def test_request_log_records_bodies_without_authorization(
    emu: EmulatorServer, api: httpx.Client
) -> None:
    body = user("hi") | {"max_tokens": 12, "options": {"rejectIfBusy": True}}
    run(api, SCOUT, body)
    api.post("/v1/chat/completions", json={"model": "@cf/x/missing"} | user("hi"))
    first, second = emu.requests()
    assert first["model"] == SCOUT and first["route"] == "run"
    assert first["body"] == body and first["status"] == 200
    assert "authorization" not in first["headers"]
    assert second["model"] == "@cf/x/missing" and second["status"] == 400


# --- the command line ----------------------------------------------------------------------


def test_command_line_says_loudly_it_is_an_emulator() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = os.environ | {"EMULATOR_PORT": str(port)}
    command = [sys.executable, "-m", "emulator"]
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stderr is not None
            banner = "".join(process.stderr.readline() for _ in range(3))
        finally:
            process.terminate()
    assert "WORKERS AI EMULATOR" in banner and "NOT Cloudflare" in banner
    assert f"127.0.0.1:{port}/client/v4/accounts/emulator/ai" in banner
