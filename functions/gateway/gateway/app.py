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
    images,
    messages,
    models,
    moderations,
    rerank,
    responses,
    site,
)
from gateway.core.auth import require_api_key
from gateway.core.config import Settings
from gateway.core.content_encoding import ContentDecoding
from gateway.core.cors import CORS
from gateway.core.disconnect import CancelOnDisconnect
from gateway.core.errors import GatewayError, not_allowed, not_found
from gateway.core.header_checks import HeaderChecks
from gateway.core.http import (
    ASGIApp,
    ErrorFormat,
    Receive,
    Request,
    Response,
    Route,
    Router,
    Scope,
    Send,
    error_response,
)
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
    messages,
    models,
    embeddings,
    images,
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
    "x-gateway-tools-left-out",
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
    CORS, the header checks, the body limit, compressed bodies decoded) to `dispatch`, which
    finds its route, checks its key, and runs its endpoint. `clock` is the named keys' time
    (tests move it)."""

    def __init__(
        self, settings: Settings, served: list[Route] | None = None, clock: Clock = time.time
    ) -> None:
        self.settings = settings
        self.router = Router(routes() if served is None else served)
        self.marked_formats = {
            route.error_format.marker: route.error_format
            for route in self.router.routes
            if route.error_format is not None and route.error_format.marker
        }
        """The error formats a request header selects (`ErrorFormat.marker`), by header."""
        self.clock = clock
        self._services: Services | None = None
        self._stack = AsyncExitStack()
        upload_limit = min(settings.max_upload_bytes, settings.max_body_bytes)
        uploads = {r.path: (upload_limit, r.upload) for r in self.router.routes if r.upload}
        render = self.error_for
        app: ASGIApp = ContentDecoding(self.dispatch, settings.max_body_bytes, render=render)
        app = BodySizeLimit(app, settings.max_body_bytes, uploads, render=render)
        app = HeaderChecks(app, render=render)
        app = CORS(
            app,
            allow_origins=settings.cors_origins,
            allow_methods=("GET", "POST", "PATCH", "DELETE", "OPTIONS"),
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
        app = CancelOnDisconnect(app)
        app = KeyMetering(app, lambda: self.services.keys)
        self.asgi: ASGIApp = RequestContextMiddleware(app, render=self.error_for)

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
        is the answer, in the envelope of the request's API family (`error_for`). `OPTIONS`
        (other than a CORS preflight, which cors.py answers) is answered with the path's methods
        in `Allow`, without a key."""
        method, path = scope["method"], scope["path"]
        request = Request(scope, receive, self.services, {})
        try:
            if method == "OPTIONS" and path == "*":
                await allow({m for r in self.router.routes for m in methods(r)})(
                    scope, receive, send
                )
                return
            found = self.router.methods(path)
            if found is None:
                raise not_found(method, path, self._v1_base(request))
            table, request.params = found
            if method == "OPTIONS":
                await allow(set(table))(scope, receive, send)
                return
            route = table.get(method)
            if route is None:
                raise not_allowed(method, path, [*table, "OPTIONS"])
            if route.auth:
                await require_api_key(request, route.access)
            response = await route.endpoint(request)
        except GatewayError as error:
            response = self.error_for(scope, error)
        await response(scope, receive, send)

    def error_format(self, scope: Scope) -> ErrorFormat | None:
        """The error format of the request in `scope` (None: OpenAI's envelope): its route's
        own, else the one its headers mark it for (`anthropic-version`: an Anthropic client)."""
        found = self.router.methods(scope["path"])
        for route in found[0].values() if found else ():
            if route.error_format is not None:
                return route.error_format
        for name, _ in scope["headers"]:
            marked = self.marked_formats.get(name.decode("latin-1").lower())
            if marked is not None:
                return marked
        return None

    def error_for(self, scope: Scope, error: GatewayError) -> ASGIApp:
        """The answer for `error`, in the envelope of the request's API family."""
        found = self.error_format(scope)
        return error_response(error) if found is None else found.render(error)

    def _v1_base(self, request: Request[Services]) -> str | None:
        """The client's base URL when the path it asked for exists under `/v1`, or when a
        doubled `/v1/v1/...` (a base URL that already ends in /v1, given to a client that adds
        /v1 itself, as Anthropic's do) exists once."""
        if self.router.methods("/v1" + request.path) is not None:
            return request.base_url()
        if request.path.startswith("/v1/v1/") and self.router.methods(request.path[3:]):
            return request.base_url()
        return None


def methods(route: Route) -> tuple[str, ...]:
    """The methods a route answers (a GET route answers HEAD too)."""
    return (route.method, "HEAD") if route.method == "GET" else (route.method,)


def allow(served: set[str]) -> Response:
    """The answer to `OPTIONS`: 200 with `Allow` (RFC 9110 §9.3.7) and a short body (a body
    keeps Lambda's streamed Function URL from waiting on an empty one)."""
    listed = ", ".join(sorted(served | {"OPTIONS"}))
    return Response(b"OK", 200, {"allow": listed})


def create_app(settings: Settings | None = None, clock: Clock = time.time) -> Gateway:
    settings = settings or Settings()
    logger.set_level(settings.log_level)
    return Gateway(settings, clock=clock)
