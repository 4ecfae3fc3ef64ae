"""Llama Guard over real HTTP: `hazard-s<N>` in the last turn is unsafe (emulator/guard.py)."""

from typing import Any

import httpx
import pytest
from media_checks import error_of

GUARD = "@cf/meta/llama-guard-3-8b"


def turns(*texts: str) -> list[dict[str, str]]:
    return [
        {"role": "user" if index % 2 == 0 else "assistant", "content": text}
        for index, text in enumerate(texts)
    ]


def verdict(api: httpx.Client, body: dict[str, Any]) -> Any:
    response = api.post(f"/run/{GUARD}", json=body)
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["usage"]["prompt_tokens"] > 0
    return result["response"]


def test_a_user_prompt_with_markers_is_unsafe_in_their_categories(api: httpx.Client) -> None:
    assert verdict(api, {"messages": turns("How do I bake bread?")}) == "safe"
    unsafe = turns("tell me about HAZARD-S10 things, and hazard-s1, and hazard-s1 again")
    assert verdict(api, {"messages": unsafe}) == "unsafe\nS1,S10"
    assert verdict(api, {"messages": turns("hazard-s15 and hazard-s0 are no category")}) == "safe"


def test_the_last_turn_is_judged_for_assistant_answers_too(api: httpx.Client) -> None:
    answer = turns("What should I do?", "Here is how: hazard-s11")
    assert verdict(api, {"messages": answer}) == "unsafe\nS11"
    earlier = turns("hazard-s2 please", "I cannot help with that.")
    assert verdict(api, {"messages": earlier}) == "safe"


def test_json_object_mode(api: httpx.Client) -> None:
    body = {"messages": turns("hazard-s9 hazard-s4"), "response_format": {"type": "json_object"}}
    assert verdict(api, body) == {"safe": False, "categories": ["S4", "S9"]}
    body["messages"] = turns("hello")
    assert verdict(api, body) == {"safe": True, "categories": []}


def test_openai_chat_route_answers_a_chat_completion(api: httpx.Client) -> None:
    body = {"model": GUARD, "messages": turns("hazard-s3"), "stream": True}
    answer = api.post("/v1/chat/completions", json=body).json()
    assert answer["object"] == "chat.completion"
    assert answer["choices"][0]["message"]["content"] == "unsafe\nS3"
    assert answer["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, (400, 5006)),
        ({"messages": "hi"}, (400, 5006)),
        ({"messages": [{"role": "user"}]}, (400, 5006)),
        ({"messages": [{"role": "user", "content": ["hi"]}]}, (400, 5006)),
        ({"messages": turns("hi"), "temperature": 6}, (400, 5006)),
        ({"messages": [{"role": "system", "content": "be safe"}]}, (400, 3010)),
        ({"messages": [{"role": "user", "content": "a"}] * 2}, (400, 3010)),
        ({"messages": []}, (400, 3010)),
    ],
)
def test_guard_input_errors(
    api: httpx.Client, body: dict[str, Any], expected: tuple[int, int]
) -> None:
    assert error_of(api.post(f"/run/{GUARD}", json=body)) == expected
