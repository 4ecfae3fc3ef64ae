"""Anthropic's error envelope, `{"type": "error", "error": {"type", "message"}}`, with Anthropic's
types and statuses (https://platform.claude.com/docs/en/api/errors), so the Anthropic SDKs raise
their own exception classes and retry where they would.

Every error of the Messages API is written here, and any error of a request that carries
`anthropic-version` where no route of another family decides (app.Gateway.error_format): the
gateway's errors keep their status, except that an upstream out of capacity (`model_busy`) is
Anthropic's 529 `overloaded_error`.
"""

from __future__ import annotations

from typing import Any

from gateway.apis.messages.schemas import AnthropicErrorResponse
from gateway.core.errors import GatewayError
from gateway.core.http import ErrorFormat, JSONResponse

OVERLOADED = 529

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    504: "timeout_error",
    OVERLOADED: "overloaded_error",
}
"""Anthropic's type per status; other 4xx are `invalid_request_error`, other 5xx `api_error`."""

CAPACITY_CODES = {"model_busy"}
"""The gateway's error codes that mean the upstream is out of capacity: Anthropic's 529."""


def error_body(error: GatewayError) -> tuple[int, dict[str, Any]]:
    """The status and Anthropic's envelope for `error`."""
    status = OVERLOADED if error.code in CAPACITY_CODES else error.status
    kind = ERROR_TYPES.get(status, "invalid_request_error" if status < 500 else "api_error")
    return status, {"type": "error", "error": {"type": kind, "message": error.message}}


def anthropic_error(error: GatewayError) -> JSONResponse:
    status, body = error_body(error)
    return JSONResponse(body, status, error.headers)


ANTHROPIC_ERRORS = ErrorFormat(
    render=anthropic_error, model=AnthropicErrorResponse, marker="anthropic-version"
)
"""The Messages API's error format; `anthropic-version` marks Anthropic's clients."""
