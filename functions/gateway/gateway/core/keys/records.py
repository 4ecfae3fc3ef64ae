"""Named keys and usage as plain values: the key record, its secret, the rules for its fields,
and the usage rows and totals the store answers.

A key's secret is `sk-` and 43 URL-safe characters (256 random bits). Only its SHA-256 is
stored; 256 random bits need no slow hash. Key ids are `key_` and 24 hex digits (96 bits).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from gateway.core.keys.errors import InvalidField, Refusal

SECRET_PREFIX = "sk-"  # noqa: S105 (a prefix, not a secret)
ID_PREFIX = "key_"
MAX_NAME_CHARS = 128
MAX_MODELS = 100
MAX_MODEL_CHARS = 256
MAX_METADATA_BYTES = 4096
MAX_LIMIT = 10**15
"""The largest rpm, tpm or budget: well inside JSON's exact integers (2**53)."""
MAX_TIMESTAMP = 253_402_300_799
"""9999-12-31T23:59:59Z, the last second `expires_at` may name."""

EDITABLE = (
    "name",
    "models",
    "rpm",
    "tpm",
    "monthly_token_budget",
    "expires_at",
    "disabled",
    "metadata",
)
"""The fields an operator sets when creating a key or changes later; the others are the
store's (`id`, `created_at`, `secret_hash`, `revoked_at`)."""


def hash_secret(secret: str) -> str:
    """The hex SHA-256 of a presented key: what the store keeps and looks keys up by."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    """A fresh secret: `sk-` and 256 random bits, URL-safe base64."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


_SECRET = re.compile(re.escape(SECRET_PREFIX) + r"[A-Za-z0-9_-]{43}")


def looks_like_secret(text: str) -> bool:
    """Whether `text` has the form of a secret `new_secret` makes (so it is worth looking up)."""
    return _SECRET.fullmatch(text) is not None


def new_key_id() -> str:
    return ID_PREFIX + secrets.token_hex(12)


_KEY_ID = re.compile(re.escape(ID_PREFIX) + r"[0-9a-f]{24}")


def looks_like_key_id(text: str) -> bool:
    """Whether `text` has the form of a key id `new_key_id` makes."""
    return _KEY_ID.fullmatch(text) is not None


@dataclass(frozen=True)
class KeyRecord:
    """One named key as stored. Times are Unix seconds (UTC); limits are None when unset.

    `models` holds the names or aliases the key may use (None: every model). `metadata` is the
    operator's small JSON object. A revoked key keeps its record (so usage reports can still
    name it) with `revoked_at` set; it no longer authenticates and its name is free again.
    """

    id: str
    name: str
    secret_hash: str = field(repr=False)
    created_at: int
    models: tuple[str, ...] | None = None
    rpm: int | None = None
    tpm: int | None = None
    monthly_token_budget: int | None = None
    expires_at: int | None = None
    disabled: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    revoked_at: int | None = None

    def refusal(self, now: float) -> Refusal | None:
        """Why the key may not be used at `now`, or None when it may."""
        if self.revoked_at is not None:
            return "revoked"
        if self.disabled:
            return "disabled"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return None

    def allows(self, *names: str) -> bool:
        """Whether the key may use a model known by any of `names` (e.g. the name the client
        sent and the model it resolves to)."""
        return self.models is None or any(name in self.models for name in names)

    @property
    def limited(self) -> bool:
        """Whether any limit applies (a key without one is admitted without a store call)."""
        return any(v is not None for v in (self.rpm, self.tpm, self.monthly_token_budget))

    def public(self) -> dict[str, Any]:
        """The key object of the admin API: every field but the hash and `revoked_at`."""
        return {
            "id": self.id,
            "name": self.name,
            "models": None if self.models is None else list(self.models),
            "rpm": self.rpm,
            "tpm": self.tpm,
            "monthly_token_budget": self.monthly_token_budget,
            "expires_at": self.expires_at,
            "disabled": self.disabled,
            "created_at": self.created_at,
            "metadata": dict(self.metadata),
        }

    def changed(self, changes: Mapping[str, Any]) -> KeyRecord:
        """A copy with `changes` (already checked by `check_fields`) applied."""
        return replace(self, **changes)


@dataclass(frozen=True)
class MintedKey:
    """A new key: its record, and its secret, which exists nowhere else and is shown once."""

    record: KeyRecord
    secret: str = field(repr=False)


def check_fields(values: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """The editable fields of `values`, checked and normalised (`models` as a tuple).

    `creating` requires `name`. Raises InvalidField naming the first field that is unknown or
    breaks its rule: name 1-128 characters without control characters or surrounding spaces;
    models null or 1-100 names of 1-256 characters; rpm, tpm and monthly_token_budget null or
    whole numbers 1-10**15; expires_at null or a Unix second up to 9999-12-31; disabled a
    boolean; metadata a JSON object of at most 4096 bytes.
    """
    for name in values:
        if name not in EDITABLE:
            raise InvalidField(name, f"Unknown field {name!r}; a key has {', '.join(EDITABLE)}.")
    if creating and "name" not in values:
        raise InvalidField("name", "A key needs a name.")
    checked: dict[str, Any] = {}
    for name, value in values.items():
        checked[name] = _CHECKS[name](name, value)
    return checked


def _name(param: str, value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_NAME_CHARS:
        raise InvalidField(param, f"name must be a string of 1 to {MAX_NAME_CHARS} characters.")
    if value != value.strip() or any(unicodedata.category(c)[0] == "C" for c in value):
        raise InvalidField(
            param, "name may not contain control characters or begin or end with a space."
        )
    return value


def _models(param: str, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if (
        not isinstance(value, list | tuple)
        or not 1 <= len(value) <= MAX_MODELS
        or not all(isinstance(m, str) and 1 <= len(m) <= MAX_MODEL_CHARS for m in value)
    ):
        raise InvalidField(
            param,
            f"models must be null (every model) or a list of 1 to {MAX_MODELS} model names "
            f"of 1 to {MAX_MODEL_CHARS} characters.",
        )
    return tuple(dict.fromkeys(value))


def _limit(param: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise InvalidField(param, f"{param} must be null or a whole number from 1 to {MAX_LIMIT}.")
    return value


def _timestamp(param: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_TIMESTAMP:
        raise InvalidField(param, f"{param} must be null or a Unix time in seconds.")
    return value


def _flag(param: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidField(param, f"{param} must be true or false.")
    return value


def _metadata(param: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    try:
        encoded = json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        encoded = None
    if not isinstance(value, dict) or encoded is None or len(encoded.encode()) > MAX_METADATA_BYTES:
        raise InvalidField(
            param, f"metadata must be a JSON object of at most {MAX_METADATA_BYTES} bytes."
        )
    copy: dict[str, Any] = json.loads(encoded)  # a copy the caller cannot change later
    return copy


_CHECKS = {
    "name": _name,
    "models": _models,
    "rpm": _limit,
    "tpm": _limit,
    "monthly_token_budget": _limit,
    "expires_at": _timestamp,
    "disabled": _flag,
    "metadata": _metadata,
}


@dataclass(frozen=True)
class Usage:
    """Counts of requests and tokens; the sum of any number of answered requests."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    errors: int = 0

    @property
    def tokens(self) -> int:
        """Input and output tokens together: what tpm and the budget count."""
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.requests + other.requests,
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.errors + other.errors,
        )


@dataclass(frozen=True)
class UsageRow:
    """Usage of one group: a UTC day, a key id and a model, each None when not grouped by."""

    day: str | None
    key_id: str | None
    model: str | None
    usage: Usage


@dataclass(frozen=True)
class MonthTotals:
    """One key's usage in the current UTC month (`YYYY-MM`), and when the month ends."""

    month: str
    usage: Usage
    resets_at: int
    """The Unix second of 00:00 UTC on the first of the next month."""


@dataclass(frozen=True)
class UsageWrite:
    """What became of one usage write. `record_usage` never raises: when `recorded` is False
    after `attempts` tries, the caller logs `error` and counts the loss as a metric."""

    recorded: bool
    attempts: int
    error: BaseException | None = None


def group_rows(rows: Iterable[UsageRow], group_by: Iterable[str]) -> list[UsageRow]:
    """Sum rows per the dimensions in `group_by` (`day`, `key`, `model`), the others set to
    None; sorted by day, key id, model."""
    keep = set(group_by)
    sums: dict[tuple[str | None, str | None, str | None], Usage] = {}
    for row in rows:
        group = (
            row.day if "day" in keep else None,
            row.key_id if "key" in keep else None,
            row.model if "model" in keep else None,
        )
        sums[group] = sums.get(group, Usage()) + row.usage
    return [
        UsageRow(*group, usage)
        for group, usage in sorted(sums.items(), key=lambda item: tuple(v or "" for v in item[0]))
    ]
