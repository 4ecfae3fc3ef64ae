"""Named keys: their records, the limits that hold across every process, and usage records.

The HTTP wiring uses one `KeyStore` (`open_key_store`) per process:

    key = await store.authenticate(presented)    # KeyRefused: 401; StoreUnavailable: 503
    if not key.allows(requested, resolved): ...  # a 4xx naming the model
    admission = await store.admit(key)           # LimitExceeded: 429
    headers = admission.headers()                # x-ratelimit-* for the answer
    standing = await store.peek(key)             # the same state, counting nothing
    ...                                          # the upstream call
    written = await store.record_usage(key, model, input_tokens=i, output_tokens=o)
    if not written.recorded: ...                 # log written.error, count the loss

Admin: `create_key` (the secret is returned once), `get_key`, `list_keys`, `update_key`,
`revoke_key`, `usage` (rows per UTC day, key, model), `month_totals` (for the key list and
`GET /v1/key`). Nothing here knows HTTP; errors are this package's (`errors.py`).

Rules (and their bounds, for the docs):
- Only a key's SHA-256 is stored. Names are unique among live keys.
- `rpm` is exact across processes: the minute's count is incremented atomically before the call
  only while below the limit. `tpm` and `monthly_token_budget` are checked before the call
  against recorded tokens, so concurrent requests may each overshoot by their own size.
- Minutes and months are UTC and are part of each counter's key: the budget resets at 00:00 UTC
  on the first because a new month's counter starts at zero.
- Lookups are cached per process for `cache_seconds` (10 s): a revocation, a disabling or a
  change of limits takes effect on every instance within that bound, at once on the instance
  that made it. Unknown hashes are cached `negative_cache_seconds` (2 s).

SQLite (one file, `db_path`): tables `keys` (unique index on live names), `minute_counters`,
`monthly_usage`, `daily_usage`; see `sqlite.py`.

DynamoDB: two on-demand tables, every attribute a string (S) unless noted.

Keys table (`keys_table`): partition key `pk` (S), no sort key. Point-in-time recovery on;
NO TTL (the `expires_at` of its items is a key's expiry, not the item's). Items by `pk`:
- `key#<id>`: the record. `id`, `name`, `secret_hash`, `created_at` (N), `disabled` (BOOL),
  `metadata` (JSON text), `version` (N, checked by every write of the record); when set,
  `models` (JSON list as text), `rpm`, `tpm`, `monthly_token_budget`, `expires_at` and
  `revoked_at` (N; times in Unix seconds).
- `name#<name>`: `key_id` of the live key with this name. Written only if absent, in one
  transaction with the record, so two live keys never share a name.
- `hash#<sha256 hex>`: `key_id` of the key with this secret (kept after a revocation, so the
  key is refused as revoked rather than unknown).

Usage table (`usage_table`): partition key `pk` (S), sort key `sk` (S); TTL attribute
`expires_at` (only minute counters carry it). Items by (`pk`, `sk`):
- (`<key id>`, `minute#<Unix minute>`): `requests` and `tokens` (N) of that minute;
  `expires_at` (N) one hour after the minute.
- (`<key id>`, `month#<YYYY-MM>`): the month's `requests`, `input_tokens`, `output_tokens`,
  `errors` (N).
- (`usage#<YYYY-MM>`, `<YYYY-MM-DD>#<key id>#<model>`): `day`, `key_id`, `model` and the
  day's `requests`, `input_tokens`, `output_tokens`, `errors` (N).

A usage report of a date range is one `Query` per month spanned (filtered by `key_id` for one
key). All usage rows of a month share a partition: DynamoDB splits it by sort key as it heats,
and one partition alone takes about 1,000 writes a second.

IAM actions used: on the keys table `dynamodb:GetItem`, `dynamodb:Scan` (the key list),
`dynamodb:PutItem` and `dynamodb:DeleteItem` (a transaction's Put and Delete are authorised
as these; AWS's "Using IAM with DynamoDB transactions"); on the usage table
`dynamodb:GetItem`, `dynamodb:UpdateItem`, `dynamodb:Query`, `dynamodb:BatchGetItem`.

Costs per request of a named key: a lookup (2 consistent reads) once per `cache_seconds` per
instance; `admit`: nothing without limits, 1 conditional write for rpm/tpm, 1 read for a
budget; `record_usage`: 2 writes (3 with a tpm). `peek`: 1 read for rpm/tpm, 1 for a budget.
"""

from __future__ import annotations

import time
from typing import Any

from gateway.core.keys.admission import Admission, LimitExceeded, Window
from gateway.core.keys.errors import (
    InvalidField,
    KeyRefused,
    KeyStoreError,
    NameTaken,
    StoreUnavailable,
)
from gateway.core.keys.records import (
    KeyRecord,
    MintedKey,
    MonthTotals,
    Usage,
    UsageRow,
    UsageWrite,
    hash_secret,
    looks_like_key_id,
    looks_like_secret,
)
from gateway.core.keys.store import KeyStore
from gateway.core.keys.windows import Clock

__all__ = [
    "Admission",
    "InvalidField",
    "KeyRecord",
    "KeyRefused",
    "KeyStore",
    "KeyStoreError",
    "LimitExceeded",
    "MintedKey",
    "MonthTotals",
    "NameTaken",
    "StoreUnavailable",
    "Usage",
    "UsageRow",
    "UsageWrite",
    "Window",
    "hash_secret",
    "looks_like_key_id",
    "looks_like_secret",
    "open_key_store",
]


def open_key_store(
    *,
    keys_table: str | None = None,
    usage_table: str | None = None,
    db_path: str = ".data/keys.sqlite3",
    region: str | None = None,
    clock: Clock = time.time,
    cache_seconds: float = 10.0,
    **options: Any,
) -> KeyStore:
    """DynamoDB when both tables are named, else SQLite at `db_path` (`:memory:` for one
    process). Nothing is opened here: the backend connects on first use. `options` go to
    `KeyStore` (`negative_cache_seconds`, `usage_retry_delays`, `sleep`).

    Raises ValueError when only one of the two tables is named.
    """
    if (keys_table is None) != (usage_table is None):
        raise ValueError("name both DynamoDB tables (keys and usage) or neither")
    common = {"clock": clock, "cache_seconds": cache_seconds, **options}
    if keys_table is not None and usage_table is not None:
        from gateway.core.keys.dynamodb import DynamoDBKeyStore

        return DynamoDBKeyStore(keys_table, usage_table, region=region, **common)
    from gateway.core.keys.sqlite import SQLiteKeyStore

    return SQLiteKeyStore(db_path, **common)
