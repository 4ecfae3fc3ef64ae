"""Cross-origin requests (the Fetch standard's CORS protocol), answered by the app.

Browsers ask before a cross-origin call with a preflight (`OPTIONS` with `Origin` and
`Access-Control-Request-Method`): it is answered here without a key, 200 with the allowed
methods, the requested headers mirrored (every header is allowed) and a max age, or a 400 in
OpenAI's envelope naming what is refused. Other responses get `Access-Control-Allow-Origin` (`*`,
or the origin itself when it is one of the configured ones) and the exposed headers. No
credentials mode: keys travel in headers, never cookies. Spec:
https://fetch.spec.whatwg.org/#http-cors-protocol
"""

from __future__ import annotations

from collections.abc import Collection

from gateway.core.errors import GatewayError, envelope
from gateway.core.http import ASGIApp, JSONResponse, Message, Receive, Response, Scope, Send

VARY_PREFLIGHT = (
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    "Access-Control-Request-Private-Network"
)


class CORS:
    """ASGI middleware for `allow_origins` (`*` for any), `allow_methods` and `expose_headers`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        allow_origins: Collection[str],
        allow_methods: Collection[str],
        expose_headers: Collection[str],
        max_age: int,
    ) -> None:
        self.app = app
        self.any_origin = "*" in allow_origins
        self.origins = frozenset(allow_origins)
        self.methods = tuple(allow_methods)
        self.max_age = str(max_age)
        self.exposed = ", ".join(expose_headers).encode()

    def allows(self, origin: str) -> bool:
        return self.any_origin or origin in self.origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = request_method = requested_headers = private_network = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"access-control-request-method":
                request_method = value.decode("latin-1")
            elif name == b"access-control-request-headers":
                requested_headers = value.decode("latin-1")
            elif name == b"access-control-request-private-network":
                private_network = value
        if origin is not None and scope["method"] == "OPTIONS" and request_method is not None:
            response = self.preflight(origin, request_method, requested_headers, private_network)
            await response(scope, receive, send)
            return
        extra = self.simple_headers(origin)

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def simple_headers(self, origin: str | None) -> list[tuple[bytes, bytes]]:
        """The CORS headers of an ordinary answer to a request from `origin`."""
        if origin is None or not self.allows(origin):
            return [(b"vary", b"Origin")]
        headers = [(b"access-control-expose-headers", self.exposed)]
        if self.any_origin:
            return [(b"access-control-allow-origin", b"*"), *headers]
        return [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]

    def preflight(
        self,
        origin: str,
        method: str,
        requested_headers: str | None,
        private_network: bytes | None,
    ) -> Response:
        headers = {"vary": VARY_PREFLIGHT}
        refused = []
        if not self.allows(origin):
            refused.append("origin")
        else:
            headers["access-control-allow-origin"] = "*" if self.any_origin else origin
        if method not in self.methods:
            refused.append("method")
        if private_network is not None:
            refused.append("private-network")
        headers["access-control-allow-methods"] = ", ".join(self.methods)
        headers["access-control-max-age"] = self.max_age
        if requested_headers is not None:
            headers["access-control-allow-headers"] = requested_headers
        if refused:
            error = GatewayError(400, f"Disallowed CORS {', '.join(refused)}.")
            body = envelope(error.message, error.type, code="cors_preflight_refused")
            vary = {"vary": VARY_PREFLIGHT}
            return JSONResponse(body, 400, vary)
        return Response(b"OK", 200, headers)
