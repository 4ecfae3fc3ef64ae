"""The long-lived objects of one process, made once in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from fastapi import Request

from gateway.catalog import Catalog, UpstreamCatalogue
from gateway.config import Settings
from gateway.credentials import Credentials
from gateway.fallback import Cooldown
from gateway.images import ImageFetcher
from gateway.observability import RequestContext
from gateway.storage import ResponseStore
from gateway.upstream import WorkersAI


@dataclass
class Services:
    settings: Settings
    catalog: Catalog
    credentials: Credentials
    http: httpx.AsyncClient
    upstream: WorkersAI
    cooldown: Cooldown
    catalogue: UpstreamCatalogue
    images: ImageFetcher
    store: ResponseStore


# Both are `async def` so FastAPI calls them inline: a plain `def` dependency would cost a
# thread-pool hop on every request.
async def services(request: Request) -> Services:
    return request.app.state.services


async def request_context(request: Request) -> RequestContext:
    return request.state.ctx
