"""Deterministic embeddings: unit vectors seeded by a hash of the text."""

import base64
import hashlib
import math
import random
import struct
from typing import Any

from emulator.errors import UpstreamError
from emulator.models import ModelSpec

MAX_INPUTS = 100


def vector(text: str, dimensions: int) -> list[float]:
    seed = hashlib.sha256(f"{dimensions}:{text}".encode()).digest()
    rng = random.Random(seed)
    values = [rng.gauss(0.0, 1.0) for _ in range(dimensions)]
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values]


def parse_inputs(value: Any, key: str) -> list[str]:
    """Accept one string or a list of 1..100 strings, as upstream does."""
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise UpstreamError(5004, f"AiError: Bad input: {key} must be a string or array of strings")
    if not 1 <= len(texts) <= MAX_INPUTS:
        raise UpstreamError(
            5004, f"AiError: Bad input: {key} must have 1 to {MAX_INPUTS} items, got {len(texts)}"
        )
    return texts


def native_result(spec: ModelSpec, texts: list[str]) -> dict[str, Any]:
    return {
        "shape": [len(texts), spec.dimensions],
        "data": [vector(text, spec.dimensions) for text in texts],
        "pooling": "mean",
    }


def openai_result(spec: ModelSpec, texts: list[str], encoding_format: str) -> dict[str, Any]:
    data = []
    for index, text in enumerate(texts):
        values = vector(text, spec.dimensions)
        embedding: Any = values
        if encoding_format == "base64":
            embedding = base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    tokens = sum(len(text.split()) for text in texts)
    return {
        "object": "list",
        "data": data,
        "model": spec.name,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
