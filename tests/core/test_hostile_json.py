"""JSON that Python parses but the gateway cannot carry (non-finite numbers, lone surrogates,
NUL characters, deep nesting) is a client error on every endpoint that takes a JSON body (the
upload forms have their own tests, in tests/apis/audio and tests/apis/images): a 400 in the
API's envelope naming the field, and nothing sent upstream. Valid neighbours still pass."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from helpers import KEYS, GatewayServer, assert_anthropic_error, assert_error, post

AUTH = {"authorization": f"Bearer {KEYS[0]}", "content-type": "application/json"}
HOLE = '"@HOLE@"'

# Each endpoint's smallest valid body, as JSON text with free-form fields where a hostile value
# can be put: `HOLE` is replaced by raw JSON text.
ENDPOINTS = {
    "/v1/chat/completions": {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": {}}},
    },
    "/v1/completions": {"model": "gpt-4o", "prompt": "hi"},
    "/v1/embeddings": {"model": "text-embedding-3-small", "input": "hi"},
    "/v1/messages": {
        "model": "claude-opus-5-5",
        "max_tokens": 50,
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"name": "f", "input_schema": {"type": "object"}}],
    },
    "/v1/responses": {
        "model": "gpt-4o",
        "input": "hi",
        "tools": [{"type": "function", "name": "f", "parameters": {}}],
    },
    "/v1/images/generations": {"model": "dall-e-3", "prompt": "hi", "response_format": "b64_json"},
    "/v1/audio/speech": {"model": "tts-1", "voice": "alloy", "input": "hi"},
    "/v1/moderations": {"model": "omni-moderation-latest", "input": "hi"},
    "/v1/rerank": {"model": "rerank-v3.5", "query": "hi", "documents": ["hi", "there"]},
}
ANTHROPIC = {"/v1/messages"}
"""Endpoints that answer in Anthropic's envelope (no `param`: the message names the field)."""

# (where the value goes, the param the 400 must name) for each endpoint.
PLACES = {
    "/v1/chat/completions": [
        (("tools", 0, "function", "parameters", "x"), "tools[0].function.parameters.x"),
        (("response_format", "json_schema", "schema", "x"), "response_format.json_schema.schema.x"),
        (("messages", 0, "content"), "messages[0].content"),
        (("model",), "model"),
    ],
    "/v1/completions": [(("prompt",), "prompt"), (("model",), "model"), (("user",), "user")],
    "/v1/embeddings": [(("input",), "input"), (("model",), "model")],
    "/v1/messages": [
        (("tools", 0, "input_schema", "x"), "tools[0].input_schema.x"),
        (("messages", 0, "content"), "messages[0].content"),
        (("model",), "model"),
    ],
    "/v1/responses": [
        (("tools", 0, "parameters", "x"), "tools[0].parameters.x"),
        (("input",), "input"),
        (("model",), "model"),
    ],
    "/v1/images/generations": [(("prompt",), "prompt"), (("model",), "model")],
    "/v1/audio/speech": [(("input",), "input"), (("voice",), "voice"), (("model",), "model")],
    "/v1/moderations": [(("input",), "input"), (("model",), "model")],
    "/v1/rerank": [
        (("query",), "query"),
        (("documents", 1), "documents[1]"),
        (("model",), "model"),
    ],
}

HOSTILE = {
    "NaN": "NaN",
    "Infinity": "Infinity",
    "-Infinity": "-Infinity",
    "overflowing number": "1e999",
    "NaN in a list": "[1, NaN]",
    "lone high surrogate": '"a\\ud800b"',
    "lone low surrogate": '"\\udc00"',
    "reversed surrogate pair": '"\\ude00\\ud83d"',
    "NUL": '"gpt-4o\\u0000"',
    "NUL in a key": '{"a\\u0000": 1}',
    "surrogate in a key": '{"\\ud800": 1}',
    "950 levels": "[" * 950 + "]" * 950,
    "65 levels of objects": '{"a":' * 65 + "1" + "}" * 65,
}

FINE = {
    "emoji (a valid surrogate pair)": '"\\ud83d\\ude00"',
    "escaped backslash before u0000": '"\\\\u0000"',
    "big finite number": "1e308",
    "deep but within the limit": '{"a":' * 40 + "1" + "}" * 40,
}


def body_with(path: str, place: tuple[Any, ...], raw: str) -> str:
    body = json.loads(json.dumps(ENDPOINTS[path]))
    node = body
    for part in place[:-1]:
        node = node[part]
    node[place[-1]] = "@HOLE@"
    return json.dumps(body).replace(HOLE, raw)


def post_raw(server: GatewayServer, path: str, content: str) -> httpx.Response:
    return post(server, path, content=content, headers={"content-type": "application/json"})


CASES = [
    pytest.param(path, place, param, raw, id=f"{path.removeprefix('/v1/')}-{param}-{name}")
    for path, places in PLACES.items()
    for place, param in places
    for name, raw in HOSTILE.items()
]


@pytest.mark.parametrize(("path", "place", "param", "raw"), CASES)
def test_hostile_value_is_a_400_naming_the_field(
    gateway, emulator, openai_schemas, path, place, param, raw
):
    response = post_raw(gateway, path, body_with(path, place, raw))
    if path in ANTHROPIC:
        assert f"'{param}" in assert_anthropic_error(response, 400)["message"]
    else:
        error = assert_error(response, 400, openai_schemas, type="invalid_request_error")
        assert error["param"] == param or error["param"].startswith((f"{param}.", f"{param}["))
        assert error["code"] == "invalid_value"
    assert emulator.requests() == []


@pytest.mark.parametrize("raw", list(FINE.values()), ids=list(FINE))
def test_valid_neighbours_pass(gateway, emulator, raw):
    path = "/v1/chat/completions"
    response = post_raw(gateway, path, body_with(path, PLACES[path][0][0], raw))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_nesting_past_the_parser_is_unparsable_json(gateway, emulator, openai_schemas, path):
    body = json.dumps(ENDPOINTS[path])[:-1] + ', "extra": ' + "[" * 5000 + "]" * 5000 + "}"
    response = post_raw(gateway, path, body)
    assert_unparsable(response, path, openai_schemas)
    assert emulator.requests() == []


@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_bytes_that_are_not_utf8_are_unparsable_json(gateway, emulator, openai_schemas, path):
    body = json.dumps(ENDPOINTS[path]).encode().replace(b"hi", b"h\xff\xfe")
    response = httpx.post(f"{gateway.url}{path}", content=body, headers=AUTH, timeout=30)
    assert_unparsable(response, path, openai_schemas)


def assert_unparsable(response: httpx.Response, path: str, openai_schemas: Any) -> None:
    if path in ANTHROPIC:
        assert "could not parse the JSON" in assert_anthropic_error(response, 400)["message"]
    else:
        assert_error(response, 400, openai_schemas, code="invalid_json")


# --- the model name never steers the upstream URL ---------------------------------------------

# Each would change which Cloudflare URL gets the gateway's token: `..` climbs out of /ai/run,
# `?` and `#` cut the path, `%2e` and an empty segment are other spellings of the same.
STEERING_NAMES = [
    "@cf/../../x",
    "@cf/meta/../../../../user/tokens",
    "@cf/./meta/llama",
    "@cf/meta/llama?x=1",
    "@cf/meta/llama#x",
    "@cf/meta/%2e%2e/x",
    "@cf//meta",
    "@cf/meta/llama 3",
    "@hf/",
]


@pytest.mark.parametrize("name", STEERING_NAMES)
@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_a_model_name_that_would_steer_the_upstream_url_is_refused(
    gateway, emulator, openai_schemas, path, name
):
    body = ENDPOINTS[path] | {"model": name}
    response = httpx.post(f"{gateway.url}{path}", json=body, headers=AUTH, timeout=30)
    if path in ANTHROPIC:
        assert_anthropic_error(response, 404)
    else:
        assert_error(response, 404, openai_schemas, code="model_not_found", param="model")
    # Only the model catalogue may have been read; nothing was run.
    assert [r["path"] for r in emulator.requests() if "/models/" not in r["path"]] == []


def test_real_model_names_still_reach_run(gateway, emulator):
    body = ENDPOINTS["/v1/chat/completions"] | {"model": "@cf/meta/llama-3.3-70b-instruct-fp8-fast"}
    httpx.post(f"{gateway.url}/v1/chat/completions", json=body, headers=AUTH, timeout=30)
    paths = [run["path"] for run in emulator.requests()]
    assert any(p.endswith("/ai/run/@cf/meta/llama-3.3-70b-instruct-fp8-fast") for p in paths), paths
