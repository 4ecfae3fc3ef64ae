"""Every failure the gateway answers leaves in OpenAI's error envelope, and no traceback, key or
Cloudflare token reaches a response or a log line."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import openai
import pytest
from helpers import (
    CF_TOKEN,
    KEYS,
    GatewayServer,
    assert_error,
    gateway_output,
    gateway_settings,
    post,
    sdk,
)

from emulator.testing import ServerThread
from gateway.app import Gateway, routes
from gateway.core.http import ASGIApp, Request, get

SECRETS = (*KEYS, CF_TOKEN)
AUTH = {"authorization": f"Bearer {KEYS[0]}"}
HELLO = [{"role": "user", "content": "hi"}]


# --- bad bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ['{"model": "gpt-4", "messages": [', "not json", "{'a': 1}"])
def test_invalid_json(gateway, emulator, openai_schemas, body):
    response = post(
        gateway, "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    assert_error(response, 400, openai_schemas, type="invalid_request_error", code="invalid_json")
    assert emulator.requests() == []


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ([{"model": "gpt-4", "messages": HELLO}], None),
        ("just a string", None),
        ({"model": "gpt-4"}, "messages"),
        ({"messages": HELLO}, "model"),
        ({"model": "gpt-4", "messages": []}, "messages"),
        ({"model": "gpt-4", "messages": "hi"}, "messages"),
        ({"model": "gpt-4", "messages": HELLO, "temperature": 3}, "temperature"),
        ({"model": "gpt-4", "messages": HELLO, "temperature": "hot"}, "temperature"),
        ({"model": "gpt-4", "messages": HELLO, "top_p": 1.5}, "top_p"),
        ({"model": "gpt-4", "messages": HELLO, "n": 2}, "n"),
        ({"model": "gpt-4", "messages": HELLO, "max_tokens": 0}, "max_tokens"),
        ({"model": "gpt-4", "messages": HELLO, "stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"model": "gpt-4", "messages": [{"role": "wizard", "content": "hi"}]}, "messages"),
        ({"model": "gpt-4", "messages": [{"content": "hi"}]}, "messages"),
        ({"model": "gpt-4", "messages": HELLO, "logprobs": True}, "logprobs"),
    ],
)
def test_bad_chat_request(gateway, emulator, openai_schemas, body, param):
    response = post(gateway, "/v1/chat/completions", json=body)
    error = assert_error(response, 400, openai_schemas, type="invalid_request_error")
    assert "detail" not in response.json()
    if param is None:
        assert error["param"] is None
    else:
        assert error["param"] is not None
        assert re.split(r"[.\[]", error["param"])[0] == param, error
        assert param in error["message"]
    assert emulator.requests() == []


@pytest.mark.parametrize(
    ("messages", "param", "hint"),
    [
        ([{"role": "user"}], "messages[0].content", "Missing required parameter"),
        (
            [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}],
            "messages[0].content[0]",
            "audio input is not supported",
        ),
        ([{"role": "tool", "content": "x"}], "messages[0].tool_call_id", "Missing"),
        (
            [{"role": "user", "content": [{"type": "text"}]}],
            "messages[0].content[0].text",
            "Missing",
        ),
    ],
)
def test_nested_problems_name_the_field_openais_way(gateway, emulator, messages, param, hint):
    response = post(gateway, "/v1/chat/completions", json={"model": "gpt-4", "messages": messages})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param
    assert hint in error["message"]


def test_bad_request_through_the_sdk(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4", messages=HELLO, temperature=3)
    assert caught.value.status_code == 400
    assert caught.value.param == "temperature"
    assert caught.value.type == "invalid_request_error"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "gpt-4"}, "prompt"),
        ({"model": "gpt-4", "prompt": "hi", "n": 2}, "n"),
        ({"model": "gpt-4", "prompt": "hi", "logprobs": 2}, "logprobs"),
    ],
)
def test_bad_completion_request(gateway, emulator, openai_schemas, body, param):
    response = post(gateway, "/v1/completions", json=body)
    error = assert_error(response, 400, openai_schemas, type="invalid_request_error")
    assert error["param"].split(".")[0] == param


# --- routes, methods, sizes, models ----------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/nope", "/v2/models", "/nope", "/v1/chat/completions/x"])
def test_unknown_route_is_a_404(gateway, emulator, openai_schemas, path):
    response = httpx.get(f"{gateway.url}{path}", headers=AUTH)
    assert_error(response, 404, openai_schemas)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/chat/completions"), ("PUT", "/v1/completions"), ("DELETE", "/v1/models")],
)
def test_wrong_method_is_a_405(gateway, emulator, openai_schemas, method, path):
    response = httpx.request(method, f"{gateway.url}{path}", headers=AUTH)
    error = assert_error(response, 405, openai_schemas, type="invalid_request_error")
    assert method in error["message"]
    assert "allow" in response.headers


@pytest.fixture(scope="module")
def small_gateway(emulator_server) -> Iterator[GatewayServer]:
    with GatewayServer(gateway_settings(emulator_server, max_body_bytes=1000)) as server:
        yield server


def big_body() -> bytes:
    body = json.dumps({"model": "gpt-4", "messages": [{"role": "user", "content": "x" * 5000}]})
    return body.encode()


def test_oversized_body_is_a_413(small_gateway, emulator, openai_schemas):
    response = post(
        small_gateway,
        "/v1/chat/completions",
        content=big_body(),
        headers={"content-type": "application/json"},
    )
    assert int(response.request.headers["content-length"]) > 5000
    assert_error(response, 413, openai_schemas, code="request_too_large")
    assert emulator.requests() == []


def test_oversized_chunked_body_is_a_413(small_gateway, emulator, openai_schemas):
    """Without a Content-Length the limit must hold while the body streams in."""
    data = big_body()

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(data), 500):
            yield data[start : start + 500]

    response = post(
        small_gateway,
        "/v1/chat/completions",
        content=pieces(),
        headers={"content-type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_error(response, 413, openai_schemas, code="request_too_large")
    assert emulator.requests() == []


def test_small_body_passes_the_size_limit(small_gateway, emulator):
    completion = sdk(small_gateway).chat.completions.create(model="gpt-4", messages=HELLO)
    assert completion.choices[0].message.content


def test_unknown_model_is_a_404(gateway, client, openai_schemas):
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="not-a-model", messages=HELLO)
    assert caught.value.code == "model_not_found"
    assert caught.value.param == "model"
    response = post(
        gateway, "/v1/chat/completions", json={"model": "not-a-model", "messages": HELLO}
    )
    error = assert_error(response, 404, openai_schemas, code="model_not_found", param="model")
    assert "not-a-model" in error["message"]


# --- upstream failures and what leaks -------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ({"status": 500, "times": 2}, 502, "upstream_error"),
        ({"code": 10000, "times": 2}, 502, "upstream_auth_failed"),
        ({"connection_reset": True, "times": 2}, 502, "upstream_unavailable"),
        ({"raw_status_body": "<html>Bad gateway</html>", "times": 2}, 502, "upstream_error"),
    ],
)
def test_upstream_failure_is_enveloped(gateway, emulator, openai_schemas, fault, status, code):
    emulator.add_fault(**fault)
    response = post(gateway, "/v1/chat/completions", json={"model": "gpt-4", "messages": HELLO})
    assert_error(response, status, openai_schemas, type="api_error", code=code)


def test_no_secret_in_any_log_line(gateway, emulator):
    presented = "sk-presented-but-wrong"
    requests = [
        ("GET", "/v1/models", {}, None),
        ("GET", "/v1/models", {"authorization": f"Bearer {presented}"}, None),
        ("POST", "/v1/chat/completions", {}, {"model": "gpt-4", "messages": HELLO}),
        ("POST", "/v1/chat/completions", {}, {"model": "gpt-4", "messages": []}),
        ("POST", "/v1/chat/completions", {}, {"model": "not-a-model", "messages": HELLO}),
        ("POST", "/v1/completions", {}, {"model": "gpt-4", "prompt": "hi", "stream": True}),
        ("GET", "/v1/nope", {}, None),
    ]
    emulator.add_fault(status=500, times=2)
    emulator.add_fault(code=10000, times=2)
    statuses = []
    with gateway_output() as output:
        for index, (method, path, headers, body) in enumerate(requests):
            context = json.dumps({"request_id": f"leak-{index}"})
            response = httpx.request(
                method,
                f"{gateway.url}{path}",
                headers=AUTH | headers | {"x-amzn-lambda-context": context},
                json=body,
                timeout=30,
            )
            statuses.append(response.status_code)
        for index in range(len(requests)):
            output.request(f"leak-{index}")
    assert {401, 400, 404, 502, 200} <= set(statuses), statuses
    warnings = [r for r in output.records() if r.get("level") == "WARNING"]
    assert warnings, "the upstream failures were not logged"
    for secret in (*SECRETS, presented):
        assert secret not in output.text
    assert "Traceback" not in output.text


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "in-stream"])
def test_upstream_text_is_scrubbed_before_anyone_sees_it(gateway, emulator, stream):
    """An upstream message quoting the Cloudflare token and a client key, with terminal escapes
    and a header-injection attempt, reaches neither the client nor the logs as sent."""
    leaky = f"bad token {CF_TOKEN} for key {KEYS[1]}\x1b]0;pwned\x07\r\nX-Evil: 1\u202e"
    if stream:
        emulator.add_fault(error_after_chunks=2, message=leaky)
    else:
        emulator.add_fault(code=5004, message=leaky)
    with gateway_output() as output:
        response = post(
            gateway,
            "/v1/chat/completions",
            json={"model": "gpt-4", "messages": HELLO, "stream": stream},
        )
        output.request(response.headers["x-request-id"])
    if stream:
        error = json.loads(response.text.split("\n\n")[-3].removeprefix("data: "))["error"]
    else:
        assert response.status_code == 400
        error = response.json()["error"]
    assert "bad token [redacted] for key [redacted]" in error["message"]
    assert "X-Evil: 1" in error["message"]
    assert not [c for c in error["message"] if ord(c) < 32 or 0x7F <= ord(c) < 0xA0]
    assert "\u202e" not in error["message"]
    for secret in SECRETS:
        assert secret not in response.text
        assert secret not in output.text
    assert "\\u001b" not in output.text


def test_an_unexpected_exception_is_a_500_envelope_logged_without_traceback(
    emulator_server, openai_schemas
):
    async def broken(request: Request) -> ASGIApp:
        raise RuntimeError("secret detail sk-test-primary")

    served = [*routes(), get("/broken", broken, auth=False)]
    app = Gateway(gateway_settings(emulator_server), served)
    with ServerThread(app, lifespan="on") as server, gateway_output() as output:
        response = httpx.get(f"{server.root_url}/broken", timeout=30)
        request_id = response.headers["x-request-id"]
        error = assert_error(response, 500, openai_schemas, type="api_error")
        assert request_id in error["message"]
        logged = output.wait_for(
            lambda records: next(
                (r for r in records if r.get("message") == "unhandled error"), None
            )
        )
    assert logged["error_type"] == "RuntimeError"
    assert logged["correlation_id"] == request_id
    assert "Traceback" not in output.text
    assert "secret detail" not in output.text


BODIES = {
    "/v1/chat/completions": {"model": "gpt-4", "messages": HELLO},
    "/v1/completions": {"model": "gpt-4", "prompt": "hi"},
    "/v1/embeddings": {"model": "text-embedding-3-small", "input": "hi"},
    "/v1/responses": {"model": "gpt-4", "input": "hi"},
}


@pytest.mark.parametrize("path", BODIES)
@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain;charset=UTF-8", None]
)
def test_a_json_body_sent_without_the_json_content_type_is_told_so(
    gateway, openai_schemas, path, content_type
):
    """curl's `-d` sends a form type, a browser's simple request text/plain: the body is a
    JSON object, so the 400 names the Content-Type, not the body (OpenAI does not parse it
    either)."""
    headers = AUTH | ({"content-type": content_type} if content_type else {})
    response = httpx.post(
        f"{gateway.url}{path}", headers=headers, content=json.dumps(BODIES[path]), timeout=30
    )
    error = assert_error(response, 400, openai_schemas, code="invalid_request_body")
    assert "Content-Type: application/json" in error["message"]
    assert (f"`{content_type}`" if content_type else "missing") in error["message"]


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/x+json"])
def test_json_media_types_with_parameters_or_suffixes_are_json(gateway, content_type):
    response = httpx.post(
        f"{gateway.url}/v1/embeddings",
        headers=AUTH | {"content-type": content_type},
        content=json.dumps(BODIES["/v1/embeddings"]),
        timeout=30,
    )
    assert response.status_code == 200, response.text


def test_json_that_is_no_object_is_still_told_so(gateway, openai_schemas):
    response = httpx.post(f"{gateway.url}/v1/chat/completions", headers=AUTH, json=[1], timeout=30)
    error = assert_error(response, 400, openai_schemas, code="invalid_request_body")
    assert error["message"] == "The request body must be a JSON object."


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/chat/completions"), ("GET", "/models"), ("POST", "/embeddings")],
)
def test_a_path_missing_v1_is_a_404_that_says_so(gateway, openai_schemas, method, path):
    """A base_url without `/v1` is the usual 404: the message points at the right URL."""
    response = httpx.request(method, f"{gateway.url}{path}", headers=AUTH, json={}, timeout=30)
    error = assert_error(response, 404, openai_schemas)
    assert error["message"].startswith(f"Invalid URL ({method} {path})")
    assert f"did you mean /v1{path}?" in error["message"]
    assert f"base_url to {gateway.url}/v1." in error["message"]


@pytest.mark.parametrize("path", ["/v1/nothing", "/nothing", "/v1/v1/nothing"])
def test_a_path_that_exists_nowhere_gets_no_hint(gateway, openai_schemas, path):
    error = assert_error(
        httpx.get(f"{gateway.url}{path}", headers=AUTH, timeout=30), 404, openai_schemas
    )
    assert error["message"] == f"Invalid URL (GET {path})"
