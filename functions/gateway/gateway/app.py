"""`create_app()`: wiring only — routers, middleware, and the lifespan with the one HTTP client."""

from __future__ import annotations

import gc

# Loading the app's modules makes some 75,000 objects that live as long as the process; the
# collector would walk them all twice while they load (about 25 ms each: a sixth of the import,
# paid on every cold start). It is off until they are loaded; then they are frozen, so that the
# full collections of a serving process skip them too (https://docs.python.org/3/library/gc.html#gc.freeze).
_collecting = gc.isenabled()
gc.disable()

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials

from gateway import __version__
from gateway.auth import bearer, require_api_key
from gateway.catalog import Catalog, UpstreamCatalogue
from gateway.config import Settings
from gateway.cors import CORS
from gateway.credentials import Credentials
from gateway.disconnect import CancelOnDisconnect
from gateway.errors import install_handlers
from gateway.fallback import Cooldown
from gateway.images import ImageFetcher
from gateway.json_body import check_json_body
from gateway.limits import BodySizeLimit
from gateway.observability import RequestContextMiddleware, logger
from gateway.routes import chat, completions, embeddings, health, models, responses, static
from gateway.services import Services
from gateway.storage import open_store
from gateway.transport import new_client
from gateway.upstream import WorkersAI

CATALOGUE_TIMEOUT = 3.0  # seconds: /v1/models never waits long for Cloudflare's catalogue

DESCRIPTION = """An OpenAI-compatible API answered by Cloudflare Workers AI models, with a primary
and a backup model and automatic fallback. Point any OpenAI client at `<this URL>/v1` and
send your key as `Authorization: Bearer <key>`."""


async def v1_checks(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> None:
    """What every /v1 request passes before its route: the API key (401), then the values of
    its JSON body (400). One dependency for both: FastAPI's cost is per dependency it solves.
    The key is kept in the request's state for `routes.responses.request_owner`."""
    request.scope["state"]["api_key"] = await require_api_key(request, credentials)
    await check_json_body(request)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    logger.setLevel(settings.log_level.upper())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with new_client() as http, ImageFetcher.from_settings(settings) as images:
            credentials = Credentials(settings, http)
            upstream = WorkersAI(http, settings, credentials)
            app.state.services = Services(
                settings=settings,
                catalog=Catalog(settings),
                credentials=credentials,
                http=http,
                upstream=upstream,
                cooldown=Cooldown(settings.cooldown_failures, settings.cooldown_seconds),
                catalogue=UpstreamCatalogue(
                    lambda task: upstream.search_models(task, CATALOGUE_TIMEOUT),
                    ttl=settings.catalogue_ttl,
                ),
                images=images,
                store=open_store(settings),
            )
            if not (settings.worker_api_key or settings.api_keys_secret_arn):
                logger.warning("no API keys configured: every /v1 request will get a 401")
            yield
            app.state.services.store.close()

    app = FastAPI(
        title="Workers AI OpenAI-compatible gateway",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    # Each /v1 router is included directly (not through a /v1 router of its own): one level of
    # route matching less on every request.
    for router in (
        chat.router,
        completions.router,
        responses.router,
        models.router,
        embeddings.router,
    ):
        app.include_router(router, prefix="/v1", dependencies=[Depends(v1_checks)])
    app.include_router(health.router)
    app.include_router(static.router)
    install_handlers(app)

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        CORS,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["x-gateway-model", "x-gateway-overhead-ms", "x-request-id", "retry-after"],
        max_age=600,
    )
    app.add_middleware(CancelOnDisconnect)
    app.add_middleware(RequestContextMiddleware)
    return app


gc.freeze()
if _collecting:
    gc.enable()
