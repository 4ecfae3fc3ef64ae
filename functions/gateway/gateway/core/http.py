"""The HTTP layer over plain ASGI: routes, the request, responses, and compact JSON.

The gateway's routes are few and fixed, so matching is one dict lookup for plain paths and a
short list of patterns for the rest. A request is the ASGI scope with typed accessors; a
response is any ASGI callable (`JSONResponse`, `StreamingResponse`, or a library's, such as
Starlette's `FileResponse` for the docs site). A POST route names the pydantic model its body
is validated with (`post()`), which is also what `openapi.py` documents, so the document and
what the route accepts cannot drift apart.

This replaces FastAPI's per-request machinery (dependency solving, its request and response
objects), which was most of the gateway's own cost per request (docs/performance.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import parse_qsl

from pydantic import BaseModel, ValidationError

from gateway.core.context import RequestContext, context_of
from gateway.core.errors import GatewayError, is_json_media_type, unparsable_body
from gateway.core.json_body import check_value
from gateway.core.validation import validation_error

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

B = TypeVar("B", bound=BaseModel)
S = TypeVar("S")

_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_ASCII = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def dumps(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON: the one encoder for every body and event the gateway
    writes. Text from upstream may hold a lone surrogate, which UTF-8 cannot carry: such a
    value is written with `\\u` escapes instead (still the same JSON)."""
    try:
        return _COMPACT.encode(value).encode()
    except UnicodeEncodeError:
        return _ASCII.encode(value).encode()


# --- the request -----------------------------------------------------------------------------


class Request(Generic[S]):
    """One HTTP request: its scope, its body (read once), and the app's long-lived services
    (of type S: `core.services.Services`, which this module does not need to know)."""

    __slots__ = ("_body", "_headers", "params", "receive", "scope", "services")

    def __init__(self, scope: Scope, receive: Receive, services: S, params: dict[str, str]) -> None:
        self.scope = scope
        self.receive = receive
        self.services = services
        self.params = params
        """Path parameters, by name (`{response_id}` in the route's path)."""
        self._headers: dict[str, str] | None = None
        self._body: bytes | None = None

    @property
    def method(self) -> str:
        method: str = self.scope["method"]
        return method

    @property
    def path(self) -> str:
        path: str = self.scope["path"]
        return path

    @property
    def headers(self) -> dict[str, str]:
        """Header names lower-cased; where a header repeats, its first value."""
        if self._headers is None:
            headers: dict[str, str] = {}
            for name, value in self.scope["headers"]:
                headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
            self._headers = headers
        return self._headers

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (where one repeats, its last value)."""
        return dict(parse_qsl(self.scope.get("query_string", b"").decode("latin-1")))

    @property
    def context(self) -> RequestContext:
        """What this request learns on its way (made by observability's middleware)."""
        return context_of(self.scope)

    def base_url(self) -> str:
        """The URL the client reached this app at, e.g. `http://127.0.0.1:8787`."""
        scheme = self.scope.get("scheme", "http")
        host = self.headers.get("host")
        if not host:
            server = self.scope.get("server") or ("localhost", None)
            host = server[0] if server[1] in {None, 80, 443} else f"{server[0]}:{server[1]}"
        return f"{scheme}://{host}"

    async def body(self) -> bytes:
        """The whole body (read once; a client that leaves while sending it leaves it short)."""
        if self._body is None:
            chunks: list[bytes] = []
            more = True
            while more:
                message = await self.receive()
                if message["type"] == "http.disconnect":
                    break
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            self._body = b"".join(chunks)
        return self._body

    async def json_object(self) -> dict[str, Any]:
        """The body as a JSON object, its values checked by `json_body.check_value`.

        Raises a 400 GatewayError when the body is empty, not sent as JSON (by its
        Content-Type), not JSON at all, not an object, or holds a value the gateway refuses.
        """
        raw = await self.body()
        if not raw.strip():
            raise GatewayError(
                400, "The request body must be a JSON object.", code="invalid_request_body"
            )
        content_type = self.headers.get("content-type")
        if not is_json_media_type(content_type):
            sent = f"`{content_type}`" if content_type else "missing"
            raise GatewayError(
                400,
                "The request body must be JSON sent with `Content-Type: application/json`; "
                f"this request's Content-Type is {sent}.",
                code="invalid_request_body",
            )
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            raise unparsable_body() from None
        check_value(value)
        if not isinstance(value, dict):
            raise GatewayError(
                400, "The request body must be a JSON object.", code="invalid_request_body"
            )
        return value

    async def validated(self, model: type[B]) -> B:
        """The body validated by `model`; a 400 GatewayError naming the first bad field."""
        value = await self.json_object()
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            raise validation_error(exc) from None


# --- responses -------------------------------------------------------------------------------

SSE_TYPE = (b"content-type", b"text/event-stream; charset=utf-8")


def _raw(headers: dict[str, str] | None) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]


class Response:
    """A whole body with a status and headers; the body is left out for HEAD."""

    __slots__ = ("body", "headers", "status")

    def __init__(
        self,
        body: bytes,
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: bytes = b"text/plain; charset=utf-8",
    ) -> None:
        self.status = status
        self.body = body
        self.headers = [
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode()),
            *_raw(headers),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        body = b"" if scope["method"] == "HEAD" else self.body
        await send({"type": "http.response.body", "body": body})


class JSONResponse(Response):
    """A JSON body, written by `dumps`."""

    __slots__ = ()

    def __init__(
        self, content: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(dumps(content), status, headers, b"application/json")


class Abort(Exception):
    """Raised by a `StreamingResponse`'s chunks to break its body off: the connection closes
    without the body's end, so the client sees it incomplete rather than whole (for bodies,
    such as audio, that have no way to carry an error)."""


class StreamingResponse:
    """A body sent piece by piece as `chunks` yields them (server-sent events by default).

    A client that leaves mid-stream is noticed by `disconnect.CancelOnDisconnect`, which
    cancels the request: `chunks` is then closed where it waits, as a cancelled task. `chunks`
    may raise `Abort` to leave the body unfinished.
    """

    __slots__ = ("chunks", "headers", "status")

    def __init__(
        self,
        chunks: AsyncIterator[bytes],
        headers: dict[str, str] | None = None,
        content_type: tuple[bytes, bytes] = SSE_TYPE,
        status: int = 200,
    ) -> None:
        self.chunks = chunks
        self.status = status
        self.headers = [content_type, *_raw(headers)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        try:
            if scope["method"] == "HEAD":  # headers only: the body is never made
                close = getattr(self.chunks, "aclose", None)
                if close is not None:
                    await close()
            else:
                async for chunk in self.chunks:
                    if chunk:
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except Abort:
            return  # no end of body: the server closes the connection
        await send({"type": "http.response.body", "body": b""})


def error_response(error: GatewayError) -> JSONResponse:
    """The client's answer for `error`: its envelope, status and headers."""
    return JSONResponse(error.body(), error.status, error.headers)


@dataclass(frozen=True)
class ErrorFormat:
    """How one API family answers an error, for the APIs whose family is not OpenAI's (whose
    envelope is `error_response`'s).

    `render` makes the answer (its envelope, and its own status where the family has another:
    Anthropic's 529 for capacity); `model` is that envelope for the OpenAPI document; a request
    carrying the header `marker` comes from a client of this family, which gets this format for
    errors that no route of a family decides (an unknown path, a shared route such as
    `/v1/models`, the body limit, an internal error).
    """

    render: Callable[[GatewayError], JSONResponse]
    model: type[BaseModel]
    marker: str | None = None


ErrorRenderer = Callable[[Scope, GatewayError], ASGIApp]
"""The answer for an error in the family of the request in `scope` (`app.Gateway.error_for`)."""


def openai_error(scope: Scope, error: GatewayError) -> ASGIApp:
    """OpenAI's envelope for any request: the renderer middleware uses when given none."""
    return error_response(error)


# --- routes ----------------------------------------------------------------------------------

GENERATION_ERRORS = (400, 401, 404, 413, 429, 502, 503, 504)
"""The error statuses a route that runs a model documents."""

Endpoint = Callable[[Request[Any]], Awaitable[ASGIApp]]

Access = Literal["metered", "key", "operator"]
"""Which keys a route takes (auth.require_api_key): `metered`, any key, a named key's limits
applying; `key`, any key, without counting against its limits; `operator`, operator keys only."""


@dataclass(frozen=True)
class Route:
    """One method on one path, and what the OpenAPI document says of it.

    `path` may hold `{name}` (one path segment) or `{name:path}` (the rest of the path).
    `auth`: the request needs an API key (`auth.require_api_key`) before the endpoint runs;
    `access` says which keys (see `Access`).
    `errors`: the error statuses it documents (openapi.ERROR_DESCRIPTIONS; all in the envelope).
    `stream`: the 200 answer may instead be an SSE stream: its description, and the model of
    one event (or None when the events are not one schema).
    `query`: the model the endpoint validates its query parameters with.
    `upload`: the body is `multipart/form-data` (`body` validates its fields) limited to
    MAX_UPLOAD_BYTES; a larger one is a 413 naming this field (`limits.BodySizeLimit`).
    `answers`: media types the 200 answer may also have, each with its JSON schema (binary
    audio, plain text).
    `error_format`: how its errors are written when not in OpenAI's envelope (Anthropic's).
    `status`: the status of its success (201 for a creation).
    """

    method: str
    path: str
    endpoint: Endpoint
    summary: str = ""
    auth: bool = True
    body: type[BaseModel] | None = None
    response_model: type[BaseModel] | None = None
    description: str = ""
    errors: tuple[int, ...] = ()
    stream: tuple[str, type[BaseModel] | None] | None = None
    query: type[BaseModel] | None = None
    documented: bool = True
    upload: str | None = None
    answers: tuple[tuple[str, dict[str, Any]], ...] = ()
    error_format: ErrorFormat | None = None
    access: Access = "metered"
    status: int = 200


def post(
    path: str,
    body: type[B],
    endpoint: Callable[[Request[Any], B], Awaitable[ASGIApp]],
    **doc: Any,
) -> Route:
    """A POST route whose JSON body is validated by `body` before `endpoint` gets it."""
    return _with_body("POST", path, body, endpoint, **doc)


def patch(
    path: str,
    body: type[B],
    endpoint: Callable[[Request[Any], B], Awaitable[ASGIApp]],
    **doc: Any,
) -> Route:
    """A PATCH route whose JSON body is validated by `body` before `endpoint` gets it."""
    return _with_body("PATCH", path, body, endpoint, **doc)


def _with_body(
    method: str,
    path: str,
    body: type[B],
    endpoint: Callable[[Request[Any], B], Awaitable[ASGIApp]],
    **doc: Any,
) -> Route:
    async def handle(request: Request[Any]) -> ASGIApp:
        return await endpoint(request, await request.validated(body))

    handle.__name__ = endpoint.__name__
    return Route(method, path, handle, body=body, **doc)


def get(path: str, endpoint: Endpoint, **doc: Any) -> Route:
    return Route("GET", path, endpoint, **doc)


def delete(path: str, endpoint: Endpoint, **doc: Any) -> Route:
    return Route("DELETE", path, endpoint, **doc)


_PARAM = re.compile(r"\{(\w+)(:path)?\}")


def _pattern(path: str) -> re.Pattern[str]:
    regex, end = "", 0
    for found in _PARAM.finditer(path):
        regex += re.escape(path[end : found.start()])
        regex += f"(?P<{found[1]}>.+)" if found[2] else f"(?P<{found[1]}>[^/]+)"
        end = found.end()
    return re.compile(regex + re.escape(path[end:]) + "$")


def normal_path(path: str) -> str:
    """A path as routes are written: repeated slashes as one, no trailing slash (but `/`), as a
    client's `base_url` with a slash too many gives them (`/v1//models`, `/v1/models/`)."""
    if "//" in path:
        path = re.sub("/{2,}", "/", path)
    return path.rstrip("/") or "/"


class Router:
    """Finds the route of a method and path: plain paths by one dict lookup, patterns in order;
    a path as it is first, then in its normal form (`normal_path`).

    GET routes also answer HEAD (the same headers, no body). A path with a route but not for
    this method is a 405 naming the allowed methods; no route is a 404.
    """

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = list(routes)
        self.plain: dict[str, dict[str, Route]] = {}
        self.patterns: list[tuple[re.Pattern[str], dict[str, Route]]] = []
        by_pattern: dict[str, dict[str, Route]] = {}
        for route in self.routes:
            methods = ("GET", "HEAD") if route.method == "GET" else (route.method,)
            if _PARAM.search(route.path):
                table = by_pattern.setdefault(route.path, {})
            else:
                table = self.plain.setdefault(route.path, {})
            for method in methods:
                table[method] = route
        self.patterns = [(_pattern(path), table) for path, table in by_pattern.items()]

    def methods(self, path: str) -> tuple[dict[str, Route], dict[str, str]] | None:
        """The routes of `path` by method, and its path parameters; None if no route has it."""
        table = self.plain.get(path)
        if table is not None:
            return table, {}
        for pattern, table in self.patterns:
            found = pattern.match(path)
            if found:
                return table, found.groupdict()
        normal = normal_path(path)
        return None if normal == path else self.methods(normal)
