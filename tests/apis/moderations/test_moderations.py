"""POST /v1/moderations through the official SDK, on Llama Guard (the emulator's trigger words
are `hazard-s<N>`: see emulator/guard.py)."""

from __future__ import annotations

import pytest
from helpers import assert_error, post, upstream_runs

from gateway.apis.moderations.verdicts import CATEGORIES, HAZARDS

GUARD = "@cf/meta/llama-guard-3-8b"


def test_a_safe_text_flags_nothing(client, emulator, openai_schemas):
    raw = client.moderations.with_raw_response.create(input="Have a lovely day.")
    body = raw.http_response.json()
    openai_schemas.validate("CreateModerationResponse", body)
    result = raw.parse().results[0]
    assert result.flagged is False
    assert not any(body["results"][0]["categories"].values())
    assert set(body["results"][0]["category_scores"].values()) == {0.0}
    assert raw.headers["x-gateway-model"] == GUARD
    assert body["model"] == "omni-moderation-latest"
    sent = upstream_runs(emulator)[0]["body"]
    assert sent["messages"] == [{"role": "user", "content": "Have a lovely day."}]
    assert sent["response_format"] == {"type": "json_object"}


def test_each_input_gets_its_verdict_mapped_onto_openais_categories(
    client, emulator, openai_schemas
):
    inputs = ["fine words", "I will hazard-s1 you", "hazard-s10 and hazard-s12", "hazard-s6"]
    raw = client.moderations.with_raw_response.create(model="text-moderation-latest", input=inputs)
    body = raw.http_response.json()
    openai_schemas.validate("CreateModerationResponse", body)
    results = body["results"]
    assert [r["flagged"] for r in results] == [False, True, True, True]
    flagged = [{name for name, on in r["categories"].items() if on} for r in results]
    assert flagged == [set(), {"violence", "illicit/violent"}, {"hate", "sexual"}, set()]
    assert results[3]["hazards"] == ["S6"], "a code with no OpenAI category still flags"
    for result, names in zip(results, flagged, strict=True):
        assert set(result["categories"]) == set(CATEGORIES)
        assert {n for n, s in result["category_scores"].items() if s == 1.0} == names
        assert set(result["category_scores"].values()) <= {0.0, 1.0}
    assert len(upstream_runs(emulator)) == 4, "one Llama Guard call per input"


def test_text_parts_are_judged(client, emulator):
    result = client.moderations.create(input=[{"type": "text", "text": "hazard-s11"}])
    assert result.results[0].categories.self_harm is True


def test_an_image_input_is_a_400(gateway, emulator, openai_schemas):
    body = {"input": [{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}
    assert_error(post(gateway, "/v1/moderations", body), 400, openai_schemas, param="input[0]")
    assert upstream_runs(emulator) == []


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"input": []}, 400, "input"),
        ({"input": ["x"] * 33}, 400, "input"),
        ({}, 400, "input"),
        ({"input": "x", "model": "gpt-4o"}, 400, "model"),
        ({"input": "x", "model": "not-a-model"}, 404, "model"),
    ],
)
def test_bad_requests(gateway, emulator, openai_schemas, body, status, param):
    assert_error(post(gateway, "/v1/moderations", body), status, openai_schemas, param=param)


def test_every_hazard_code_is_documented():
    assert [f"S{n}" for n in range(1, 15)] == list(HAZARDS)
    assert all(set(names) <= set(CATEGORIES) for _, names in HAZARDS.values())
