"""Deterministic reranking: `@cf/baai/bge-reranker-base` (reference: workers-ai-media.md §5).

Scores come from word overlap. With Q the set of the query's words and C the set of a context's
(words: runs of letters and digits, lower-cased), overlap = |Q ∩ C| / |Q| and

    score = 1 / (1 + exp(-(8 · overlap - 4)))

so every score is in 0..1 (about 0.018 with no word in common, 0.5 with half the query's words,
about 0.982 with all of them): already passed through the sigmoid the model card describes, not
raw logits. The answer `{"response": [{"id": index into contexts, "score"}]}` is best first, ties
in the order of the contexts; `top_k` keeps the first k.
"""

import math
import re
from typing import Any

from emulator import validation as check

WORD = re.compile(r"[^\W_]+")
STEEPNESS = 8.0


def words(text: str) -> set[str]:
    return {word.lower() for word in WORD.findall(text)}


def score(query: str, context: str) -> float:
    """The emulated relevance of `context` to `query`, in 0..1."""
    asked = words(query)
    overlap = len(asked & words(context)) / len(asked) if asked else 0.0
    return 1 / (1 + math.exp(-(STEEPNESS * overlap - STEEPNESS / 2)))


def _contexts(body: dict[str, Any]) -> list[str]:
    contexts = body["contexts"]
    if not isinstance(contexts, list):
        raise check.mismatch("contexts", contexts, "array")
    texts = []
    for index, item in enumerate(contexts):
        if not isinstance(item, dict):
            raise check.mismatch(f"contexts/{index}", item, "object")
        text = check.string(item, "text", min_length=1)
        if text is None:
            raise check.model_error(f"contexts[{index}] has no text")
        texts.append(text)
    return texts


def rank(body: dict[str, Any]) -> dict[str, Any]:
    """The envelope's `result` for a rerank body `{query, contexts: [{text}], top_k?}`.
    Raises UpstreamError (5006 schema, 3010 a context without text)."""
    check.require(body, "query", "contexts")
    query = check.string(body, "query", min_length=1) or ""
    top_k = check.integer(body, "top_k", minimum=1)
    scored = [(score(query, text), index) for index, text in enumerate(_contexts(body))]
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    if top_k is not None:
        scored = scored[:top_k]
    return {"response": [{"id": index, "score": value} for value, index in scored]}
