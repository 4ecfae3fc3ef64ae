"""OpenAI's error envelope, and the mapping of the app's own failures onto it.

Upstream failures are mapped by the table in upstream_errors.py; this module depends on nothing
else of the gateway's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

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
}


def error_type(status: int) -> str:
    return ERROR_TYPES.get(status, "api_error")


class GatewayError(Exception):
    """An error the client sees, already in OpenAI's terms."""

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


def envelope(message: str, type: str, param: str | None = None, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def error_response(error: GatewayError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


# The discriminator values of the unions in schemas.py (message roles, content-part and
# response-format types) and responses/schemas.py (item, content-part, tool and text-format
# types): pydantic puts the one it tried into an error's `loc`.
UNION_TAGS = {
    *("system", "developer", "user", "assistant", "tool"),
    *("text", "refusal", "image_url", "input_audio", "file", "json_object", "json_schema"),
    *("message", "function_call", "function_call_output", "reasoning", "function", "hosted"),
    *("input_text", "input_image", "output_text"),
}
FORMAT_FIELDS = {"response_format", "format"}
REQUEST_PARTS = {"body", "query", "path"}
"""Where FastAPI found the field (the first part of `loc`); OpenAI names only the field."""
TYPE_LABELS = {"str", "int", "float", "bool", "dict", "list", "none"}


def _is_branch_label(part: Any, previous: Any) -> bool:
    """Pydantic names the union branch it tried inside `loc` ("user", "str", "list[...]"...)."""
    if not isinstance(part, str):
        return False
    if "[" in part or "-" in part or part[:1].isupper() or part in TYPE_LABELS:
        return True
    return part in UNION_TAGS and (isinstance(previous, int) or previous in FORMAT_FIELDS)


def _fields(loc: tuple[Any, ...]) -> list[Any]:
    parts: list[Any] = []
    previous: Any = None
    for part in loc:
        if part not in REQUEST_PARTS and not _is_branch_label(part, previous):
            parts.append(part)
        previous = part
    return parts


def param_name(path: Iterable[str | int]) -> str | None:
    """OpenAI's way of naming a field from its path: `messages[0].content`."""
    param = ""
    for part in path:
        param += f"[{part}]" if isinstance(part, int) else f".{part}"
    return param.lstrip(".") or None


def _param_of(loc: tuple[Any, ...]) -> str | None:
    return param_name(_fields(loc))


def _most_telling(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """Of the errors pydantic found for the first bad field (one per union branch it tried),
    the deepest: it names what is wrong rather than which branch failed first."""
    first = errors[0]
    loc = tuple(first.get("loc", ()))
    stem: tuple[Any, ...] = ()
    for i, part in enumerate(loc):
        if _is_branch_label(part, loc[i - 1] if i else None):
            break
        stem += (part,)
    same_field = [e for e in errors if tuple(e.get("loc", ()))[: len(stem)] == stem]
    return max(same_field, key=lambda e: len(e.get("loc", ())))


def unparsable_body() -> GatewayError:
    return GatewayError(
        400,
        "We could not parse the JSON body of your request. The body must be valid JSON.",
        code="invalid_json",
    )


def is_json_media_type(content_type: str | None) -> bool:
    """`application/json` or `application/*+json`, parameters aside: the types FastAPI parses
    a body as JSON for (any other, or none, leaves the body as bytes, which no schema takes)."""
    media_type = (content_type or "").partition(";")[0].strip().lower()
    kind, _, subtype = media_type.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def validation_error(exc: RequestValidationError, content_type: str | None) -> GatewayError:
    """Turn pydantic's list of problems into OpenAI's single message with a `param`.

    `content_type` is the request's header: a body that is no JSON object because it was not
    sent as JSON (curl's `-d` sends a form type) is told so, rather than that it is no object.
    """
    error = _most_telling(list(exc.errors()))
    kind = error.get("type")
    if kind == "json_invalid":
        return unparsable_body()
    param = _param_of(tuple(error.get("loc", ())))
    if param is None and kind in {"missing", "model_attributes_type", "dict_type"}:
        if kind != "missing" and not is_json_media_type(content_type):
            sent = f"`{content_type}`" if content_type else "missing"
            return GatewayError(
                400,
                "The request body must be JSON sent with `Content-Type: application/json`; "
                f"this request's Content-Type is {sent}.",
                code="invalid_request_body",
            )
        return GatewayError(
            400, "The request body must be a JSON object.", code="invalid_request_body"
        )
    if kind == "missing":
        return GatewayError(
            400,
            f"Missing required parameter: '{param}'.",
            param=param,
            code="missing_required_parameter",
        )
    reason = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    where = f"'{param}'" if param else "the request body"
    return GatewayError(
        400, f"Invalid value for {where}: {reason}", param=param, code="invalid_value"
    )


def not_found_message(request: Request) -> str:
    """OpenAI's 404 text, with a hint when the path exists under `/v1`: a `base_url` without
    `/v1` is the usual reason (`POST /chat/completions`)."""
    message = f"Invalid URL ({request.method} {request.url.path})"
    candidate = "/v1" + request.url.path
    scope = {**request.scope, "path": candidate}
    if any(route.matches(scope)[0] is not Match.NONE for route in request.app.router.routes):
        base = str(request.base_url).rstrip("/")
        message += f": did you mean {candidate}? Set the client's base_url to {base}/v1."
    return message


def install_handlers(app: FastAPI) -> None:
    """Every error the app raises leaves in OpenAI's envelope; nothing else ever does."""

    @app.exception_handler(GatewayError)
    async def on_gateway_error(request: Request, exc: GatewayError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(validation_error(exc, request.headers.get("content-type")))

    @app.exception_handler(HTTPException)
    async def on_http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 404:
            message = not_found_message(request)
        elif exc.status_code == 405:
            message = f"Method {request.method} is not allowed for {request.url.path}."
        elif exc.status_code == 400 and exc.__cause__ is not None:
            # FastAPI could not read the body: not UTF-8, or nested past the recursion limit.
            return error_response(unparsable_body())
        else:
            message = str(exc.detail)
        return error_response(GatewayError(exc.status_code, message, headers=exc.headers))
