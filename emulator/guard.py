"""Deterministic moderation: `@cf/meta/llama-guard-3-8b` (reference: workers-ai-media.md §6).

The trigger: the last message of the conversation (a user's prompt or an assistant's answer:
Llama Guard judges the last turn) is unsafe when it contains a marker word `hazard-s<N>` for a
hazard category S1..S14 (case-insensitive, e.g. "hazard-s1", "HAZARD-S10"); other messages and
other numbers do not count. The verdict, as the model writes it:

- text: `safe`, or `unsafe` and a line of the categories in ascending order: "unsafe\\nS1,S10";
- with `response_format: {"type": "json_object"}`: `{"safe": bool, "categories": ["S1", ...]}`.

It comes as a text-generation answer: `{response, usage}` on /run, a chat.completion on
/v1/chat/completions; never streamed. Roles must alternate user/assistant starting with a user,
else the model refuses (400 / 3010), as Llama's chat template does.
"""

import re
from typing import Any

from emulator import validation as check
from emulator.models import ModelSpec
from emulator.text import Generation, Message, message_tokens, pieces

MARKER = re.compile(r"\bhazard-s(\d{1,2})\b", re.IGNORECASE)
CATEGORIES = range(1, 15)
MAX_CONTENT = 131_072


def hazards(text: str) -> list[str]:
    """The categories whose marker words `text` contains, as S-codes in ascending order."""
    found = {int(number) for number in MARKER.findall(text)}
    return [f"S{number}" for number in sorted(found) if number in CATEGORIES]


def _messages(body: dict[str, Any]) -> list[Message]:
    check.require(body, "messages")
    raw = body["messages"]
    if not isinstance(raw, list):
        raise check.mismatch("messages", raw, "array")
    messages = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise check.mismatch(f"messages/{index}", item, "object")
        if "role" not in item or "content" not in item:
            raise check.schema_error(
                f"required properties at '/messages/{index}' are 'role,content'"
            )
        role = item["role"]
        if not isinstance(role, str):
            raise check.mismatch(f"messages/{index}/role", role, "string")
        content = item["content"]
        if not isinstance(content, str):
            raise check.mismatch(f"messages/{index}/content", content, "string")
        if len(content) > MAX_CONTENT:
            raise check.schema_error(
                f"'/messages/{index}/content' must NOT have more than {MAX_CONTENT} characters"
            )
        if role != ("user" if index % 2 == 0 else "assistant"):
            raise check.model_error(
                "Conversation roles must alternate user/assistant/user/assistant/..."
            )
        messages.append(Message(role, content))
    if not messages:
        raise check.model_error("messages must not be empty")
    return messages


def judge(body: dict[str, Any], spec: ModelSpec) -> Generation:
    """Validate a Llama Guard body and give its verdict as a generation. Raises UpstreamError
    (5006 schema, 3010 roles)."""
    messages = _messages(body)
    max_tokens = check.integer(body, "max_tokens", minimum=1)
    check.number(body, "temperature", minimum=0, maximum=5)
    response_format = body.get("response_format")
    if response_format is not None and not isinstance(response_format, dict):
        raise check.mismatch("response_format", response_format, "object")
    json_mode = (response_format or {}).get("type") == "json_object"
    categories = hazards(messages[-1].text)
    verdict = "unsafe\n" + ",".join(categories) if categories else "safe"
    tokens = pieces(verdict)
    budget = 256 if max_tokens is None else max_tokens
    generation = Generation(
        spec, tokens[:budget], [], [], "stop", sum(message_tokens(m) for m in messages)
    )
    if len(tokens) > budget:
        generation.finish_reason = "length"
    elif json_mode:
        generation.json_value = {"safe": not categories, "categories": categories}
    return generation
