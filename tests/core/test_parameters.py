"""The parameter table and the pure rules beside it, without a server: seconds to run.

The table must name every field of OpenAI's request schemas, the request models must accept
every row, docs/api.md must show the table as the code has it, and each mapping rule (tool
choice, reasoning effort, message shapes, token ids) does what its docstring says.
"""

from __future__ import annotations

import json
import re

import pytest
from helpers import OPENAI_SPEC, ROOT
from refusals import REFUSED_EXAMPLES, rows

from gateway.apis.audio.parameters import SPEECH, TRANSCRIPTIONS, TRANSLATIONS
from gateway.apis.audio.schemas import SpeechRequest, TranscriptionRequest, TranslationRequest
from gateway.apis.chat.dialect import Chat
from gateway.apis.chat.parameters import CHAT_COMPLETIONS
from gateway.apis.chat.schemas import ChatCompletionRequest
from gateway.apis.chat.translate import ChatTools, generation_input
from gateway.apis.completions.parameters import COMPLETIONS
from gateway.apis.completions.schemas import CompletionRequest
from gateway.apis.embeddings.parameters import EMBEDDINGS
from gateway.apis.embeddings.schemas import EmbeddingRequest
from gateway.apis.moderations.parameters import MODERATIONS
from gateway.apis.moderations.schemas import ModerationRequest
from gateway.app import parameter_tables
from gateway.core import parameters, tokens
from gateway.core.catalog import GPT_OSS_EFFORTS, KNOWN_MODELS, Capabilities
from gateway.core.errors import GatewayError
from gateway.core.parameters import Handling
from gateway.core.text_generation import (
    REASONING_EFFORTS,
    ToolRules,
    reasoning_effort,
    run_body,
)

SCHEMAS = {
    "CreateChatCompletionRequest": (CHAT_COMPLETIONS, ChatCompletionRequest),
    "CreateCompletionRequest": (COMPLETIONS, CompletionRequest),
    "CreateEmbeddingRequest": (EMBEDDINGS, EmbeddingRequest),
    "CreateTranscriptionRequest": (TRANSCRIPTIONS, TranscriptionRequest),
    "CreateTranslationRequest": (TRANSLATIONS, TranslationRequest),
    "CreateSpeechRequest": (SPEECH, SpeechRequest),
    "CreateModerationRequest": (MODERATIONS, ModerationRequest),
}
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {}}}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {}}}


def spec_fields(name: str) -> set[str]:
    """Every property of one of OpenAI's request schemas, through its allOf parts."""
    schemas = json.loads(OPENAI_SPEC.read_text())["components"]["schemas"]
    fields: set[str] = set()

    def walk(schema: dict) -> None:
        if "$ref" in schema:
            walk(schemas[schema["$ref"].rsplit("/", 1)[-1]])
        for part in schema.get("allOf", []):
            walk(part)
        fields.update(schema.get("properties", {}))

    walk(schemas[name])
    return fields


@pytest.mark.parametrize("schema", SCHEMAS)
def test_the_table_has_a_row_for_every_field_of_openais_schema(schema):
    table, _ = SCHEMAS[schema]
    assert {name for name, row in table.items() if not row.extension} == spec_fields(schema)


@pytest.mark.parametrize("schema", SCHEMAS)
def test_the_request_model_accepts_every_row(schema):
    table, model = SCHEMAS[schema]
    accepted = {field.alias or name for name, field in model.model_fields.items()}
    assert accepted == set(table)


def test_the_api_page_shows_the_table_as_the_code_has_it():
    page = (ROOT / "docs" / "api.md").read_text()
    found = re.search(r"<!-- parameters:start -->\n(.*?)<!-- parameters:end -->", page, re.S)
    assert found, "docs/api.md lost its parameter-table markers"
    assert found.group(1).strip() == parameters.markdown(parameter_tables()).strip(), (
        "docs/api.md is stale: run `make parameters`"
    )


def test_every_refused_row_has_an_example():
    assert set(rows(Handling.REFUSED)) == set(REFUSED_EXAMPLES)


@pytest.mark.parametrize(("endpoint", "name"), REFUSED_EXAMPLES, ids="-".join)
def test_refused_rows_name_the_parameter(endpoint, name):
    class Asked:
        pass

    asked = Asked()
    setattr(asked, name, REFUSED_EXAMPLES[endpoint, name])
    with pytest.raises(GatewayError) as caught:
        parameters.refuse_unsupported(parameter_tables()[endpoint], asked)
    assert caught.value.status == 400
    assert caught.value.param == name
    assert caught.value.code == "unsupported_parameter"
    assert f"'{name}'" in caught.value.message


def test_none_and_values_that_ask_for_nothing_pass():
    ChatCompletionRequest.model_validate(
        {
            "model": "m",
            "messages": [{"role": "user", "content": "x"}],
            "n": 1,
            "logit_bias": {},
            "logprobs": False,
            "top_logprobs": 0,
            "modalities": ["text"],
            "verbosity": "medium",
            "audio": None,
        }
    )
    CompletionRequest.model_validate({"model": "m", "prompt": "x", "suffix": "", "best_of": 1})


# --- reasoning_effort ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "sent"),
    [
        ("none", "low"),
        ("minimal", "low"),
        ("low", "low"),
        ("medium", "medium"),
        ("high", "high"),
        ("xhigh", "high"),
        ("max", "high"),
        (None, None),
    ],
)
def test_reasoning_effort_maps_to_the_nearest_the_model_takes(asked, sent):
    assert reasoning_effort(asked, GPT_OSS_EFFORTS) == sent


@pytest.mark.parametrize("asked", REASONING_EFFORTS)
def test_reasoning_effort_is_dropped_for_models_that_do_not_reason(asked):
    assert reasoning_effort(asked, Capabilities().reasoning_efforts) is None


def test_every_reasoning_effort_of_the_spec_is_accepted():
    schemas = json.loads(OPENAI_SPEC.read_text())["components"]["schemas"]
    assert set(REASONING_EFFORTS) == set(schemas["ReasoningEffort"]["anyOf"][0]["enum"])
    for value in REASONING_EFFORTS:
        ChatCompletionRequest(
            model="m", messages=[{"role": "user", "content": "x"}], **{"reasoning_effort": value}
        )


# --- tools --------------------------------------------------------------------------------------


def upstream_tools(req: ChatCompletionRequest) -> tuple[list[dict], object]:
    """The tools and tool choice chat sends upstream for `req`."""
    tools, choice = generation_input(req, 4096).upstream_tools()
    return [tool.body() for tool in tools], choice


def tool_rules(req: ChatCompletionRequest) -> ChatTools:
    return Chat(req, ["@cf/x/y"], 4096).chat_tools


def native_messages(req: ChatCompletionRequest, caps: Capabilities) -> list[dict]:
    """The messages chat sends to a model with `caps`."""
    inp = generation_input(req, 4096)
    return run_body(inp, caps, stream=False, has_backup=False)["messages"]


def chat(**fields) -> ChatCompletionRequest:
    return ChatCompletionRequest.model_validate(
        {"model": "m", "messages": [{"role": "user", "content": "x"}]} | fields
    )


@pytest.mark.parametrize(
    ("choice", "names", "sent"),
    [
        (None, ["get_weather", "get_time"], None),
        ("auto", ["get_weather", "get_time"], "auto"),
        ("none", ["get_weather", "get_time"], "none"),
        ("required", ["get_weather", "get_time"], "required"),
        ("any", ["get_weather", "get_time"], "required"),
        (
            {"type": "function", "function": {"name": "get_time"}},
            ["get_time"],
            {"type": "function", "function": {"name": "get_time"}},
        ),
        (
            {"type": "allowed_tools", "allowed_tools": {"mode": "required", "tools": [TIME]}},
            ["get_time"],
            "required",
        ),
    ],
)
def test_tool_choice_goes_upstream_in_openais_forms(choice, names, sent):
    tools, upstream_choice = upstream_tools(chat(tools=[WEATHER, TIME], tool_choice=choice))
    assert [tool["function"]["name"] for tool in tools] == names
    assert upstream_choice == sent


@pytest.mark.parametrize(
    ("function_call", "sent"),
    [(None, None), ("auto", "auto"), ("none", "none"), ({"name": "get_time"}, "get_time")],
)
def test_legacy_functions_are_tools(function_call, sent):
    req = chat(functions=[WEATHER["function"], TIME["function"]], function_call=function_call)
    tools, choice = upstream_tools(req)
    assert all(tool["type"] == "function" for tool in tools)
    if isinstance(choice, dict):
        choice = choice["function"]["name"]
    assert choice == sent
    callable_names = {"none": set(), "get_time": {"get_time"}}.get(
        sent, {"get_weather", "get_time"}
    )
    rules = ToolRules(frozenset(callable_names), one_call=True)
    assert tool_rules(req) == ChatTools(rules, legacy=True)


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"tool_choice": "required"}, "tool_choice"),
        (
            {"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "x"}}},
            "tool_choice",
        ),
        ({"function_call": {"name": "x"}, "functions": [TIME["function"]]}, "function_call"),
        ({"function_call": {"name": "get_time"}}, "function_call"),
        ({"tools": [WEATHER], "functions": [TIME["function"]]}, "functions"),
    ],
)
def test_a_choice_without_its_tools_is_a_400(fields, param):
    with pytest.raises(GatewayError) as caught:
        chat(**fields)
    assert caught.value.param == param


def test_only_the_tools_a_choice_allows_can_be_recovered_from_text():
    named = {"type": "function", "function": {"name": "get_time"}}
    assert tool_rules(chat(tools=[WEATHER, TIME], tool_choice=named)).rules.names == {"get_time"}
    assert tool_rules(chat(tools=[WEATHER, TIME], tool_choice="none")).rules.names == set()


def test_parallel_tool_calls_false_means_one_call():
    assert tool_rules(chat(tools=[WEATHER], parallel_tool_calls=False)).rules.one_call
    assert not tool_rules(chat(tools=[WEATHER], parallel_tool_calls=True)).rules.one_call


# --- messages -----------------------------------------------------------------------------------


def test_every_message_shape_becomes_what_workers_ai_takes():
    req = chat(
        messages=[
            {"role": "developer", "content": [{"type": "text", "text": "be brief"}], "name": "d"},
            {"role": "user", "content": "weather?", "name": "ann"},
            {"role": "assistant", "content": [{"type": "refusal", "refusal": "No."}]},
            {"role": "assistant", "content": None, "refusal": "Still no."},
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "get_weather", "arguments": "{}"},
                "reasoning_content": "they want weather",
            },
            {"role": "function", "name": "get_weather", "content": "sunny"},
            {
                "role": "assistant",
                "content": [{"type": "text", "text": "Sunny."}],
                "reasoning": "I read the tool",
            },
            {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "ok"}]},
        ]
    )
    gpt_oss = KNOWN_MODELS["@cf/openai/gpt-oss-120b"]
    assert native_messages(req, gpt_oss) == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": "No."},
        {"role": "assistant", "content": "Still no."},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_4",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": "{}"},
                }
            ],
            "reasoning": "they want weather",
        },
        {"role": "tool", "tool_call_id": "call_4", "content": "sunny"},
        {"role": "assistant", "content": "Sunny.", "reasoning": "I read the tool"},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
    ]
    others = native_messages(req, Capabilities())
    assert not any("reasoning" in item for item in others), "only reasoning models get it back"


# --- token ids ----------------------------------------------------------------------------------


def test_cl100k_token_ids_decode_offline():
    assert tokens.decode([15339, 1917], param="input") == "hello world"


@pytest.mark.parametrize("ids", [[100256], [2**40]])
def test_an_id_cl100k_lacks_is_a_400_naming_the_input(ids):
    with pytest.raises(GatewayError) as caught:
        tokens.decode(ids, param="input[1]")
    assert caught.value.status == 400
    assert caught.value.param == "input[1]"
