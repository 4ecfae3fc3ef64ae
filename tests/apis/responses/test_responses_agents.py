"""The Responses API as agents call it, kind by kind: stored items by reference, the tool kinds
(namespace, custom, local shell; hosted tools left out and named), reasoning summaries, item
status, and the fields agents send. Every answer is checked against OpenAI's schemas, whole and
streamed."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from helpers import BACKUP, KEYS, PRIMARY, assert_error, last_run, post, upstream_runs
from response_streams import validated

from emulator.text import REASONING
from gateway.apis.responses.tools import LEFT_OUT_HEADER, LOCAL_SHELL_PARAMETERS
from gateway.core.text_generation import REASONING_EFFORTS

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    "strict": False,
}
AGENTS = {
    "type": "namespace",
    "name": "agents",
    "description": "Sub-agents.",
    "tools": [
        {
            "type": "function",
            "name": "spawn",
            "description": "Start a sub-agent.",
            "parameters": {"type": "object", "properties": {"task": {"type": "string"}}},
        },
        {"type": "custom", "name": "brief", "description": "Brief a sub-agent in prose."},
    ],
}
GRAMMAR = 'start: "*** Begin Patch" LF body "*** End Patch"'
PATCH = {
    "type": "custom",
    "name": "apply_patch",
    "description": "Edit files.",
    "format": {"type": "grammar", "syntax": "lark", "definition": GRAMMAR},
}
PATCH_TEXT = "*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** End Patch\n"
HOSTED = [
    {"type": "web_search", "external_web_access": False},
    {"type": "file_search", "vector_store_ids": ["vs_1"]},
    {"type": "code_interpreter", "container": {"type": "auto"}},
    {"type": "image_generation"},
    {
        "type": "computer_use_preview",
        "display_width": 1,
        "display_height": 1,
        "environment": "linux",
    },
    {"type": "mcp", "server_label": "deepwiki", "server_url": "https://example.com/mcp"},
    {"type": "tool_search", "execution": "client"},
]


def create(gateway, openai_schemas, key: str | None = None, **body: Any) -> httpx.Response:
    """POST a whole response (checked against OpenAI's schema when it is a 200)."""
    response = post(gateway, "/v1/responses", {"model": "gpt-4"} | body, key=key)
    if response.status_code == 200:
        openai_schemas.validate("Response", response.json())
    return response


def answer(gateway, openai_schemas, **body: Any) -> dict[str, Any]:
    response = create(gateway, openai_schemas, **body)
    assert response.status_code == 200, response.text
    return response.json()


def both(gateway, openai_schemas, **body: Any) -> list[dict[str, Any]]:
    """The whole and the streamed `Response` for the same request."""
    whole = answer(gateway, openai_schemas, **body)
    _, _, streamed = validated(gateway, openai_schemas, **body)
    return [whole, streamed]


def upstream_tools(emulator) -> dict[str, dict[str, Any]]:
    return {
        tool["function"]["name"]: tool["function"] for tool in last_run(emulator)["body"]["tools"]
    }


# --- item references ----------------------------------------------------------------------------


def test_item_references_resolve_from_the_keys_own_store(gateway, emulator, openai_schemas):
    """The AI SDK's default provider sends earlier turns back as references to stored items:
    messages, function calls and outputs, and reasoning all resolve, with or without `type`."""
    first = answer(gateway, openai_schemas, model=BACKUP, input="think first")
    reasoning, message = first["output"]
    call_turn = answer(gateway, openai_schemas, input="call get_weather", tools=[WEATHER])
    [call] = call_turn["output"]
    output_turn = answer(
        gateway,
        openai_schemas,
        input=[{"type": "function_call_output", "call_id": call["call_id"], "output": "sunny"}],
        previous_response_id=call_turn["id"],
        tools=[WEATHER],
    )
    listed = httpx.get(
        f"{gateway.url}/v1/responses/{output_turn['id']}/input_items",
        headers={"authorization": f"Bearer {gateway.api_key}"},
    ).json()["data"]
    [output_item] = listed
    answer(
        gateway,
        openai_schemas,
        model=BACKUP,
        input=[
            {"role": "user", "content": "think first"},
            {"type": "item_reference", "id": reasoning["id"]},
            {"id": message["id"]},
            {"type": "item_reference", "id": call["id"]},
            {"type": "item_reference", "id": output_item["id"]},
            {"role": "user", "content": "and now?"},
        ],
        tools=[WEATHER],
    )
    user, assistant, tool, last = last_run(emulator)["body"]["messages"]
    assert assistant == {
        "role": "assistant",
        "content": first["output_text"],
        "reasoning": REASONING,
        "tool_calls": [
            {
                "id": call["call_id"],
                "type": "function",
                "function": {"name": "get_weather", "arguments": call["arguments"]},
            }
        ],
    }
    assert tool == {"role": "tool", "tool_call_id": call["call_id"], "content": "sunny"}
    assert (user["content"], last["content"]) == ("think first", "and now?")


@pytest.mark.parametrize("stored", [True, False], ids=["another key's", "store false"])
def test_an_item_the_key_cannot_see_is_a_404_naming_the_input(
    gateway, emulator, openai_schemas, stored
):
    first = answer(gateway, openai_schemas, input="secret", store=stored)
    item_id = first["output"][0]["id"]
    key = KEYS[1] if stored else None
    body = {"input": [{"role": "user", "content": "hi"}, {"type": "item_reference", "id": item_id}]}
    error = assert_error(
        create(gateway, openai_schemas, key=key, **body),
        404,
        openai_schemas,
        code="item_not_found",
        param="input[1]",
    )
    assert item_id in error["message"]
    assert "secret" not in error["message"]


@pytest.mark.parametrize("item_id", ["msg_unknown", "msg_" + "0" * 36, "fc_abc-def"])
def test_an_unknown_item_reference_is_a_404(gateway, emulator, openai_schemas, item_id):
    response = create(gateway, openai_schemas, input=[{"type": "item_reference", "id": item_id}])
    assert_error(response, 404, openai_schemas, code="item_not_found", param="input[0]")
    assert upstream_runs(emulator) == []


# --- namespace tools ----------------------------------------------------------------------------


@pytest.mark.parametrize("member", ["spawn", "brief"])
def test_namespace_members_are_offered_qualified_and_called_back_by_their_names(
    gateway, emulator, openai_schemas, member
):
    kind = "function_call" if member == "spawn" else "custom_tool_call"
    for response in both(
        gateway, openai_schemas, input=f"use agents__{member}", tools=[WEATHER, AGENTS]
    ):
        [call] = response["output"]
        assert call["type"] == kind
        assert (call["name"], call["namespace"]) == (member, "agents")
        assert response["tools"][1] == AGENTS | {
            "tools": [
                AGENTS["tools"][0] | {"strict": None},
                AGENTS["tools"][1],
            ]
        }
    offered = upstream_tools(emulator)
    assert set(offered) == {"get_weather", "agents__spawn", "agents__brief"}
    assert (
        offered["agents__spawn"]["description"]
        == "Start a sub-agent.\n\nPart of agents: Sub-agents."
    )


def test_a_namespaced_call_goes_back_upstream_under_its_qualified_name(
    gateway, emulator, openai_schemas
):
    call = {
        "type": "function_call",
        "call_id": "call_1",
        "namespace": "agents",
        "name": "spawn",
        "arguments": '{"task": "x"}',
    }
    output = {"type": "function_call_output", "call_id": "call_1", "output": "spawned"}
    answer(gateway, openai_schemas, input=[call, output], tools=[AGENTS])
    sent = last_run(emulator)["body"]["messages"]
    assert sent[0]["tool_calls"][0]["function"]["name"] == "agents__spawn"
    assert sent[1] == {"role": "tool", "tool_call_id": "call_1", "content": "spawned"}


def test_tool_choice_any_is_required_as_chat_takes_it(gateway, emulator, openai_schemas):
    body = answer(gateway, openai_schemas, input="hi", tools=[WEATHER], tool_choice="any")
    assert body["output"][0]["type"] == "function_call"
    assert last_run(emulator)["body"]["tool_choice"] == "required"


@pytest.mark.parametrize(
    ("choice", "sent"),
    [
        ({"type": "function", "name": "spawn"}, "agents__spawn"),
        ({"type": "function", "name": "agents__spawn"}, "agents__spawn"),
        ({"type": "custom", "name": "brief"}, "agents__brief"),
        ({"type": "custom", "name": "apply_patch"}, "apply_patch"),
    ],
)
def test_a_named_choice_finds_namespaced_and_custom_tools(
    gateway, emulator, openai_schemas, choice, sent
):
    answer(gateway, openai_schemas, input="hi", tools=[AGENTS, PATCH], tool_choice=choice)
    body = last_run(emulator)["body"]
    assert body["tool_choice"] == {"type": "function", "function": {"name": sent}}
    assert [tool["function"]["name"] for tool in body["tools"]] == [sent]


def test_allowed_tools_narrow_by_kind_and_namespace(gateway, emulator, openai_schemas):
    choice = {
        "type": "allowed_tools",
        "mode": "required",
        "tools": [
            {"type": "namespace", "name": "agents"},
            {"type": "function", "name": "get_weather"},
        ],
    }
    answer(gateway, openai_schemas, input="hi", tools=[WEATHER, AGENTS, PATCH], tool_choice=choice)
    body = last_run(emulator)["body"]
    assert body["tool_choice"] == "required"
    assert {tool["function"]["name"] for tool in body["tools"]} == {
        "get_weather",
        "agents__spawn",
        "agents__brief",
    }


# --- custom tools -------------------------------------------------------------------------------


def test_custom_tools_take_free_form_input_and_come_back_as_custom_tool_calls(
    gateway, emulator, openai_schemas
):
    prompt = "apply_patch " + json.dumps({"input": PATCH_TEXT})
    whole, streamed = both(gateway, openai_schemas, input=prompt, tools=[PATCH])
    for response in (whole, streamed):
        [call] = response["output"]
        assert call["type"] == "custom_tool_call" and call["status"] == "completed"
        assert (call["name"], call["input"]) == ("apply_patch", PATCH_TEXT)
        assert "namespace" not in call
    offered = upstream_tools(emulator)["apply_patch"]
    assert offered["parameters"]["required"] == ["input"]
    assert GRAMMAR in offered["parameters"]["properties"]["input"]["description"]


def test_a_streamed_custom_call_has_its_input_events(gateway, emulator, openai_schemas):
    prompt = "apply_patch " + json.dumps({"input": PATCH_TEXT})
    _, events, _ = validated(gateway, openai_schemas, input=prompt, tools=[PATCH])
    kinds = [event["type"] for event in events]
    done = events[kinds.index("response.custom_tool_call_input.done")]
    assert done["input"] == PATCH_TEXT


def test_custom_calls_and_outputs_go_back_upstream(gateway, emulator, openai_schemas):
    call = {
        "type": "custom_tool_call",
        "call_id": "call_p",
        "name": "apply_patch",
        "input": PATCH_TEXT,
    }
    output = {"type": "custom_tool_call_output", "call_id": "call_p", "output": "Success."}
    body = answer(gateway, openai_schemas, input=[call, output], tools=[PATCH])
    assert 'the tool returned "Success."' in body["output_text"]
    assistant, tool = last_run(emulator)["body"]["messages"]
    assert assistant["tool_calls"][0]["function"] == {
        "name": "apply_patch",
        "arguments": json.dumps({"input": PATCH_TEXT}),
    }
    assert tool == {"role": "tool", "tool_call_id": "call_p", "content": "Success."}


# --- local shell --------------------------------------------------------------------------------


def test_local_shell_is_offered_as_a_function_and_called_as_local_shell_calls(
    gateway, emulator, openai_schemas
):
    prompt = 'local_shell {"command": ["ls", "-la"], "working_directory": "/tmp"}'
    for response in both(gateway, openai_schemas, input=prompt, tools=[{"type": "local_shell"}]):
        [call] = response["output"]
        assert call["type"] == "local_shell_call"
        assert call["action"] == {
            "type": "exec",
            "command": ["ls", "-la"],
            "working_directory": "/tmp",
            "env": {},
        }
        assert response["tools"] == [{"type": "local_shell"}]
    assert upstream_tools(emulator)["local_shell"]["parameters"] == LOCAL_SHELL_PARAMETERS


def test_local_shell_calls_and_outputs_go_back_upstream(gateway, emulator, openai_schemas):
    action = {"type": "exec", "command": ["ls"], "env": {}}
    call = {
        "type": "local_shell_call",
        "id": "lsh_1",
        "call_id": "call_s",
        "action": action,
        "status": "completed",
    }
    output = {"type": "local_shell_call_output", "id": "call_s", "output": '{"output": "a.txt"}'}
    answer(gateway, openai_schemas, input=[call, output], tools=[{"type": "local_shell"}])
    assistant, tool = last_run(emulator)["body"]["messages"]
    assert assistant["tool_calls"][0]["function"]["name"] == "local_shell"
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {
        "command": ["ls"],
        "env": {},
    }
    assert tool["tool_call_id"] == "call_s"


# --- hosted tools -------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_hosted_tools_are_left_out_and_named_in_every_answer(
    gateway, emulator, openai_schemas, stream
):
    body = {"input": "call get_weather", "tools": [*HOSTED, WEATHER, HOSTED[0]]}
    if stream:
        response, _, final = validated(gateway, openai_schemas, **body)
    else:
        response = create(gateway, openai_schemas, **body)
        final = response.json()
    assert response.headers[LEFT_OUT_HEADER] == ", ".join(tool["type"] for tool in HOSTED)
    assert [tool["type"] for tool in final["tools"]] == ["function"]
    assert [item["name"] for item in final["output"]] == ["get_weather"]
    assert set(upstream_tools(emulator)) == {"get_weather"}


def test_a_request_without_hosted_tools_names_none(gateway, emulator, openai_schemas):
    response = create(gateway, openai_schemas, input="hi", tools=[WEATHER])
    assert LEFT_OUT_HEADER not in response.headers


def test_browsers_may_read_the_left_out_header(gateway, emulator):
    response = post(
        gateway,
        "/v1/responses",
        {"model": "gpt-4", "input": "hi", "tools": HOSTED[:1]},
        headers={"origin": "https://app.example"},
    )
    exposed = response.headers["access-control-expose-headers"].split(", ")
    assert LEFT_OUT_HEADER in exposed


@pytest.mark.parametrize(
    "choice",
    [
        {"type": "web_search_preview"},
        {"type": "file_search"},
        {"type": "mcp", "server_label": "deepwiki"},
        "required",
        {"type": "allowed_tools", "mode": "required", "tools": [{"type": "web_search"}]},
    ],
)
def test_a_request_that_depends_on_a_hosted_tool_is_refused(
    gateway, emulator, openai_schemas, choice
):
    response = create(gateway, openai_schemas, input="hi", tools=HOSTED[:2], tool_choice=choice)
    error = assert_error(response, 400, openai_schemas, param="tool_choice")
    assert "hosted" in error["message"]
    assert upstream_runs(emulator) == []


def test_additional_tools_items_offer_their_tools(gateway, emulator, openai_schemas):
    extra = {"type": "additional_tools", "role": "developer", "tools": [AGENTS, HOSTED[0]]}
    response = create(gateway, openai_schemas, input=[extra, {"role": "user", "content": "hi"}])
    assert response.status_code == 200, response.text
    assert set(upstream_tools(emulator)) == {"agents__spawn", "agents__brief"}
    assert response.headers[LEFT_OUT_HEADER] == "web_search"


# --- reasoning ----------------------------------------------------------------------------------


@pytest.mark.parametrize("summary", ["auto", "concise", "detailed"])
def test_a_summary_asked_for_is_the_reasoning_text(gateway, emulator, openai_schemas, summary):
    whole, streamed = both(
        gateway, openai_schemas, model=BACKUP, input="think", reasoning={"summary": summary}
    )
    for response in (whole, streamed):
        reasoning = response["output"][0]
        assert reasoning["summary"] == [{"type": "summary_text", "text": REASONING}]
        assert reasoning["content"] == [{"type": "reasoning_text", "text": REASONING}]
        assert response["reasoning"]["summary"] == summary


def test_summary_events_come_in_openais_order(gateway, emulator, openai_schemas):
    _, events, _ = validated(
        gateway, openai_schemas, model=BACKUP, input="think", reasoning={"summary": "auto"}
    )
    summary = [e["type"] for e in events if "reasoning_summary" in e["type"]]
    assert summary[0] == "response.reasoning_summary_part.added"
    assert summary[-2:] == [
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
    ]
    deltas = [e["delta"] for e in events if e["type"] == "response.reasoning_summary_text.delta"]
    assert "".join(deltas) == REASONING


def test_without_a_summary_the_summary_stays_empty(gateway, emulator, openai_schemas):
    for response in both(gateway, openai_schemas, model=BACKUP, input="think"):
        assert response["output"][0]["summary"] == []


@pytest.mark.parametrize("effort", REASONING_EFFORTS)
def test_every_reasoning_effort_is_taken_as_chat_takes_it(
    gateway, emulator, openai_schemas, effort
):
    answer(gateway, openai_schemas, model=BACKUP, input="x", reasoning={"effort": effort})
    via_responses = last_run(emulator)["body"]["reasoning_effort"]
    chat = post(
        gateway,
        "/v1/chat/completions",
        {
            "model": BACKUP,
            "messages": [{"role": "user", "content": "x"}],
            "reasoning_effort": effort,
        },
    )
    assert chat.status_code == 200
    assert via_responses == last_run(emulator)["body"]["reasoning_effort"]


@pytest.mark.parametrize(("context", "kept"), [("current_turn", 0), ("all_turns", 2), ("auto", 2)])
def test_reasoning_context_says_which_turns_get_their_reasoning_back(
    gateway, emulator, openai_schemas, context, kept
):
    first = answer(gateway, openai_schemas, model=BACKUP, input="one")
    second = answer(
        gateway, openai_schemas, model=BACKUP, input="two", previous_response_id=first["id"]
    )
    answer(
        gateway,
        openai_schemas,
        model=BACKUP,
        input="three",
        previous_response_id=second["id"],
        reasoning={"context": context},
    )
    sent = last_run(emulator)["body"]["messages"]
    assert sum("reasoning" in message for message in sent) == kept


# --- item status --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "tokens", "types"),
    [
        (PRIMARY, 5, ["message"]),
        (BACKUP, 8, ["reasoning"]),
        (BACKUP, 20, ["reasoning", "message"]),
    ],
)
def test_the_item_the_limit_cut_is_incomplete(
    gateway, emulator, openai_schemas, model, tokens, types
):
    for response in both(
        gateway, openai_schemas, model=model, input="long answer", max_output_tokens=tokens
    ):
        assert response["status"] == "incomplete"
        assert [item["type"] for item in response["output"]] == types
        statuses = [item["status"] for item in response["output"]]
        assert statuses == ["completed"] * (len(types) - 1) + ["incomplete"]


def test_a_finished_answer_has_only_completed_items(gateway, emulator, openai_schemas):
    for response in both(gateway, openai_schemas, model=BACKUP, input="hi"):
        assert response["status"] == "completed"
        assert {item["status"] for item in response["output"]} == {"completed"}


# --- the fields agents send ---------------------------------------------------------------------


def test_codexs_request_fields_are_accepted(gateway, emulator, openai_schemas):
    body = {
        "input": [
            {
                "type": "message",
                "id": "msg_01a2-43",
                "role": "developer",
                "content": [{"type": "input_text", "text": "Be an agent."}],
            },
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
        ],
        "tools": [WEATHER, AGENTS, PATCH, HOSTED[0], HOSTED[-1]],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "reasoning": {"summary": "auto", "effort": "xhigh", "context": "all_turns"},
        "store": False,
        "stream": True,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "01a24324-2ae2-7050-a570-30b2335de914",
        "client_metadata": {"session_id": "s", "x-codex-turn-metadata": "{}"},
        "text": {"verbosity": "medium"},
        "service_tier": "auto",
        "safety_identifier": "user-1",
        "prompt_cache_retention": "24h",
        "prompt_cache_options": {"ttl": "30m"},
        "stream_options": {"include_obfuscation": False},
        "max_tool_calls": 3,
        "truncation": "disabled",
        "background": False,
        "top_logprobs": 0,
    }
    _, _, final = validated(gateway, openai_schemas, **body)
    assert final["status"] == "completed"
    assert "client_metadata" not in json.dumps(last_run(emulator)["body"])


def test_chats_sampling_fields_are_taken_as_chat_takes_them(gateway, emulator, openai_schemas):
    sampling = {
        "temperature": 0.3,
        "top_p": 0.8,
        "seed": 7,
        "frequency_penalty": -1.5,
        "presence_penalty": 2.0,
        "top_k": 5,
        "repetition_penalty": 1.1,
    }
    answer(gateway, openai_schemas, input="x", max_output_tokens=33, **sampling)
    via_responses = last_run(emulator)["body"]
    chat = {"model": "gpt-4", "messages": [{"role": "user", "content": "x"}], "max_tokens": 33}
    assert post(gateway, "/v1/chat/completions", chat | sampling).status_code == 200
    assert via_responses == last_run(emulator)["body"]
    assert via_responses["seed"] == 7 and via_responses["frequency_penalty"] == 0
