"""Multipart form bodies (`multipart/form-data`, as the OpenAI SDKs send uploads): the parser,
and `form()`, a POST route whose form fields are validated by a pydantic model.

Parsing is python-multipart's (the parser Starlette uses), imported on first use so that chat's
cold start does not pay for it. The body's size is limited before it is read
(`limits.BodySizeLimit`, MAX_UPLOAD_BYTES for the routes `form()` makes).

A field named `name[]` (as the SDKs send arrays: `timestamp_granularities[]`) or sent more than
once is a list under `name`; a part with a filename is an `Upload`; any other part is text.
A body that is not multipart, has no boundary, is malformed or ends before its closing
boundary is a 400.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ValidationError, WithJsonSchema

from gateway.core.errors import GatewayError
from gateway.core.http import ASGIApp, Request, Route
from gateway.core.validation import validation_error

B = TypeVar("B", bound=BaseModel)


@dataclass(frozen=True)
class Upload:
    """An uploaded file: its bytes, and the name and type the client gave it (if any)."""

    data: bytes
    filename: str | None = None
    content_type: str | None = None


UploadField = Annotated[Upload, WithJsonSchema({"type": "string", "format": "binary"})]
"""A form field that holds a file (documented as OpenAPI's binary string)."""


def _bad(message: str) -> GatewayError:
    return GatewayError(400, message, code="invalid_request_body")


@dataclass
class _Part:
    headers: dict[bytes, bytes]
    data: bytearray


def _parts(body: bytes, content_type: str | None) -> list[_Part]:
    from python_multipart.exceptions import MultipartParseError
    from python_multipart.multipart import MultipartParser, parse_options_header

    media_type, options = parse_options_header(content_type or "")
    if media_type != b"multipart/form-data":
        sent = f"`{content_type}`" if content_type else "missing"
        raise _bad(
            "The request body must be multipart/form-data (as the OpenAI SDKs send uploads); "
            f"this request's Content-Type is {sent}."
        )
    boundary = options.get(b"boundary")
    if not boundary:
        raise _bad("The multipart Content-Type has no boundary.")
    parts: list[_Part] = []
    header = [bytearray(), bytearray()]
    ended = False

    def on_part_begin() -> None:
        parts.append(_Part({}, bytearray()))

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header[0] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header[1] += data[start:end]

    def on_header_end() -> None:
        parts[-1].headers[bytes(header[0]).strip().lower()] = bytes(header[1]).strip()
        header[0], header[1] = bytearray(), bytearray()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1].data += data[start:end]

    def on_end() -> None:
        nonlocal ended
        ended = True

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_end": on_end,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except MultipartParseError as exc:
        raise _bad(f"The multipart body is malformed: {exc}") from None
    if not ended:
        raise _bad("The multipart body ends before its closing boundary: it was cut short.")
    return parts


def parse_form(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The fields of a multipart body: text as str, files as `Upload`, lists for `name[]` and
    repeated names. Raises a 400 GatewayError for anything but a whole multipart body."""
    from python_multipart.multipart import parse_options_header

    found: dict[str, list[Any]] = {}
    listed: set[str] = set()
    for part in _parts(body, content_type):
        disposition, options = parse_options_header(part.headers.get(b"content-disposition", b""))
        raw_name = options.get(b"name")
        if disposition != b"form-data" or raw_name is None:
            raise _bad("Every part of the multipart body needs `Content-Disposition: form-data`.")
        try:
            name = raw_name.decode()
            filename = options.get(b"filename")
            value: Any
            if filename is not None:
                media = part.headers.get(b"content-type")
                value = Upload(
                    bytes(part.data), filename.decode(), media.decode() if media else None
                )
            else:
                value = part.data.decode()
        except UnicodeDecodeError:
            raise _bad("A multipart field's name or text is not UTF-8.") from None
        if name.endswith("[]"):
            name = name[:-2]
            listed.add(name)
        found.setdefault(name, []).append(value)
    return {
        name: values if name in listed or len(values) > 1 else values[0]
        for name, values in found.items()
    }


def form(
    path: str,
    body: type[B],
    endpoint: Callable[[Request[Any], B], Awaitable[ASGIApp]],
    *,
    upload: str,
    **doc: Any,
) -> Route:
    """A POST route taking `multipart/form-data` whose fields `body` validates; `upload` is the
    file field a 413 names when the body is over MAX_UPLOAD_BYTES."""

    async def handle(request: Request[Any]) -> ASGIApp:
        fields = parse_form(await request.body(), request.headers.get("content-type"))
        try:
            validated = body.model_validate(fields)
        except ValidationError as exc:
            raise validation_error(exc) from None
        return await endpoint(request, validated)

    handle.__name__ = endpoint.__name__
    return Route("POST", path, handle, body=body, upload=upload, **doc)
