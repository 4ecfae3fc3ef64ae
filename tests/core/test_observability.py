"""Correlation ids, the JSON request log and the EMF metrics, read from the gateway's stdout."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, TypeVar

import httpx
import pytest
from helpers import BACKUP, KEYS, PRIMARY, gateway_output

from emulator.errors import GENERIC_CODE, STATUS_CODES

AUTH = {"authorization": f"Bearer {KEYS[0]}"}
CHAT = {"model": "gpt-4", "messages": [{"role": "user", "content": "hello metrics"}]}

T = TypeVar("T")


def metric_names(record: dict[str, Any]) -> dict[str, str]:
    """name -> unit of an EMF record's declared metrics."""
    (directive,) = record["_aws"]["CloudWatchMetrics"]
    return {metric["Name"]: metric["Unit"] for metric in directive["Metrics"]}


def assert_emf(record: dict[str, Any]) -> dict[str, Any]:
    """A well-formed EMF record in the gateway's namespace; returns its directive."""
    assert isinstance(record["_aws"]["Timestamp"], int)
    (directive,) = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "WorkersAIGateway"
    for dimensions in directive["Dimensions"]:
        for name in dimensions:
            assert isinstance(record[name], str), f"dimension {name} has no value"
    for metric in directive["Metrics"]:
        assert metric["Name"] in record
    return directive


def lambda_context(request_id: str) -> dict[str, str]:
    """The header the Lambda Web Adapter sends, with the Lambda context as JSON."""
    value = json.dumps(
        {
            "request_id": request_id,
            "deadline": int((time.time() + 600) * 1000),
            "invoked_function_arn": "arn:aws:lambda:us-east-1:123456789012:function:gateway",
            "xray_trace_id": "Root=1-5759e988-bd862e3fe1be46a994272793",
            "env_config": {"function_name": "gateway", "memory": 512, "version": "$LATEST"},
        }
    )
    return {"x-amzn-lambda-context": value}


# --- correlation ids ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/health", {}, 200),
        ("GET", "/v1/models", AUTH, 200),
        ("GET", "/v1/models", {}, 401),
        ("GET", "/v1/nope", AUTH, 404),
        (
            "OPTIONS",
            "/v1/models",
            {"origin": "https://x.example", "access-control-request-method": "GET"},
            200,
        ),
    ],
)
def test_every_response_has_a_request_id(gateway, emulator, method, path, headers, status):
    ids = set()
    for _ in range(2):
        response = httpx.request(method, f"{gateway.url}{path}", headers=headers)
        assert response.status_code == status
        ids.add(str(uuid.UUID(response.headers["x-request-id"])))
    assert len(ids) == 2, "two requests got the same id"


def test_lambda_request_id_is_the_correlation_id(gateway, emulator):
    emulator.add_fault(model=PRIMARY, status=500)
    with gateway_output() as output:
        response = httpx.post(
            f"{gateway.url}/v1/chat/completions",
            json=CHAT,
            headers=AUTH | lambda_context("abc-123"),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert response.headers["x-request-id"] == "abc-123"
        line, _ = output.request("abc-123")

        later = httpx.get(f"{gateway.url}/health").headers["x-request-id"]
        later_line, _ = output.request(later)

    assert line["level"] == "INFO"
    assert line["path"] == "/v1/chat/completions"
    assert line["method"] == "POST"
    assert line["status"] == 200
    assert line["model"] == BACKUP
    (warning,) = [r for r in output.records() if r.get("message") == "upstream attempt failed"]
    assert warning["correlation_id"] == "abc-123", "every line of a request carries the id"
    assert later_line["path"] == "/health"
    assert "abc-123" not in json.dumps(later_line), "the id leaked into the next request"


@pytest.mark.parametrize("header", ["not json", "[1, 2]", '{"deadline": 1}'])
def test_unusable_lambda_context_gets_a_generated_id(gateway, emulator, header):
    response = httpx.get(f"{gateway.url}/health", headers={"x-amzn-lambda-context": header})
    assert response.status_code == 200
    uuid.UUID(response.headers["x-request-id"])


# --- metrics -----------------------------------------------------------------------------------


def test_one_emf_record_per_request(gateway, emulator):
    calls = [("/health", {}, 200), ("/v1/models", AUTH, 200), ("/v1/models", {}, 401)]
    with gateway_output() as output:
        for index, (path, headers, status) in enumerate(calls):
            response = httpx.get(
                f"{gateway.url}{path}", headers=headers | lambda_context(f"r{index}")
            )
            assert response.status_code == status
        answers = [output.request(f"r{index}") for index in range(len(calls))]
    for (line, record), (_, _, status) in zip(answers, calls, strict=True):
        assert line["status"] == status
        assert_emf(record)
        assert metric_names(record)["Requests"] == "Count"
        assert metric_names(record)["Latency"] == "Milliseconds"
        assert record["Requests"] == [1.0]
        (latency,) = record["Latency"]
        assert latency > 0
        assert ("ClientErrors" in record) == (status >= 400)
    assert sum("Requests" in r for r in output.records()) == len(calls)


@pytest.mark.parametrize("stream", [False, True])
def test_token_metrics_match_the_usage(client, stream):
    headers = lambda_context(f"tokens-{stream}")
    with gateway_output() as output:
        if stream:
            chunks = client.chat.completions.create(
                **CHAT, stream=True, stream_options={"include_usage": True}, extra_headers=headers
            )
            usage = list(chunks)[-1].usage
        else:
            usage = client.chat.completions.create(**CHAT, extra_headers=headers).usage
        _, record = output.request(f"tokens-{stream}")
    assert usage.prompt_tokens > 0
    assert usage.completion_tokens > 0
    assert_emf(record)
    assert metric_names(record)["PromptTokens"] == "Count"
    assert record["PromptTokens"] == [usage.prompt_tokens]
    assert record["CompletionTokens"] == [usage.completion_tokens]


def test_upstream_failure_metric_has_the_code(client, emulator):
    emulator.add_fault(model=PRIMARY, status=500, times=1)
    with gateway_output() as output:
        raw = client.chat.completions.with_raw_response.create(
            **CHAT, extra_headers=lambda_context("up")
        )
        _, request = output.request("up")
    assert raw.headers["x-gateway-model"] == BACKUP
    assert request["Fallbacks"] == [1.0]
    assert "ServerErrors" not in request
    # The failure's EMF record is printed just before the warning about the attempt.
    records = output.records()
    (index,) = [i for i, r in enumerate(records) if r.get("message") == "upstream attempt failed"]
    assert records[index]["correlation_id"] == "up"
    failure = records[index - 1]
    directive = assert_emf(failure)
    assert ["code", "service"] in [sorted(d) for d in directive["Dimensions"]]
    assert failure["code"] == str(STATUS_CODES.get(500, GENERIC_CODE))
    assert failure["UpstreamErrors"] == [1.0]


# --- the gateway's own overhead ----------------------------------------------------------------


def overhead(response: httpx.Response, elapsed_ms: float) -> float:
    """The response's x-gateway-overhead-ms: a plain non-negative number of milliseconds, no
    more than the whole exchange took as seen by the client."""
    value = response.headers["x-gateway-overhead-ms"]
    assert value.replace(".", "", 1).isdigit(), value
    assert 0 <= float(value) <= elapsed_ms
    return float(value)


def timed(method: str, url: str, **kwargs: Any) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = httpx.request(method, url, timeout=30, **kwargs)
    return response, (time.perf_counter() - started) * 1000


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/health", {}, 200),
        ("GET", "/v1/models", {"headers": AUTH}, 200),
        ("GET", "/v1/models", {}, 401),
        ("GET", "/v1/nope", {"headers": AUTH}, 404),
        ("POST", "/v1/chat/completions", {"headers": AUTH, "json": CHAT}, 200),
        ("POST", "/v1/chat/completions", {"headers": AUTH, "json": CHAT | {"stream": True}}, 200),
        ("POST", "/v1/chat/completions", {"headers": AUTH, "json": {"model": "gpt-4"}}, 400),
        ("POST", "/v1/chat/completions", {"headers": AUTH, "content": b"x" * (7 << 20)}, 413),
        (
            "OPTIONS",
            "/v1/models",
            {"headers": {"origin": "https://x.example", "access-control-request-method": "GET"}},
            200,
        ),
    ],
)
def test_every_response_carries_the_gateway_overhead(
    gateway, emulator, method, path, kwargs, status
):
    response, elapsed_ms = timed(method, f"{gateway.url}{path}", **kwargs)
    assert response.status_code == status, response.text
    overhead(response, elapsed_ms)


@pytest.mark.parametrize("stream", [False, True])
def test_overhead_leaves_out_the_time_waiting_upstream(gateway, emulator, stream):
    """With the upstream held back 300 ms, that wait is not the gateway's: the header and the
    metric are at most the total minus 300 ms."""
    emulator.add_fault(model=PRIMARY, delay_ms=300)
    with gateway_output() as output:
        response, elapsed_ms = timed(
            "POST",
            f"{gateway.url}/v1/chat/completions",
            json=CHAT | {"stream": stream},
            headers=AUTH | lambda_context(f"overhead-{stream}"),
        )
        assert response.status_code == 200, response.text
        line, record = output.request(f"overhead-{stream}")
    assert overhead(response, elapsed_ms) <= elapsed_ms - 300
    assert_emf(record)
    assert metric_names(record)["Overhead"] == "Milliseconds"
    ((metric,), (latency,)) = record["Overhead"], record["Latency"]
    assert 0 <= metric <= latency - 300
    assert line["overhead_ms"] == round(metric, 2)


def test_overhead_metric_leaves_out_waits_between_stream_chunks(gateway, emulator):
    """Upstream pauses between streamed chunks are waiting too: the whole-request metric leaves
    out every one of them (the header, sent before the body, cannot)."""
    emulator.add_fault(model=PRIMARY, chunk_delay_ms=25)
    with gateway_output() as output:
        response, _ = timed(
            "POST",
            f"{gateway.url}/v1/chat/completions",
            json=CHAT | {"stream": True, "max_tokens": 12},
            headers=AUTH | lambda_context("overhead-chunks"),
        )
        assert response.status_code == 200, response.text
        _, record = output.request("overhead-chunks")
    pauses = response.text.count("data: ") - 4  # role, finish and [DONE] events, the first chunk
    assert pauses >= 5
    ((metric,), (latency,)) = record["Overhead"], record["Latency"]
    assert 0 <= metric <= latency - 25 * pauses
