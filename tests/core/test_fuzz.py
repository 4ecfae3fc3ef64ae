"""Property-based fuzzing: no request a client can send gets a 5xx, and every error is OpenAI's
envelope (Anthropic's on the Messages API).

Two generators, both bounded and derandomized so every run sends the same requests quickly:
schemathesis generates valid and invalid requests from the OpenAPI document the running gateway
serves (over loopback, with the emulator as upstream), and hypothesis fills the free-form JSON
fields (tool parameters, JSON schemas) with arbitrary JSON, hostile values included.

The fuzzed gateway's image fetcher resolves no name and allows no address, so no generated
image URL can send traffic anywhere.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from helpers import (
    KEYS,
    GatewayServer,
    OpenAISchemas,
    assert_anthropic_error_body,
    gateway_settings,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.schemas import BaseSchema

from emulator.testing import EmulatorServer
from gateway.core.images import IPAddress
from gateway.core.json_body import MAX_DEPTH

STATIC_SPEC = Path(__file__).resolve().parents[2] / "static" / "openapi.json"
AUTH = {"authorization": f"Bearer {KEYS[0]}"}
BOUNDED = settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


async def no_dns(host: str) -> list[str]:
    raise OSError(f"the fuzzing gateway resolves no names ({host})")


def no_address(address: IPAddress) -> bool:
    return False


@pytest.fixture(scope="module")
def fuzz_gateway(emulator_server: EmulatorServer) -> Iterator[GatewayServer]:
    with GatewayServer(gateway_settings(emulator_server, allow_private_image_urls=False)) as server:
        images = server.app.services.images
        images.resolve, images.allow = no_dns, no_address
        yield server


@pytest.fixture(scope="module")
def api_schema(fuzz_gateway: GatewayServer) -> BaseSchema:
    """The OpenAPI document as the running gateway serves it."""
    return schemathesis.openapi.from_url(f"{fuzz_gateway.url}/openapi.json")


def check_answer(
    response: httpx.Response | Any, openai_schemas: OpenAISchemas, path: str = ""
) -> None:
    """No 5xx; any error is exactly OpenAI's envelope (Anthropic's for the Messages API)."""
    assert response.status_code < 500, response.text
    if response.status_code >= 400 and path.startswith("/v1/messages"):
        assert_anthropic_error_body(response.json(), response.status_code)
    elif response.status_code >= 400:
        body = response.json()
        openai_schemas.validate("ErrorResponse", body)
        assert set(body) == {"error"}
        assert set(body["error"]) == {"message", "type", "param", "code"}


def can_be_invalid(operation: dict[str, Any]) -> bool:
    """Whether any input of the operation can break its schema: a body, or a parameter beside
    a key (a public route's lone path parameter, any string, cannot be invalid)."""
    if "requestBody" in operation:
        return True
    parameters = operation.get("parameters", [])
    return bool(parameters) and (bool(operation.get("security")) or len(parameters) > 1)


def operations() -> Iterator[tuple[str, str, GenerationMode]]:
    """Each operation of the committed document (the one the gateway serves, kept in sync by
    test_openapi): with valid input, and with invalid input where it takes any."""
    for path, item in json.loads(STATIC_SPEC.read_text())["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), GenerationMode.POSITIVE
            if can_be_invalid(operation):
                yield path, method.upper(), GenerationMode.NEGATIVE


@pytest.mark.parametrize(("path", "method", "mode"), list(operations()))
def test_generated_requests_get_no_5xx_and_only_enveloped_errors(
    api_schema, fuzz_gateway, openai_schemas, path, method, mode
):
    """Schemathesis' requests for one operation: valid ones (positive) and ones that break
    the schema (negative)."""
    operation = api_schema[path][method]

    @BOUNDED
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        response = case.call(base_url=fuzz_gateway.url, headers=AUTH, timeout=30)
        check_answer(response, openai_schemas, path)

    run()


# --- free-form JSON fields ----------------------------------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities included
    | st.text()  # lone surrogates and NUL included
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


FREE_FORM = JSON | st.integers(MAX_DEPTH - 8, MAX_DEPTH + 8).map(nested)


def hostile(value: Any) -> bool:
    """Whether the value holds what json_body refuses (so a 400 is the right answer)."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, str):
        return "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return any(hostile(k) or hostile(v) for k, v in value.items())
    if isinstance(value, list):
        return any(hostile(item) for item in value)
    return False


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


def post_raw(server: GatewayServer, body: dict[str, Any]) -> httpx.Response:
    # allow_nan and ensure_ascii keep NaN and lone surrogates as JSON text.
    content = json.dumps(body, allow_nan=True, ensure_ascii=True)
    headers = AUTH | {"content-type": "application/json"}
    return httpx.post(
        f"{server.url}/v1/chat/completions", content=content, headers=headers, timeout=30
    )


def chat_with(field: str, value: Any) -> tuple[dict[str, Any], str, int]:
    """A chat body with `value` in a free-form field; also its param and how many objects
    and arrays enclose it."""
    body: dict[str, Any] = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    if field == "parameters":
        body["tools"] = [{"type": "function", "function": {"name": "f", "parameters": value}}]
        return body, "tools[0].function.parameters", 4
    schema = {"name": "n", "schema": value}
    body["response_format"] = {"type": "json_schema", "json_schema": schema}
    return body, "response_format.json_schema.schema", 3


@BOUNDED
@given(
    field=st.sampled_from(["parameters", "schema"]),
    value=st.dictionaries(st.text(max_size=8), FREE_FORM, max_size=3),
)
def test_free_form_json_is_answered_or_refused_by_name(fuzz_gateway, openai_schemas, field, value):
    body, param, at = chat_with(field, value)
    response = post_raw(fuzz_gateway, body)
    check_answer(response, openai_schemas)
    if hostile(value) or at + depth(value) > MAX_DEPTH:
        assert response.status_code == 400, response.text
        assert response.json()["error"]["param"].startswith(param)
    else:
        assert response.status_code in {200, 400}, response.text
