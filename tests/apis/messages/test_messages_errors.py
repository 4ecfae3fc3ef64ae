"""Errors as Anthropic's clients expect them: the key in `x-api-key` or as a bearer token,
Anthropic's envelope and statuses (529 `overloaded_error` for an upstream out of capacity), so
the SDK raises its own exception classes; and the same envelope for errors no route decides
(an unknown path, the body limit) when the request comes from an Anthropic client."""

from __future__ import annotations

import anthropic
import httpx
import pytest
from helpers import (
    ANTHROPIC_HEADERS,
    KEYS,
    anthropic_sdk,
    assert_anthropic_error,
    assert_error,
    upstream_runs,
)

HELLO = [{"role": "user", "content": "hello"}]
BODY = {"model": "claude-opus-5-5", "max_tokens": 50, "messages": HELLO}


def post(gateway, body, headers, path="/v1/messages") -> httpx.Response:
    return httpx.post(f"{gateway.url}{path}", json=body, headers=headers, timeout=30)


@pytest.mark.parametrize(
    "headers",
    [{"x-api-key": KEYS[1]}, {"authorization": f"Bearer {KEYS[1]}"}],
    ids=["x-api-key", "bearer"],
)
def test_the_key_comes_in_either_header(gateway, emulator, headers):
    assert post(gateway, BODY, headers | ANTHROPIC_HEADERS).status_code == 200


def test_the_sdk_sends_an_auth_token_as_bearer(gateway, emulator):
    claude = anthropic.Anthropic(
        base_url=gateway.url, api_key=None, auth_token=gateway.api_key, max_retries=0
    )
    assert claude.messages.create(**BODY).content


@pytest.mark.parametrize(
    ("headers", "words"),
    [({}, "didn't provide an API key"), ({"x-api-key": "sk-wrong"}, "Incorrect API key")],
    ids=["missing", "wrong"],
)
def test_a_bad_key_is_anthropics_401(gateway, emulator, headers, words):
    error = assert_anthropic_error(post(gateway, BODY, headers), 401)
    assert words in error["message"]
    assert upstream_runs(emulator) == []


def sdk_error(gateway, **params) -> anthropic.APIStatusError:
    with pytest.raises(anthropic.APIStatusError) as caught:
        anthropic_sdk(gateway).messages.create(**(BODY | params))
    return caught.value


def test_the_sdk_raises_its_own_classes(gateway, emulator, start_gateway):
    cases = [
        (sdk_error(gateway, max_tokens=0), anthropic.BadRequestError, 400),
        (sdk_error(gateway, model="no-such-model"), anthropic.NotFoundError, 404),
    ]
    with pytest.raises(anthropic.AuthenticationError):
        anthropic_sdk(gateway, key="sk-wrong").messages.create(**BODY)
    with start_gateway(max_body_bytes=2000) as small:
        cases.append(
            (
                sdk_error(small, messages=[{"role": "user", "content": "x" * 5000}]),
                anthropic.RequestTooLargeError,
                413,
            )
        )
    emulator.add_fault(
        model="*", status=429, raw_status_body="Too Many Requests", retry_after=30, times=None
    )
    cases.append((sdk_error(gateway), anthropic.RateLimitError, 429))
    emulator.clear()
    emulator.add_fault(model="*", code=3040, retry_after=7, times=None)
    cases.append((sdk_error(gateway), anthropic.OverloadedError, 529))
    emulator.clear()
    emulator.add_fault(model="*", status=500, times=None)
    cases.append((sdk_error(gateway), anthropic.InternalServerError, 502))
    emulator.clear()
    emulator.add_fault(model="*", delay_ms=5000, times=None)
    with start_gateway(attempt_timeout=0.3) as impatient:
        cases.append((sdk_error(impatient), anthropic.GatewayTimeoutError, 504))
    for error, kind, status in cases:
        assert type(error) is kind, (error, kind)
        assert error.status_code == status
        assert_anthropic_error(error.response, status)


def test_overloaded_passes_retry_after_on(gateway, emulator):
    emulator.add_fault(model="*", code=3040, retry_after=7, times=None)
    response = post(gateway, BODY, {"x-api-key": gateway.api_key})
    assert_anthropic_error(response, 529)
    assert response.headers["retry-after"] == "7"


def test_the_sdk_retries_an_overloaded_answer(gateway, emulator):
    emulator.add_fault(model="*", code=3040, retry_after=0, times=2)
    claude = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.api_key, max_retries=1)
    assert claude.messages.create(**BODY).content
    assert len(upstream_runs(emulator)) == 3  # primary and backup busy, then the retry answered


def test_count_tokens_errors_are_anthropics(gateway, emulator):
    response = post(
        gateway,
        {"model": "nope", "messages": HELLO},
        {"x-api-key": gateway.api_key},
        "/v1/messages/count_tokens",
    )
    assert_anthropic_error(response, 404)


def test_an_unknown_path_from_an_anthropic_client(gateway):
    response = post(
        gateway, BODY, {"x-api-key": gateway.api_key, **ANTHROPIC_HEADERS}, "/v1/complete"
    )
    assert_anthropic_error(response, 404)


def test_a_doubled_v1_says_how_to_set_the_base_url(gateway):
    claude = anthropic.Anthropic(
        base_url=f"{gateway.url}/v1", api_key=gateway.api_key, max_retries=0
    )
    with pytest.raises(anthropic.NotFoundError) as caught:
        claude.messages.create(**BODY)
    assert "/v1/messages" in caught.value.message
    assert f"set the base URL to {gateway.url}, without /v1" in caught.value.message


def test_the_body_limit_answers_in_the_family_of_the_request(start_gateway, openai_schemas):
    with start_gateway(max_body_bytes=2000) as small:
        big = BODY | {"messages": [{"role": "user", "content": "x" * 5000}]}
        assert_anthropic_error(post(small, big, {"x-api-key": small.api_key}), 413)
        chat = {"model": "gpt-4o", "messages": big["messages"]}
        headers = {"authorization": f"Bearer {small.api_key}"}
        assert_error(post(small, chat, headers, "/v1/chat/completions"), 413, openai_schemas)


def test_models_errors_follow_anthropic_version(gateway, openai_schemas):
    anthropic_401 = httpx.get(f"{gateway.url}/v1/models", headers=ANTHROPIC_HEADERS, timeout=30)
    assert_anthropic_error(anthropic_401, 401)
    openai_401 = httpx.get(f"{gateway.url}/v1/models", timeout=30)
    assert_error(openai_401, 401, openai_schemas)
