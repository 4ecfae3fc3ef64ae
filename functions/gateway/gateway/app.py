"""`create_app()`: the wiring of the gateway — its APIs, its middleware, and its lifespan.

Adding an API means adding its package under `gateway/apis/` (with `ROUTES`, and `PARAMETERS`
where it has a request schema) and one line in `APIS`.
"""

from __future__ import annotations

import time
from contextlib import AsyncExitStack
from types import ModuleType

from gateway.apis import (
    admin,
    audio,
    chat,
    completions,
    embeddings,
    health,
    models,
    moderations,
    rerank,
    responses,
    site,
)
from gateway.core.auth import require_api_key
from gateway.core.config import Settings
from gateway.core.cors import CORS
from gateway.core.disconnect import CancelOnDisconnect
from gateway.core.errors import GatewayError, not_allowed, not_found
from gateway.core.http import ASGIApp, Receive, Request, Route, Router, Scope, Send, error_response
from gateway.core.keys.windows import Clock
from gateway.core.limits import BodySizeLimit
from gateway.core.metering import KeyMetering
from gateway.core.observability import RequestContextMiddleware, logger
from gateway.core.parameters import Table
from gateway.core.services import Services, open_services

APIS: tuple[ModuleType, ...] = (
    chat,
    completions,
    responses,
    models,
    embeddings,
    audio,
    moderations,
    rerank,
    health,
    site,
    admin,
)
"""Every API the gateway serves, each a package with its `ROUTES`."""

TITLE = "Workers AI OpenAI-compatible gateway"
DESCRIPTION = """An OpenAI-compatible API answered by Cloudflare Workers AI models, with a primary
and a backup model and automatic fallback. Point any OpenAI client at `<this URL>/v1` and
send your key as `Authorization: Bearer <key>`."""

EXPOSED_HEADERS = (
    "x-gateway-model",
    "x-gateway-overhead-ms",
    "x-request-id",
    "retry-after",
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-reset-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-tokens",
)


def routes() -> list[Route]:
    """The routes of every API, in `APIS` order."""
    return [route for api in APIS for route in api.ROUTES]


def parameter_tables() -> dict[str, Table]:
    """Endpoint -> its parameter table, for every API with a request schema."""
    return {
        endpoint: table
        for api in APIS
        for endpoint, table in getattr(api, "PARAMETERS", {}).items()
    }


class Gateway:
    """The ASGI app: the lifespan opens the services; each request goes through the middleware
    (outermost first: request context and logging, named keys' usage and headers, disconnects,
    CORS, the body limit) to `dispatch`, which finds its route, checks its key, and runs its
    endpoint. `clock` is the named keys' time (tests move it)."""

    def __init__(
        self, settings: Settings, served: list[Route] | None = None, clock: Clock = time.time
    ) -> None:
        self.settings = settings
        self.router = Router(routes() if served is None else served)
        self.clock = clock
        self._services: Services | None = None
        self._stack = AsyncExitStack()
        upload_limit = min(settings.max_upload_bytes, settings.max_body_bytes)
        uploads = {r.path: (upload_limit, r.upload) for r in self.router.routes if r.upload}
        app: ASGIApp = BodySizeLimit(self.dispatch, settings.max_body_bytes, uploads)
        app = CORS(
            app,
            allow_origins=settings.cors_origins,
            allow_methods=("GET", "POST", "PATCH", "DELETE", "OPTIONS"),
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
        app = CancelOnDisconnect(app)
        app = KeyMetering(app, lambda: self.services.keys)
        self.asgi: ASGIApp = RequestContextMiddleware(app)

    @property
    def services(self) -> Services:
        """The process's long-lived objects, once the lifespan has opened them."""
        if self._services is None:
            raise RuntimeError("the app has not started: run it with its lifespan")
        return self._services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        else:
            await self.asgi(scope, receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        """ASGI's lifespan protocol: open the services at startup, close them at shutdown."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self._services = await self._stack.enter_async_context(
                        open_services(self.settings, self.clock)
                    )
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._stack.aclose()
                self._services = None
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Route one request and answer it; a GatewayError anywhere before the answer starts
        is the answer, in OpenAI's envelope."""
        method, path = scope["method"], scope["path"]
        request = Request(scope, receive, self.services, {})
        try:
            found = self.router.methods(path)
            if found is None:
                raise not_found(method, path, self._v1_base(request))
            table, request.params = found
            route = table.get(method)
            if route is None:
                raise not_allowed(method, path, table)
            if route.auth:
                await require_api_key(request, route.access)
            response = await route.endpoint(request)
        except GatewayError as error:
            response = error_response(error)
        await response(scope, receive, send)

    def _v1_base(self, request: Request[Services]) -> str | None:
        """The client's base URL when the path it asked for exists under `/v1`."""
        if self.router.methods("/v1" + request.path) is None:
            return None
        return request.base_url()


def create_app(settings: Settings | None = None, clock: Clock = time.time) -> Gateway:
    settings = settings or Settings()
    logger.set_level(settings.log_level)
    return Gateway(settings, clock=clock)
