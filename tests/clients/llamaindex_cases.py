"""LlamaIndex's `llama-index-llms-openai-like` (OpenAILike) as a client of the gateway: run by
tests/clients/test_clients_llamaindex.py with .venv-llamaindex's Python, since LlamaIndex pins an
older `openai` than the project's."""

from __future__ import annotations

from typing import Any

import openai
from casebook import API_KEY, BASE_URL, case, main
from llama_index.core.llms import ChatMessage, ChatResponse
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from llama_index.llms.openai_like import OpenAILike
from weather import Weather, get_weather


def llm(**overrides: Any) -> OpenAILike:
    settings: dict[str, Any] = {
        "model": "gpt-4o",
        "api_base": BASE_URL,
        "api_key": API_KEY,
        "is_chat_model": True,
        "is_function_calling_model": True,
        "context_window": 128_000,
        "max_retries": 0,
        "timeout": 30,
    }
    return OpenAILike(**settings | overrides)


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


def answer(response: ChatResponse) -> dict[str, Any]:
    usage = response.raw.usage if response.raw is not None else None
    return {
        "content": response.message.content,
        "usage": usage.model_dump(include={"prompt_tokens", "completion_tokens"}) if usage else {},
    }


@case
def chat() -> dict[str, Any]:
    return answer(llm().chat(user("Paris?")))


@case
def stream_chat() -> dict[str, Any]:
    chunks = list(llm().stream_chat(user("stream it")))
    return {"chunks": len(chunks), "content": "".join(c.delta or "" for c in chunks)}


@case
async def async_chat() -> dict[str, Any]:
    return answer(await llm().achat(user("async")))


@case
def complete() -> dict[str, Any]:
    """With is_chat_model=False, OpenAILike uses the legacy /completions endpoint."""
    return {"text": llm(is_chat_model=False, max_tokens=64).complete("Once upon").text}


@case
def tool_round_trip() -> dict[str, Any]:
    model = llm()
    tool = FunctionTool.from_defaults(fn=get_weather)
    messages = user("Use get_weather for Paris")
    first = model.chat_with_tools([tool], chat_history=messages)
    calls = model.get_tool_calls_from_response(first, error_on_no_tool_call=False)
    result = tool.call(**calls[0].tool_kwargs)
    messages += [
        first.message,
        ChatMessage(
            role="tool",
            content=str(result),
            additional_kwargs={"tool_call_id": calls[0].tool_id, "name": calls[0].tool_name},
        ),
    ]
    second = model.chat(messages)
    return {
        "calls": [[c.tool_name, c.tool_kwargs] for c in calls],
        "second": answer(second),
    }


@case
def structured_predict() -> dict[str, Any]:
    """A function-calling model: LlamaIndex forces the schema as a tool (tool_choice)."""
    prompt = PromptTemplate("What is it like in {city}?")
    return llm().structured_predict(Weather, prompt, city="Paris").model_dump()


@case
def errors() -> list[str]:
    raised = []
    for model in (
        llm(api_key="sk-wrong"),
        llm(model="gpt-17"),
        llm(additional_kwargs={"temperature": 3}),
    ):
        try:
            model.chat(user("hi"))
            raised.append("nothing")
        except openai.APIStatusError as error:
            raised.append(type(error).__name__)
    return raised


if __name__ == "__main__":
    main()
