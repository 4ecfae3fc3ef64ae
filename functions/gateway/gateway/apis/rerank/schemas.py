"""Rerank requests (the shape Cohere, Jina, vLLM and LiteLLM share), validated, and the ranking
they are answered with (documented only)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from gateway.core.validation import AnswerModel, RequestModel

MAX_DOCUMENTS = 1000


class Document(RequestModel):
    text: str


class RerankRequest(RequestModel):
    model: str | None = Field(
        default=None, description="A Workers AI reranker; RERANK_MODEL when left out."
    )
    query: str = Field(min_length=1)
    documents: list[str | Document] = Field(min_length=1, max_length=MAX_DOCUMENTS)
    top_n: int | None = Field(default=None, ge=1)
    return_documents: bool | None = None
    rank_fields: list[str] | None = None
    max_chunks_per_doc: int | None = None
    max_tokens_per_doc: int | None = None


# Answers (documentation only).


class RankedDocument(AnswerModel):
    text: str


class RerankResult(AnswerModel):
    index: int
    relevance_score: float = Field(ge=0, le=1)
    document: RankedDocument | None = None


class Rerank(AnswerModel):
    id: str
    model: str
    results: list[RerankResult]
    meta: dict[str, Any]
