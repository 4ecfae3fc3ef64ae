"""Embeddings (`POST /v1/embeddings`) on Workers AI's text-embedding models."""

from gateway.apis.embeddings.parameters import EMBEDDINGS
from gateway.apis.embeddings.routes import ROUTES

PARAMETERS = {"POST /v1/embeddings": EMBEDDINGS}

__all__ = ["PARAMETERS", "ROUTES"]
