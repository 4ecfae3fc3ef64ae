"""The admin API's bodies and objects, and `GET /v1/key`'s.

Request bodies are strict (no coercion: `"60"` is not a number, `1` is not `true`) and refuse
unknown fields, so a typo (`rmp`) is a 400 naming it rather than a limit silently unset. The
key store checks every value again by its own rules (`core.keys.records.check_fields`), which
also name the field.
"""

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
)

from gateway.core.keys.records import (
    MAX_LIMIT,
    MAX_METADATA_BYTES,
    MAX_MODEL_CHARS,
    MAX_MODELS,
    MAX_NAME_CHARS,
    MAX_TIMESTAMP,
)
from gateway.core.validation import AnswerModel, RequestModel


def _models() -> Any:
    return Field(
        default=None,
        min_length=1,
        max_length=MAX_MODELS,
        description="The model names or aliases the key may use (an alias allows the model it "
        "stands for); null for every model.",
    )


def _limit(what: str) -> Any:
    return Field(default=None, ge=1, le=MAX_LIMIT, description=f"{what}; null for no limit.")


def _expiry() -> Any:
    return Field(default=None, gt=0, le=MAX_TIMESTAMP, description="Unix seconds; null: never.")


def _metadata() -> Any:
    return Field(
        default=None,
        description=f"The operator's JSON object, at most {MAX_METADATA_BYTES} bytes.",
    )


NAME_RULE = "Unique among live keys; no control characters, no surrounding spaces."
ModelName = Annotated[StrictStr, StringConstraints(min_length=1, max_length=MAX_MODEL_CHARS)]


class AdminRequest(RequestModel):
    """An admin body: unknown fields refused, values never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True)


class KeyCreate(AdminRequest):
    """`POST /admin/keys`."""

    name: StrictStr = Field(min_length=1, max_length=MAX_NAME_CHARS, description=NAME_RULE)
    models: list[ModelName] | None = _models()
    rpm: StrictInt | None = _limit("Requests per UTC minute")
    tpm: StrictInt | None = _limit("Tokens per UTC minute")
    monthly_token_budget: StrictInt | None = _limit("Tokens per UTC month")
    expires_at: StrictInt | None = _expiry()
    disabled: StrictBool = False
    metadata: dict[str, Any] | None = _metadata()


class KeyUpdate(AdminRequest):
    """`PATCH /admin/keys/{key_id}`: only the fields sent change; null clears a limit, `models`
    (every model) or `expires_at`."""

    name: StrictStr | None = Field(
        default=None, min_length=1, max_length=MAX_NAME_CHARS, description=NAME_RULE
    )
    models: list[ModelName] | None = _models()
    rpm: StrictInt | None = _limit("Requests per UTC minute")
    tpm: StrictInt | None = _limit("Tokens per UTC minute")
    monthly_token_budget: StrictInt | None = _limit("Tokens per UTC month")
    expires_at: StrictInt | None = _expiry()
    disabled: StrictBool | None = None
    metadata: dict[str, Any] | None = _metadata()


class UsageQuery(RequestModel):
    """The query of `GET /admin/usage`."""

    model_config = ConfigDict(extra="forbid")

    start: date | None = Field(
        default=None, description="First UTC day (YYYY-MM-DD); the first of this month if unset."
    )
    end: date | None = Field(default=None, description="Last UTC day, included; today if unset.")
    key_id: str | None = Field(default=None, description="One key's usage only.")
    group_by: str | None = Field(
        default=None,
        description="Comma-separated, one or more of day, key, model (all three if unset).",
    )


# --- answers (documented) ---------------------------------------------------------------------


class Answer(AnswerModel):
    """An object the admin API answers (modelled for the OpenAPI document only)."""


class MonthUsage(Answer):
    month: str = Field(description="The UTC month, YYYY-MM.")
    requests: int
    input_tokens: int
    output_tokens: int
    errors: int
    resets_at: int = Field(description="Unix seconds of 00:00 UTC on the first of next month.")


class KeyObject(Answer):
    object: Literal["key"]
    id: str
    name: str
    models: list[str] | None
    rpm: int | None
    tpm: int | None
    monthly_token_budget: int | None
    expires_at: int | None
    disabled: bool
    created_at: int
    metadata: dict[str, Any]
    usage: MonthUsage


class CreatedKey(KeyObject):
    key: str = Field(description="The secret, shown this once: only its SHA-256 is stored.")


class KeyList(Answer):
    object: Literal["list"]
    data: list[KeyObject]


class DeletedKey(Answer):
    id: str
    object: Literal["key"]
    deleted: Literal[True]


class UsageRow(Answer):
    day: str | None
    key_id: str | None
    key_name: str | None
    model: str | None
    requests: int
    input_tokens: int
    output_tokens: int
    errors: int


class UsageReport(Answer):
    object: Literal["list"]
    start: str
    end: str
    group_by: list[str]
    data: list[UsageRow]


class Remaining(Answer):
    monthly_tokens: int | None = Field(
        description="Tokens left of this month's budget (negative once overshot); null without "
        "a budget."
    )


class OwnKey(Answer):
    """`GET /v1/key`: the key that asks, as its holder may see it (no metadata)."""

    object: Literal["key"]
    kind: Literal["named", "operator"]
    id: str | None
    name: str | None
    models: list[str] | None
    rpm: int | None
    tpm: int | None
    monthly_token_budget: int | None
    expires_at: int | None
    usage: MonthUsage | None
    remaining: Remaining | None
