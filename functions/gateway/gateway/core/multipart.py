"""`multipart/form-data` request bodies (file uploads, as the OpenAI SDKs send them): parsed with
python-multipart, validated by a pydantic model as JSON bodies are, and documented the same way.

The body's size is bounded before it is read: `limits.BodySizeLimit` holds a route that takes
uploads to `MAX_UPLOAD_BYTES` and names its file field in the 413 (`Route.upload`). The parser
is imported on first use, so processes that never see an upload never load it.

What a form may hold (anything else is a 400 naming the problem): at most `MAX_PARTS` parts, a
closing boundary, text fields that are UTF-8 without NUL characters; a field sent twice, or named
`x[]` as the SDKs name the items of a list, becomes a list under `x`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationError
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from gateway.core.errors import GatewayError
from gateway.core.http import ASGIApp, Request, Route
from gateway.core.json_body import check_value
from gateway.core.validation import validation_error

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

FORM_DATA = "multipart/form-data"
MAX_PARTS = 64
"""Parts per form: an image edit needs at most 16 images, a mask and a dozen fields."""

B = TypeVar("B", bound=BaseModel)


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its name and media type as the client gave them, and its bytes.

    In a request model, a field typed `Upload` accepts only a file part (a text field in its
    place is a 400); the OpenAPI document shows it as `{"type": "string", "format": "binary"}`.
    """

    filename: str
    media_type: str
    data: bytes

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        def check(value: Any) -> Upload:
            if not isinstance(value, Upload):
                raise PydanticCustomError("file_type", "must be a file upload")
            return value

        return core_schema.no_info_plain_validator_function(check)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "format": "binary"}


def _bad_form(message: str) -> GatewayError:
    return GatewayError(400, message, code="invalid_request_body")


def _boundary(content_type: str | None) -> bytes:
    """The boundary of a `multipart/form-data` Content-Type; a 400 for any other body."""
    from python_multipart.multipart import parse_options_header

    media_type, options = parse_options_header(content_type)
    if media_type != FORM_DATA.encode():
        sent = f"`{content_type}`" if content_type else "missing"
        raise _bad_form(
            f"The request body must be {FORM_DATA} (as the OpenAI SDKs send uploads); this "
            f"request's Content-Type is {sent}."
        )
    boundary = options.get(b"boundary")
    if not boundary:
        raise _bad_form(f"The {FORM_DATA} Content-Type has no boundary.")
    return boundary


class _Parts:
    """Collects the parts python-multipart reports, one callback at a time."""

    def __init__(self) -> None:
        self.parts: list[tuple[dict[bytes, bytes], bytearray]] = []
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.ended = False

    def callbacks(self) -> MultipartCallbacks:
        def part_begin() -> None:
            if len(self.parts) >= MAX_PARTS:
                raise _bad_form(f"A form may have at most {MAX_PARTS} parts.")
            self.parts.append(({}, bytearray()))

        def header_field(data: bytes, start: int, end: int) -> None:
            self.header_name += data[start:end]

        def header_value(data: bytes, start: int, end: int) -> None:
            self.header_value += data[start:end]

        def header_end() -> None:
            self.parts[-1][0][bytes(self.header_name).lower()] = bytes(self.header_value)
            self.header_name.clear()
            self.header_value.clear()

        def part_data(data: bytes, start: int, end: int) -> None:
            self.parts[-1][1].extend(data[start:end])

        def ended() -> None:
            self.ended = True

        return {
            "on_part_begin": part_begin,
            "on_header_field": header_field,
            "on_header_value": header_value,
            "on_header_end": header_end,
            "on_part_data": part_data,
            "on_end": ended,
        }


def _text(raw: bytes, what: str) -> str:
    try:
        return raw.decode()
    except UnicodeDecodeError:
        raise _bad_form(f"The form's {what} is not UTF-8 text.") from None


def parse_form(body: bytes, content_type: str | None) -> dict[str, Any]:
    """A whole `multipart/form-data` body as a dict: text fields as str, files as `Upload`,
    repeated fields (and `name[]` fields) as lists. Raises a 400 GatewayError
    (`invalid_request_body`) for another Content-Type, a broken or unterminated body, too many
    parts, or text that is not UTF-8 or holds a NUL."""
    from python_multipart.exceptions import MultipartParseError
    from python_multipart.multipart import MultipartParser, parse_options_header

    collected = _Parts()
    parser = MultipartParser(_boundary(content_type), collected.callbacks())
    try:
        parser.write(body)
    except MultipartParseError as exc:
        raise _bad_form(f"The {FORM_DATA} body is malformed: {exc}.") from None
    if not collected.ended:
        raise _bad_form(f"The {FORM_DATA} body ends before its closing boundary.")
    form: dict[str, Any] = {}
    lists: set[str] = set()
    for headers, data in collected.parts:
        disposition, options = parse_options_header(headers.get(b"content-disposition"))
        if disposition != b"form-data" or b"name" not in options:
            raise _bad_form("Every part of the form needs `Content-Disposition: form-data; name`.")
        name = _text(options[b"name"], "field names")
        value: Any
        if b"filename" in options:
            media_type = _text(headers.get(b"content-type", b""), "file media types")
            value = Upload(_text(options[b"filename"], "file names"), media_type, bytes(data))
        else:
            value = _text(bytes(data), f"field `{name}`")
        if name.endswith("[]"):
            name = name[:-2]
            lists.add(name)
        if name in form:
            lists.add(name)
            previous = form[name]
            form[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            form[name] = [value] if name in lists else value
    check_value({key: value for key, value in form.items() if not isinstance(value, Upload)})
    return form


async def validated_form(request: Request, model: type[B]) -> B:
    """The request's form (`parse_form`), validated by `model`; a 400 naming the first bad
    field, as for JSON bodies."""
    form = parse_form(await request.body(), request.headers.get("content-type"))
    try:
        return model.model_validate(form)
    except ValidationError as exc:
        raise validation_error(exc) from None


def post_form(
    path: str,
    body: type[B],
    endpoint: Callable[[Request, B], Awaitable[ASGIApp]],
    *,
    upload: str,
    **doc: Any,
) -> Route:
    """A POST route taking a `multipart/form-data` body validated by `body`; `upload` is its
    file field, named by the 413 for a body over `MAX_UPLOAD_BYTES`."""

    async def handle(request: Request) -> ASGIApp:
        return await endpoint(request, await validated_form(request, body))

    handle.__name__ = endpoint.__name__
    return Route("POST", path, handle, body=body, upload=upload, **doc)
