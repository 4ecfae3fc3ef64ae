"""Reranking over real HTTP: word-overlap scores in 0..1, best first (emulator/rerank.py)."""

import math
from typing import Any

import httpx
import pytest
from media_checks import error_of

RERANKER = "@cf/baai/bge-reranker-base"


def rank(api: httpx.Client, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = api.post(f"/run/{RERANKER}", json=body)
    assert response.status_code == 200, response.text
    return response.json()["result"]["response"]


def sigmoid(overlap: float) -> float:
    return 1 / (1 + math.exp(-(8 * overlap - 4)))


def test_contexts_sharing_more_query_words_rank_first(api: httpx.Client) -> None:
    contexts = [
        {"text": "Bananas are yellow."},
        {"text": "The capital of France is Paris."},
        {"text": "Paris is a city."},
        {"text": "Lyon is a city in France; its capital?"},
    ]
    ranked = rank(api, {"query": "What is the capital of France?", "contexts": contexts})
    assert [row["id"] for row in ranked] == [1, 3, 2, 0]
    scores = [row["score"] for row in ranked]
    # the query has 6 words; the contexts share 5 (the, capital, of, france, is), 3, 1 and 0
    assert scores == pytest.approx([sigmoid(5 / 6), sigmoid(3 / 6), sigmoid(1 / 6), sigmoid(0)])
    assert all(0 < score < 1 for score in scores)


def test_ties_keep_the_order_of_the_contexts_and_top_k_cuts(api: httpx.Client) -> None:
    contexts = [{"text": "alpha"}, {"text": "beta gamma"}, {"text": "gamma"}, {"text": "beta"}]
    ranked = rank(api, {"query": "beta gamma", "contexts": contexts, "top_k": 3})
    assert [row["id"] for row in ranked] == [1, 2, 3]
    assert ranked[1]["score"] == ranked[2]["score"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    "body",
    [
        {"contexts": [{"text": "a"}]},
        {"query": "", "contexts": [{"text": "a"}]},
        {"query": "q", "contexts": "a"},
        {"query": "q", "contexts": ["a"]},
        {"query": "q", "contexts": [{"text": ""}]},
        {"query": "q", "contexts": [{"text": "a"}], "top_k": 0},
    ],
)
def test_rerank_input_errors_are_5006(api: httpx.Client, body: dict[str, Any]) -> None:
    assert error_of(api.post(f"/run/{RERANKER}", json=body)) == (400, 5006)
