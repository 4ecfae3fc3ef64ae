"""Input checks in Workers AI's words, for the media models.

Workers AI checks a body against the model's JSON schema before the model sees it, and answers a
violation with HTTP 400, code 5006 and a message `AiError: Bad input: Error: <what>` (observed in
clients' fixtures: "required properties at '/' are 'prompt'", "Type mismatch of '/messages',
'string' not in 'array'", "'/top_k' must be <= 50"). Input that passes the schema but that the
model cannot use (audio it cannot decode, an image it cannot open) is refused by the model:
HTTP 400, code 3010, `Invalid or incomplete input for the model: model returned: <what>`.
"""

from collections.abc import Iterable
from typing import Any

from emulator.errors import UpstreamError


def schema_error(message: str) -> UpstreamError:
    """A schema violation: 400 / 5006."""
    return UpstreamError(5006, f"AiError: Bad input: Error: {message}")


def model_error(message: str) -> UpstreamError:
    """Input the model refused after the schema let it through: 400 / 3010."""
    return UpstreamError(
        3010, f"Invalid or incomplete input for the model: model returned: {message}"
    )


def json_type(value: Any) -> str:
    """The JSON Schema type name of a decoded JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def mismatch(key: str, value: Any, expected: str) -> UpstreamError:
    return schema_error(f"Type mismatch of '/{key}', '{json_type(value)}' not in '{expected}'")


def require(body: dict[str, Any], *keys: str) -> None:
    """Every key must be present (JSON null counts as present, as in JSON Schema)."""
    if any(key not in body for key in keys):
        raise schema_error(f"required properties at '/' are '{','.join(keys)}'")


def only(body: dict[str, Any], allowed: Iterable[str]) -> None:
    """`additionalProperties: false`: no key outside `allowed`."""
    extra = sorted(set(body) - set(allowed))
    if extra:
        raise schema_error(f"'/' must NOT have additional properties ('{','.join(extra)}')")


def _bounds(key: str, value: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and value < minimum:
        raise schema_error(f"'/{key}' must be >= {minimum:g}")
    if maximum is not None and value > maximum:
        raise schema_error(f"'/{key}' must be <= {maximum:g}")


def string(
    body: dict[str, Any], key: str, *, min_length: int = 0, max_length: int | None = None
) -> str | None:
    """An optional string of `min_length`..`max_length` characters; None when absent."""
    if key not in body:
        return None
    value = body[key]
    if not isinstance(value, str):
        raise mismatch(key, value, "string")
    if len(value) < min_length:
        raise schema_error(f"'/{key}' must NOT have fewer than {min_length} characters")
    if max_length is not None and len(value) > max_length:
        raise schema_error(f"'/{key}' must NOT have more than {max_length} characters")
    return value


def integer(
    body: dict[str, Any], key: str, *, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    """An optional integer in `minimum`..`maximum` (a float with no fraction counts, as in JSON
    Schema); None when absent."""
    if key not in body:
        return None
    value = body[key]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise mismatch(key, value, "integer")
    _bounds(key, value, minimum, maximum)
    return value


def number(
    body: dict[str, Any], key: str, *, minimum: float | None = None, maximum: float | None = None
) -> float | None:
    """An optional number in `minimum`..`maximum`; None when absent."""
    if key not in body:
        return None
    value = body[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise mismatch(key, value, "number")
    _bounds(key, value, minimum, maximum)
    return float(value)


def boolean(body: dict[str, Any], key: str) -> bool | None:
    """An optional boolean; None when absent."""
    if key not in body:
        return None
    value = body[key]
    if not isinstance(value, bool):
        raise mismatch(key, value, "boolean")
    return value


def choice(body: dict[str, Any], key: str, options: Iterable[str]) -> str | None:
    """An optional string from an enum; None when absent."""
    value = string(body, key)
    allowed = list(options)
    if value is not None and value not in allowed:
        raise schema_error(f"'/{key}' must be equal to one of the allowed values: {allowed}")
    return value


def byte_array(body: dict[str, Any], key: str) -> bytes | None:
    """An optional array of integers 0..255 (how Workers AI takes raw bytes in JSON)."""
    if key not in body:
        return None
    value = body[key]
    if not isinstance(value, list):
        raise mismatch(key, value, "array")
    for index, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise mismatch(f"{key}/{index}", item, "number")
        if not 0 <= item <= 255 or item != int(item):
            raise model_error(f"{key}[{index}] is not a byte (0..255): {item!r}")
    return bytes(int(item) for item in value)
