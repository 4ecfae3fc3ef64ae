"""The multipart form reader without a server: how parts become fields (lists, files, text), and
that the libraries behind uploads and images stay out of a process until a request needs them."""

from __future__ import annotations

import pytest

from gateway.core.errors import GatewayError
from gateway.core.multipart import MAX_PARTS, Upload, parse_form

BOUNDARY = "b0undary"
FORM = f"multipart/form-data; boundary={BOUNDARY}"


def body(*parts: tuple[str, bytes, str | None, str | None]) -> bytes:
    """Parts as (name, value, filename, media type), closed by the final boundary."""
    out = b""
    for name, value, filename, media_type in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode()
        if media_type:
            out += f"Content-Type: {media_type}\r\n".encode()
        out += b"\r\n" + value + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def test_text_fields_files_and_lists():
    form = parse_form(
        body(
            ("prompt", "un café".encode(), None, None),
            ("n", b"2", None, None),
            ("image[]", b"\x89PNG one", "a.png", "image/png"),
            ("image[]", b"\x89PNG two", "b.png", "image/png"),
            ("tag", b"x", None, None),
            ("tag", b"y", None, None),
            ("mask", b"", "m.png", None),
        ),
        FORM,
    )
    assert form["prompt"] == "un café"
    assert form["n"] == "2"
    assert form["image"] == [
        Upload(b"\x89PNG one", "a.png", "image/png"),
        Upload(b"\x89PNG two", "b.png", "image/png"),
    ]
    assert form["tag"] == ["x", "y"]
    assert form["mask"] == Upload(b"", "m.png", None)


def test_a_single_bracketed_field_is_still_a_list():
    form = parse_form(body(("image[]", b"data", "a.png", "image/png")), FORM)
    assert form["image"] == [Upload(b"data", "a.png", "image/png")]


def test_binary_file_content_is_kept_byte_for_byte():
    data = bytes(range(256)) * 40 + f"\r\n--{BOUNDARY}-".encode()
    form = parse_form(body(("image", data, "x.bin", "application/octet-stream")), FORM)
    assert form["image"].data == data


@pytest.mark.parametrize(
    ("content", "content_type", "words"),
    [
        (body(("a", b"x", None, None)), "application/json", "multipart/form-data"),
        (body(("a", b"x", None, None)), "multipart/form-data", "no boundary"),
        (body(("a", b"x", None, None))[:-20], FORM, "closing boundary"),
        (body(*[(f"f{i}", b"x", None, None) for i in range(MAX_PARTS + 1)]), FORM, "parts"),
        (body(("a", b"\xc3", None, None)), FORM, "UTF-8"),
        (body(("a\x00", b"x", None, None)), FORM, "NUL"),
    ],
    ids=["not-multipart", "no-boundary", "unterminated", "too-many-parts", "latin-1", "nul-name"],
)
def test_what_is_refused(content, content_type, words):
    with pytest.raises(GatewayError) as caught:
        parse_form(content, content_type)
    assert caught.value.status == 400
    assert words in caught.value.message
