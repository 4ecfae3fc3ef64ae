"""The rules beside the upstream client, without a server: the table of Cloudflare failures, what
counts as a successful answer, and how upstream text is made safe (issue 7, parts 1 and 5)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from gateway.core.upstream import (
    REDACTED,
    error_from_body,
    is_embeddings_result,
    is_text_result,
    retry_after_seconds,
    scrub,
)
from gateway.core.upstream_errors import CODES, UpstreamError, from_upstream, rule_for

GATEWAY = Path(__file__).resolve().parents[2] / "functions" / "gateway" / "gateway"

# reference/workers-ai.md, "Envelope and errors": code -> (HTTP status, fall back?)
REFERENCE = {
    3040: (429, True),
    3007: (408, True),
    3008: (408, True),
    5007: (400, True),
    3042: (404, True),
    5035: (403, True),
    3036: (429, False),
    4006: (429, False),
    10000: (401, False),
    3006: (413, False),
    5004: (400, False),
    3003: (400, False),
}


@pytest.mark.parametrize(("code", "expected"), REFERENCE.items())
def test_every_code_of_the_reference_has_its_row(code, expected):
    status, retryable = expected
    rule = rule_for(UpstreamError("x", status=status, code=code))
    assert rule is CODES[code]
    assert rule.retryable is retryable


@pytest.mark.parametrize(
    ("error", "retryable", "status", "code"),
    [
        (UpstreamError("x", status=429, code=3040), True, 429, "model_busy"),
        (UpstreamError("x", status=408, code=3007), True, 504, "upstream_timeout"),
        (UpstreamError("x", status=400, code=5007), True, 404, "model_not_found"),
        (UpstreamError("x", status=403, code=5035), True, 403, "model_not_allowed"),
        (UpstreamError("x", status=429, code=4006), False, 429, "daily_quota_exceeded"),
        (UpstreamError("x", status=401, code=10000), False, 502, "upstream_auth_failed"),
        (UpstreamError("x", status=403), False, 502, "upstream_auth_failed"),
        (UpstreamError("x", status=413, code=3006), False, 413, "request_too_large"),
        (UpstreamError("x", status=400, code=8001), False, 400, "upstream_invalid_request"),
        (UpstreamError("x", status=429), False, 429, "rate_limit_exceeded"),
        (UpstreamError("x", status=418), False, 400, "upstream_invalid_request"),
        (UpstreamError("x", status=500, code=1000), True, 502, "upstream_error"),
        (UpstreamError("x", status=503), True, 503, "upstream_unavailable"),
        (UpstreamError("x", status=504), True, 504, "upstream_timeout"),
        (UpstreamError("x", status=200, kind="invalid"), True, 502, "upstream_error"),
        (UpstreamError("x", status=200, code=502), True, 502, "upstream_error"),
        (UpstreamError("x", status=200, code=3040), True, 429, "model_busy"),
        (UpstreamError("x", status=302), True, 502, "upstream_error"),
        (UpstreamError("x", kind="timeout"), True, 504, "upstream_timeout"),
        (UpstreamError("x", kind="connect"), True, 502, "upstream_unavailable"),
        (UpstreamError("x", kind="transport"), True, 502, "upstream_unavailable"),
    ],
    ids=lambda value: value.label if isinstance(value, UpstreamError) else None,
)
def test_one_rule_decides_fallback_and_the_clients_error(error, retryable, status, code):
    assert rule_for(error).retryable is retryable
    client = from_upstream(error)
    assert (client.status, client.code) == (status, code)
    if status >= 500:
        assert client.type == "api_error"


def test_no_2xx_ever_reaches_the_client_as_an_error():
    for status in (200, 201, 204, 206):
        assert from_upstream(UpstreamError("x", status=status, kind="invalid")).status == 502


def test_retry_after_goes_with_429_and_503_only():
    assert from_upstream(UpstreamError("x", status=429, code=3040, retry_after="7")).headers == {
        "retry-after": "7"
    }
    assert from_upstream(UpstreamError("x", status=503, retry_after="2")).headers == {
        "retry-after": "2"
    }
    assert from_upstream(UpstreamError("x", status=500, retry_after="2")).headers == {}


def test_a_missing_model_names_the_param():
    assert from_upstream(UpstreamError("gone", status=400, code=5007)).param == "model"


# --- what counts as a success -------------------------------------------------------------


@pytest.mark.parametrize(
    "result",
    [
        {"response": "hi"},
        {"response": "", "usage": {"prompt_tokens": 1}},
        {"response": 42},
        {"response": {"a": 1}},
        {"response": None, "tool_calls": [{"name": "f", "arguments": {}}]},
        {"choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}]},
        {"choices": [{"text": "hi"}]},
    ],
)
def test_documented_text_results(result):
    assert is_text_result(result)


@pytest.mark.parametrize(
    "result",
    [
        None,
        {},
        [],
        "text",
        3,
        {"response": None},
        {"tool_calls": []},
        {"usage": {}},
        {"choices": []},
        {"choices": None},
        {"choices": [None]},
        {"choices": [{"index": 0}]},
    ],
)
def test_anything_else_is_not_a_text_result(result):
    assert not is_text_result(result)


def test_embeddings_results():
    assert is_embeddings_result({"shape": [1, 2], "data": [[0.1, 0.2]]})
    for result in (None, {}, {"data": []}, {"data": [None]}, {"data": "x"}, [[0.1]]):
        assert not is_embeddings_result(result)


# --- upstream text ------------------------------------------------------------------------


def test_scrub_redacts_secrets_and_strips_control_characters():
    token = "cf-token-1234567890"
    text = f"bad\x00 token\x1b[31m {token}\n\tkey sk-live\u200b-abc \u202eevil\ud800 end"
    assert (
        scrub(text, [token, "sk-live-abc"]) == f"bad token[31m {REDACTED} key {REDACTED} evil end"
    )


def test_scrub_redacts_before_it_cuts():
    token = "T" * 40
    cleaned = scrub("x" * 290 + token, [token])
    assert len(cleaned) == 300
    assert "T" not in cleaned


def test_scrub_never_answers_empty():
    assert scrub("\x00\x01  ", []) == "no details"


def test_error_from_body_reads_every_shape_and_scrubs():
    token = "cf-secret-token"
    body = json.dumps({"errors": [{"code": 3040, "message": f"busy {token}\r\nX-Injected: 1"}]})
    error = error_from_body(429, body.encode(), [token], "7")
    assert (error.status, error.code, error.retry_after) == (429, 3040, "7")
    assert error.message == f"busy {REDACTED} X-Injected: 1"
    openai_style = error_from_body(500, b'{"error": {"message": "m", "code": true}}')
    assert (openai_style.message, openai_style.code) == ("m", None)
    assert error_from_body(502, b"<html>Bad gateway</html>").message == "<html>Bad gateway</html>"
    assert error_from_body(502, b"").message == "HTTP 502"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", "7"),
        (" 30 ", "30"),
        ("1.5", "2"),
        ("-3", "0"),
        ("soon", None),
        ("nan", None),
        ("inf", None),
        ("", None),
        (None, None),
        ("7\r\nSet-Cookie: x=1", None),
    ],
)
def test_retry_after_is_passed_on_only_as_whole_seconds(value, expected):
    assert retry_after_seconds(value) == expected


def test_retry_after_as_an_http_date():
    when = datetime.now(UTC) + timedelta(seconds=120)
    seconds = int(retry_after_seconds(format_datetime(when, usegmt=True)))
    assert 100 <= seconds <= 121
