"""Chat completions without streaming, through the OpenAI SDK, checked against OpenAI's schema."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import openai
import pytest
from helpers import BACKUP, PRIMARY, last_run, upstream_runs

TEXT_ONLY = "@cf/meta/llama-3.3-70b-instruct-fp8-fast"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"],
        },
    },
}


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def test_chat_answers_in_openai_shape(client, emulator, openai_schemas):
    raw = client.chat.completions.with_raw_response.create(model="gpt-4", messages=user("Hello"))
    completion = raw.parse()
    openai_schemas.validate("CreateChatCompletionResponse", raw.http_response.json())
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == "gpt-4", "the model field echoes the name asked for"
    assert raw.headers["x-gateway-model"] == PRIMARY
    assert '"Hello"' in completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"


def test_usage_is_the_upstreams_own(client, emulator, gateway):
    completion = client.chat.completions.create(
        model=PRIMARY, messages=user("count my words please")
    )
    sent = last_run(emulator)
    direct = httpx.post(
        f"{emulator.base_url}/run/{PRIMARY}",
        json=sent["body"],
        headers={"authorization": "Bearer t"},
    ).json()["result"]
    assert completion.usage.model_dump(include={"prompt_tokens", "completion_tokens"}) == {
        "prompt_tokens": direct["usage"]["prompt_tokens"],
        "completion_tokens": direct["usage"]["completion_tokens"],
    }
    assert completion.choices[0].message.content == direct["response"]


@pytest.mark.parametrize(
    ("alias", "model"),
    [
        ("gpt-4", PRIMARY),
        ("gpt-4o", PRIMARY),
        ("gpt-4-turbo", PRIMARY),
        ("gpt-3.5-turbo", BACKUP),
        ("gpt-4o-mini", BACKUP),
        (TEXT_ONLY, TEXT_ONLY),
    ],
)
def test_aliases_and_model_names(client, emulator, alias, model):
    raw = client.chat.completions.with_raw_response.create(model=alias, messages=user("hi"))
    assert raw.parse().model == alias
    assert raw.headers["x-gateway-model"] == model
    assert last_run(emulator)["model"] == model


def test_a_max_tokens_is_always_sent(client, emulator, gateway):
    client.chat.completions.create(model="gpt-4", messages=user("hi"))
    assert last_run(emulator)["body"]["max_tokens"] == gateway.settings.default_max_tokens
    client.chat.completions.create(model="gpt-4", messages=user("hi"), max_tokens=7)
    assert last_run(emulator)["body"]["max_tokens"] == 7
    client.chat.completions.create(
        model="gpt-4", messages=user("hi"), max_tokens=7, max_completion_tokens=9
    )
    assert last_run(emulator)["body"]["max_tokens"] == 9


def test_a_small_max_tokens_ends_with_length(client, emulator):
    completion = client.chat.completions.create(
        model="gpt-4", messages=user("give me a long answer"), max_tokens=5
    )
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens == 5


def test_sampling_parameters_are_mapped_and_penalties_clamped(client, emulator):
    client.chat.completions.create(
        model="gpt-4",
        messages=user("hi"),
        temperature=0.3,
        top_p=0.9,
        seed=42,
        frequency_penalty=-1.5,
        presence_penalty=1.2,
    )
    body = last_run(emulator)["body"]
    assert body["temperature"] == 0.3
    assert body["top_p"] == 0.9
    assert body["seed"] == 42
    assert body["frequency_penalty"] == 0.0
    assert body["presence_penalty"] == 1.2


def test_system_messages_and_null_content_are_adapted(client, emulator):
    client.chat.completions.create(
        model="gpt-4",
        messages=[
            {"role": "developer", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "part one"}]},
            {"role": "assistant", "content": None},
            {"role": "user", "content": "again"},
        ],
    )
    messages = last_run(emulator)["body"]["messages"]
    assert messages[0] == {"role": "system", "content": "be brief"}
    assert messages[1] == {"role": "user", "content": "part one"}
    assert messages[2]["content"] == ""


def test_stop_sequences_cut_the_answer(client, emulator):
    completion = client.chat.completions.create(
        model="gpt-4", messages=user("hello"), stop=["reply"]
    )
    choice = completion.choices[0]
    assert choice.message.content == "This is an emulated "
    assert choice.finish_reason == "stop"


def test_tool_calls_get_ids_and_json_arguments(client, emulator, openai_schemas):
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4", messages=user("what does get_weather say for Paris?"), tools=[WEATHER_TOOL]
    )
    openai_schemas.validate("CreateChatCompletionResponse", raw.http_response.json())
    choice = raw.parse().choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.id.startswith("call_")
    assert call.function.name == "get_weather"
    assert "city" in json.loads(call.function.arguments)
    assert last_run(emulator)["body"]["tools"][0]["function"]["name"] == "get_weather"


def test_tool_choice_none_is_sent_upstream_and_gives_text(client, emulator):
    completion = client.chat.completions.create(
        model="gpt-4", messages=user("get_weather please"), tools=[WEATHER_TOOL], tool_choice="none"
    )
    assert completion.choices[0].message.tool_calls is None
    assert completion.choices[0].finish_reason == "stop"
    assert last_run(emulator)["body"]["tool_choice"] == "none"


def test_gpt_oss_tool_call_written_as_text_is_recovered(client, emulator):
    completion = client.chat.completions.create(
        model="gpt-3.5-turbo",
        messages=user("tool-as-text: call get_weather for Oslo"),
        tools=[WEATHER_TOOL],
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls[0].function.name == "get_weather"
    assert not choice.message.content


def test_json_schema_mode_sends_the_bare_schema_and_returns_a_string(client, emulator):
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    completion = client.chat.completions.create(
        model="gpt-4",
        messages=user("a person as JSON"),
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "person", "schema": schema, "strict": True},
        },
    )
    assert last_run(emulator)["body"]["response_format"] == {
        "type": "json_schema",
        "json_schema": schema,
    }
    assert set(json.loads(completion.choices[0].message.content)) == {"name", "age"}


def test_gpt_oss_reasoning_stays_out_of_content(client, emulator):
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-3.5-turbo", messages=user("think first"), reasoning_effort="high"
    )
    message = raw.http_response.json()["choices"][0]["message"]
    assert message["reasoning_content"]
    assert message["reasoning_content"] not in message["content"]
    assert message["content"].startswith("This is an emulated reply")
    assert last_run(emulator)["body"]["reasoning_effort"] == "high"


@pytest.fixture
def image_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/hop/"):
                hops = int(self.path.removeprefix("/hop/"))
                self.send_response(302)
                self.send_header("location", f"/hop/{hops - 1}" if hops > 1 else "/cat.png")
                self.end_headers()
            elif self.path == "/cat.png":
                self.send_response(200)
                self.send_header("content-type", "image/png")
                self.send_header("content-length", str(len(PNG)))
                self.end_headers()
                self.wfile.write(PNG)
            else:
                self.send_response(404)
                self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def image_message(url: str) -> list[dict]:
    return [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this image?"},
                {"type": "image_url", "image_url": {"url": url}},
            ],
        }
    ]


def test_image_urls_are_inlined_as_data_uris(client, emulator, image_server):
    client.chat.completions.create(model="gpt-4", messages=image_message(f"{image_server}/cat.png"))
    parts = last_run(emulator)["body"]["messages"][0]["content"]
    expected = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert parts[1] == {"type": "image_url", "image_url": {"url": expected}}


def test_image_redirects_are_followed_a_few_times(client, emulator, image_server):
    client.chat.completions.create(model="gpt-4", messages=image_message(f"{image_server}/hop/3"))
    url = last_run(emulator)["body"]["messages"][0]["content"][1]["image_url"]["url"]
    assert url == "data:image/png;base64," + base64.b64encode(PNG).decode()
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="gpt-4", messages=image_message(f"{image_server}/hop/9")
        )
    assert "redirects too many times" in caught.value.body["message"]


def test_data_uri_images_pass_through(client, emulator):
    uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4", messages=image_message(uri)
    )
    assert raw.headers["x-gateway-model"] == PRIMARY
    assert last_run(emulator)["body"]["messages"][0]["content"][1]["image_url"]["url"] == uri


def test_an_image_that_cannot_be_fetched_is_a_clear_400(client, emulator, image_server):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="gpt-4", messages=image_message(f"{image_server}/missing.png")
        )
    assert caught.value.body["code"] == "invalid_image_url"
    assert not upstream_runs(emulator)


def test_images_for_a_text_only_model_are_refused(client, emulator):
    uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=TEXT_ONLY, messages=image_message(uri))
    assert caught.value.body["code"] == "model_not_vision_capable"


def test_private_image_hosts_are_refused_by_default(start_gateway, emulator, image_server):
    with start_gateway(allow_private_image_urls=False) as gateway:
        response = httpx.post(
            f"{gateway.url}/v1/chat/completions",
            headers={"authorization": f"Bearer {gateway.api_key}"},
            json={"model": "gpt-4", "messages": image_message(f"{image_server}/cat.png")},
        )
    assert response.status_code == 400
    assert "not a public address" in response.json()["error"]["message"]
