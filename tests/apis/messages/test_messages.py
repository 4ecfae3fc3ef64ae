"""Anthropic's Messages API through the official `anthropic` SDK: create, stream with
get_final_message, a tool round trip, forced tools, thinking on the reasoning model, images,
count_tokens; what goes upstream for each; and every answer checked against the SDK's own types
(which Anthropic generates from its API definition)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest
from anthropic.types import Message, MessageTokensCount
from helpers import (
    ANTHROPIC_HEADERS,
    BACKUP,
    PNG,
    PRIMARY,
    ImageHost,
    anthropic_sdk,
    assert_anthropic_error,
    assert_shape,
    last_run,
    upstream_runs,
)

from emulator.text import REASONING

FAST = "@cf/meta/llama-3.3-70b-instruct-fp8-fast"
WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city",
    "input_schema": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
}
TIME = {"name": "get_time", "input_schema": {"type": "object", "properties": {}}}


@pytest.fixture
def claude(gateway, emulator) -> anthropic.Anthropic:
    return anthropic_sdk(gateway)


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def create(claude: anthropic.Anthropic, **params: Any) -> dict[str, Any]:
    """A whole message as the gateway sent it, checked against the SDK's `Message`."""
    params = {"model": "claude-sonnet-5-5", "max_tokens": 200} | params
    body = claude.messages.with_raw_response.create(**params).http_response.json()
    assert_shape(Message, body)
    return body


def streamed(claude: anthropic.Anthropic, **params: Any) -> dict[str, Any]:
    """The message `messages.stream` accumulates (get_final_message), as a plain dict."""
    params = {"model": "claude-sonnet-5-5", "max_tokens": 200} | params
    with claude.messages.stream(**params) as stream:
        for _ in stream:
            pass
        final = stream.get_final_message()
    return without_ids(final.model_dump(exclude_none=True, exclude={"id"}))


def comparable(body: dict[str, Any]) -> dict[str, Any]:
    """A whole message without what differs between two answers (ids), as `streamed` gives."""
    parsed = Message.model_validate(body).model_dump(exclude_none=True, exclude={"id"})
    for block in parsed["content"]:
        block.pop("id", None)
    return parsed


def without_ids(message: dict[str, Any]) -> dict[str, Any]:
    for block in message["content"]:
        block.pop("id", None)
    return message


# --- create and stream ----------------------------------------------------------------------


def test_create_answers_a_message(claude, emulator):
    body = create(claude, messages=user("Paris?"), system="Be brief.")
    assert body["id"].startswith("msg_")
    assert body["model"] == "claude-sonnet-5-5"
    assert body["content"] == [
        {"type": "text", "text": f'This is an emulated reply from {PRIMARY}: you said "Paris?".'}
    ]
    assert body["stop_reason"] == "end_turn" and body["stop_sequence"] is None
    sent = last_run(emulator)["body"]
    assert sent["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Paris?"},
    ]
    assert sent["max_tokens"] == 200
    # The emulator's own counts: a word is a token, and each message costs 3 more.
    words = len(body["content"][0]["text"].split())
    assert body["usage"] == {"input_tokens": (2 + 3) + (1 + 3), "output_tokens": words}


@pytest.mark.parametrize(
    "params",
    [
        {"messages": user("stream it")},
        {"messages": user("stream it"), "model": "@cf/openai/gpt-oss-120b"},
        {"messages": user("Use get_weather"), "tools": [WEATHER]},
        {"messages": user("a long answer"), "stop_sequences": ["emulator keeps"]},
        {"messages": user("a long answer"), "max_tokens": 30},
    ],
    ids=["text", "reasoning", "tool-use", "stop-sequence", "max-tokens"],
)
def test_streamed_and_whole_answers_are_the_same_message(claude, params):
    stream, whole = streamed(claude, **params), without_ids(comparable(create(claude, **params)))
    if "stop_sequences" in params:
        # The stream ends at the stop sequence, before Workers AI sends its counts (the gateway
        # cuts stop sequences itself): no usage, where the whole answer has the upstream's.
        assert stream.pop("usage") == {"input_tokens": 0, "output_tokens": 0}
        whole.pop("usage")
    assert stream == whole


def test_the_stream_helper_sees_the_text_as_it_comes(claude):
    deltas = []
    with claude.messages.stream(
        model="claude-opus-5-5", max_tokens=100, messages=user("stream it")
    ) as stream:
        deltas = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(deltas) > 3
    assert "".join(deltas) == final.content[0].text
    assert final.usage.input_tokens > 0 and final.usage.output_tokens == len(deltas)


def test_stop_sequences_are_cut_and_named(claude):
    body = create(claude, messages=user("a long answer"), stop_sequences=["xyz", "keeps talking"])
    assert body["stop_reason"] == "stop_sequence"
    assert body["stop_sequence"] == "keeps talking"
    assert body["content"][0]["text"].endswith("The emulator ")


def test_max_tokens_is_the_stop_reason_when_the_answer_is_cut(claude):
    body = create(claude, messages=user("a long answer"), max_tokens=12)
    assert body["stop_reason"] == "max_tokens"
    assert body["usage"]["output_tokens"] == 12


def test_sampling_parameters_go_upstream(claude, emulator):
    create(
        claude,
        messages=user("hi"),
        extra_body={"temperature": 0.2, "top_p": 0.9, "top_k": 40},
    )
    sent = last_run(emulator)["body"]
    assert (sent["temperature"], sent["top_p"], sent["top_k"]) == (0.2, 0.9, 40)


# --- model names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("claude-opus-5-5", PRIMARY),
        ("claude-sonnet-4-5-20250929", PRIMARY),
        ("claude-haiku-4-5-20251001", FAST),
        ("claude-haiku-5-5", FAST),
        ("gpt-4o-mini", BACKUP),
        (
            "@cf/mistralai/mistral-small-3.1-24b-instruct",
            "@cf/mistralai/mistral-small-3.1-24b-instruct",
        ),
    ],
)
def test_model_names_map_to_workers_ai_models(claude, emulator, name, model):
    raw = claude.messages.with_raw_response.create(model=name, max_tokens=50, messages=user("hi"))
    assert raw.headers["x-gateway-model"] == model
    assert raw.parse().model == name
    assert upstream_runs(emulator)[-1]["model"] == model


def test_the_claude_table_is_configurable(start_gateway, emulator):
    with start_gateway(claude_models="claude-opus-*=backup,claude-*=gpt-4o") as gateway:
        claude = anthropic_sdk(gateway)
        for name, model in [("claude-opus-5-5", BACKUP), ("claude-haiku-5-5", PRIMARY)]:
            raw = claude.messages.with_raw_response.create(
                model=name, max_tokens=50, messages=user("hi")
            )
            assert raw.headers["x-gateway-model"] == model


def test_an_unknown_model_is_anthropics_not_found(claude, emulator):
    with pytest.raises(anthropic.NotFoundError) as caught:
        claude.messages.create(model="gemini-3", max_tokens=10, messages=user("hi"))
    assert "gemini-3" in caught.value.message
    assert upstream_runs(emulator) == []


# --- tools ----------------------------------------------------------------------------------


def test_a_tool_round_trip(claude, emulator):
    first = create(claude, messages=user("Use get_weather for Paris"), tools=[WEATHER, TIME])
    assert first["stop_reason"] == "tool_use"
    (call,) = first["content"]
    assert call["type"] == "tool_use" and call["id"].startswith("toolu_")
    assert (call["name"], call["input"]) == ("get_weather", {"city": "emulated"})
    sent = last_run(emulator)["body"]
    assert sent["tools"][0] == {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
                "additionalProperties": False,
            },
        },
    }
    assert sent["tool_choice"] == "auto" if "tool_choice" in sent else True

    history = [
        *user("Use get_weather for Paris"),
        {"role": "assistant", "content": first["content"]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": call["id"], "content": "Sunny, 21 C"},
                {"type": "text", "text": "Thanks"},
            ],
        },
    ]
    second = create(claude, messages=history, tools=[WEATHER, TIME])
    assert second["stop_reason"] == "end_turn"
    sent = last_run(emulator)["body"]["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": call["id"],
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "emulated"}'},
            }
        ],
    }
    assert sent[2] == {"role": "tool", "tool_call_id": call["id"], "content": "Sunny, 21 C"}
    assert sent[3] == {"role": "user", "content": "Thanks"}


def test_tool_results_as_blocks_and_errors(claude, emulator):
    history = [
        *user("Use get_time"),
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_time", "input": {}}],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "content": [
                        {"type": "text", "text": "clock"},
                        {"type": "text", "text": "broke"},
                    ],
                    "is_error": True,
                    "cache_control": {"type": "ephemeral"},
                }
            ],
        },
    ]
    body = create(claude, messages=history, tools=[TIME])
    assert 'the tool returned "Error: clock broke"' in body["content"][0]["text"]
    assert last_run(emulator)["body"]["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "toolu_1",
        "content": "Error: clock\nbroke",
    }


@pytest.mark.parametrize(
    ("choice", "sent", "names"),
    [
        ({"type": "any"}, "required", ["get_weather"]),
        (
            {"type": "tool", "name": "get_time"},
            {"type": "function", "function": {"name": "get_time"}},
            ["get_time"],
        ),
        ({"type": "none"}, "none", []),
        ({"type": "auto"}, "auto", []),
    ],
    ids=["any", "tool", "none", "auto"],
)
def test_tool_choice(claude, emulator, choice, sent, names):
    body = create(claude, messages=user("hello"), tools=[WEATHER, TIME], tool_choice=choice)
    assert last_run(emulator)["body"]["tool_choice"] == sent
    assert [block["name"] for block in body["content"] if block["type"] == "tool_use"] == names
    assert body["stop_reason"] == ("tool_use" if names else "end_turn")


def test_disable_parallel_tool_use_keeps_the_first_call(claude):
    both = user("Use get_weather and get_time")
    params = {"messages": both, "tools": [WEATHER, TIME]}
    assert len(create(claude, **params)["content"]) == 2
    choice = {"type": "auto", "disable_parallel_tool_use": True}
    body = create(claude, **params, tool_choice=choice)
    assert [block["name"] for block in body["content"]] == ["get_weather"]
    assert [
        block["name"] for block in streamed(claude, **params, tool_choice=choice)["content"]
    ] == ["get_weather"]


def test_deferred_tools_are_offered_once_a_tool_reference_names_them(claude, emulator):
    deferred = {**TIME, "defer_loading": True}
    create(claude, messages=user("hi"), tools=[WEATHER, deferred])
    assert [t["function"]["name"] for t in last_run(emulator)["body"]["tools"]] == ["get_weather"]
    history = [
        *user("find a clock"),
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_s", "name": "get_weather", "input": {}}],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_s",
                    "content": [{"type": "tool_reference", "tool_name": "get_time"}],
                }
            ],
        },
    ]
    create(claude, messages=history, tools=[WEATHER, deferred])
    sent = last_run(emulator)["body"]
    assert [t["function"]["name"] for t in sent["tools"]] == ["get_weather", "get_time"]
    assert sent["messages"][-1]["content"] == "Tool loaded: get_time"


@pytest.mark.parametrize(
    ("tool", "kind"),
    [
        (
            {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
            "web_search_20250305",
        ),
        ({"type": "bash_20250124", "name": "bash"}, "bash_20250124"),
        (
            {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"},
            "text_editor_20250728",
        ),
        (
            {"type": "computer_20250124", "name": "computer", "display_width_px": 1024},
            "computer_20250124",
        ),
        ({"type": "code_execution_20250825", "name": "code_execution"}, "code_execution_20250825"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_server_tools_are_refused_by_type(claude, emulator, tool, kind):
    with pytest.raises(anthropic.BadRequestError) as caught:
        claude.messages.create(
            model="claude-opus-5-5", max_tokens=10, messages=user("hi"), tools=[WEATHER, tool]
        )
    assert f"'{kind}'" in caught.value.message
    assert upstream_runs(emulator) == []


# --- thinking ------------------------------------------------------------------------------


def test_thinking_on_the_reasoning_model(claude, emulator):
    params = {
        "model": "@cf/openai/gpt-oss-120b",
        "messages": user("Think?"),
        "thinking": {"type": "enabled", "budget_tokens": 20000},
        "max_tokens": 300,
    }
    body = create(claude, **params)
    thinking, text = body["content"]
    assert thinking == {"type": "thinking", "thinking": REASONING, "signature": ""}
    assert text["text"].startswith("This is an emulated reply from @cf/openai/gpt-oss-120b")
    assert body["usage"]["output_tokens_details"] == {"thinking_tokens": len(REASONING.split())}
    assert last_run(emulator)["body"]["reasoning_effort"] == "high"
    assert streamed(claude, **params) == without_ids(comparable(body))


@pytest.mark.parametrize(
    ("params", "effort"),
    [
        ({"thinking": {"type": "enabled", "budget_tokens": 1024}}, "low"),
        ({"thinking": {"type": "enabled", "budget_tokens": 10000}}, "medium"),
        ({"thinking": {"type": "disabled"}}, "low"),
        ({"thinking": {"type": "adaptive"}}, None),
        ({"output_config": {"effort": "high"}, "thinking": {"type": "disabled"}}, "high"),
        ({"output_config": {"effort": "max"}}, "high"),
    ],
)
def test_thinking_maps_to_the_reasoning_effort(claude, emulator, params, effort):
    create(claude, model="gpt-4o-mini", messages=user("Think?"), **params)
    assert last_run(emulator)["body"].get("reasoning_effort") == effort


def test_thinking_display_and_disabled(claude):
    omitted = create(
        claude,
        model="gpt-4o-mini",
        messages=user("Think?"),
        thinking={"type": "adaptive", "display": "omitted"},
    )
    assert omitted["content"][0] == {"type": "thinking", "thinking": "", "signature": ""}
    disabled = create(
        claude, model="gpt-4o-mini", messages=user("Think?"), thinking={"type": "disabled"}
    )
    assert [block["type"] for block in disabled["content"]] == ["text"]


def test_earlier_thinking_goes_back_to_reasoning_models_only(claude, emulator):
    history = [
        *user("first"),
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "I pondered.", "signature": "sig"},
                {"type": "redacted_thinking", "data": "opaque"},
                {"type": "text", "text": "Answer one."},
            ],
        },
        *user("second"),
    ]
    create(claude, model="gpt-4o-mini", messages=history)
    assert last_run(emulator)["body"]["messages"][1] == {
        "role": "assistant",
        "content": "Answer one.",
        "reasoning": "I pondered.",
    }
    create(claude, model="claude-opus-5-5", messages=history)
    assert last_run(emulator)["body"]["messages"][1] == {
        "role": "assistant",
        "content": "Answer one.",
    }


# --- content --------------------------------------------------------------------------------


@pytest.fixture
def image_server() -> Iterator[str]:
    with ImageHost("127.0.0.1") as host:
        yield f"http://127.0.0.1:{host.port}"


def test_images_base64_and_by_url(claude, emulator, image_server):
    data = base64.b64encode(PNG).decode()
    content = [
        {"type": "text", "text": "What are these?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}},
        {"type": "image", "source": {"type": "url", "url": f"{image_server}/cat.png"}},
    ]
    body = create(claude, messages=[{"role": "user", "content": content}])
    assert "You sent 2 images." in body["content"][0]["text"]
    parts = last_run(emulator)["body"]["messages"][0]["content"]
    uri = f"data:image/png;base64,{data}"
    assert parts[1:] == [{"type": "image_url", "image_url": {"url": uri}}] * 2


def test_images_for_a_text_only_model_are_a_400(claude, emulator):
    data = base64.b64encode(PNG).decode()
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}
    with pytest.raises(anthropic.BadRequestError) as caught:
        create(claude, model="claude-haiku-5-5", messages=[{"role": "user", "content": [image]}])
    assert "does not accept images" in caught.value.message


def test_text_documents_and_search_results_are_read_as_text(claude, emulator):
    content = [
        {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": "The sky is green."},
            "title": "Facts",
        },
        {
            "type": "search_result",
            "source": "https://example.com/sky",
            "title": "Sky",
            "content": [{"type": "text", "text": "Blue, mostly."}],
        },
        {"type": "text", "text": "What colour?"},
    ]
    create(claude, messages=[{"role": "user", "content": content}])
    assert last_run(emulator)["body"]["messages"][0]["content"] == (
        "Facts\nThe sky is green.\nSky (https://example.com/sky)\nBlue, mostly.\nWhat colour?"
    )


@pytest.mark.parametrize(
    ("block", "words"),
    [
        (
            {
                "type": "document",
                "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBER"},
            },
            "PDF documents",
        ),
        ({"type": "image", "source": {"type": "file", "file_id": "file_1"}}, "Files API"),
        (
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}},
            "server tools",
        ),
    ],
    ids=["pdf", "file", "server-tool-block"],
)
def test_content_workers_ai_cannot_take_is_a_400_naming_it(claude, emulator, block, words):
    with pytest.raises(anthropic.BadRequestError) as caught:
        create(claude, messages=[{"role": "user", "content": [block]}])
    assert words in caught.value.message
    assert "messages[0].content[0]" in caught.value.message
    assert upstream_runs(emulator) == []


def test_system_messages_among_the_messages_join_the_system_prompt(gateway, emulator):
    """Claude Code sends `role: system` after the first turn, with a message-level
    output_config (ignored) and cache_control on blocks."""
    body = {
        "model": "claude-opus-5-5",
        "max_tokens": 100,
        "system": [
            {"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}
        ],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
            {
                "role": "system",
                "content": "Today is Tuesday.",
                "output_config": {"effort": "medium"},
            },
        ],
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        "thinking": {"type": "adaptive", "display": "omitted"},
        "output_config": {"effort": "medium"},
        "metadata": {"user_id": '{"session_id": "s1"}'},
    }
    response = httpx.post(
        f"{gateway.url}/v1/messages?beta=true",
        json=body,
        headers={
            "x-api-key": gateway.api_key,
            "anthropic-beta": "claude-code-20250219",
            **ANTHROPIC_HEADERS,
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    sent = last_run(emulator)
    assert sent["body"]["messages"] == [
        {"role": "system", "content": "You are terse.\n\nToday is Tuesday."},
        {"role": "user", "content": "hi"},
    ]
    assert sent["headers"]["x-session-affinity"]


def test_the_same_user_reads_the_prompt_cache(claude, emulator):
    params = {"messages": user("cache me"), "metadata": {"user_id": f"user-{uuid.uuid4()}"}}
    first = create(claude, **params)
    second = create(claude, **params)
    assert first["usage"]["cache_read_input_tokens"] == 0
    cached = second["usage"]["cache_read_input_tokens"]
    assert cached > 0
    assert second["usage"]["input_tokens"] + cached == first["usage"]["input_tokens"]
    assert streamed(claude, **params)["usage"] == second["usage"]


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        (
            {"context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]}},
            "context_management",
        ),
        (
            {"mcp_servers": [{"type": "url", "url": "https://mcp.example", "name": "x"}]},
            "mcp_servers",
        ),
        ({"container": "container_1"}, "container"),
    ],
)
def test_refused_parameters_name_themselves(claude, emulator, extra, param):
    with pytest.raises(anthropic.BadRequestError) as caught:
        create(claude, messages=user("hi"), extra_body=extra)
    assert f"'{param}'" in caught.value.message
    assert upstream_runs(emulator) == []


# --- count_tokens ---------------------------------------------------------------------------


def test_count_tokens_counts_with_cl100k(claude, emulator):
    from gateway.core.tokens import encoding

    raw = claude.messages.with_raw_response.count_tokens(
        model="claude-opus-5-5", messages=user("hello world"), system="Be brief."
    )
    body = raw.http_response.json()
    assert_shape(MessageTokensCount, body)
    words = len(encoding().encode("Be brief.")) + len(encoding().encode("hello world"))
    assert body["input_tokens"] == words + 3 * 2 + 3
    with_tools = claude.messages.count_tokens(
        model="claude-opus-5-5", messages=user("hello world"), system="Be brief.", tools=[WEATHER]
    )
    assert with_tools.input_tokens > body["input_tokens"]
    assert upstream_runs(emulator) == []


def test_count_tokens_refuses_what_messages_refuse(claude):
    with pytest.raises(anthropic.NotFoundError):
        claude.messages.count_tokens(model="gemini-3", messages=user("hi"))
    with pytest.raises(anthropic.BadRequestError):
        claude.messages.count_tokens(
            model="claude-opus-5-5",
            messages=user("hi"),
            tools=[{"type": "bash_20250124", "name": "bash"}],
        )


# --- models ---------------------------------------------------------------------------------


def test_models_in_anthropics_shape(claude):
    from anthropic.types import ModelInfo

    page = claude.models.list(limit=2)
    assert [model.id for model in page.data] == [PRIMARY, BACKUP]
    raw = claude.models.with_raw_response.list(limit=1000).http_response.json()
    assert set(raw) == {"data", "has_more", "first_id", "last_id"}
    for model in raw["data"]:
        assert_shape(ModelInfo, model)
    assert raw["has_more"] is False and raw["first_id"] == PRIMARY
    assert next(m for m in raw["data"] if m["id"] == PRIMARY)["max_input_tokens"] == 131000
    second = claude.models.list(limit=1, after_id=PRIMARY)
    assert [model.id for model in second.data] == [BACKUP]
    assert claude.models.retrieve(BACKUP).display_name == BACKUP


def test_models_stay_openais_without_anthropic_version(gateway):
    response = httpx.get(
        f"{gateway.url}/v1/models",
        headers={"authorization": f"Bearer {gateway.api_key}"},
        timeout=30,
    )
    assert response.json()["object"] == "list"


def test_bad_json_is_an_anthropic_400(gateway, emulator):
    response = httpx.post(
        f"{gateway.url}/v1/messages",
        content=b'{"model": ',
        headers={"x-api-key": gateway.api_key, "content-type": "application/json"},
        timeout=30,
    )
    assert_anthropic_error(response, 400)
    missing = httpx.post(
        f"{gateway.url}/v1/messages",
        json={"model": "claude-opus-5-5", "messages": user("hi")},
        headers={"x-api-key": gateway.api_key},
        timeout=30,
    )
    assert "max_tokens" in assert_anthropic_error(missing, 400)["message"]
    assert json.loads(missing.text)["type"] == "error"
