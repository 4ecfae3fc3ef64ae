"""The Cloudflare envelope and the error codes Workers AI answers with."""

from typing import Any

from starlette.responses import JSONResponse, Response

# HTTP status of each Cloudflare error code (reference table in workers-ai.md).
CODE_STATUS: dict[int, int] = {
    3040: 429,
    3007: 408,
    3008: 408,
    5007: 400,
    3042: 404,
    5035: 403,
    3036: 429,
    4006: 429,
    10000: 401,
    3006: 413,
    5004: 400,
    5006: 400,
    3003: 400,
    3010: 400,
    7000: 404,
    7001: 405,
    8001: 400,
}

DEFAULT_MESSAGES: dict[int, str] = {
    3040: "Capacity temporarily exceeded, please try again.",
    3007: "Request timeout",
    3008: "Request aborted",
    5007: "No such model or task",
    3042: "Invalid model ID",
    5035: "This model requires the Workers Paid plan",
    3036: "You have used up your daily free allocation of 10,000 neurons.",
    4006: "You have used up your daily free allocation of 10,000 neurons.",
    10000: "Authentication error",
    3006: "Request is too large",
    5004: "Bad input",
    5006: "AiError: Bad input",
    3003: "Bad input",
    3010: "Invalid or incomplete input for the model",
    7000: "No route for that URI",
    7001: "Method not allowed for this route",
    8001: "Invalid input",
}

# Code used when a fault gives only an HTTP status.
STATUS_CODES: dict[int, int] = {
    429: 3040,
    408: 3007,
    404: 3042,
    403: 5035,
    401: 10000,
    413: 3006,
    400: 5004,
}
GENERIC_CODE = 1000


class UpstreamError(Exception):
    """An error answered in the Cloudflare envelope."""

    def __init__(self, code: int, message: str | None = None, status: int | None = None):
        self.code = code
        self.message = message or DEFAULT_MESSAGES.get(code, "Emulated upstream error")
        self.status = status or CODE_STATUS.get(code, 500)
        super().__init__(self.message)


def envelope(result: Any) -> dict[str, Any]:
    return {"result": result, "success": True, "errors": [], "messages": []}


def error_envelope(code: int, message: str) -> dict[str, Any]:
    return {
        "result": None,
        "success": False,
        "errors": [{"code": code, "message": message}],
        "messages": [],
    }


def error_response(error: UpstreamError, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(
        error_envelope(error.code, error.message), status_code=error.status, headers=headers
    )
