"""The long-lived objects of one process, made once when the app starts (`open_services`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from gateway.core.catalog import Catalog, UpstreamCatalogue, task_models
from gateway.core.config import Settings
from gateway.core.credentials import Credentials
from gateway.core.fallback import Cooldown
from gateway.core.images import ImageFetcher
from gateway.core.media_files import MediaFiles, open_media_files
from gateway.core.observability import logger
from gateway.core.storage import ResponseStore, open_store
from gateway.core.transport import new_client
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


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Every long-lived object, closed again when the block ends (the app's lifespan)."""
    async with new_client() as http, ImageFetcher.from_settings(settings) as images:
        credentials = Credentials(settings, http)
        upstream = WorkersAI(http, settings, credentials)
        tasks = task_models(settings)
        catalogue = UpstreamCatalogue(
            lambda task: upstream.search_models(task, CATALOGUE_TIMEOUT),
            tuple(dict.fromkeys(models.task for models in tasks)),
            ttl=settings.catalogue_ttl,
        )
        store = open_store(settings)
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
            )
        finally:
            store.close()
