"""OpenAI's error envelope, and `GatewayError`: every error the client sees, in OpenAI's terms.

Upstream failures are mapped by the table in upstream_errors.py, pydantic's by validation.py;
this module depends on nothing else of the gateway's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    408: "timeout_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    431: "invalid_request_error",
}


def error_type(status: int) -> str:
    """OpenAI's `type` for an HTTP status (`api_error` for 5xx and the rest)."""
    return ERROR_TYPES.get(status, "api_error")


class GatewayError(Exception):
    """An error the client sees: an HTTP status, and OpenAI's `message`, `type`, `param`,
    `code`; `headers` go out with it (`retry-after`, `allow`)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.type = type or error_type(status)
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return envelope(self.message, self.type, self.param, self.code)


def envelope(
    message: str, type: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def param_name(path: Iterable[str | int]) -> str | None:
    """OpenAI's way of naming a field from its path: `messages[0].content`."""
    param = ""
    for part in path:
        param += f"[{part}]" if isinstance(part, int) else f".{part}"
    return param.lstrip(".") or None


def unparsable_body() -> GatewayError:
    return GatewayError(
        400,
        "We could not parse the JSON body of your request. The body must be valid JSON.",
        code="invalid_json",
    )


def is_json_media_type(content_type: str | None) -> bool:
    """`application/json` or `application/*+json`, parameters aside (RFC 6839 §3.1)."""
    media_type = (content_type or "").partition(";")[0].strip().lower()
    kind, _, subtype = media_type.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def not_found(method: str, path: str, base_url: str | None = None) -> GatewayError:
    """OpenAI's 404 for a URL no route has. With `base_url` (given when the same path exists
    under `/v1`: a client's `base_url` without `/v1` is the usual reason; or once, for a doubled
    `/v1/v1/`: Anthropic's clients add `/v1` to a base URL that had it already) it says so."""
    message = f"Invalid URL ({method} {path})"
    if base_url and path.startswith("/v1/v1/"):
        message += (
            f": did you mean {path[3:]}? Anthropic's clients add /v1 themselves: set the "
            f"base URL to {base_url}, without /v1."
        )
    elif base_url:
        message += f": did you mean /v1{path}? Set the client's base_url to {base_url}/v1."
    return GatewayError(404, message)


def not_allowed(method: str, path: str, allowed: Iterable[str]) -> GatewayError:
    """The 405 for a path whose routes do not take `method`, with the `Allow` header."""
    return GatewayError(
        405,
        f"Method {method} is not allowed for {path}.",
        headers={"allow": ", ".join(sorted(allowed))},
    )
