"""LiteLLM as a client of the gateway (its `openai/` provider with `api_base`): run by
tests/clients/test_clients_litellm.py in a process of its own, since importing litellm changes
process-wide settings (TIKTOKEN_CACHE_DIR, logging)."""

from __future__ import annotations

import json
import os
from typing import Any

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # no cost-map download at import

import litellm
import openai
from casebook import API_KEY, BASE_URL, case, main
from weather import TOOL_RESULT, WEATHER_TOOL, Weather

litellm.suppress_debug_info = True
CLIENT = {"api_base": BASE_URL, "api_key": API_KEY, "num_retries": 0, "timeout": 30}


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def answer(response: Any) -> dict[str, Any]:
    choice = response.choices[0]
    calls = choice.message.tool_calls or []
    return {
        "content": choice.message.content,
        "finish_reason": choice.finish_reason,
        "tool_calls": [[c.function.name, json.loads(c.function.arguments)] for c in calls],
        "usage": dict(response.usage.model_dump(include={"prompt_tokens", "completion_tokens"})),
    }


@case
def completion() -> dict[str, Any]:
    response = litellm.completion(model="openai/gpt-4o", messages=user("Paris?"), **CLIENT)
    return answer(response) | {"model": response.model}


@case
def stream() -> dict[str, Any]:
    chunks = list(
        litellm.completion(
            model="openai/gpt-4o",
            messages=user("stream it"),
            stream=True,
            stream_options={"include_usage": True},
            **CLIENT,
        )
    )
    whole = litellm.stream_chunk_builder(chunks)
    return answer(whole) | {"chunks": len(chunks)}


@case
def reasoning() -> dict[str, Any]:
    """gpt-oss behind gpt-4o-mini: LiteLLM reads `reasoning_content`, whole and streamed."""
    whole = litellm.completion(model="openai/gpt-4o-mini", messages=user("Think?"), **CLIENT)
    chunks = litellm.completion(
        model="openai/gpt-4o-mini", messages=user("Think?"), stream=True, **CLIENT
    )
    streamed = "".join(
        getattr(chunk.choices[0].delta, "reasoning_content", None) or "" for chunk in chunks
    )
    return {
        "content": whole.choices[0].message.content,
        "reasoning": whole.choices[0].message.reasoning_content,
        "streamed_reasoning": streamed,
    }


@case
def tool_round_trip() -> dict[str, Any]:
    messages = user("Use get_weather for Paris")
    first = litellm.completion(
        model="openai/gpt-4o", messages=messages, tools=[WEATHER_TOOL], **CLIENT
    )
    call = first.choices[0].message.tool_calls[0]
    messages += [
        first.choices[0].message.model_dump(),
        {"role": "tool", "tool_call_id": call.id, "content": TOOL_RESULT},
    ]
    second = litellm.completion(
        model="openai/gpt-4o", messages=messages, tools=[WEATHER_TOOL], **CLIENT
    )
    return {"first": answer(first), "second": answer(second)}


@case
def forced_tool() -> dict[str, Any]:
    response = litellm.completion(
        model="openai/gpt-4o",
        messages=user("Paris?"),
        tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        **CLIENT,
    )
    return answer(response)


@case
def structured_output() -> dict[str, Any]:
    response = litellm.completion(
        model="openai/gpt-4o", messages=user("Paris as JSON"), response_format=Weather, **CLIENT
    )
    return Weather.model_validate_json(response.choices[0].message.content).model_dump()


@case
async def async_completion() -> dict[str, Any]:
    response = await litellm.acompletion(model="openai/gpt-4o", messages=user("async"), **CLIENT)
    return answer(response)


@case
def embedding() -> list[list[float]]:
    response = litellm.embedding(
        model="openai/text-embedding-3-small", input=["hello", "world"], **CLIENT
    )
    return [row["embedding"] for row in response.data]


@case
def errors() -> list[str]:
    raised = []
    for model, key, extra in (  # 401, 404 and 400
        ("openai/gpt-4o", "sk-wrong", {}),
        ("openai/gpt-17", API_KEY, {}),
        ("openai/gpt-4o", API_KEY, {"temperature": 3}),
    ):
        try:
            litellm.completion(
                model=model, messages=user("hi"), **CLIENT | {"api_key": key} | extra
            )
            raised.append("nothing")
        except openai.APIStatusError as error:  # litellm's classes subclass the SDK's
            raised.append(type(error).__name__)
    return raised


if __name__ == "__main__":
    main()
