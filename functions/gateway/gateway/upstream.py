"""The Workers AI REST client: URLs, credentials, timeouts, the envelope and its errors."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
from httpx_sse import EventSource

from gateway.config import Settings
from gateway.credentials import Credentials
from gateway.errors import GatewayError

AI_GATEWAY_HOST = "gateway.ai.cloudflare.com"


class UpstreamError(Exception):
    """A failed call to Workers AI.

    `status` is the HTTP status (None when no answer came: `kind` then says why), `code` the
    Cloudflare error code when the body had one.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        kind: str = "http",
        retry_after: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.kind = kind
        self.retry_after = retry_after

    @property
    def label(self) -> str:
        """A short name for logs and metrics: the Cloudflare code, the status, or the kind."""
        if self.code is not None:
            return str(self.code)
        return str(self.status) if self.status is not None else self.kind


def _transport_error(exc: httpx.TransportError) -> UpstreamError:
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamError("Workers AI did not answer in time.", kind="timeout")
    if isinstance(exc, httpx.ConnectError):
        return UpstreamError("Could not connect to Workers AI.", kind="connect")
    return UpstreamError("The connection to Workers AI broke.", kind="transport")


def _clean(message: Any) -> str:
    text = " ".join(str(message).split())
    return text[:300] or "no details"


def error_from_body(status: int, body: bytes, retry_after: str | None = None) -> UpstreamError:
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
        _clean(message),
        status=status,
        code=code if isinstance(code, int) else None,
        retry_after=retry_after,
    )


def unwrap(status: int, body: bytes) -> Any:
    """The `result` of a successful envelope; an UpstreamError for anything else."""
    try:
        data = json.loads(body)
    except ValueError:
        raise UpstreamError(
            "Workers AI answered something that is not JSON.", status=status
        ) from None
    if isinstance(data, dict) and data.get("success") is False:
        raise error_from_body(status if status >= 400 else 502, body)
    if isinstance(data, dict) and "result" in data:
        return data["result"]
    return data


MODEL_NAME = re.compile(r"@(?:cf|hf)(?:/[A-Za-z0-9][A-Za-z0-9._:+-]*)+")
"""A Workers AI model name, as it may go into a URL path: `@cf/` or `@hf/`, then segments that
start with a letter or digit (so none is `.` or `..`) and hold nothing a URL reads specially."""


class WorkersAI:
    def __init__(self, http: httpx.AsyncClient, settings: Settings, credentials: Credentials):
        self.http = http
        self.settings = settings
        self.credentials = credentials

    async def _base(self) -> tuple[str, dict[str, str]]:
        creds = await self.credentials.cloudflare()
        base = self.settings.workers_ai_base_url.replace("{account_id}", creds.account_id)
        return base.rstrip("/"), {"authorization": f"Bearer {creds.api_token}"}

    async def _target(self, model: str) -> tuple[str, dict[str, str]]:
        if not MODEL_NAME.fullmatch(model):
            # The name becomes part of a URL sent with the Cloudflare token: `@cf/../../x`
            # would reach another Cloudflare API, `?`/`#` would cut the path.
            raise GatewayError(
                404,
                f"The model `{model}` does not exist: not a Workers AI model name.",
                code="model_not_found",
                param="model",
            )
        base, headers = await self._base()
        # Cloudflare AI Gateway takes native calls as .../workers-ai/{model}, without /run.
        run = "" if urlsplit(base).hostname == AI_GATEWAY_HOST else "/run"
        return f"{base}{run}/{model}", headers

    async def search_models(self, task: str, read_timeout: float) -> list[dict[str, Any]]:
        """GET /models/search: Cloudflare's catalogue of models for one task."""
        base, headers = await self._base()
        if urlsplit(base).hostname == AI_GATEWAY_HOST:
            return []  # the catalogue is an account API, not served through AI Gateway
        try:
            response = await self.http.get(
                f"{base}/models/search",
                params={"task": task, "per_page": 100},
                headers=headers,
                timeout=self._timeout(read_timeout),
            )
        except httpx.TransportError as exc:
            raise _transport_error(exc) from None
        if response.status_code >= 400:
            raise error_from_body(response.status_code, response.content)
        result = unwrap(response.status_code, response.content)
        return [row for row in result if isinstance(row, dict)] if isinstance(result, list) else []

    def _timeout(self, seconds: float) -> httpx.Timeout:
        return httpx.Timeout(seconds, connect=min(self.settings.connect_timeout, seconds))

    async def run(self, model: str, body: dict[str, Any], read_timeout: float) -> Any:
        """POST /run/{model} and return the envelope's result."""
        url, headers = await self._target(model)
        try:
            response = await self.http.post(
                url, json=body, headers=headers, timeout=self._timeout(read_timeout)
            )
        except httpx.TransportError as exc:
            raise _transport_error(exc) from None
        if response.status_code >= 400:
            raise error_from_body(
                response.status_code, response.content, response.headers.get("retry-after")
            )
        return unwrap(response.status_code, response.content)

    @asynccontextmanager
    async def stream(
        self, model: str, body: dict[str, Any], read_timeout: float
    ) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """POST /run/{model} with `stream: true`; yields an iterator of the decoded events.

        A model that answers one JSON body instead of a stream gives a single event: its result.
        """
        url, headers = await self._target(model)
        request = self.http.build_request(
            "POST", url, json=body, headers=headers, timeout=self._timeout(read_timeout)
        )
        try:
            response = await self.http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise _transport_error(exc) from None
        try:
            if response.status_code >= 400:
                content = await self._read(response)
                raise error_from_body(
                    response.status_code, content, response.headers.get("retry-after")
                )
            if "text/event-stream" in response.headers.get("content-type", ""):
                yield self._events(response)
            else:
                yield self._single(unwrap(response.status_code, await self._read(response)))
        finally:
            await response.aclose()

    async def _read(self, response: httpx.Response) -> bytes:
        try:
            return await response.aread()
        except httpx.TransportError as exc:
            raise _transport_error(exc) from None

    async def _single(self, result: Any) -> AsyncIterator[dict[str, Any]]:
        yield result if isinstance(result, dict) else {"response": result}

    async def _events(self, response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
        try:
            async for event in EventSource(response).aiter_sse():
                data = event.data.strip()
                if not data:
                    continue
                if data == "[DONE]":
                    return
                try:
                    value = json.loads(data)
                except ValueError:
                    continue
                if not isinstance(value, dict):
                    continue
                if value.get("error") or value.get("errors"):
                    raise error_from_body(502, data.encode())
                yield value
        except httpx.TransportError as exc:
            raise _transport_error(exc) from None
        raise UpstreamError("The Workers AI stream ended before it was complete.", kind="cut")
