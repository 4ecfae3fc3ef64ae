"""The Workers AI REST client: URLs, credentials, timeouts, the envelope and its errors.

Nothing from upstream is trusted: a 2xx counts only when it has the documented shape of a
success (docs/upstream.md#answer-shapes), and upstream error text is scrubbed of control characters
and secret values before anything answers or logs it.

Every model call is noted on the request it serves (`context.current_request`): the model it
went to, and the token counts its answer reported (a whole answer's `usage`, or a stream's last).
That is where every API's usage comes from: `metering` records it under the caller's key.
Through Cloudflare AI Gateway, each call also carries the caller's key name (`cf-aig-metadata`),
the AI Gateway token, and the client's own cache headers (docs/upstream.md#ai-gateway).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import httpx
from httpx_sse import EventSource

from gateway.core.catalog import model_not_found
from gateway.core.config import Settings
from gateway.core.context import RequestContext, current_request
from gateway.core.credentials import Credentials
from gateway.core.errors import GatewayError
from gateway.core.http import dumps
from gateway.core.pieces import read_usage
from gateway.core.upstream_errors import UpstreamError

AI_GATEWAY_HOST = "gateway.ai.cloudflare.com"
JSON_CONTENT = {"content-type": "application/json"}
CATALOGUE_PAGE = 100
CATALOGUE_MAX_PAGES = 10
MAX_DETAIL = 300  # characters of upstream error text passed on
REDACTED = "[redacted]"

# C0/C1 controls (tab, newline and carriage return become spaces instead), invisible format
# characters (zero-width, bidi overrides) and lone surrogates: none belongs in a message.
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\ufeff\ud800-\udfff]"
)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Upstream text made safe to answer and log: control and invisible characters removed,
    whitespace collapsed, every secret value replaced by `[redacted]`, at most 300 characters.

    Redaction comes after the removal (a token split by a control character is still found) and
    before the cut (no prefix of a token survives it).
    """
    text = " ".join(_CONTROL.sub("", text).split())
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text[:MAX_DETAIL] or "no details"


def retry_after_seconds(value: str | None) -> str | None:
    """A `Retry-After` value fit to pass on, as whole seconds; None when it is not one.

    RFC 9110 section 10.2.3: delay-seconds or an HTTP-date. Fractions are rounded up.
    """
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - time.time()
    if not math.isfinite(seconds):
        return None
    return str(max(0, math.ceil(seconds)))


def _transport_error(exc: httpx.TransportError) -> UpstreamError:
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamError("Workers AI did not answer in time.", kind="timeout")
    if isinstance(exc, httpx.ConnectError):
        return UpstreamError("Could not connect to Workers AI.", kind="connect")
    return UpstreamError("The connection to Workers AI broke.", kind="transport")


def error_from_body(
    status: int, body: bytes, secrets: Iterable[str] = (), retry_after: str | None = None
) -> UpstreamError:
    """Parse an error answer leniently: Cloudflare's envelope, OpenAI's shape, or plain text."""
    code: int | None = None
    message: Any = body.decode(errors="replace") or f"HTTP {status}"
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        errors = data.get("errors")
        error = data.get("error")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            code = errors[0].get("code")
            message = errors[0].get("message", message)
        elif isinstance(error, dict):
            code = error.get("code")
            message = error.get("message", message)
        elif isinstance(error, str):
            message = error
    return UpstreamError(
        scrub(str(message), secrets),
        status=status,
        code=code if isinstance(code, int) and not isinstance(code, bool) else None,
        retry_after=retry_after_seconds(retry_after),
    )


def carries_error(data: Any) -> bool:
    """Whether a parsed answer is an error, whatever its HTTP status said."""
    return isinstance(data, dict) and (
        data.get("success") is False or bool(data.get("error")) or bool(data.get("errors"))
    )


Shape = Callable[[Any], bool]
"""Whether a 2xx answer's `result` has the documented shape of a success."""


def is_text_result(result: Any) -> bool:
    """Text generation (docs/upstream.md#answer-shapes): the native
    `{response, tool_calls?, usage?}`, or an OpenAI chat.completion whose first choice has a
    message (newer models; gpt-oss)."""
    if not isinstance(result, dict):
        return False
    choices = result.get("choices")
    if choices is not None:
        return (
            isinstance(choices, list)
            and bool(choices)
            and isinstance(choices[0], dict)
            and (isinstance(choices[0].get("message"), dict) or "text" in choices[0])
        )
    tool_calls = result.get("tool_calls")
    return result.get("response") is not None or (isinstance(tool_calls, list) and bool(tool_calls))


def is_embeddings_result(result: Any) -> bool:
    """Embeddings: `{"shape": [n, dims], "data": [[...], ...]}`, one row per input."""
    if not isinstance(result, dict):
        return False
    rows = result.get("data")
    return isinstance(rows, list) and bool(rows) and all(isinstance(row, list) for row in rows)


STREAM_KEYS = ("response", "choices", "tool_calls", "usage")
"""A stream event carries at least one of these: native pieces or OpenAI chunks."""


def _nothing(result: Any) -> bool:
    """No result is expected: a JSON answer can only be an error."""
    return False


def _invalid(status: int, what: str) -> UpstreamError:
    return UpstreamError(f"it answered {status} with {what}.", status=status, kind="invalid")


MODEL_NAME = re.compile(r"@(?:cf|hf)(?:/[A-Za-z0-9][A-Za-z0-9._:+-]*)+")
"""A Workers AI model name, as it may go into a URL path: `@cf/` or `@hf/`, then segments that
start with a letter or digit (so none is `.` or `..`) and hold nothing a URL reads specially."""


def _report_usage(ctx: RequestContext | None, value: Any) -> None:
    """Add one call's token counts (an upstream `usage` object) to the request it serves."""
    usage = read_usage(value)
    if usage is not None and ctx is not None:
        ctx.add_usage(usage["prompt_tokens"], usage["completion_tokens"])


AI_GATEWAY_PASSED = {
    b"cf-aig-cache-ttl": re.compile(r"[0-9]{1,10}"),
    b"cf-aig-skip-cache": re.compile(r"true|false"),
}
"""The client's AI Gateway headers passed on (seconds to cache; whether to bypass the cache),
with the values they may take."""


def ai_gateway_headers(ctx: RequestContext | None, token: str | None) -> dict[str, str]:
    """The headers a call through Cloudflare AI Gateway carries besides the Workers AI token:
    `cf-aig-authorization` with the AI Gateway token (an authenticated gateway), the caller's
    key in `cf-aig-metadata` (`{"key": name, "key_id": id}` for a named key, `{"key":
    "operator"}` for an operator key), and the client's `cf-aig-cache-ttl` /
    `cf-aig-skip-cache`. A malformed cache header is a 400 naming it.
    Spec: https://developers.cloudflare.com/ai-gateway/configuration/custom-metadata/ and
    .../ai-gateway/features/caching/
    """
    headers: dict[str, str] = {}
    if token:
        headers["cf-aig-authorization"] = f"Bearer {token}"
    if ctx is None:
        return headers
    if ctx.key is not None:
        metadata: dict[str, str] = {"key": ctx.key.name, "key_id": ctx.key.id}
    else:
        metadata = {"key": "operator"}
    # ASCII JSON (non-ASCII names as \u escapes): a header value carries Latin-1 at most.
    headers["cf-aig-metadata"] = json.dumps(metadata, separators=(",", ":"))
    for name, value in ctx.client_headers:
        rule = AI_GATEWAY_PASSED.get(name.lower())
        if rule is None:
            continue
        text = value.decode("latin-1").strip().lower()
        if not rule.fullmatch(text):
            header = name.decode("latin-1").lower()
            raise GatewayError(
                400,
                f"The {header} header must match {rule.pattern}, not {text[:40]!r}.",
                code="invalid_header",
                param=header,
            )
        headers[name.decode("latin-1").lower()] = text
    return headers


@dataclass(frozen=True)
class RawBody:
    """A request body sent as it is rather than as JSON (audio for Whisper and Nova-3), with its
    Content-Type and the options that go in the query string."""

    content: bytes
    content_type: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FormBody:
    """A `multipart/form-data` request body (FLUX.2 takes nothing else): text `fields`, and
    `files` by field name as (file name, bytes, media type)."""

    fields: dict[str, str]
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)


Body = dict[str, Any] | RawBody | FormBody
"""What `/run/{model}` is sent: a JSON object, raw bytes, or a multipart form."""


def _request_args(body: Body, headers: dict[str, str]) -> dict[str, Any]:
    """httpx's arguments for a body: JSON (encoded once, by `dumps`), raw bytes with their type
    and query string, or a multipart form (httpx writes its boundary)."""
    if isinstance(body, RawBody):
        return {
            "content": body.content,
            "params": dict(body.params),
            "headers": {**headers, "content-type": body.content_type},
        }
    if isinstance(body, FormBody):
        return {"data": body.fields, "files": body.files, "headers": headers}
    return {"content": dumps(body), "headers": {**headers, **JSON_CONTENT}}


@dataclass
class BinaryAnswer:
    """A `/run` answer that is bytes (audio, an image), or the JSON result of a model that answers
    its bytes inside JSON (MeloTTS's base64 audio, FLUX's image).

    For bytes: `media_type` is the answer's Content-Type (without parameters), `first` its first
    bytes (in hand before anything is answered, so a failure there can still fall back) and
    `chunks()` the whole body as it arrives. For JSON: `result` is the envelope's result, with
    the shape the caller expected, and there are no bytes.
    """

    media_type: str
    first: bytes = b""
    rest: AsyncIterator[bytes] | None = None
    result: Any = None

    async def chunks(self) -> AsyncIterator[bytes]:
        if self.first:
            yield self.first
        if self.rest is not None:
            async for chunk in self.rest:
                if chunk:
                    yield chunk


def _media_type(response: httpx.Response) -> str:
    content_type: str = response.headers.get("content-type", "")
    return content_type.partition(";")[0].strip().lower()


SESSION_AFFINITY = "x-session-affinity"
_HEADER_SAFE = re.compile(r"[!-~]{1,256}")


def session_affinity(prompt_cache_key: str | None) -> dict[str, str]:
    """Upstream headers that keep a conversation on one Workers AI replica, so its prompt
    prefix stays cached (docs/upstream.md#prompt-caching): OpenAI's `prompt_cache_key`
    as `x-session-affinity`. A key that cannot go into a header as it is (anything but visible
    ASCII, or longer than 256) is sent as its SHA-256 hex: still one value per key."""
    if not prompt_cache_key:
        return {}
    if _HEADER_SAFE.fullmatch(prompt_cache_key):
        return {SESSION_AFFINITY: prompt_cache_key}
    digest = hashlib.sha256(prompt_cache_key.encode("utf-8", "surrogatepass")).hexdigest()
    return {SESSION_AFFINITY: digest}


@lru_cache(maxsize=64)
def _parsed_url(url: str) -> httpx.URL:
    """An `httpx.URL`, parsed once per distinct model URL: httpx parses a URL given as text
    anew on every request (some 10 µs each time)."""
    return httpx.URL(url)


class WorkersAI:
    """The Workers AI REST client. Requests go to the pool's transport itself: httpx's client
    layer (auth flows, redirects, cookies, default headers, event hooks) does nothing Workers AI
    needs, and cost some 0.15 ms of CPU a call (docs/performance.md)."""

    def __init__(
        self, transport: httpx.AsyncBaseTransport, settings: Settings, credentials: Credentials
    ):
        self.transport = transport
        self.settings = settings
        self.credentials = credentials
        self.via_ai_gateway = urlsplit(settings.workers_ai_base_url).hostname == AI_GATEWAY_HOST

    async def _base(self) -> tuple[str, dict[str, str]]:
        creds = await self.credentials.cloudflare()
        base = self.settings.workers_ai_base_url.replace("{account_id}", creds.account_id)
        headers = {"authorization": f"Bearer {creds.api_token}"}
        if self.via_ai_gateway:
            headers |= ai_gateway_headers(current_request.get(), creds.ai_gateway_token)
        return base.rstrip("/"), headers

    async def _target(self, model: str) -> tuple[httpx.URL, dict[str, str]]:
        if not MODEL_NAME.fullmatch(model):
            # The name becomes part of a URL sent with the Cloudflare token: `@cf/../../x`
            # would reach another Cloudflare API, `?`/`#` would cut the path.
            raise model_not_found(model, "a Workers AI model name from GET /v1/models")
        ctx = current_request.get()
        if ctx is not None:
            ctx.model = model
        base, headers = await self._base()
        # Cloudflare AI Gateway takes native calls as .../workers-ai/{model}, without /run.
        run = "" if self.via_ai_gateway else "/run"
        return _parsed_url(f"{base}{run}/{model}"), headers

    def _error(self, response: httpx.Response, body: bytes) -> UpstreamError:
        return error_from_body(
            response.status_code,
            body,
            self.credentials.loaded_secrets(),
            response.headers.get("retry-after"),
        )

    def _result(self, response: httpx.Response, body: bytes, expected: Shape) -> Any:
        """The `result` of a successful answer; an UpstreamError for anything else.

        An error status, a body that is empty or not JSON, an error object or `success: false`
        under a 2xx, and a result without the `expected` shape are all upstream failures.
        """
        status = response.status_code
        if not response.is_success:
            raise self._error(response, body)
        try:
            data = json.loads(body)
        except ValueError:
            what = "a body that is not JSON" if body.strip() else "an empty body"
            raise _invalid(status, what) from None
        if carries_error(data):
            raise self._error(response, body)
        # /run answers in Cloudflare's envelope; tolerate a bare result (some proxies unwrap it).
        enveloped = isinstance(data, dict) and ("result" in data or "success" in data)
        result = data.get("result") if enveloped else data
        if not expected(result):
            what = "no result" if result in (None, {}, []) else "a malformed result"
            raise _invalid(status, what)
        if isinstance(result, dict):
            _report_usage(current_request.get(), result.get("usage"))
        return result

    async def search_models(self, task: str, read_timeout: float) -> list[dict[str, Any]]:
        """GET /models/search: Cloudflare's catalogue of models for one task, every page (the
        gateway refuses names the catalogue lacks, so a missed page would refuse real models)."""
        base, headers = await self._base()
        if self.via_ai_gateway:
            return []  # the catalogue is an account API, not served through AI Gateway
        rows: list[dict[str, Any]] = []
        for page in range(1, CATALOGUE_MAX_PAGES + 1):
            request = self._request(
                "GET",
                f"{base}/models/search",
                read_timeout,
                params={"task": task, "per_page": CATALOGUE_PAGE, "page": page},
                headers=headers,
            )
            response = await self._send(request, read=True)
            result = self._result(response, response.content, lambda found: isinstance(found, list))
            batch = [row for row in result if isinstance(row, dict)]
            rows += batch
            if len(batch) < CATALOGUE_PAGE:
                return rows
        raise UpstreamError("The model catalogue has more pages than the gateway reads.")

    def _request(
        self, method: str, url: httpx.URL | str, read_timeout: float, **args: Any
    ) -> httpx.Request:
        """A request with its timeouts: `read_timeout` seconds between reads (and to write and
        to get a pooled connection), CONNECT_TIMEOUT (at most that) to connect."""
        timeout = httpx.Timeout(
            read_timeout, connect=min(self.settings.connect_timeout, read_timeout)
        )
        return httpx.Request(method, url, extensions={"timeout": timeout.as_dict()}, **args)

    async def _send(self, request: httpx.Request, *, read: bool) -> httpx.Response:
        """The response to `request` (with `read`, its whole body read); UpstreamError when no
        answer comes. Without `read` the caller closes the response."""
        try:
            response = await self.transport.handle_async_request(request)
        except httpx.TransportError as exc:
            raise _transport_error(exc) from None
        if read:
            await self._read(response)
        return response

    async def run(
        self,
        model: str,
        body: Body,
        read_timeout: float,
        expected: Shape = is_text_result,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """POST /run/{model} (with `headers` besides the token) and return the envelope's
        result, checked to have the `expected` shape (text generation unless told otherwise).
        `body` is JSON, or a `RawBody` or `FormBody` sent as it is. Raises UpstreamError."""
        url, auth = await self._target(model)
        request = self._request(
            "POST", url, read_timeout, **_request_args(body, {**auth, **(headers or {})})
        )
        response = await self._send(request, read=True)
        return self._result(response, response.content, expected)

    @asynccontextmanager
    async def binary(
        self,
        model: str,
        body: Body,
        read_timeout: float,
        media: tuple[str, ...],
        expected: Shape | None = None,
        signature: Callable[[bytes], bool] | None = None,
    ) -> AsyncIterator[BinaryAnswer]:
        """POST /run/{model} for an answer in bytes whose Content-Type starts with one of
        `media` (`"audio/"`, `"image/png"`...); yields it once its first bytes are in hand,
        and closes the upstream response when the block ends.

        A JSON answer is an error, or (when `expected` is given) a result of that shape,
        yielded as `result`. Raises UpstreamError for an error status, an error object (also
        under another Content-Type: bytes that begin with `{` are no audio or image), a
        Content-Type not in `media`, an empty body, or first bytes that `signature` (when
        given) says are not the format asked for; reading the later chunks raises it for a
        broken connection.
        """
        url, auth = await self._target(model)
        request = self._request("POST", url, read_timeout, **_request_args(body, auth))
        response = await self._send(request, read=False)
        try:
            media_type = _media_type(response)
            if not response.is_success or media_type == "application/json":
                content = await self._read(response)
                yield BinaryAnswer(
                    media_type, result=self._result(response, content, expected or _nothing)
                )
                return
            if not media_type.startswith(media):
                raise _invalid(response.status_code, f"a `{media_type or 'untyped'}` body")
            chunks = self._chunks(response)
            first = await anext(chunks, b"")
            if not first:
                raise _invalid(response.status_code, "an empty body")
            if first.startswith(b"{"):
                content = first + b"".join([chunk async for chunk in chunks])
                self._result(response, content, _nothing)  # raises: an error, or no shape
            if signature is not None and not signature(first):
                raise _invalid(
                    response.status_code, f"bytes that are not the {media_type} asked for"
                )
            yield BinaryAnswer(media_type, first, chunks)
        finally:
            await response.aclose()

    async def _chunks(self, response: httpx.Response) -> AsyncIterator[bytes]:
        """The body's non-empty chunks as they arrive; UpstreamError when the connection
        breaks."""
        try:
            async for chunk in response.aiter_bytes():
                if chunk:
                    yield chunk
        except httpx.TransportError as exc:
            raise _transport_error(exc) from None

    @asynccontextmanager
    async def stream(
        self,
        model: str,
        body: dict[str, Any],
        read_timeout: float,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """POST /run/{model} with `stream: true` (and `headers` besides the token); yields an
        iterator of the decoded events.

        A model that answers one JSON body instead of a stream gives a single event: its result.
        Every event is checked as it comes (see `_events`); a failure raises UpstreamError from
        the iterator.
        """
        url, auth = await self._target(model)
        request = self._request(
            "POST", url, read_timeout, **_request_args(body, {**auth, **(headers or {})})
        )
        response = await self._send(request, read=False)
        try:
            content_type = response.headers.get("content-type", "")
            if response.is_success and "text/event-stream" in content_type:
                yield self._events(response)
            else:
                content = await self._read(response)
                yield self._single(self._result(response, content, is_text_result))
        finally:
            await response.aclose()

    async def _read(self, response: httpx.Response) -> bytes:
        try:
            return await response.aread()
        except httpx.TransportError as exc:
            raise _transport_error(exc) from None

    async def _single(self, result: Any) -> AsyncIterator[dict[str, Any]]:
        yield result

    async def _events(self, response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
        """The events of an SSE answer, each a native piece or an OpenAI chunk.

        A `data:` that is not a JSON object, or that carries an error, fails the stream; events
        with none of the known keys are skipped. The stream ends at `data: [DONE]` or at the end
        of the body (some models send no [DONE]); one that ends before any event is a failure.
        """
        status = response.status_code
        seen = False
        ctx = current_request.get()  # read now: a generator may be finalised in another task
        usage: Any = None  # the last the stream reported: counts are cumulative
        try:
            async for event in EventSource(response).aiter_sse():
                data = event.data.strip()
                if not data:
                    continue
                if data == "[DONE]":
                    break
                try:
                    value = json.loads(data)
                except ValueError:
                    raise _invalid(status, "a stream event that is not JSON") from None
                if carries_error(value):
                    raise self._error(response, data.encode())
                if not isinstance(value, dict):
                    raise _invalid(status, "a stream event that is not an object")
                if any(key in value for key in STREAM_KEYS):
                    seen = True
                    usage = value.get("usage") or usage
                    yield value
        except httpx.TransportError as exc:
            raise _transport_error(exc) from None
        finally:
            _report_usage(ctx, usage)
        if not seen:
            raise _invalid(status, "a stream without any result")
