"""Rerank (`POST /v1/rerank`, the shape Cohere, Jina, vLLM and LiteLLM share) on Workers AI's
BGE rerankers."""

from gateway.apis.rerank.parameters import RERANK
from gateway.apis.rerank.routes import ROUTES

PARAMETERS = {"POST /v1/rerank": RERANK}

__all__ = ["PARAMETERS", "ROUTES"]
