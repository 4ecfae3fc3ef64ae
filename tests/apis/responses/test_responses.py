"""The Responses API through the official SDK and over raw HTTP: whole responses, tools,
structured output, reasoning, stored conversations, and the refusals (nothing accepted and
ignored). Every body is checked against OpenAI's schemas."""

from __future__ import annotations

import base64
import json

import httpx
import openai
import pytest
from helpers import BACKUP, KEYS, PRIMARY, assert_error, last_run, post, sdk
from pydantic import BaseModel

from gateway.apis.responses.items import message_params, upstream_messages
from gateway.apis.responses.schemas import CreateResponseRequest

TEXT_ONLY = "@cf/meta/llama-3.3-70b-instruct-fp8-fast"
PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
    "strict": True,
}


def post_response(gateway, body: dict, key: str | None = None) -> httpx.Response:
    return post(gateway, "/v1/responses", body, key=key)


def create(client: openai.OpenAI, openai_schemas, **params) -> dict:
    """client.responses.create, returning the JSON body after checking it against the spec."""
    raw = client.responses.with_raw_response.create(**params)
    body = raw.http_response.json()
    openai_schemas.validate("Response", body)
    assert raw.parse().id == body["id"]
    return body


def sent_messages(emulator) -> list[dict]:
    return last_run(emulator)["body"]["messages"]


def test_a_string_input_gets_a_completed_response(client, emulator, openai_schemas):
    raw = client.responses.with_raw_response.create(model="gpt-4", input="Hello there")
    body = raw.http_response.json()
    openai_schemas.validate("Response", body)
    response = raw.parse()
    assert response.object == "response" and response.id.startswith("resp_")
    assert response.status == "completed" and response.error is None
    assert raw.headers["x-gateway-model"] == PRIMARY
    assert response.model == "gpt-4", "OpenAI echoes the model name the client asked for"
    [message] = response.output
    assert message.type == "message" and message.role == "assistant"
    assert '"Hello there"' in response.output_text
    assert body["output_text"] == response.output_text
    assert sent_messages(emulator) == [{"role": "user", "content": "Hello there"}]


def test_usage_is_the_upstreams_own(client, emulator, gateway):
    response = client.responses.create(model=PRIMARY, input="count my words please")
    direct = httpx.post(
        f"{emulator.base_url}/run/{PRIMARY}",
        json=last_run(emulator)["body"],
        headers={"authorization": "Bearer t"},
    ).json()["result"]
    assert response.usage.input_tokens == direct["usage"]["prompt_tokens"]
    assert response.usage.output_tokens == direct["usage"]["completion_tokens"]
    assert response.usage.total_tokens == direct["usage"]["total_tokens"]


def test_items_and_instructions_become_the_chat_conversation(client, emulator, openai_schemas):
    create(
        client,
        openai_schemas,
        model="gpt-4",
        instructions="Be brief.",
        input=[
            {"role": "developer", "content": "Answer in English."},
            {"role": "user", "content": [{"type": "input_text", "text": "first"}]},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "an answer", "annotations": []}],
            },
            {"role": "user", "content": "second"},
        ],
        temperature=0.5,
        top_p=0.9,
        max_output_tokens=99,
    )
    body = last_run(emulator)["body"]
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "system", "content": "Answer in English."},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "an answer"},
        {"role": "user", "content": "second"},
    ]
    assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.5, 0.9, 99)


def test_images_go_upstream_as_data_uris(client, emulator, openai_schemas):
    content = [
        {"type": "input_text", "text": "what is this"},
        {"type": "input_image", "image_url": PNG, "detail": "low"},
    ]
    body = create(
        client, openai_schemas, model="gpt-4", input=[{"role": "user", "content": content}]
    )
    assert "You sent 1 image" in body["output_text"]
    [message] = sent_messages(emulator)
    assert message["content"][1] == {"type": "image_url", "image_url": {"url": PNG}}


def test_images_for_a_text_only_model_are_a_400_naming_input(gateway, emulator, openai_schemas):
    content = [{"type": "input_image", "image_url": PNG}]
    response = post_response(
        gateway, {"model": TEXT_ONLY, "input": [{"role": "user", "content": content}]}
    )
    assert_error(response, 400, openai_schemas, param="input", code="model_not_vision_capable")


def test_function_call_and_its_output_round_trip(client, emulator, openai_schemas):
    first = create(
        client,
        openai_schemas,
        model="gpt-4",
        input="What is the weather in Paris? Use get_weather.",
        tools=[WEATHER],
    )
    [call] = first["output"]
    assert call["type"] == "function_call" and call["name"] == "get_weather"
    assert call["status"] == "completed" and call["call_id"]
    assert json.loads(call["arguments"]) == {"city": "emulated"}
    assert last_run(emulator)["body"]["tools"][0]["function"]["name"] == "get_weather"

    second = create(
        client,
        openai_schemas,
        model="gpt-4",
        previous_response_id=first["id"],
        input=[{"type": "function_call_output", "call_id": call["call_id"], "output": "sunny"}],
        tools=[WEATHER],
    )
    assert 'the tool returned "sunny"' in second["output_text"]
    messages = sent_messages(emulator)
    assert messages[-2]["role"] == "assistant"
    assert messages[-2]["tool_calls"][0]["id"] == call["call_id"]
    assert messages[-2]["tool_calls"][0]["function"]["arguments"] == call["arguments"]
    assert messages[-1] == {"role": "tool", "tool_call_id": call["call_id"], "content": "sunny"}


def test_function_calls_given_as_input_items_without_a_store(client, emulator, openai_schemas):
    calls = [
        {
            "type": "function_call",
            "call_id": f"call_{i}",
            "name": "get_weather",
            "arguments": json.dumps({"city": city}),
        }
        for i, city in enumerate(["Paris", "Rome"])
    ]
    outputs = [
        {"type": "function_call_output", "call_id": f"call_{i}", "output": text}
        for i, text in enumerate(["sunny", "rainy"])
    ]
    create(
        client,
        openai_schemas,
        model="gpt-4",
        store=False,
        input=[{"role": "user", "content": "weather?"}, *calls, *outputs],
        tools=[WEATHER],
    )
    messages = sent_messages(emulator)
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "tool"]
    assert [c["id"] for c in messages[1]["tool_calls"]] == ["call_0", "call_1"]


@pytest.mark.parametrize(
    "choice",
    [
        {"type": "function", "name": "get_weather"},
        "required",
        "none",
    ],
)
def test_tool_choice_is_sent_as_chat_sends_it(client, emulator, openai_schemas, choice):
    """The dialect is a peer of chat: the same request gives the same upstream body."""
    other = {"type": "function", "name": "get_time", "parameters": {"type": "object"}}
    body = create(
        client,
        openai_schemas,
        model="gpt-4",
        input="hello",
        tools=[WEATHER, other],
        tool_choice=choice,
        parallel_tool_calls=False,
    )
    via_responses = last_run(emulator)["body"]
    assert body["tool_choice"] == choice
    assert body["parallel_tool_calls"] is False
    chat_tools = [
        {"type": "function", "function": {k: v for k, v in t.items() if k != "type"}}
        for t in (WEATHER, other)
    ]
    chat_choice = (
        {"type": "function", "function": {"name": choice["name"]}}
        if isinstance(choice, dict)
        else choice
    )
    client.chat.completions.create(
        model="gpt-4",
        messages=[{"role": "user", "content": "hello"}],
        tools=chat_tools,
        tool_choice=chat_choice,
        parallel_tool_calls=False,
    )
    assert via_responses == last_run(emulator)["body"]


class Weather(BaseModel):
    city: str
    degrees: int


def test_structured_output_through_text_format(client, emulator):
    parsed = client.responses.parse(model="gpt-4", input="weather in Oslo", text_format=Weather)
    assert parsed.output_parsed == Weather(city="emulated", degrees=1)
    schema = last_run(emulator)["body"]["response_format"]
    assert schema["type"] == "json_schema"
    assert schema["json_schema"]["properties"]["degrees"] == {"type": "integer", "title": "Degrees"}


def test_json_object_format(client, emulator, openai_schemas):
    body = create(
        client, openai_schemas, model="gpt-4", input="hi", text={"format": {"type": "json_object"}}
    )
    assert isinstance(json.loads(body["output_text"]), dict)
    assert last_run(emulator)["body"]["response_format"] == {"type": "json_object"}


def test_reasoning_models_give_a_reasoning_item(client, emulator, openai_schemas):
    body = create(client, openai_schemas, model=BACKUP, input="think", reasoning={"effort": "high"})
    reasoning, message = body["output"]
    assert reasoning["type"] == "reasoning"
    assert reasoning["content"][0]["type"] == "reasoning_text"
    assert reasoning["content"][0]["text"].startswith("The user wrote to me.")
    assert message["type"] == "message"
    assert body["reasoning"]["effort"] == "high"
    assert last_run(emulator)["body"]["reasoning_effort"] == "high"


def test_the_token_limit_makes_the_response_incomplete(client, emulator, openai_schemas):
    body = create(client, openai_schemas, model="gpt-4", input="long answer", max_output_tokens=5)
    assert body["status"] == "incomplete"
    assert body["incomplete_details"] == {"reason": "max_output_tokens"}
    assert body["usage"]["output_tokens"] == 5


def test_previous_response_id_continues_the_conversation(client, emulator, openai_schemas):
    first = create(
        client, openai_schemas, model="gpt-4", input="my name is Ada", metadata={"a": "1"}
    )
    second = create(
        client,
        openai_schemas,
        model="gpt-4",
        input="what is my name?",
        previous_response_id=first["id"],
    )
    third = create(
        client, openai_schemas, model="gpt-4", input="and again?", previous_response_id=second["id"]
    )
    assert third["previous_response_id"] == second["id"]
    assert first["metadata"] == {"a": "1"}
    messages = sent_messages(emulator)
    assert [m["role"] for m in messages] == ["user", "assistant"] * 2 + ["user"]
    assert messages[0]["content"] == "my name is Ada"
    assert messages[1]["content"] == first["output_text"]
    assert messages[3]["content"] == second["output_text"]


def test_instructions_are_not_carried_over(client, emulator, openai_schemas):
    first = create(client, openai_schemas, model="gpt-4", input="a", instructions="Be terse.")
    create(client, openai_schemas, model="gpt-4", input="b", previous_response_id=first["id"])
    assert all(m["role"] != "system" for m in sent_messages(emulator))


def test_stored_responses_can_be_read_listed_and_deleted(client, gateway, emulator, openai_schemas):
    items = [{"role": "user", "content": f"message {i}"} for i in range(5)]
    created = create(client, openai_schemas, model="gpt-4", input=items)
    stored = client.responses.with_raw_response.retrieve(created["id"]).http_response.json()
    assert stored == created
    raw = httpx.get(
        f"{gateway.url}/v1/responses/{created['id']}/input_items",
        headers={"authorization": f"Bearer {gateway.api_key}"},
    )
    listing = raw.json()
    openai_schemas.validate("ResponseItemList", listing)
    texts = [item["content"][0]["text"] for item in listing["data"]]
    assert texts == [f"message {i}" for i in reversed(range(5))]
    assert listing["has_more"] is False

    page = client.responses.input_items.list(created["id"], order="asc", limit=2)
    assert [item.content[0].text for item in page.data] == ["message 0", "message 1"]
    assert page.has_more is True
    every = [
        item.content[0].text
        for item in client.responses.input_items.list(created["id"], order="asc", limit=2)
    ]
    assert every == [f"message {i}" for i in range(5)]

    client.responses.delete(created["id"])
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created["id"])
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(created["id"])


def test_store_false_saves_nothing(client, emulator, openai_schemas):
    body = create(client, openai_schemas, model="gpt-4", input="forget me", store=False)
    assert body["store"] is False
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(body["id"])


def test_a_response_belongs_to_the_key_that_created_it(gateway, emulator, openai_schemas):
    owner = sdk(gateway, KEYS[0])
    created = owner.responses.create(model="gpt-4", input="secret plans")
    headers = {"authorization": f"Bearer {KEYS[1]}"}
    for method, path in [
        ("GET", f"/v1/responses/{created.id}"),
        ("GET", f"/v1/responses/{created.id}/input_items"),
        ("DELETE", f"/v1/responses/{created.id}"),
    ]:
        response = httpx.request(method, f"{gateway.url}{path}", headers=headers)
        assert_error(response, 404, openai_schemas, code="response_not_found")
    continued = post_response(
        gateway, {"model": "gpt-4", "input": "x", "previous_response_id": created.id}, key=KEYS[1]
    )
    assert_error(continued, 404, openai_schemas, param="previous_response_id")
    assert "secret plans" not in continued.text
    assert owner.responses.retrieve(created.id).id == created.id


def test_an_unknown_previous_response_is_a_404(gateway, emulator, openai_schemas):
    response = post_response(
        gateway, {"model": "gpt-4", "input": "x", "previous_response_id": "resp_nope"}
    )
    assert_error(response, 404, openai_schemas, param="previous_response_id")
    assert emulator.requests() == []


@pytest.mark.parametrize(
    ("change", "param", "words"),
    [
        ({"tool_choice": {"type": "web_search_preview"}}, "tool_choice", "web_search_preview"),
        ({"background": True}, "background", "background"),
        ({"include": ["message.output_text.logprobs"]}, "include", "remove"),
        ({"include": ["reasoning.everything"]}, "include[0]", "reasoning.encrypted_content"),
        ({"conversation": "conv_1"}, "conversation", "previous_response_id"),
        ({"prompt": {"id": "pmpt_1"}}, "prompt", "prompt"),
        ({"context_management": [{"type": "compaction"}]}, "context_management", "compact"),
        ({"moderation": {"model": "omni-moderation-latest"}}, "moderation", "moderation"),
        ({"truncation": "auto"}, "truncation", "disabled"),
        ({"text": {"verbosity": "low"}}, "text.verbosity", "medium"),
        ({"reasoning": {"mode": "pro"}}, "reasoning.mode", "standard"),
        ({"top_logprobs": 3}, "top_logprobs", "0"),
        (
            {"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]},
            "input[0].content[0]",
            "input_file",
        ),
        (
            {"input": [{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}]},
            "input[0].content[0]",
            "Files API",
        ),
        (
            {"input": [{"role": "system", "content": [{"type": "input_image", "image_url": PNG}]}]},
            "input[0].content[0]",
            "user messages",
        ),
        ({"input": None}, None, "previous_response_id"),
        ({"metadata": {str(i): "v" for i in range(17)}}, "metadata", "16"),
    ],
)
def test_what_cannot_be_honoured_is_refused(
    gateway, emulator, openai_schemas, change, param, words
):
    response = post_response(gateway, {"model": "gpt-4", "input": "hi"} | change)
    error = assert_error(response, 400, openai_schemas, param=param)
    assert words in error["message"]
    assert emulator.requests() == []


def test_a_tool_call_written_as_text_by_gpt_oss_becomes_a_function_call(
    client, emulator, openai_schemas
):
    body = create(
        client,
        openai_schemas,
        model="gpt-4o-mini",
        input="get_weather please (tool-as-text)",
        tools=[WEATHER],
    )
    calls = [item for item in body["output"] if item["type"] == "function_call"]
    assert [call["name"] for call in calls] == ["get_weather"]
    assert body["output_text"] == ""


def test_input_items_pagination_refuses_an_unknown_cursor(
    gateway, client, emulator, openai_schemas
):
    created = client.responses.create(model="gpt-4", input="one")
    response = httpx.get(
        f"{gateway.url}/v1/responses/{created.id}/input_items",
        params={"after": "msg_unknown"},
        headers={"authorization": f"Bearer {gateway.api_key}"},
    )
    assert_error(response, 400, openai_schemas, param="after")
    too_many = httpx.get(
        f"{gateway.url}/v1/responses/{created.id}/input_items",
        params={"limit": 101},
        headers={"authorization": f"Bearer {gateway.api_key}"},
    )
    assert_error(too_many, 400, openai_schemas, param="limit")


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_the_backup_answers_when_the_primary_is_busy(client, emulator, stream):
    emulator.add_fault(model=PRIMARY, code=3040)
    raw = client.responses.with_raw_response.create(model="gpt-4", input="busy?", stream=stream)
    assert raw.headers["x-gateway-model"] == BACKUP
    response = raw.parse()
    final = list(response)[-1].response if stream else response
    assert final.status == "completed"
    assert [r["model"] for r in emulator.requests() if r["route"] == "run"] == [PRIMARY, BACKUP]


def test_upstream_errors_use_openais_envelope(gateway, emulator, openai_schemas):
    emulator.add_fault(model="*", code=3036, times=None)
    response = post_response(gateway, {"model": "gpt-4", "input": "x"})
    assert_error(response, 429, openai_schemas, code="daily_quota_exceeded")


def test_earlier_reasoning_goes_back_to_a_reasoning_model(client, emulator, openai_schemas):
    first = create(client, openai_schemas, model=BACKUP, input="think first")
    reasoning = first["output"][0]["content"][0]["text"]
    create(client, openai_schemas, model=BACKUP, input="again", previous_response_id=first["id"])
    assistant = sent_messages(emulator)[1]
    assert assistant["role"] == "assistant"
    assert assistant["reasoning"] == reasoning
    assert assistant["content"] == first["output_text"]
    # Resent by hand (as the Agents SDK does), a reasoning item goes the same way.
    create(
        client,
        openai_schemas,
        model=BACKUP,
        store=False,
        input=[
            {"role": "user", "content": "think first"},
            first["output"][0],
            first["output"][1],
            {"role": "user", "content": "again"},
        ],
    )
    assert sent_messages(emulator)[1] == assistant


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_parallel_tool_calls_false_keeps_one_call(client, emulator, stream):
    other = {"type": "function", "name": "get_time", "parameters": {"type": "object"}}
    params = {"model": "gpt-4", "input": "get_weather and get_time", "tools": [WEATHER, other]}
    both = client.responses.create(**params)
    assert [item.name for item in both.output] == ["get_weather", "get_time"]
    one = client.responses.create(**params, parallel_tool_calls=False, stream=stream)
    final = list(one)[-1].response if stream else one
    assert [item.name for item in final.output] == ["get_weather"]


def test_an_image_error_names_the_clients_input_item(gateway, client, emulator, openai_schemas):
    """`input[i]` counts the client's items, whatever the chat conversation looks like:
    instructions, a stored conversation and merged function calls all add or fold messages."""
    first = create(client, openai_schemas, model=PRIMARY, input="hello", instructions="Be brief.")
    calls = [
        {"type": "function_call", "call_id": f"call_{n}", "name": "get_weather", "arguments": "{}"}
        for n in (1, 2)
    ]
    outputs = [
        {"type": "function_call_output", "call_id": f"call_{n}", "output": "sunny"} for n in (1, 2)
    ]
    bad_image = {"type": "input_image", "image_url": "data:image/png,not-base64"}
    items = [
        {"role": "user", "content": "weather twice?"},
        *calls,
        *outputs,
        {"role": "user", "content": [{"type": "input_text", "text": "and this?"}, bad_image]},
    ]
    body = {
        "model": PRIMARY,
        "instructions": "Be brief.",
        "previous_response_id": first["id"],
        "tools": [WEATHER],
        "input": items,
    }
    emulator.clear()
    error = assert_error(
        post_response(gateway, body), 400, openai_schemas, param="input[5].content[1].image_url"
    )
    assert "base64" in error["message"]
    assert emulator.requests() == []
    # The same item alone, first of its conversation, has the same name for its index.
    alone = {"model": PRIMARY, "input": [{"role": "user", "content": "hi"}, items[-1]]}
    assert_error(
        post_response(gateway, alone), 400, openai_schemas, param="input[1].content[1].image_url"
    )


def test_every_chat_message_is_named_by_the_item_it_came_from():
    """The rule under the image params: merged function calls and a reasoning item folded into
    the next turn keep the numbering of the client's items; stored items are named by
    `previous_response_id`, the instructions by `instructions`."""
    history = [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "a"}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "b"}]},
    ]
    calls = [
        {"type": "function_call", "call_id": f"c{n}", "name": "f", "arguments": "{}"}
        for n in (1, 2)
    ]
    items = [
        {"type": "reasoning", "summary": [], "content": [{"type": "reasoning_text", "text": "r"}]},
        *calls,
        {"type": "function_call_output", "call_id": "c1", "output": "x"},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "c"}]},
    ]
    messages, sources = upstream_messages("Be brief.", history + items)
    assert [m["role"] for m in messages] == [
        "system",
        "user",
        "assistant",
        "assistant",
        "tool",
        "user",
    ]
    assert len(messages[3]["tool_calls"]) == 2 and messages[3]["reasoning"] == "r"
    req = CreateResponseRequest(model="m", input=[])
    assert message_params(req, sources, len(history)) == [
        "instructions",
        "previous_response_id",
        "previous_response_id",
        "input[1]",
        "input[3]",
        "input[4]",
    ]


def test_include_reasoning_encrypted_content_works_statelessly(client, emulator, openai_schemas):
    """Codex-style: `store: false`, `include: ["reasoning.encrypted_content"]`, and each turn
    resends the output items. Reasoning is never encrypted here: the reasoning item has no
    `encrypted_content` (the schema lets it be absent) and carries the text in `content`, which
    goes back upstream with the next turn."""
    include = ["reasoning.encrypted_content"]
    first = create(
        client, openai_schemas, model=BACKUP, input="think first", store=False, include=include
    )
    reasoning = first["output"][0]
    assert reasoning["type"] == "reasoning" and "encrypted_content" not in reasoning
    text = reasoning["content"][0]["text"]
    assert text
    create(
        client,
        openai_schemas,
        model=BACKUP,
        store=False,
        include=include,
        input=[
            {"role": "user", "content": "think first"},
            *first["output"],
            {"role": "user", "content": "again"},
        ],
    )
    assistant = sent_messages(emulator)[1]
    assert assistant["role"] == "assistant" and assistant["reasoning"] == text
