"""The OpenAI Agents SDK against the gateway: one agent with one function tool completes a
tool-using run over the Responses API, whole and streamed, and a reasoning model's run with
`reasoning.summary` shows its reasoning where the SDK reads it. Tracing is off, so nothing leaves
loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import agents
import openai
import pytest
from agents import Agent, ModelSettings, OpenAIResponsesModel, RunConfig, Runner, function_tool
from agents.items import ReasoningItem
from helpers import BACKUP, upstream_runs
from openai.types.shared import Reasoning

from emulator.text import REASONING

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


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_a_run_with_reasoning_summary_shows_the_reasoning(gateway, emulator, streamed):
    agents.set_tracing_disabled(True)
    client = openai.AsyncOpenAI(base_url=f"{gateway.url}/v1", api_key=gateway.api_key)
    thinker = Agent(
        name="thinker",
        instructions="Think, then answer.",
        model=OpenAIResponsesModel(model=BACKUP, openai_client=client),
        model_settings=ModelSettings(reasoning=Reasoning(effort="low", summary="auto")),
    )
    summaries: list[str] = []

    async def go() -> Any:
        config = RunConfig(tracing_disabled=True)
        if not streamed:
            return await Runner.run(thinker, "Why is the sky blue?", run_config=config)
        result = Runner.run_streamed(thinker, "Why is the sky blue?", run_config=config)
        async for event in result.stream_events():
            data = getattr(event, "data", None)
            if getattr(data, "type", "") == "response.reasoning_summary_text.delta":
                summaries.append(data.delta)
        return result

    result = asyncio.run(go())
    [reasoning] = [item for item in result.new_items if isinstance(item, ReasoningItem)]
    assert [part.text for part in reasoning.raw_item.summary] == [REASONING]
    assert result.final_output.endswith('you said "Why is the sky blue?".')
    assert upstream_runs(emulator)[-1]["body"]["reasoning_effort"] == "low"
    if streamed:
        assert "".join(summaries) == REASONING
