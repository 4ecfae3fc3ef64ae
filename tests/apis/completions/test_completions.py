"""The legacy /v1/completions API and /v1/embeddings."""

from __future__ import annotations

import base64
import struct

import httpx
import openai
import pytest
from helpers import CF_TOKEN, PRIMARY, last_run


def test_completion_is_a_text_completion_on_the_prompt_form(client, emulator, openai_schemas):
    raw = client.completions.with_raw_response.create(model="gpt-4", prompt="Once upon a time")
    openai_schemas.validate("CreateCompletionResponse", raw.http_response.json())
    completion = raw.parse()
    assert completion.object == "text_completion"
    assert completion.id.startswith("cmpl-")
    assert completion.model == "gpt-4"
    assert raw.headers["x-gateway-model"] == PRIMARY
    assert '"Once upon a time"' in completion.choices[0].text
    body = last_run(emulator)["body"]
    assert body["prompt"] == "Once upon a time"
    assert "messages" not in body
    assert completion.usage.completion_tokens == len(completion.choices[0].text.split())


def test_legacy_default_max_tokens_is_openais_16(client, emulator):
    completion = client.completions.create(model="gpt-4", prompt="long answer please")
    assert last_run(emulator)["body"]["max_tokens"] == 16
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens == 16


def test_echo_prepends_the_prompt(client, emulator):
    completion = client.completions.create(model="gpt-4", prompt="Say hi", echo=True)
    assert completion.choices[0].text.startswith("Say hiThis is an emulated reply")


def test_echo_opens_a_stream_with_the_prompt(client, emulator):
    chunks = list(client.completions.create(model="gpt-4", prompt="Say hi", echo=True, stream=True))
    assert chunks[0].choices[0].text == "Say hi"
    text = "".join(chunk.choices[0].text for chunk in chunks)
    assert text.startswith("Say hiThis is an emulated reply")


def test_a_list_with_one_prompt_is_accepted(client, emulator):
    completion = client.completions.create(model="gpt-4", prompt=["only one"])
    assert '"only one"' in completion.choices[0].text


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"prompt": ["a", "b"]}, "prompt"),
        ({"n": 2}, "n"),
        ({"best_of": 3}, "best_of"),
        ({"suffix": "end"}, "suffix"),
        ({"logprobs": 2}, "logprobs"),
    ],
)
def test_unsupported_options_are_clear_400s(client, emulator, extra, param):
    body = {"model": "gpt-4", "prompt": "x"} | extra
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(**body)
    assert caught.value.body["param"] == param
    assert caught.value.body["type"] == "invalid_request_error"


def test_embeddings_return_every_row(client, emulator, openai_schemas):
    inputs = ["first", "second", "third"]
    raw = client.embeddings.with_raw_response.create(
        model="@cf/baai/bge-base-en-v1.5", input=inputs, encoding_format="float"
    )
    openai_schemas.validate("CreateEmbeddingResponse", raw.http_response.json())
    result = raw.parse()
    assert [row.index for row in result.data] == [0, 1, 2]
    assert all(len(row.embedding) == 768 for row in result.data)
    assert last_run(emulator)["body"] == {"text": inputs}


def test_embeddings_alias_and_base64(client, emulator):
    result = client.embeddings.create(
        model="text-embedding-3-small", input="hello", encoding_format="base64"
    )
    assert result.model == "text-embedding-3-small"
    floats = client.embeddings.create(model="text-embedding-3-small", input="hello")
    packed = base64.b64decode(result.data[0].embedding)
    unpacked = struct.unpack(f"<{len(packed) // 4}f", packed)
    assert unpacked == pytest.approx(floats.data[0].embedding, rel=1e-6)


def test_embeddings_usage_is_zero_where_workers_ai_reports_none(client, emulator):
    """Cloudflare's output schema for the bge models on /run is {shape, data, pooling}: no
    usage, which the emulator mirrors. OpenAI's schema requires `usage` on embeddings, so it is
    there with zeros ("not reported", see docs/api.md), never an estimate."""
    upstream = httpx.post(
        f"{emulator.base_url}/run/@cf/baai/bge-base-en-v1.5",
        headers={"authorization": f"Bearer {CF_TOKEN}"},
        json={"text": ["one two three"]},
        timeout=10,
    ).json()["result"]
    assert set(upstream) == {"shape", "data", "pooling"}
    result = client.embeddings.create(model="text-embedding-3-small", input="one two three")
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (0, 0)
