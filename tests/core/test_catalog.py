"""The model-name rules without a server: aliases, the catalogue's say, and which models may
fall back (only those known to exist)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from helpers import BACKUP, PRIMARY

from gateway.core.catalog import TEXT_EMBEDDINGS, TEXT_GENERATION, Catalog, UpstreamCatalogue
from gateway.core.config import Settings
from gateway.core.errors import GatewayError
from gateway.core.upstream_errors import UpstreamError

LISTED = "@cf/zai-org/glm-4.7-flash"
ROWS = {
    TEXT_GENERATION: [{"name": LISTED, "created_at": "2025-08-05 10:27:29.131"}],
    TEXT_EMBEDDINGS: [{"name": "@cf/baai/bge-m3"}],
}


def catalogue(available: bool = True) -> UpstreamCatalogue:
    async def fetch(task: str) -> list[dict[str, Any]]:
        if not available:
            raise UpstreamError("down", status=500)
        return ROWS[task]

    return UpstreamCatalogue(fetch, tuple(ROWS), ttl=3600)


def catalog(available: bool = True) -> Catalog:
    return Catalog(Settings(_env_file=None), catalogue(available))


def chain(name: str, available: bool = True) -> list[str]:
    return asyncio.run(catalog(available).chain(name))


@pytest.mark.parametrize("available", [True, False])
def test_aliases_and_known_models_fall_back_with_or_without_the_catalogue(available):
    assert chain("gpt-4o", available) == [PRIMARY, BACKUP]
    assert chain("gpt-4o-mini", available) == [BACKUP]
    assert chain("@cf/meta/llama-3.3-70b-instruct-fp8-fast", available)[-1] == BACKUP


def test_a_model_the_catalogue_lists_falls_back():
    assert chain(LISTED) == [LISTED, BACKUP]


def test_without_the_catalogue_an_unknown_model_is_tried_alone():
    assert chain(LISTED, available=False) == [LISTED]


@pytest.mark.parametrize("name", ["@cf/meta/llama-4-scout-17b-16e-instruc", "gpt-5", "@cf/"])
def test_a_name_nobody_knows_is_a_404(name):
    with pytest.raises(GatewayError) as caught:
        chain(name)
    assert (caught.value.status, caught.value.code) == (404, "model_not_found")


def test_a_404_tells_aliases_from_name_patterns():
    """What the 404 offers can be sent: aliases as names, Claude's families as patterns."""
    with pytest.raises(GatewayError) as caught:
        chain("gpt-5")
    message = caught.value.message
    aliases = message.split("aliases (")[1].split(")")[0].split(", ")
    assert "gpt-4o" in aliases
    assert not [alias for alias in aliases if "*" in alias]
    assert "a name matching claude-" in message
    assert PRIMARY in message


def test_a_model_of_another_task_is_a_400():
    with pytest.raises(GatewayError) as caught:
        chain("@cf/baai/bge-m3")
    assert (caught.value.status, caught.value.code) == (400, "model_not_supported")
    with pytest.raises(GatewayError):
        asyncio.run(catalog().chain(PRIMARY, TEXT_EMBEDDINGS))


def test_embedding_names():
    assert asyncio.run(catalog().chain("text-embedding-3-large", TEXT_EMBEDDINGS)) == [
        "@cf/baai/bge-large-en-v1.5"
    ]
    with pytest.raises(GatewayError) as caught:
        asyncio.run(catalog().chain("text-embedding-4", TEXT_EMBEDDINGS))
    assert caught.value.status == 404


def test_a_failed_fetch_keeps_what_was_known():
    entries = catalogue()
    assert LISTED in asyncio.run(entries.current())
    entries.expires = 0

    async def broken(task: str) -> list[dict[str, Any]]:
        raise UpstreamError("down", status=500)

    entries.fetch = broken
    assert LISTED in asyncio.run(entries.current())
    assert entries.available
