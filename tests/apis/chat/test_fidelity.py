"""Drop-in fidelity over real HTTP: each row of the parameter table does what the table says,
tools and tool choices in every OpenAI form, the deprecated functions API, reasoning values and
names, every message shape, the `model` echo, unknown models, and embeddings from token arrays.
The emulator is the upstream; what the gateway sent is read from its request log."""

from __future__ import annotations

import ast
import base64
import json
import struct
from typing import Any

import httpx
import openai
import pytest
from helpers import (
    BACKUP,
    KEYS,
    PRIMARY,
    ROOT,
    GatewayServer,
    assert_error,
    last_run,
    post,
    upstream_runs,
)
from refusals import CHAT, LEGACY, REFUSED_EXAMPLES, rows

from gateway.core.catalog import BACKUP_ALIASES, EMBEDDING_ALIASES, PRIMARY_ALIASES
from gateway.core.parameters import Handling

AUTH = {"authorization": f"Bearer {KEYS[0]}"}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
TIME = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
}
PARIS = [{"role": "user", "content": "Paris?"}]


def chat(server: GatewayServer, **body: Any) -> httpx.Response:
    return post(server, "/v1/chat/completions", {"model": "gpt-4o", "messages": PARIS} | body)


def stream(server: GatewayServer, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The `data:` payloads of a stream, without the final [DONE]."""
    with httpx.stream(
        "POST", f"{server.url}{path}", headers=AUTH, json=body | {"stream": True}, timeout=30
    ) as response:
        assert response.status_code == 200, response.read()
        raw = "".join(response.iter_text())
    blocks = [block.removeprefix("data: ") for block in raw.split("\n\n") if block]
    assert blocks[-1] == "[DONE]"
    return [json.loads(block) for block in blocks[:-1]]


def message(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()["choices"][0]["message"]


# --- every row of the table ---------------------------------------------------------------------

BASE = {
    CHAT: ("/v1/chat/completions", {"model": "gpt-4o", "messages": PARIS}),
    LEGACY: ("/v1/completions", {"model": "gpt-4o", "prompt": "Once"}),
    "POST /v1/embeddings": ("/v1/embeddings", {"model": "text-embedding-3-small", "input": "x"}),
}


TEXT_REFUSED = [row for row in REFUSED_EXAMPLES if row[0] in BASE]
"""The text APIs' refused rows (the media APIs' are tested beside them)."""


@pytest.mark.parametrize(("endpoint", "name"), TEXT_REFUSED, ids="-".join)
def test_refused_rows_are_a_400_naming_the_parameter(
    gateway, emulator, openai_schemas, endpoint, name
):
    path, body = BASE[endpoint]
    response = post(gateway, path, body | {name: REFUSED_EXAMPLES[endpoint, name]})
    assert_error(response, 400, openai_schemas, param=name, code="unsupported_parameter")
    assert upstream_runs(emulator) == []


NO_EFFECT_EXAMPLES = {
    (CHAT, "user"): "user-1234",
    (CHAT, "prediction"): {"type": "content", "content": "Paris is sunny."},
    (CHAT, "service_tier"): "flex",
    (CHAT, "store"): True,
    (CHAT, "metadata"): {"team": "search"},
    (CHAT, "safety_identifier"): "hashed-user",
    (CHAT, "prompt_cache_retention"): "24h",
    (CHAT, "prompt_cache_options"): {"ttl": "1h"},
    (LEGACY, "user"): "user-1234",
    ("POST /v1/embeddings", "user"): "user-1234",
}


def test_every_no_effect_row_has_an_example():
    assert set(rows(Handling.NO_EFFECT)) == set(NO_EFFECT_EXAMPLES)


@pytest.mark.parametrize(("endpoint", "name"), NO_EFFECT_EXAMPLES, ids="-".join)
def test_no_effect_rows_are_accepted_and_change_nothing_upstream(gateway, emulator, endpoint, name):
    path, body = BASE[endpoint]
    assert post(gateway, path, body).status_code == 200
    plain = emulator.requests()[-1]["body"]
    response = post(gateway, path, body | {name: NO_EFFECT_EXAMPLES[endpoint, name]})
    assert response.status_code == 200, response.text
    assert emulator.requests()[-1]["body"] == plain


UPSTREAM_EXAMPLES = {
    "temperature": (0.4, "temperature", 0.4),
    "top_p": (0.5, "top_p", 0.5),
    "seed": (7, "seed", 7),
    "presence_penalty": (0.5, "presence_penalty", 0.5),
    "frequency_penalty": (-1.0, "frequency_penalty", 0.0),
    "top_k": (5, "top_k", 5),
    "repetition_penalty": (1.1, "repetition_penalty", 1.1),
    "max_tokens": (33, "max_tokens", 33),
    "max_completion_tokens": (34, "max_tokens", 34),
    "messages": (PARIS, "messages", PARIS),
    "tools": ([WEATHER], "tools", [WEATHER]),
    "response_format": ({"type": "json_object"}, "response_format", {"type": "json_object"}),
    "reasoning_effort": ("xhigh", "reasoning_effort", "high"),
}
"""A value for each UPSTREAM row, the upstream field it lands in, and the value sent there."""
UPSTREAM_HEADER_EXAMPLES = {
    "prompt_cache_key": ("conversation-7", "x-session-affinity", "conversation-7"),
}
"""The same for the UPSTREAM rows that go as a request header."""
UPSTREAM_ROWS = [
    row
    for row in rows(Handling.UPSTREAM)
    if row[1] != "tool_choice" and row[0] in BASE  # tool_choice: its own tests below
]


@pytest.mark.parametrize(("endpoint", "name"), UPSTREAM_ROWS, ids="-".join)
def test_upstream_rows_reach_workers_ai(gateway, emulator, endpoint, name):
    in_header = name in UPSTREAM_HEADER_EXAMPLES
    value, upstream_name, sent = (UPSTREAM_HEADER_EXAMPLES if in_header else UPSTREAM_EXAMPLES)[
        name
    ]
    path, body = BASE[endpoint]
    if name == "reasoning_effort":
        body = body | {"model": "gpt-4o-mini"}
    assert post(gateway, path, body | {name: value}).status_code == 200
    run = last_run(emulator)
    assert run["headers" if in_header else "body"][upstream_name] == sent


GATEWAY_TESTS = {
    "model": "test_fidelity.test_a_typo_in_a_model_name_is_a_404_not_the_backups_answer",
    "stream": "test_streaming.test_chat_stream_follows_openais_rules",
    "stream_options": "test_streaming.test_include_usage_adds_exactly_one_usage_chunk",
    "stop": "test_streaming.test_stop_sequence_split_across_pieces",
    "parallel_tool_calls": "test_fidelity.test_parallel_tool_calls_false_keeps_the_first_call",
    "functions": "test_fidelity.test_functions_and_function_call_behave_as_tools",
    "function_call": "test_fidelity.test_function_call_none_gives_text",
    "prompt": "test_fidelity.test_a_legacy_prompt_as_tokens",
    "echo": "test_completions.test_echo_prepends_the_prompt",
    "input": "test_fidelity.test_every_embedding_input_form",
    "encoding_format": "test_completions.test_embeddings_alias_and_base64",
    "dimensions": "test_fidelity.test_dimensions_must_be_the_models_own",
}
"""The test that shows each GATEWAY row's behaviour."""


def test_every_gateway_row_has_a_test():
    text_rows = [name for endpoint, name in rows(Handling.GATEWAY) if endpoint in BASE]
    assert set(text_rows) == set(GATEWAY_TESTS)
    for reference in GATEWAY_TESTS.values():
        module, function = reference.split(".")
        (path,) = (ROOT / "tests").rglob(f"{module}.py")
        tree = ast.parse(path.read_text())
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert function in defined, reference


def test_dimensions_must_be_the_models_own(client, emulator):
    result = client.embeddings.create(model="text-embedding-3-small", input="x", dimensions=768)
    assert len(result.data[0].embedding) == 768
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model="text-embedding-3-small", input="x", dimensions=256)
    assert caught.value.param == "dimensions"


# --- tool_choice --------------------------------------------------------------------------------


def test_tool_choice_required_forces_a_tool_call(gateway, emulator):
    """The issue's example: the answer was text, and the upstream body had no tool_choice."""
    response = chat(gateway, tools=[WEATHER], tool_choice="required")
    assert response.json()["choices"][0]["finish_reason"] == "tool_calls"
    (call,) = message(response)["tool_calls"]
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "emulated"}
    assert last_run(emulator)["body"]["tool_choice"] == "required"


def test_tool_choice_any_is_sent_as_required(gateway, emulator):
    assert message(chat(gateway, tools=[WEATHER], tool_choice="any"))["tool_calls"]
    assert last_run(emulator)["body"]["tool_choice"] == "required"


def test_a_named_tool_choice_calls_that_tool(gateway, emulator):
    named = {"type": "function", "function": {"name": "get_time"}}
    response = chat(gateway, tools=[WEATHER, TIME], tool_choice=named)
    (call,) = message(response)["tool_calls"]
    assert call["function"]["name"] == "get_time"
    sent = last_run(emulator)["body"]
    assert sent["tool_choice"] == named
    assert [tool["function"]["name"] for tool in sent["tools"]] == ["get_time"]


def test_allowed_tools_narrow_the_tools(gateway, emulator):
    choice = {"type": "allowed_tools", "allowed_tools": {"mode": "required", "tools": [TIME]}}
    (call,) = message(chat(gateway, tools=[WEATHER, TIME], tool_choice=choice))["tool_calls"]
    assert call["function"]["name"] == "get_time"
    assert last_run(emulator)["body"]["tool_choice"] == "required"


def test_a_forced_tool_is_forced_in_a_stream_too(gateway, emulator):
    chunks = stream(
        gateway,
        "/v1/chat/completions",
        {"model": "gpt-4o", "messages": PARIS, "tools": [WEATHER], "tool_choice": "required"},
    )
    calls = [
        c
        for chunk in chunks
        if chunk["choices"]
        for c in chunk["choices"][0]["delta"].get("tool_calls") or []
    ]
    assert calls and calls[0]["function"]["name"] == "get_weather"
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"tools": [{"type": "custom", "custom": {"name": "grep"}}]}, "tools[0]"),
        (
            {"tools": [WEATHER], "tool_choice": {"type": "custom", "custom": {"name": "grep"}}},
            "tool_choice",
        ),
        ({"tool_choice": "required"}, "tool_choice"),
        (
            {"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "x"}}},
            "tool_choice",
        ),
    ],
)
def test_tool_choices_that_cannot_be_honoured_are_a_400(
    gateway, emulator, openai_schemas, body, param
):
    assert_error(chat(gateway, **body), 400, openai_schemas, param=param)
    assert upstream_runs(emulator) == []


# --- parallel_tool_calls ------------------------------------------------------------------------

BOTH = [{"role": "user", "content": "call get_weather and get_time"}]


def test_parallel_tool_calls_false_keeps_the_first_call(gateway, emulator):
    assert len(message(chat(gateway, messages=BOTH, tools=[WEATHER, TIME]))["tool_calls"]) == 2
    (call,) = message(
        chat(gateway, messages=BOTH, tools=[WEATHER, TIME], parallel_tool_calls=False)
    )["tool_calls"]
    assert call["function"]["name"] == "get_weather"


@pytest.mark.parametrize("model", ["gpt-4o", "@cf/mistralai/mistral-small-3.1-24b-instruct"])
def test_parallel_tool_calls_false_in_a_stream(gateway, emulator, model):
    body = {"model": model, "messages": BOTH, "tools": [WEATHER, TIME]}
    deltas = [
        c["choices"][0]["delta"]
        for c in stream(gateway, "/v1/chat/completions", body | {"parallel_tool_calls": False})
        if c["choices"]
    ]
    calls = [call for delta in deltas for call in delta.get("tool_calls") or []]
    assert {call["index"] for call in calls} == {0}
    assert [call["function"]["name"] for call in calls if "id" in call] == ["get_weather"]


# --- the deprecated functions API ---------------------------------------------------------------

FUNCTIONS = [WEATHER["function"], TIME["function"]]


def test_functions_and_function_call_behave_as_tools(gateway, emulator, openai_schemas):
    response = chat(gateway, functions=FUNCTIONS, function_call={"name": "get_time"})
    openai_schemas.validate("CreateChatCompletionResponse", response.json())
    answer = message(response)
    assert answer["function_call"]["name"] == "get_time"
    assert "tool_calls" not in answer
    assert response.json()["choices"][0]["finish_reason"] == "function_call"
    sent = last_run(emulator)["body"]
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "get_time"}}


def test_function_call_none_gives_text(gateway, emulator):
    answer = message(chat(gateway, messages=BOTH, functions=FUNCTIONS, function_call="none"))
    assert answer["content"] and "function_call" not in answer


def test_functions_stream_function_call_deltas(gateway, emulator, openai_schemas):
    chunks = stream(
        gateway,
        "/v1/chat/completions",
        {"model": "gpt-4o", "messages": BOTH, "functions": FUNCTIONS},
    )
    for chunk in chunks:
        openai_schemas.validate("CreateChatCompletionStreamResponse", chunk)
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert [d["function_call"]["name"] for d in deltas if "function_call" in d] == ["get_weather"]
    assert not any("tool_calls" in d for d in deltas)
    assert chunks[-1]["choices"][0]["finish_reason"] == "function_call"


def test_a_function_turn_goes_back_as_a_tool_result(gateway, emulator):
    history = [
        *PARIS,
        {
            "role": "assistant",
            "content": None,
            "function_call": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
        },
        {"role": "function", "name": "get_weather", "content": "sunny"},
    ]
    answer = message(chat(gateway, messages=history, functions=FUNCTIONS))
    assert "sunny" in answer["content"]
    sent = last_run(emulator)["body"]["messages"]
    assert sent[2] == {
        "role": "tool",
        "tool_call_id": sent[1]["tool_calls"][0]["id"],
        "content": "sunny",
    }


# --- reasoning ----------------------------------------------------------------------------------


@pytest.mark.parametrize("effort", ["none", "minimal", "low", "medium", "high", "xhigh", "max"])
@pytest.mark.parametrize(("model", "sent"), [("gpt-4o-mini", True), ("gpt-4o", False)])
def test_every_reasoning_effort_is_accepted(gateway, emulator, effort, model, sent):
    assert chat(gateway, model=model, reasoning_effort=effort).status_code == 200
    body = last_run(emulator)["body"]
    assert ("reasoning_effort" in body) is sent
    if sent:
        assert body["reasoning_effort"] in {"low", "medium", "high"}


def test_reasoning_comes_back_under_both_names(gateway, emulator):
    answer = message(chat(gateway, model="gpt-4o-mini"))
    assert answer["reasoning"] and answer["reasoning"] == answer["reasoning_content"]
    assert answer["reasoning"] not in answer["content"]
    deltas = [
        c["choices"][0]["delta"]
        for c in stream(
            gateway, "/v1/chat/completions", {"model": "gpt-4o-mini", "messages": PARIS}
        )
        if c["choices"]
    ]
    reasoning = [d for d in deltas if "reasoning" in d]
    assert reasoning and all(d["reasoning"] == d["reasoning_content"] for d in reasoning)


# --- message shapes -----------------------------------------------------------------------------


def test_every_input_message_shape_is_accepted(gateway, emulator, openai_schemas):
    history = [
        {"role": "developer", "content": [{"type": "text", "text": "Be brief."}], "name": "ops"},
        {"role": "user", "content": "Help me break in.", "name": "ann"},
        {"role": "assistant", "content": [{"type": "refusal", "refusal": "No."}]},
        {"role": "assistant", "content": None, "refusal": "I can't help with that."},
        {"role": "user", "content": [{"type": "text", "text": "Paris weather?"}]},
        {
            "role": "assistant",
            "content": "",
            "reasoning_content": "They want weather.",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "sunny"}]},
    ]
    openai_schemas.validate("CreateChatCompletionRequest", {"model": "gpt-4o", "messages": history})
    assert chat(gateway, messages=history, tools=[WEATHER]).status_code == 200
    sent = last_run(emulator)["body"]["messages"]
    assert sent[2] == {"role": "assistant", "content": "No."}
    assert sent[3] == {"role": "assistant", "content": "I can't help with that."}
    assert "reasoning" not in sent[5], "a model that does not reason never sees reasoning"
    assert all("name" not in item for item in sent)
    assert chat(gateway, model="gpt-4o-mini", messages=history, tools=[WEATHER]).status_code == 200
    sent = last_run(emulator)["body"]["messages"]
    assert sent[5]["reasoning"] == "They want weather."
    assert "They want weather." not in sent[5]["content"]


@pytest.mark.parametrize(
    ("part", "hint"),
    [
        ({"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}, "audio"),
        ({"type": "file", "file": {"file_id": "file-1"}}, "file"),
    ],
)
def test_parts_workers_ai_cannot_take_are_a_400_naming_the_part(
    gateway, emulator, openai_schemas, part, hint
):
    messages = [{"role": "user", "content": [{"type": "text", "text": "hi"}, part]}]
    error = assert_error(
        chat(gateway, messages=messages), 400, openai_schemas, param="messages[0].content[1]"
    )
    assert hint in error["message"]


# --- model names --------------------------------------------------------------------------------


def test_a_typo_in_a_model_name_is_a_404_not_the_backups_answer(gateway, emulator, openai_schemas):
    response = chat(gateway, model="@cf/meta/llama-4-scout-17b-16e-instruc")
    assert_error(response, 404, openai_schemas, code="model_not_found", param="model")
    assert upstream_runs(emulator) == []


CATALOGUE_ONLY = "@cf/zai-org/glm-4.7-flash"  # in the emulator's catalogue, not in catalog.py


def test_a_model_only_the_catalogue_knows_is_answered_and_falls_back(gateway, emulator):
    response = chat(gateway, model=CATALOGUE_ONLY)
    assert response.json()["model"] == CATALOGUE_ONLY
    assert response.headers["x-gateway-model"] == CATALOGUE_ONLY
    emulator.add_fault(model=CATALOGUE_ONLY, status=500)
    assert chat(gateway, model=CATALOGUE_ONLY).headers["x-gateway-model"] == BACKUP


def test_an_embedding_model_for_chat_is_a_400(gateway, emulator, openai_schemas):
    response = chat(gateway, model="@cf/baai/bge-m3")
    assert_error(response, 400, openai_schemas, param="model", code="model_not_supported")


def test_without_the_catalogue_known_models_work_and_unknown_ones_do_not_fall_back(
    start_gateway, emulator, openai_schemas
):
    emulator.add_fault(route="search", status=500, times=None)
    with start_gateway() as server:
        assert chat(server, model=PRIMARY).status_code == 200
        assert chat(server, model="gpt-4o-mini").status_code == 200
        response = chat(server, model="@cf/meta/llama-4-scout-17b-16e-instruc")
        assert_error(response, 404, openai_schemas, code="model_not_found")
        emulator.add_fault(model=CATALOGUE_ONLY, status=500)
        assert chat(server, model=CATALOGUE_ONLY).status_code == 502, "unvouched: no fallback"
    tried = [run["model"] for run in upstream_runs(emulator)]
    assert tried == [PRIMARY, BACKUP, "@cf/meta/llama-4-scout-17b-16e-instruc", CATALOGUE_ONLY]


def test_streams_echo_the_requested_name(gateway, emulator):
    for path, body in (
        ("/v1/chat/completions", {"model": "gpt-4o", "messages": PARIS}),
        ("/v1/completions", {"model": "gpt-4o", "prompt": "Once"}),
    ):
        assert {chunk["model"] for chunk in stream(gateway, path, body)} == {"gpt-4o"}


# --- embeddings ---------------------------------------------------------------------------------


def test_langchains_default_embedding_request(gateway, emulator):
    """The issue's example: token arrays, base64."""
    body = {
        "model": "text-embedding-3-small",
        "input": [[15339, 1917]],
        "encoding_format": "base64",
    }
    response = post(gateway, "/v1/embeddings", body)
    assert response.status_code == 200, response.text
    assert response.json()["model"] == "text-embedding-3-small"
    assert response.headers["x-gateway-model"] == "@cf/baai/bge-base-en-v1.5"
    packed = base64.b64decode(response.json()["data"][0]["embedding"])
    assert len(struct.unpack(f"<{len(packed) // 4}f", packed)) == 768
    assert last_run(emulator)["body"] == {"text": ["hello world"]}


@pytest.mark.parametrize(
    ("given", "texts"),
    [
        ("hello world", ["hello world"]),
        (["hello", "world"], ["hello", "world"]),
        ([15339, 1917], ["hello world"]),
        ([[15339], [1917]], ["hello", " world"]),
    ],
)
def test_every_embedding_input_form(client, emulator, given, texts):
    result = client.embeddings.create(model="text-embedding-3-small", input=given)
    assert len(result.data) == len(texts)
    assert last_run(emulator)["body"] == {"text": texts}


def test_a_token_id_cl100k_lacks_is_a_400(gateway, emulator, openai_schemas):
    response = post(
        gateway, "/v1/embeddings", {"model": "text-embedding-3-small", "input": [[1], [100256]]}
    )
    assert_error(response, 400, openai_schemas, param="input[1]")


def test_a_legacy_prompt_as_tokens(client, emulator):
    client.completions.create(model="gpt-4o", prompt=[15339, 1917])
    assert last_run(emulator)["body"]["prompt"] == "hello world"


def test_embedding_models_are_listed_and_retrievable(client, emulator):
    ids = [model.id for model in client.models.list()]
    assert {"text-embedding-3-small", "text-embedding-3-large", "@cf/baai/bge-base-en-v1.5"} <= set(
        ids
    )
    assert client.models.retrieve("text-embedding-3-small").id == "text-embedding-3-small"
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="text-embedding-4-huge", input="x")


def test_the_catalogue_is_read_to_its_last_page(start_gateway, emulator, monkeypatch):
    monkeypatch.setattr("gateway.core.upstream.CATALOGUE_PAGE", 2)
    with start_gateway() as server:
        assert chat(server, model=CATALOGUE_ONLY).status_code == 200
    searches = [r["query"] for r in emulator.requests() if r["route"] == "search"]
    pages = [query["page"] for query in searches]
    tasks = {query["task"] for query in searches}
    assert sorted(pages).count("1") == len(tasks) and "3" in pages, pages


def test_a_custom_tool_call_in_history_is_a_400_naming_it(gateway, emulator, openai_schemas):
    call = {"id": "c1", "type": "custom", "custom": {"name": "grep", "input": "x"}}
    history = [*PARIS, {"role": "assistant", "content": None, "tool_calls": [call]}]
    error = assert_error(
        chat(gateway, messages=history), 400, openai_schemas, param="messages[1].tool_calls[0]"
    )
    assert "custom tool calls" in error["message"]
    untyped = {"id": "c2", "function": {"name": "get_weather", "arguments": "{}"}}
    history = [*PARIS, {"role": "assistant", "content": None, "tool_calls": [untyped]}]
    assert chat(gateway, messages=history, tools=[WEATHER]).status_code == 200


ENDPOINTS = {
    "/v1/chat/completions": lambda model: {
        "model": model,
        "messages": [{"role": "user", "content": "hi"}],
    },
    "/v1/completions": lambda model: {"model": model, "prompt": "hi"},
    "/v1/responses": lambda model: {"model": model, "input": "hi"},
    "/v1/embeddings": lambda model: {"model": model, "input": "hi"},
}
WRONG_KIND = [
    (path, alias, "Text Embeddings" if path == "/v1/embeddings" else "Text Generation")
    for path in ENDPOINTS
    for alias in (
        PRIMARY_ALIASES + BACKUP_ALIASES if path == "/v1/embeddings" else tuple(EMBEDDING_ALIASES)
    )
]


@pytest.mark.parametrize(("path", "alias", "task"), WRONG_KIND)
def test_an_alias_of_another_task_is_a_400_naming_the_task(
    gateway, emulator, openai_schemas, path, alias, task
):
    """An alias GET /v1/models lists exists: on the wrong endpoint it is the task that is
    wrong (400 model_not_supported), as for a `@cf/` name of another task, never a 404."""
    assert alias in {row["id"] for row in gateway_models(gateway)}
    response = httpx.post(
        f"{gateway.url}{path}",
        headers={"authorization": f"Bearer {KEYS[0]}"},
        json=ENDPOINTS[path](alias),
        timeout=30,
    )
    error = assert_error(response, 400, openai_schemas, param="model", code="model_not_supported")
    assert f"`{alias}`" in error["message"]
    assert f"not {task}" in error["message"]
    assert upstream_runs(emulator) == []


def gateway_models(gateway: GatewayServer) -> list[dict[str, Any]]:
    headers = {"authorization": f"Bearer {KEYS[0]}"}
    return httpx.get(f"{gateway.url}/v1/models", headers=headers, timeout=30).json()["data"]
