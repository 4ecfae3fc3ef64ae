"""What rerank does with each field of the Cohere/Jina/vLLM rerank request."""

from __future__ import annotations

from typing import Any

from gateway.core.parameters import Table, gateway, refused, upstream


def _nothing(value: Any) -> bool:
    return bool(value == [])


RERANK: Table = {
    "model": gateway(
        "a Workers AI reranker, or a Cohere name (`rerank-v3.5`, ...); `RERANK_MODEL` when "
        "left out; `x-gateway-model` names the model"
    ),
    "query": upstream("`query`"),
    "documents": upstream("`contexts`, each `{text}`: strings or `{text}` objects, at most 1000"),
    "top_n": upstream("`top_k`; the gateway also keeps only the first `top_n`"),
    "return_documents": gateway("each result's `document: {text}` (Cohere's default: left out)"),
    "rank_fields": refused("documents are texts: only `[]` is accepted", _nothing),
    "max_chunks_per_doc": refused("Workers AI does not chunk documents"),
    "max_tokens_per_doc": refused("Workers AI does not cut documents"),
}
