"""Refuse JSON request bodies whose values the gateway could not carry, with a 400 naming the field.

Python's `json` module (which FastAPI parses bodies with) accepts more than RFC 8259 JSON:
`NaN`, `Infinity` and overflowing numbers such as `1e999` (RFC 8259 §6 allows only finite
numbers), lone UTF-16 surrogates such as `"\\ud800"` (§8.2: not Unicode text, and not
encodable as the UTF-8 that logs and Workers AI need), and any depth of nesting until the
interpreter's recursion limit. A NUL (`\\u0000`) is valid JSON but no model name, prompt or
schema needs one, and C-based consumers upstream truncate at it. Each of these once got a 500
from somewhere past validation; this check turns them all into client errors before any
schema, route or upstream code sees the body, for every field including free-form ones
(`tools[].function.parameters`, `response_format.json_schema.schema`).
"""

from __future__ import annotations

import math
import re
from typing import Any

from fastapi import Request

from gateway.errors import GatewayError, param_name

MAX_DEPTH = 64
"""Arrays and objects nested deeper than this are refused. A chat body with a tool's JSON
Schema needs about 15 levels; Python's own recursion limit (about 1000 frames, shared with the
server's stack) is the hard ceiling that deeper values would hit in serialisers."""

PARAM_PARTS = 8
"""A param names at most this many path parts, enough to reach inside free-form fields."""

_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
_WHAT = {"\x00": "a NUL character (\\u0000)"}


def _bad(path: list[str | int], problem: str) -> GatewayError:
    param = param_name(path[:PARAM_PARTS])
    where = f"'{param}'" if param else "the request body"
    return GatewayError(
        400, f"Invalid value for {where}: {problem}.", param=param, code="invalid_value"
    )


def _check_text(text: str, path: list[str | int]) -> None:
    if text.isascii() and "\x00" not in text:
        return
    found = _BAD_CHARACTER.search(text)
    if found:
        what = _WHAT.get(found.group(), "a lone UTF-16 surrogate, which is not Unicode text")
        raise _bad(path, f"the text contains {what}")


def check_value(value: Any) -> None:
    """Walk a parsed JSON value (iteratively, so depth costs no stack) and raise a 400
    `GatewayError` at the first non-finite number, NUL, lone surrogate or nesting deeper than
    `MAX_DEPTH`, with `param` naming where it is (`tools[0].function.parameters.x`)."""
    pending: list[tuple[Any, list[str | int]]] = [(value, [])]
    while pending:
        node, path = pending.pop()
        if isinstance(node, dict | list):
            if len(path) >= MAX_DEPTH:
                raise _bad(path, f"JSON is nested more than {MAX_DEPTH} levels deep")
            if isinstance(node, dict):
                for key, item in node.items():
                    _check_text(key, path)
                    pending.append((item, [*path, key]))
            else:
                pending.extend((item, [*path, index]) for index, item in enumerate(node))
        elif isinstance(node, str):
            _check_text(node, path)
        elif isinstance(node, float) and not math.isfinite(node):
            raise _bad(path, "JSON numbers must be finite (no NaN or Infinity)")


async def check_json_body(request: Request) -> None:
    """FastAPI dependency for every /v1 route: checks the body FastAPI already parsed.

    `Request.json()` is cached on the request, so this costs a walk, not a second parse. A
    body that is empty or not JSON is left to the schema validation, which reports it.
    """
    if not await request.body():
        return
    try:
        value = await request.json()
    except (ValueError, RecursionError):
        return
    check_value(value)
