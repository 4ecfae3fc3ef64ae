"""What embeddings do with each field of OpenAI's `CreateEmbeddingRequest`."""

from __future__ import annotations

from gateway.core.parameters import SAMPLING, Table, gateway

EMBEDDINGS: Table = {
    "model": SAMPLING["model"],
    "input": gateway(
        "a string, strings, a token array or token arrays (decoded with `cl100k_base`); "
        "at most 100 inputs"
    ),
    "encoding_format": gateway("`float` or `base64` (little-endian float32)"),
    "dimensions": gateway("must equal the model's own size, else a 400"),
    "user": SAMPLING["user"],
}
