"""Usage breakdowns and prompt caching, end to end through the official SDK.

Workers AI reports `completion_tokens_details.reasoning_tokens` (gpt-oss) and, for a request
with the `x-session-affinity` header, `prompt_tokens_details.cached_tokens`
(reference/workers-ai.md, prompt caching). The gateway passes the upstream's numbers through in
chat (whole and in the stream's usage chunk), legacy completions and the Responses API, and
sends `prompt_cache_key` upstream as that header. Every body and chunk is checked against
OpenAI's schemas.
"""

from __future__ import annotations

import hashlib
import uuid

import httpx
import pytest
from helpers import BACKUP, PRIMARY, last_run

from gateway.core.pieces import read_piece


def new_key() -> str:
    """A cache key no other test uses (the emulator's prefix cache lives for the session)."""
    return f"conversation-{uuid.uuid4().hex}"


def direct_usage(emulator, model: str) -> dict:
    """The usage Workers AI itself gives for the gateway's last upstream body (no session
    header, so the prefix cache is neither read nor changed)."""
    body = last_run(emulator)["body"] | {"stream": False}
    result = httpx.post(
        f"{emulator.base_url}/run/{model}", json=body, headers={"authorization": "Bearer t"}
    ).json()["result"]
    return result["usage"]


def chat(client, openai_schemas, **params) -> dict:
    raw = client.chat.completions.with_raw_response.create(**params)
    body = raw.http_response.json()
    openai_schemas.validate("CreateChatCompletionResponse", body)
    assert raw.parse().usage.total_tokens == body["usage"]["total_tokens"]
    return body


def streamed_usage(client, openai_schemas, **params) -> dict:
    """The usage of the one usage chunk of a chat stream (stream_options.include_usage)."""
    chunks = list(
        client.chat.completions.create(
            stream=True, stream_options={"include_usage": True}, **params
        )
    )
    sent = [chunk.model_dump(exclude_unset=True) for chunk in chunks]  # the JSON as it came
    for chunk in sent:
        openai_schemas.validate("CreateChatCompletionStreamResponse", chunk)
    [last] = [chunk for chunk in sent if chunk.get("usage")]
    assert last["choices"] == [] and sent[-1] is last
    return last["usage"]


def chat_usage(client, openai_schemas, stream: bool, **params) -> dict:
    """A chat answer's usage: the whole body's, or the stream's usage chunk's."""
    if stream:
        return streamed_usage(client, openai_schemas, **params)
    return chat(client, openai_schemas, **params)["usage"]


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize(
    ("model", "breakdowns"),
    [(BACKUP, {"completion_tokens_details"}), (PRIMARY, set())],
    ids=["reasoning-model", "no-breakdown"],
)
def test_chat_usage_is_the_upstreams_with_its_breakdowns_and_nothing_made_up(
    client, emulator, openai_schemas, model, breakdowns, stream
):
    messages = [{"role": "user", "content": "think, then answer"}]
    usage = chat_usage(client, openai_schemas, stream, model=model, messages=messages)
    upstream = direct_usage(emulator, model)
    assert set(upstream) - {"prompt_tokens", "completion_tokens", "total_tokens"} == breakdowns
    if breakdowns:
        assert upstream["completion_tokens_details"]["reasoning_tokens"] > 0
    assert usage == upstream, "the upstream's counts and breakdowns, unchanged"


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_chat_prompt_cache_key_keeps_the_conversation_cached(
    client, emulator, openai_schemas, stream
):
    """The key goes upstream as `x-session-affinity`; the second turn's cached tokens, as
    Workers AI reports them, are the whole first prompt (its prefix)."""
    key = new_key()
    first_turn = [{"role": "user", "content": "remember the word apricot"}]
    first = chat_usage(
        client, openai_schemas, stream, model=PRIMARY, messages=first_turn, prompt_cache_key=key
    )
    assert last_run(emulator)["headers"]["x-session-affinity"] == key
    assert first["prompt_tokens_details"] == {"cached_tokens": 0}
    second_turn = [
        *first_turn,
        {"role": "assistant", "content": "Noted."},
        {"role": "user", "content": "which word?"},
    ]
    second = chat_usage(
        client, openai_schemas, stream, model=PRIMARY, messages=second_turn, prompt_cache_key=key
    )
    assert last_run(emulator)["headers"]["x-session-affinity"] == key
    assert second["prompt_tokens_details"]["cached_tokens"] == first["prompt_tokens"]
    assert second["prompt_tokens"] > first["prompt_tokens"]


def test_without_a_key_no_affinity_header_is_sent(client, emulator, openai_schemas):
    chat(client, openai_schemas, model=PRIMARY, messages=[{"role": "user", "content": "hi"}])
    assert "x-session-affinity" not in last_run(emulator)["headers"]


@pytest.mark.parametrize("key", ["ключ", "two\nlines", "x" * 300], ids=["utf8", "newline", "long"])
def test_a_key_that_cannot_be_a_header_goes_as_its_digest(client, emulator, openai_schemas, key):
    """Any string OpenAI allows is taken; one that is not a plain header value is sent as its
    SHA-256 (the same key, the same replica), never as a 500 or a broken header."""
    for _ in range(2):
        chat(
            client,
            openai_schemas,
            model=PRIMARY,
            messages=[{"role": "user", "content": "hi"}],
            prompt_cache_key=key,
        )
        sent = last_run(emulator)["headers"]["x-session-affinity"]
        assert sent == hashlib.sha256(key.encode()).hexdigest()


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_legacy_completions_pass_on_cached_tokens(client, emulator, openai_schemas, stream):
    """`prompt_cache_key` is chat's field, taken by legacy completions too (the SDK sends it in
    `extra_body`); the same prompt twice in one session is cached whole the second time."""
    key = new_key()
    usages = []
    for _ in range(2):
        params = {
            "model": PRIMARY,
            "prompt": "Once upon a time",
            "max_tokens": 5,
            "extra_body": {"prompt_cache_key": key},
        }
        if stream:
            chunks = list(
                client.completions.create(
                    stream=True, stream_options={"include_usage": True}, **params
                )
            )
            last = chunks[-1].model_dump(exclude_unset=True)
            openai_schemas.validate("CreateCompletionResponse", last)
            usage = last["usage"]
        else:
            raw = client.completions.with_raw_response.create(**params)
            body = raw.http_response.json()
            openai_schemas.validate("CreateCompletionResponse", body)
            usage = body["usage"]
        assert last_run(emulator)["headers"]["x-session-affinity"] == key
        usages.append(usage)
    assert usages[0]["prompt_tokens_details"] == {"cached_tokens": 0}
    assert usages[1]["prompt_tokens_details"] == {"cached_tokens": usages[1]["prompt_tokens"]}


def response_body(client, openai_schemas, **params) -> dict:
    raw = client.responses.with_raw_response.create(**params)
    body = raw.http_response.json()
    openai_schemas.validate("Response", body)
    return body


def test_responses_report_the_upstreams_reasoning_tokens(client, emulator, openai_schemas):
    body = response_body(client, openai_schemas, model=BACKUP, input="think about it")
    upstream = direct_usage(emulator, BACKUP)
    usage = body["usage"]
    assert usage["output_tokens_details"] == upstream["completion_tokens_details"]
    assert usage["output_tokens_details"]["reasoning_tokens"] > 0
    assert usage["input_tokens_details"]["cached_tokens"] == 0, "required; none was reported"
    assert (usage["input_tokens"], usage["output_tokens"], usage["total_tokens"]) == (
        upstream["prompt_tokens"],
        upstream["completion_tokens"],
        upstream["total_tokens"],
    )


def test_responses_stream_reports_them_in_the_final_event(client, emulator, openai_schemas):
    key = new_key()
    stream = client.responses.create(
        model=BACKUP, input="think while streaming", prompt_cache_key=key, stream=True
    )
    events = [event.model_dump(exclude_unset=True) for event in stream]
    for event in events:
        openai_schemas.validate("ResponseStreamEvent", event)
    [completed] = [e for e in events if e["type"] == "response.completed"]
    assert last_run(emulator)["headers"]["x-session-affinity"] == key
    upstream = direct_usage(emulator, BACKUP)
    usage = completed["response"]["usage"]
    assert usage["output_tokens_details"] == upstream["completion_tokens_details"]
    assert usage["input_tokens_details"]["cached_tokens"] == 0, "first of its session"


def test_responses_prompt_cache_key_across_previous_response_id(client, emulator, openai_schemas):
    key = new_key()
    first = response_body(
        client, openai_schemas, model=PRIMARY, input="my name is Ada", prompt_cache_key=key
    )
    assert last_run(emulator)["headers"]["x-session-affinity"] == key
    second = response_body(
        client,
        openai_schemas,
        model=PRIMARY,
        input="what is my name?",
        previous_response_id=first["id"],
        prompt_cache_key=key,
    )
    assert last_run(emulator)["headers"]["x-session-affinity"] == key
    assert second["prompt_cache_key"] == key, "echoed, as OpenAI does"
    cached = second["usage"]["input_tokens_details"]["cached_tokens"]
    assert cached == first["usage"]["input_tokens"], "the first turn is the cached prefix"
    assert second["usage"]["input_tokens"] > cached


@pytest.mark.parametrize(
    ("upstream", "details"),
    [
        (
            {"prompt_tokens_details": {"cached_tokens": 7}},
            {"prompt_tokens_details": {"cached_tokens": 7}},
        ),
        (
            {"completion_tokens_details": {"reasoning_tokens": 3, "audio_tokens": 0}},
            {"completion_tokens_details": {"reasoning_tokens": 3}},
        ),
        ({"prompt_tokens_details": None, "completion_tokens_details": {}}, {}),
        ({"prompt_tokens_details": {"cached_tokens": "7"}}, {}),
        ({"prompt_tokens_details": {"cached_tokens": True}}, {}),
        ({"completion_tokens_details": {"reasoning_tokens": -1}}, {}),
    ],
    ids=["cached", "reasoning", "empty", "text", "bool", "negative"],
)
@pytest.mark.parametrize("shape", ["native", "openai"])
def test_only_well_formed_breakdowns_are_read(upstream, details, shape):
    """A breakdown is passed on only as a count the upstream really gave; anything else is
    left out rather than guessed (the three totals are unaffected)."""
    counts = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    result = {"response": "hi"} if shape == "native" else {"choices": [{"message": {}}]}
    piece = read_piece(result | {"usage": counts | upstream})
    assert piece.usage == counts | details
