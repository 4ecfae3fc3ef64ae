"""Refuse JSON request bodies whose values the gateway could not carry, with a 400 naming the field.

Python's `json` module (which the gateway parses bodies with) accepts more than RFC 8259 JSON:
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
from collections.abc import Iterable
from typing import Any, cast

from gateway.core.errors import GatewayError, param_name

MAX_DEPTH = 64
"""Arrays and objects nested deeper than this are refused. A chat body with a tool's JSON
Schema needs about 15 levels; Python's own recursion limit (about 1000 frames, shared with the
server's stack) is the hard ceiling that deeper values would hit in serialisers."""

PARAM_PARTS = 8
"""A param names at most this many path parts, enough to reach inside free-form fields."""

_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
_WHAT = {"\x00": "a NUL character (\\u0000)"}


Trail = tuple[str | int, "Trail"] | None
"""Where a value is, innermost key first: ("x", ("parameters", ...)); None is the body."""


def _bad(trail: Trail, problem: str) -> GatewayError:
    path: list[str | int] = []
    while trail is not None:
        key, trail = trail
        path.append(key)
    param = param_name(path[::-1][:PARAM_PARTS])
    where = f"'{param}'" if param else "the request body"
    return GatewayError(
        400, f"Invalid value for {where}: {problem}.", param=param, code="invalid_value"
    )


def _plain_text(text: str) -> bool:
    """ASCII without NUL: nothing to look for (the common case, decided at C speed)."""
    return text.isascii() and "\x00" not in text


def _check_text(text: str, trail: Trail) -> None:
    if _plain_text(text):
        return
    found = _BAD_CHARACTER.search(text)
    if found:
        what = _WHAT.get(found.group(), "a lone UTF-16 surrogate, which is not Unicode text")
        raise _bad(trail, f"the text contains {what}")


def _check_scalar(value: str | float, trail: Trail) -> None:
    if type(value) is str:
        _check_text(value, trail)
    elif not math.isfinite(cast(float, value)):
        raise _bad(trail, "JSON numbers must be finite (no NaN or Infinity)")


PLAIN = frozenset({int, bool, type(None)})
"""Values with nothing to check: lists of only these (token ids), or of plain text, are passed
over at C speed."""


def check_value(value: Any) -> None:
    """Walk a parsed JSON value (iteratively, so depth costs no stack) and raise a 400
    `GatewayError` at the first non-finite number, NUL, lone surrogate or array/object nested
    more than `MAX_DEPTH` deep, with `param` naming where (`tools[0].function.parameters.x`).

    About a microsecond per object or array, less per plain value; lists of token ids or of
    ASCII strings are passed over at C speed (a million integers: some 10 ms).
    """
    kind = type(value)
    if kind is str or kind is float:
        _check_scalar(value, None)
    if kind is not dict and kind is not list:
        return
    pending: list[tuple[Any, int, Trail]] = [(value, 1, None)]
    while pending:
        node, depth, trail = pending.pop()
        items: Iterable[tuple[Any, Any]]
        if type(node) is dict:
            if not _plain_text("".join(node)):
                for key in node:
                    _check_text(key, trail)
            items = node.items()
        else:
            kinds = set(map(type, node))
            if kinds <= PLAIN or (kinds == {str} and _plain_text("".join(node))):
                continue
            items = enumerate(node)
        for key, item in items:
            kind = type(item)
            if kind is str or kind is float:
                _check_scalar(item, (key, trail))
            elif kind is dict or kind is list:
                if depth >= MAX_DEPTH:
                    raise _bad((key, trail), f"JSON is nested more than {MAX_DEPTH} levels deep")
                if item:
                    pending.append((item, depth + 1, (key, trail)))
