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


# Routes take the `Request` and call these, rather than declaring them as dependencies: FastAPI
# solves every declared dependency anew on each request, at some 10-20 µs apiece.
def services(request: Request) -> Services:
    """The process's long-lived objects (made in the lifespan)."""
    return request.app.state.services


def request_context(request: Request) -> RequestContext:
    """This request's context (made by `observability.RequestContextMiddleware`)."""
    return request.scope["state"]["ctx"]
