"""Legacy completions ⇄ Workers AI: the prompt as text generation's input, an answer as a
`text_completion`."""

from __future__ import annotations

import time
from typing import Any

from gateway.apis.completions.schemas import CompletionRequest
from gateway.core import tokens
from gateway.core.pieces import Piece, StopScanner, finish_reason, new_id, with_usage
from gateway.core.sampling import sampling_of
from gateway.core.text_generation import TextGenerationInput

LEGACY_MAX_TOKENS = 16
"""OpenAI's default for the legacy API."""


def max_tokens(req: CompletionRequest) -> int:
    """OpenAI's legacy default, also when a client sends `max_tokens: null`."""
    return req.max_tokens or LEGACY_MAX_TOKENS


def prompt_text(req: CompletionRequest) -> str:
    """The one prompt as text: a token array is decoded with cl100k_base."""
    prompt: Any = req.prompt
    if isinstance(prompt, list) and prompt and not isinstance(prompt[0], int):
        prompt = prompt[0]  # the one prompt of a list: a string or a token array
    return prompt if isinstance(prompt, str) else tokens.decode(prompt, param="prompt")


def generation_input(req: CompletionRequest, prompt: str) -> TextGenerationInput:
    """The prompt on Workers AI's native prompt form (or as one user message where a model has
    none: text_generation.run_body)."""
    return TextGenerationInput(
        messages=[], prompt=prompt, max_tokens=max_tokens(req), sampling=sampling_of(req)
    )


def text_completion(
    answer: Piece, *, model: str, req: CompletionRequest, prompt: str
) -> dict[str, Any]:
    """A `text_completion`; `model` is the name the client asked for."""
    scanner = StopScanner(req.stops)
    text = scanner.feed(answer.text) + scanner.flush()
    if req.echo:
        text = prompt + text
    reason = finish_reason(
        answer.finish_reason,
        tool_calls=False,
        stopped=scanner.stopped,
        usage=answer.usage,
        max_tokens=max_tokens(req),
    )
    return with_usage(
        {
            "id": new_id("cmpl"),
            "object": "text_completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "text": text, "finish_reason": reason, "logprobs": None}],
        },
        answer.usage,
    )
