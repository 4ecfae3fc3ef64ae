"""Every row of the Messages API's parameter tables does what it says, over real HTTP: refused
rows are a 400 naming the field, no-effect rows change nothing upstream, upstream rows reach
Workers AI, and each gateway row has the test that shows it (as test_fidelity.py does for
OpenAI's endpoints)."""

from __future__ import annotations

import ast
from typing import Any

import httpx
import pytest
from helpers import ROOT, assert_anthropic_error, last_run, upstream_runs
from refusals import COUNT, MESSAGES, REFUSED_EXAMPLES, rows

from gateway.core.parameters import Handling

HELLO = [{"role": "user", "content": "hello"}]
BASE = {
    MESSAGES: ("/v1/messages", {"model": "claude-opus-5-5", "max_tokens": 50, "messages": HELLO}),
    COUNT: ("/v1/messages/count_tokens", {"model": "claude-opus-5-5", "messages": HELLO}),
}
TOOL = {"name": "get_time", "input_schema": {"type": "object", "properties": {}}}


def ours(handling: Handling) -> list[tuple[str, str]]:
    return [row for row in rows(handling) if row[0] in BASE]


def post(gateway: Any, endpoint: str, **fields: Any) -> httpx.Response:
    path, body = BASE[endpoint]
    headers = {"x-api-key": gateway.api_key}
    return httpx.post(f"{gateway.url}{path}", json=body | fields, headers=headers, timeout=30)


@pytest.mark.parametrize("row", [row for row in REFUSED_EXAMPLES if row[0] in BASE], ids="-".join)
def test_refused_rows_are_a_400_naming_the_parameter(gateway, emulator, row):
    endpoint, name = row
    response = post(gateway, endpoint, **{name: REFUSED_EXAMPLES[row]})
    assert f"'{name}'" in assert_anthropic_error(response, 400)["message"]
    assert upstream_runs(emulator) == []


NO_EFFECT_EXAMPLES: dict[str, Any] = {
    "cache_control": {"type": "ephemeral", "ttl": "1h"},
    "speed": "fast",
    "user_profile_id": "uprof_1",
    "workspace_id": "wrkspc_1",
    "service_tier": "standard_only",
    "inference_geo": "us",
    "diagnostics": {"previous_message_id": "msg_1"},
    "thinking": {"type": "enabled", "budget_tokens": 2048},
    "output_config": {"effort": "low"},
}


def test_every_no_effect_row_has_an_example():
    assert {name for _, name in ours(Handling.NO_EFFECT)} == set(NO_EFFECT_EXAMPLES)


@pytest.mark.parametrize("row", ours(Handling.NO_EFFECT), ids="-".join)
def test_no_effect_rows_change_nothing(gateway, emulator, row):
    endpoint, name = row
    plain = post(gateway, endpoint)
    assert plain.status_code == 200, plain.text
    before = emulator.requests()[-1]["body"] if endpoint == MESSAGES else plain.json()
    response = post(gateway, endpoint, **{name: NO_EFFECT_EXAMPLES[name]})
    assert response.status_code == 200, response.text
    after = emulator.requests()[-1]["body"] if endpoint == MESSAGES else response.json()
    assert after == before


UPSTREAM_EXAMPLES: dict[str, tuple[Any, str, Any]] = {
    "messages": (HELLO, "messages", HELLO),
    "system": ("Be brief.", "messages", [{"role": "system", "content": "Be brief."}, *HELLO]),
    "max_tokens": (33, "max_tokens", 33),
    "temperature": (0.3, "temperature", 0.3),
    "top_p": (0.6, "top_p", 0.6),
    "top_k": (9, "top_k", 9),
    "tools": (
        [TOOL],
        "tools",
        [
            {
                "type": "function",
                "function": {"name": "get_time", "parameters": TOOL["input_schema"]},
            }
        ],
    ),
    "tool_choice": ({"type": "any"}, "tool_choice", "required"),
    "thinking": ({"type": "enabled", "budget_tokens": 5000}, "reasoning_effort", "medium"),
    "output_config": (
        {"format": {"type": "json_schema", "schema": {"type": "object"}}},
        "response_format",
        {"type": "json_schema", "json_schema": {"type": "object"}},
    ),
    "metadata": ({"user_id": "user-7"}, "x-session-affinity", "user-7"),
}
"""A value for each UPSTREAM row of /v1/messages, where it lands upstream, and what is sent."""


def test_every_upstream_row_has_an_example():
    assert {name for _, name in ours(Handling.UPSTREAM)} == set(UPSTREAM_EXAMPLES)


@pytest.mark.parametrize("name", list(UPSTREAM_EXAMPLES))
def test_upstream_rows_reach_workers_ai(gateway, emulator, name):
    value, where, sent = UPSTREAM_EXAMPLES[name]
    fields = {name: value}
    if name == "tool_choice":
        fields["tools"] = [TOOL]
    if name == "thinking":
        fields["model"] = "gpt-4o-mini"
    response = post(gateway, MESSAGES, **fields)
    assert response.status_code == 200, response.text
    run = last_run(emulator)
    assert (run["headers"] if where.startswith("x-") else run["body"])[where] == sent


GATEWAY_TESTS = {
    "model": "test_messages.test_model_names_map_to_workers_ai_models",
    "stream": "test_messages_stream.test_a_text_stream",
    "stop_sequences": "test_messages.test_stop_sequences_are_cut_and_named",
    "messages": "test_messages.test_count_tokens_counts_with_cl100k",
    "system": "test_messages.test_count_tokens_counts_with_cl100k",
    "tools": "test_messages.test_count_tokens_counts_with_cl100k",
    "tool_choice": "test_messages_parameters.test_count_tokens_narrows_the_tools_as_sent",
}
"""The test that shows each GATEWAY row's behaviour (count_tokens' rows are its counting)."""


def test_every_gateway_row_has_a_test():
    assert {name for _, name in ours(Handling.GATEWAY)} == set(GATEWAY_TESTS)
    for reference in GATEWAY_TESTS.values():
        module, function = reference.split(".")
        (path,) = (ROOT / "tests").rglob(f"{module}.py")
        defined = {
            node.name
            for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.FunctionDef)
        }
        assert function in defined, reference
