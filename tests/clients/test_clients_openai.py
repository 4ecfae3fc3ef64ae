"""Client matrix: the official `openai` Python SDK, sync and async, used the way applications
use it (parse helpers, the .stream() helper, tool round trips, legacy completions, embeddings in
both encodings, error classes), against the gateway with the emulator upstream."""

from __future__ import annotations

import asyncio
import base64
import json
import struct

import openai
import pytest
from clients.weather import TOOL_RESULT, WEATHER_TOOL, Weather
from helpers import PRIMARY, GatewayServer, last_run
from matrix import EXPECTED_WEATHER, REASONING_ALIAS, embedding_of, said, tool_returned

from emulator.text import REASONING


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def async_sdk(server: GatewayServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=f"{server.url}/v1", api_key=server.api_key, max_retries=0, timeout=30
    )


def assert_usage_adds_up(usage: openai.types.CompletionUsage | None) -> None:
    assert usage is not None
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


# --- sync ---------------------------------------------------------------------------------------


def test_create_answers_the_message_under_the_requested_name(client, emulator):
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=user("Paris?"))
    completion = raw.parse()
    assert said("Paris?") in completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    assert_usage_adds_up(completion.usage)
    assert completion.model == "gpt-4o", "the model field echoes the name the client asked for"
    assert raw.headers["x-gateway-model"] == PRIMARY


def test_stream_helper_delivers_deltas_and_the_final_completion(client, emulator):
    with client.chat.completions.stream(
        model="gpt-4o", messages=user("stream it"), stream_options={"include_usage": True}
    ) as stream:
        deltas = [event.delta for event in stream if event.type == "content.delta"]
        final = stream.get_final_completion()
    assert len(deltas) > 3
    assert "".join(deltas) == final.choices[0].message.content
    assert said("stream it") in final.choices[0].message.content
    assert final.choices[0].finish_reason == "stop"
    assert_usage_adds_up(final.usage)


def test_parse_returns_the_pydantic_object(client, emulator):
    completion = client.chat.completions.parse(
        model="gpt-4o", messages=user("Weather in Paris as JSON"), response_format=Weather
    )
    assert completion.choices[0].message.parsed == EXPECTED_WEATHER
    sent = last_run(emulator)["body"]
    assert sent["response_format"]["type"] == "json_schema"


def test_stream_helper_parses_structured_output(client, emulator):
    with client.chat.completions.stream(
        model="gpt-4o", messages=user("Weather in Paris as JSON"), response_format=Weather
    ) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.parsed == EXPECTED_WEATHER


def test_tool_call_then_a_second_turn_with_the_tool_result(client, emulator):
    messages = user("Use get_weather for Paris")
    first = client.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER_TOOL])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "emulated"}

    messages += [
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": TOOL_RESULT},
    ]
    second = client.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER_TOOL])
    assert tool_returned(TOOL_RESULT) in second.choices[0].message.content
    assert second.choices[0].finish_reason == "stop"


def test_pydantic_function_tool_parses_the_arguments(client, emulator):
    class GetWeather(Weather):
        """The weather in a city."""

    completion = client.chat.completions.parse(
        model="gpt-4o",
        messages=user("Use GetWeather for Paris"),
        tools=[openai.pydantic_function_tool(GetWeather)],
    )
    (call,) = completion.choices[0].message.tool_calls
    assert call.function.parsed_arguments == GetWeather(**EXPECTED_WEATHER.model_dump())


@pytest.mark.parametrize(
    "tool_choice",
    [{"type": "function", "function": {"name": "get_weather"}}, "required"],
    ids=["named", "required"],
)
def test_forced_tool_choice_calls_the_tool(client, emulator, tool_choice):
    completion = client.chat.completions.create(
        model="gpt-4o", messages=user("Paris?"), tools=[WEATHER_TOOL], tool_choice=tool_choice
    )
    assert completion.choices[0].finish_reason == "tool_calls"
    assert [c.function.name for c in completion.choices[0].message.tool_calls] == ["get_weather"]


def test_tool_choice_none_answers_in_text(client, emulator):
    completion = client.chat.completions.create(
        model="gpt-4o",
        messages=user("Use get_weather for Paris"),
        tools=[WEATHER_TOOL],
        tool_choice="none",
    )
    assert not completion.choices[0].message.tool_calls
    assert said("Use get_weather for Paris") in completion.choices[0].message.content


def test_reasoning_under_both_names_whole_and_streamed(client, emulator):
    """gpt-oss's reasoning as `reasoning` (what OpenAI's gpt-oss tests and the Agents SDK read)
    and `reasoning_content`, on the message and on the deltas."""
    message = (
        client.chat.completions.create(model=REASONING_ALIAS, messages=user("Think?"))
        .choices[0]
        .message
    )
    assert message.model_extra == {"reasoning": REASONING, "reasoning_content": REASONING}
    assert said("Think?") in message.content
    stream = client.chat.completions.create(
        model=REASONING_ALIAS, messages=user("Think?"), stream=True
    )
    deltas = [chunk.choices[0].delta for chunk in stream if chunk.choices]
    for name in ("reasoning", "reasoning_content"):
        assert "".join((d.model_extra or {}).get(name) or "" for d in deltas) == REASONING
    assert "".join(d.content or "" for d in deltas) == message.content


def test_legacy_completions_whole_and_streamed(client, emulator):
    completion = client.completions.create(model="gpt-4o", prompt="Once upon", max_tokens=64)
    assert said("Once upon") in completion.choices[0].text
    assert_usage_adds_up(completion.usage)
    chunks = list(
        client.completions.create(model="gpt-4o", prompt="Once upon", max_tokens=64, stream=True)
    )
    assert "".join(c.choices[0].text for c in chunks if c.choices) == completion.choices[0].text


def floats(embedding: list[float] | str) -> list[float]:
    """An embedding as floats: base64 is little-endian float32, as OpenAI sends it."""
    if isinstance(embedding, list):
        return embedding
    packed = base64.b64decode(embedding)
    return list(struct.unpack(f"<{len(packed) // 4}f", packed))


@pytest.mark.parametrize("encoding_format", ["float", "base64", openai.NOT_GIVEN])
def test_embeddings_in_each_encoding(client, emulator, encoding_format):
    # Not given, the SDK asks for base64 and decodes it itself; asked for, it hands it over.
    result = client.embeddings.create(
        model="text-embedding-3-small", input=["hello", "world"], encoding_format=encoding_format
    )
    assert [row.index for row in result.data] == [0, 1]
    assert floats(result.data[0].embedding) == pytest.approx(embedding_of("hello"), rel=1e-6)
    assert floats(result.data[1].embedding) == pytest.approx(embedding_of("world"), rel=1e-6)
    assert result.usage.prompt_tokens == result.usage.total_tokens
    assert result.model == "text-embedding-3-small"


def test_error_classes(client, gateway, emulator):
    with pytest.raises(openai.AuthenticationError) as caught:
        openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="sk-wrong", max_retries=0).models.list()
    assert caught.value.status_code == 401
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-17", messages=user("hi"))
    assert (caught.value.code, caught.value.param) == ("model_not_found", "model")
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=user("hi"), temperature=3)
    assert (caught.value.type, caught.value.param) == ("invalid_request_error", "temperature")
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-17")


# --- async --------------------------------------------------------------------------------------


def test_async_client(gateway, emulator):
    """The async client: concurrent calls, streaming, the parse and stream helpers, a tool round
    trip, embeddings and an error class, on one event loop."""

    async def scenario() -> None:
        async with async_sdk(gateway) as client:
            first, second = await asyncio.gather(
                client.chat.completions.create(model="gpt-4o", messages=user("one")),
                client.chat.completions.create(model="gpt-4o-mini", messages=user("two")),
            )
            assert said("one") in first.choices[0].message.content
            assert said("two") in second.choices[0].message.content

            stream = await client.chat.completions.create(
                model="gpt-4o",
                messages=user("async stream"),
                stream=True,
                stream_options={"include_usage": True},
            )
            chunks = [chunk async for chunk in stream]
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            assert said("async stream") in text
            assert_usage_adds_up(chunks[-1].usage)

            parsed = await client.chat.completions.parse(
                model="gpt-4o", messages=user("Weather as JSON"), response_format=Weather
            )
            assert parsed.choices[0].message.parsed == EXPECTED_WEATHER

            async with client.chat.completions.stream(
                model="gpt-4o", messages=user("Use get_weather for Paris"), tools=[WEATHER_TOOL]
            ) as helper:
                async for _ in helper:
                    pass
                final = await helper.get_final_completion()
            (call,) = final.choices[0].message.tool_calls
            answer = await client.chat.completions.create(
                model="gpt-4o",
                messages=[
                    *user("Use get_weather for Paris"),
                    final.choices[0].message.model_dump(exclude_none=True, exclude={"parsed"}),
                    {"role": "tool", "tool_call_id": call.id, "content": TOOL_RESULT},
                ],
            )
            assert tool_returned(TOOL_RESULT) in answer.choices[0].message.content

            vectors = await client.embeddings.create(model="text-embedding-3-small", input="hi")
            assert vectors.data[0].embedding == pytest.approx(embedding_of("hi"), rel=1e-6)

            with pytest.raises(openai.NotFoundError):
                await client.chat.completions.create(model="gpt-17", messages=user("hi"))

    asyncio.run(scenario())
