"""POST /v1/rerank over HTTP and through LiteLLM's `rerank` (its Cohere provider), on the BGE
reranker (the emulator scores by word overlap: see emulator/rerank.py)."""

from __future__ import annotations

import json

import litellm
import pytest
from helpers import assert_error, last_run, post, upstream_runs

from emulator.rerank import score

RERANKER = "@cf/baai/bge-reranker-base"
QUERY = "red apple pie"
DOCUMENTS = ["a green pear", "apple pie with red apples", {"text": "red apple pie"}, "pie"]
TEXTS = ["a green pear", "apple pie with red apples", "red apple pie", "pie"]


def rerank(gateway, **fields):
    return post(gateway, "/v1/rerank", {"query": QUERY, "documents": DOCUMENTS} | fields)


def test_results_are_sorted_by_score_without_documents_by_default(gateway, emulator):
    response = rerank(gateway)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = sorted(range(4), key=lambda i: (-score(QUERY, TEXTS[i]), i))
    assert [r["index"] for r in body["results"]] == expected
    for result in body["results"]:
        assert result["relevance_score"] == pytest.approx(score(QUERY, TEXTS[result["index"]]))
        assert "document" not in result
    assert body["model"] == RERANKER
    assert response.headers["x-gateway-model"] == RERANKER
    sent = last_run(emulator)["body"]
    assert sent == {"query": QUERY, "contexts": [{"text": t} for t in TEXTS]}


def test_top_n_and_return_documents(gateway, emulator):
    body = rerank(gateway, top_n=2, return_documents=True, model="rerank-v3.5").json()
    assert len(body["results"]) == 2
    # both hold every word of the query: a tie, kept in the documents' order
    assert [r["document"]["text"] for r in body["results"]] == [TEXTS[1], TEXTS[2]]
    assert body["model"] == "rerank-v3.5"
    assert last_run(emulator)["body"]["top_k"] == 2


def test_logits_are_normalised_by_the_sigmoid(gateway, emulator):
    answer = {"response": [{"id": 1, "score": 3.0}, {"id": 0, "score": -2.0}]}
    emulator.add_fault(
        status=200,
        raw_status_body=json.dumps({"result": answer, "success": True}),
        content_type="application/json",
    )
    body = post(gateway, "/v1/rerank", {"query": "q", "documents": ["a", "b"]}).json()
    scores = [(r["index"], round(r["relevance_score"], 4)) for r in body["results"]]
    assert scores == [(1, 0.9526), (0, 0.1192)]


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"query": "q", "documents": []}, 400, "documents"),
        ({"query": "", "documents": ["a"]}, 400, "query"),
        ({"query": "q", "documents": ["a"], "top_n": 0}, 400, "top_n"),
        ({"query": "q", "documents": ["a"] * 1001}, 400, "documents"),
        ({"query": "q", "documents": ["a"], "max_chunks_per_doc": 3}, 400, "max_chunks_per_doc"),
        ({"query": "q", "documents": ["a"], "rank_fields": ["title"]}, 400, "rank_fields"),
        ({"query": "q", "documents": [{"title": "a"}]}, 400, "documents[0]"),
        ({"query": "q", "documents": ["a"], "model": "gpt-4o"}, 400, "model"),
        ({"query": "q", "documents": ["a"], "model": "nope"}, 404, "model"),
    ],
)
def test_bad_requests(gateway, emulator, openai_schemas, body, status, param):
    error = assert_error(post(gateway, "/v1/rerank", body), status, openai_schemas)
    assert error["param"] is not None and error["param"].startswith(param)
    assert upstream_runs(emulator) == []


def test_an_answer_naming_a_document_not_sent_is_an_upstream_failure(
    gateway, emulator, openai_schemas
):
    answer = {"response": [{"id": 7, "score": 0.5}]}
    emulator.add_fault(
        status=200, raw_status_body=json.dumps({"result": answer}), content_type="application/json"
    )
    response = post(gateway, "/v1/rerank", {"query": "q", "documents": ["a"]})
    assert_error(response, 502, openai_schemas, code="upstream_error")


def test_litellm_rerank_through_its_cohere_provider(gateway, emulator):
    result = litellm.rerank(
        model=f"cohere/{RERANKER}",
        query=QUERY,
        documents=TEXTS,
        top_n=3,
        return_documents=True,
        api_base=gateway.url,
        api_key=gateway.api_key,
    )
    ranked = [(r["index"], r["document"]["text"]) for r in result.results]
    assert ranked == [(1, TEXTS[1]), (2, TEXTS[2]), (3, TEXTS[3])]
    assert all(0 <= r["relevance_score"] <= 1 for r in result.results)
    assert last_run(emulator)["body"]["top_k"] == 3
