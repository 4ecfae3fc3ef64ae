"""The Messages API's parameter tables against the `anthropic` SDK's request types (generated
from Anthropic's API definition), without a server: a row for every field, a request model that
takes every row, and the pure rules (names, efforts, blocks) doing what their docstrings say."""

from __future__ import annotations

import typing

import pytest
from anthropic.types.message_count_tokens_params import MessageCountTokensParams
from anthropic.types.message_create_params import MessageCreateParamsBase
from helpers import BACKUP, PRIMARY

from gateway.apis.messages.parameters import COUNT_TOKENS, MESSAGES
from gateway.apis.messages.schemas import CountTokensRequest, MessagesRequest
from gateway.apis.messages.translate import generation_input, message_usage, stop_reason
from gateway.core.catalog import claude_names, matching
from gateway.core.config import Settings
from gateway.core.errors import GatewayError

ISSUE_FIELDS = {"temperature", "top_p", "top_k"}
"""Documented in Anthropic's API reference (and sent by older clients), though the SDK's newest
types leave them out."""
CLAUDE_CODE_FIELDS = {"context_management", "mcp_servers"}
"""Beta fields Claude Code and Anthropic's beta clients send."""


def sdk_fields(params: type) -> set[str]:
    return set(typing.get_type_hints(params)) - {"stream"}


@pytest.mark.parametrize(
    ("table", "params", "extra"),
    [
        (MESSAGES, MessageCreateParamsBase, ISSUE_FIELDS | CLAUDE_CODE_FIELDS | {"stream"}),
        (COUNT_TOKENS, MessageCountTokensParams, CLAUDE_CODE_FIELDS),
    ],
    ids=["messages", "count_tokens"],
)
def test_the_table_has_a_row_for_every_field_of_the_sdks_type(table, params, extra):
    assert set(table) == sdk_fields(params) | extra


@pytest.mark.parametrize(
    ("table", "model"),
    [(MESSAGES, MessagesRequest), (COUNT_TOKENS, CountTokensRequest)],
    ids=["messages", "count_tokens"],
)
def test_the_request_model_accepts_every_row(table, model):
    accepted = {field.alias or name for name, field in model.model_fields.items()}
    assert accepted == set(table)


def request(**fields) -> MessagesRequest:
    body = {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}]}
    return MessagesRequest.model_validate(body | fields)


def test_context_editing_that_keeps_all_thinking_is_accepted():
    edits = {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]}
    assert request(context_management=edits).context_management == edits
    with pytest.raises(GatewayError) as caught:
        request(context_management={"edits": [{"type": "clear_thinking_20251015"}]})
    assert caught.value.param == "context_management"


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("claude-haiku-4-5-20251001", "@cf/meta/llama-3.3-70b-instruct-fp8-fast"),
        ("claude-opus-5-5", PRIMARY),
        ("claude-sonnet-4-6", PRIMARY),
        ("claude", None),
        ("gpt-4o", None),
    ],
)
def test_the_default_claude_table(name, model):
    assert matching(claude_names(Settings(_env_file=None)), name) == model


def test_claude_table_targets_and_mistakes():
    settings = Settings(_env_file=None, claude_models="claude-3-opus=backup, claude-*=@cf/x/y")
    patterns = claude_names(settings)
    assert matching(patterns, "claude-3-opus") == BACKUP
    assert matching(patterns, "claude-3-opus-latest") == "@cf/x/y"
    with pytest.raises(ValueError, match="not `pattern=model`"):
        claude_names(Settings(_env_file=None, claude_models="claude-*"))


@pytest.mark.parametrize(
    ("budget", "effort"),
    [(1024, "low"), (3999, "low"), (4000, "medium"), (15999, "medium"), (16000, "high")],
)
def test_thinking_budgets_map_to_efforts(budget, effort):
    thinking = {"type": "enabled", "budget_tokens": budget}
    assert generation_input(request(thinking=thinking), 10).reasoning_effort == effort


def test_stop_reasons_in_anthropics_words():
    assert stop_reason("stop", None) == ("end_turn", None)
    assert stop_reason("stop", "END") == ("stop_sequence", "END")
    assert stop_reason("length", None) == ("max_tokens", None)
    assert stop_reason("tool_calls", None) == ("tool_use", None)
    assert stop_reason("content_filter", None) == ("refusal", None)


def test_usage_keeps_cached_tokens_apart():
    usage = {
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "total_tokens": 120,
        "prompt_tokens_details": {"cached_tokens": 60},
        "completion_tokens_details": {"reasoning_tokens": 5},
    }
    assert message_usage(usage) == {
        "input_tokens": 40,
        "output_tokens": 20,
        "cache_read_input_tokens": 60,
        "output_tokens_details": {"thinking_tokens": 5},
    }
    assert message_usage(None) == {"input_tokens": 0, "output_tokens": 0}


def test_a_conversation_of_only_system_text_is_a_400():
    with pytest.raises(GatewayError) as caught:
        generation_input(request(messages=[{"role": "system", "content": "x"}]), 10)
    assert caught.value.param == "messages"


def test_misplaced_blocks_are_a_400_naming_them():
    use = {"type": "tool_use", "id": "t", "name": "f", "input": {}}
    with pytest.raises(GatewayError) as caught:
        generation_input(request(messages=[{"role": "user", "content": [use]}]), 10)
    assert caught.value.param == "messages[0].content[0]"
    result = {"type": "tool_result", "tool_use_id": "t"}
    with pytest.raises(GatewayError):
        generation_input(request(messages=[{"role": "assistant", "content": [result]}]), 10)


def test_count_tokens_narrows_the_tools_as_sent():
    """A named tool choice sends (and so counts) that tool alone."""
    from gateway.apis.messages.count import count_tokens
    from gateway.apis.messages.schemas import CountTokensRequest

    tools = [
        {"name": "a", "input_schema": {"type": "object", "properties": {"x": {"type": "string"}}}},
        {"name": "b", "input_schema": {"type": "object"}},
    ]
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": tools}
    both = count_tokens(generation_input(CountTokensRequest.model_validate(body), 1))
    named = body | {"tool_choice": {"type": "tool", "name": "b"}}
    one = count_tokens(generation_input(CountTokensRequest.model_validate(named), 1))
    assert one < both
