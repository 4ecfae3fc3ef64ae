"""The long-lived objects of one process, made once when the app starts (`open_services`)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from gateway.core.catalog import Catalog, UpstreamCatalogue, task_models
from gateway.core.config import Settings
from gateway.core.credentials import Credentials
from gateway.core.fallback import Cooldown
from gateway.core.images import ImageFetcher
from gateway.core.keys import KeyStore, open_key_store
from gateway.core.keys.windows import Clock
from gateway.core.media_files import MediaFiles, open_media_files
from gateway.core.observability import logger
from gateway.core.storage import ResponseStore, open_store
from gateway.core.transport import new_client, new_transport
from gateway.core.upstream import WorkersAI

CATALOGUE_TIMEOUT = 3.0
"""Seconds: /v1/models never waits long for Cloudflare's catalogue."""


@dataclass
class Services:
    settings: Settings
    catalog: Catalog
    credentials: Credentials
    http: httpx.AsyncClient
    """The one outbound client (keep-alive to Workers AI, the secrets extension)."""
    upstream: WorkersAI
    cooldown: Cooldown
    images: ImageFetcher
    store: ResponseStore
    media: MediaFiles
    """Where generated images asked for as links go (S3 in AWS, a local folder otherwise)."""
    keys: KeyStore
    """Named keys, their limits and usage (DynamoDB with KEYS_TABLE/USAGE_TABLE, else SQLite)."""


@asynccontextmanager
async def open_services(settings: Settings, clock: Clock = time.time) -> AsyncIterator[Services]:
    """Every long-lived object, closed again when the block ends (the app's lifespan). `clock`
    is the named keys' time (their minutes, days, months and expiry; tests move it).

    Raises ValueError when only one of KEYS_TABLE and USAGE_TABLE is set."""
    transport = new_transport()
    async with new_client(transport) as http, ImageFetcher.from_settings(settings) as images:
        credentials = Credentials(settings, http)
        upstream = WorkersAI(transport, settings, credentials)
        tasks = task_models(settings)
        catalogue = UpstreamCatalogue(
            lambda task: upstream.search_models(task, CATALOGUE_TIMEOUT),
            tuple(dict.fromkeys(models.task for models in tasks)),
            ttl=settings.catalogue_ttl,
        )
        store = open_store(settings)
        keys = open_key_store(
            keys_table=settings.keys_table,
            usage_table=settings.usage_table,
            db_path=settings.keys_db_path,
            region=settings.aws_region,
            clock=clock,
            cache_seconds=settings.key_cache_seconds,
        )
        if not (settings.worker_api_key or settings.api_keys_secret_arn):
            logger.warning("no API keys configured: every /v1 request will get a 401")
        try:
            yield Services(
                settings=settings,
                catalog=Catalog(settings, catalogue, tasks),
                credentials=credentials,
                http=http,
                upstream=upstream,
                cooldown=Cooldown(settings.cooldown_failures, settings.cooldown_seconds),
                images=images,
                store=store,
                media=open_media_files(settings),
                keys=keys,
            )
        finally:
            await keys.flush()  # usage writes of requests whose clients left
            keys.close()
            store.close()
