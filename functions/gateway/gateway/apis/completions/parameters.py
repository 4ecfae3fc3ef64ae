"""What legacy completions do with each field of OpenAI's `CreateCompletionRequest`."""

from __future__ import annotations

from gateway.core.parameters import PROMPT_CACHE_KEY, SAMPLING, Table, gateway, refused, upstream

COMPLETIONS: Table = {
    **SAMPLING,
    "prompt": gateway(
        "a string or a token array (decoded with `cl100k_base`), alone or as a list's one "
        "item; several prompts are a 400"
    ),
    "max_tokens": upstream("sent as is; default 16, as OpenAI's"),
    "echo": gateway("the prompt is put before the text (and first in a stream)"),
    "suffix": refused('Workers AI does no insertion: only `""` is accepted', lambda v: v == ""),
    "logprobs": refused("Workers AI returns no log probabilities"),
    "best_of": refused("only one candidate: `best_of` must be 0 or 1", lambda value: value <= 1),
    "prompt_cache_key": upstream(f"chat's, taken here too: {PROMPT_CACHE_KEY}", extension=True),
}
