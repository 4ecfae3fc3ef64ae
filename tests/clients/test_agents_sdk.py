"""The OpenAI Agents SDK against the gateway: one agent with one function tool completes a
tool-using run over the Responses API, whole and streamed. Tracing is off, so nothing leaves
loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import agents
import openai
import pytest
from agents import Agent, OpenAIResponsesModel, RunConfig, Runner, function_tool
from helpers import upstream_runs

CITIES: list[str] = []


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    CITIES.append(city)
    return f"sunny in {city}"


@pytest.fixture
def agent(gateway, emulator) -> Iterator[Agent]:
    agents.set_tracing_disabled(True)
    CITIES.clear()
    client = openai.AsyncOpenAI(base_url=f"{gateway.url}/v1", api_key=gateway.api_key)
    yield Agent(
        name="weather",
        instructions="Answer with the weather.",
        tools=[get_weather],
        model=OpenAIResponsesModel(model="gpt-4", openai_client=client),
    )


def run(agent: Agent, streamed: bool, **options: Any) -> Any:
    config = RunConfig(tracing_disabled=True)
    prompt = "What is the weather? Use get_weather."

    async def go() -> Any:
        if not streamed:
            return await Runner.run(agent, prompt, run_config=config, **options)
        result = Runner.run_streamed(agent, prompt, run_config=config, **options)
        async for _ in result.stream_events():
            pass
        return result

    return asyncio.run(go())


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize("chained", [False, True], ids=["resent", "previous_response_id"])
def test_an_agent_completes_a_tool_using_run(agent, emulator, streamed, chained):
    result = run(agent, streamed, auto_previous_response_id=chained)
    assert CITIES == ["emulated"]
    assert result.final_output.endswith('the tool returned "sunny in emulated".')
    first, second = upstream_runs(emulator)
    assert first["body"]["messages"][0] == {"role": "system", "content": "Answer with the weather."}
    assert second["body"]["messages"][-1]["role"] == "tool"
    assert second["body"]["messages"][-1]["content"] == "sunny in emulated"
