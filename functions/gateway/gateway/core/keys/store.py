"""The key store's interface: async methods over a backend whose calls block (sqlite3, boto3),
each run in a worker thread, as `gateway.storage` does for stored responses.

Every method raises StoreUnavailable when the backend fails, with the backend's exception as
`__cause__`, except `record_usage`, which never raises: it retries and reports.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from gateway.core.keys.admission import Admission
from gateway.core.keys.cache import LookupCache
from gateway.core.keys.errors import InvalidField, KeyRefused, KeyStoreError, StoreUnavailable
from gateway.core.keys.records import (
    KeyRecord,
    MintedKey,
    MonthTotals,
    Usage,
    UsageRow,
    UsageWrite,
    check_fields,
    group_rows,
    hash_secret,
    new_key_id,
    new_secret,
)
from gateway.core.keys.windows import Clock, Windows, report_days

T = TypeVar("T")

GROUPS = ("day", "key", "model")
USAGE_RETRY_DELAYS = (0.05, 0.25)
"""Seconds slept before the second and third try of a usage write."""

Step = Callable[[], None]
"""One blocking write that is whole or not at all, so that it can be tried again."""


class KeyStore:
    """Named keys, their limits and their usage, over one backend.

    `clock` gives Unix seconds (tests control minutes and months with it); lookups by hash are
    cached `cache_seconds` (found) and `negative_cache_seconds` (not found) in this process.
    A usage write is tried once and then once after each of `usage_retry_delays` (seconds,
    slept with `sleep`).

    Backends implement the blocking methods below, named after the async ones they serve.
    """

    def __init__(
        self,
        *,
        clock: Clock = time.time,
        cache_seconds: float = 10.0,
        negative_cache_seconds: float = 2.0,
        usage_retry_delays: Sequence[float] = USAGE_RETRY_DELAYS,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.clock = clock
        self.cache = LookupCache(cache_seconds, negative_cache_seconds, clock)
        self.usage_retry_delays = tuple(usage_retry_delays)
        self._sleep = sleep
        self._writes: set[asyncio.Task[UsageWrite]] = set()

    # ------------------------------------------------------------ backend: blocking calls

    def _insert(self, record: KeyRecord) -> None:
        """Store a new key; raises NameTaken when a live key has its name."""
        raise NotImplementedError

    def _get(self, key_id: str) -> KeyRecord | None:
        """The key with this id, revoked or not."""
        raise NotImplementedError

    def _find(self, secret_hash: str) -> KeyRecord | None:
        """The key with this secret hash, revoked or not."""
        raise NotImplementedError

    def _list(self, include_revoked: bool) -> list[KeyRecord]:
        raise NotImplementedError

    def _update(self, key_id: str, changes: dict[str, Any]) -> tuple[KeyRecord, KeyRecord] | None:
        """Apply checked changes to a live key: (before, after), or None when there is none.
        Raises NameTaken when the new name is a live key's."""
        raise NotImplementedError

    def _revoke(self, key_id: str, now: int) -> KeyRecord | None:
        """Mark a live key revoked at `now`: the record before, or None when there was none."""
        raise NotImplementedError

    def _admit(self, key: KeyRecord, windows: Windows) -> Admission:
        """Apply `admission.check_budget` and `check_minute` to the recorded counts and count
        the request in the minute, atomically against every other process."""
        raise NotImplementedError

    def _peek(self, key: KeyRecord, windows: Windows) -> Admission:
        """`admission.standing` from the recorded counts, counting nothing."""
        raise NotImplementedError

    def _usage_steps(
        self, key: KeyRecord, model: str, usage: Usage, windows: Windows
    ) -> list[Step]:
        """The writes that add `usage` to the day row, the month totals and (for a key with a
        tpm) the minute's tokens."""
        raise NotImplementedError

    def _usage_rows(self, days: list[str], key_id: str | None) -> list[UsageRow]:
        """The stored rows (one per day, key and model) of the given consecutive days."""
        raise NotImplementedError

    def _month_usage(self, key_ids: list[str], month: str) -> dict[str, Usage]:
        """Each key's totals of the month `YYYY-MM`; keys without usage may be left out."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------ the interface

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        """Run a blocking backend call in a worker thread; its failure is StoreUnavailable."""
        try:
            return await asyncio.to_thread(function, *args)
        except KeyStoreError:
            raise
        except Exception as exc:
            raise StoreUnavailable() from exc

    async def create_key(self, fields: Mapping[str, Any]) -> MintedKey:
        """Mint a key from the editable fields (`name` required; see `check_fields`).

        Returns the record and the secret, which is not stored and cannot be shown again.
        Raises InvalidField, NameTaken, StoreUnavailable.
        """
        checked = self._not_expired(check_fields(fields, creating=True))
        secret = new_secret()
        record = KeyRecord(
            id=new_key_id(),
            secret_hash=hash_secret(secret),
            created_at=int(self.clock()),
            **checked,
        )
        await self._call(self._insert, record)
        self.cache.forget(record.secret_hash)
        return MintedKey(record, secret)

    def _not_expired(self, checked: dict[str, Any]) -> dict[str, Any]:
        """The fields, unless they set an expiry already past (a key that could never be used;
        InvalidField naming `expires_at`)."""
        expires_at = checked.get("expires_at")
        if expires_at is not None and expires_at <= self.clock():
            raise InvalidField("expires_at", "The expiry must be in the future.")
        return checked

    async def get_key(self, key_id: str) -> KeyRecord | None:
        """The live key with this id, or None (unknown or revoked). Not cached."""
        record = await self._call(self._get, key_id)
        return None if record is None or record.revoked_at is not None else record

    async def list_keys(self, *, include_revoked: bool = False) -> list[KeyRecord]:
        """Every live key (and the revoked ones if asked), oldest first."""
        return await self._call(self._list, include_revoked)

    async def update_key(self, key_id: str, changes: Mapping[str, Any]) -> KeyRecord | None:
        """Change editable fields of a live key (only those in `changes`; None clears a limit,
        `models` or `expires_at`). Returns the new record, or None for an unknown or revoked
        key. Raises InvalidField, NameTaken, StoreUnavailable. This process sees the change
        at once; others within `cache_seconds`.
        """
        checked = self._not_expired(check_fields(changes, creating=False))
        result = await self._call(self._update, key_id, checked)
        if result is None:
            return None
        self.cache.forget(result[0].secret_hash)
        return result[1]

    async def revoke_key(self, key_id: str) -> bool:
        """Revoke a live key: it stops authenticating (in this process at once, in others
        within `cache_seconds`) and its name is free; its usage stays. False when there was
        no such live key."""
        before = await self._call(self._revoke, key_id, int(self.clock()))
        if before is None:
            return False
        self.cache.forget(before.secret_hash)
        return True

    async def lookup(self, secret_hash: str) -> KeyRecord | None:
        """The key with this secret hash (revoked ones too), or None; cached (see the class)."""
        hit, record = self.cache.get(secret_hash)
        if not hit:
            record = await self._call(self._find, secret_hash)
            self.cache.put(secret_hash, record)
        return record

    async def authenticate(self, presented: str) -> KeyRecord:
        """The named key a client presented, if it may be used now.

        Raises KeyRefused (unknown, revoked, disabled or expired) or StoreUnavailable. Operator keys
        are not named keys: check them before calling this.
        """
        record = await self.lookup(hash_secret(presented))
        if record is None:
            raise KeyRefused("unknown")
        reason = record.refusal(self.clock())
        if reason is not None:
            raise KeyRefused(reason)
        return record

    async def admit(self, key: KeyRecord) -> Admission:
        """Count one request against the key's limits before its upstream call.

        Returns the limits' state for the `x-ratelimit-*` headers (`Admission.headers()`); a key
        without limits is admitted without a store call. Raises LimitExceeded (nothing is then
        counted) or StoreUnavailable (the request must not go through unverified).
        """
        windows = Windows.at(self.clock())
        if not key.limited:
            return Admission(now=windows.now)
        return await self._call(self._admit, key, windows)

    async def peek(self, key: KeyRecord) -> Admission:
        """The key's limits as they stand, counting nothing (for `GET /v1/key`, which must answer
        a key that is over its limits): no store call for a key without limits. Raises
        StoreUnavailable."""
        windows = Windows.at(self.clock())
        if not key.limited:
            return Admission(now=windows.now)
        return await self._call(self._peek, key, windows)

    async def record_usage(
        self,
        key: KeyRecord,
        model: str,
        *,
        input_tokens: int = 0,
        output_tokens: int = 0,
        error: bool = False,
    ) -> UsageWrite:
        """Count one answered request (`error`: it failed, with the tokens known until then)
        under the key, the current UTC day and `model` (the model that answered), in its
        month's totals and, for a key with a tpm, in the minute's tokens.

        Never raises into the answer: a failed write is tried again after each of
        `usage_retry_delays`, and the result says whether it was recorded (the caller logs and
        counts a loss). The write runs shielded: if the caller is cancelled (the client left),
        it still completes. Each write is atomic, so a retry adds nothing twice, except after a
        DynamoDB call that failed ambiguously (a timeout after the write was applied).
        """
        windows = Windows.at(self.clock())
        task = asyncio.ensure_future(
            self._record(key, model, (input_tokens, output_tokens, error), windows)
        )
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)
        return await asyncio.shield(task)

    async def _record(
        self, key: KeyRecord, model: str, counts: tuple[int, int, bool], windows: Windows
    ) -> UsageWrite:
        attempts = 0
        try:
            input_tokens, output_tokens, error = counts
            usage = Usage(1, max(0, int(input_tokens)), max(0, int(output_tokens)), int(error))
            steps = self._usage_steps(key, model, usage, windows)
        except Exception as exc:
            return UsageWrite(False, attempts, exc)
        for step in steps:
            for delay in (*self.usage_retry_delays, None):
                attempts += 1
                try:
                    await asyncio.to_thread(step)
                    break
                except Exception as exc:
                    if delay is None:
                        return UsageWrite(False, attempts, exc)
                    await self._sleep(delay)
        return UsageWrite(True, attempts)

    async def flush(self) -> None:
        """Wait for the usage writes still running, such as those of cancelled callers (call it
        at shutdown)."""
        if self._writes:
            await asyncio.wait(list(self._writes))

    async def usage(
        self,
        start: date,
        end: date,
        *,
        key_id: str | None = None,
        group_by: Collection[str] = GROUPS,
    ) -> list[UsageRow]:
        """Usage of the UTC days `start` to `end` (both included, at most 366), of every key or
        of `key_id` (revoked keys included), summed per the dimensions named in `group_by`
        (any of `day`, `key`, `model`; the others are None in the rows). Sorted by day, key id,
        model. Raises InvalidField (`end`, `group_by`) or StoreUnavailable.
        """
        unknown = set(group_by) - set(GROUPS)
        if unknown:
            raise InvalidField(
                "group_by", f"group_by takes day, key and model, not {', '.join(sorted(unknown))}."
            )
        try:
            days = report_days(start, end)
        except ValueError as exc:
            raise InvalidField("end", f"The report's days are wrong: {exc}.") from None
        rows = await self._call(self._usage_rows, days, key_id)
        return group_rows(rows, group_by)

    async def month_totals(self, key_ids: Iterable[str]) -> dict[str, MonthTotals]:
        """This UTC month's totals of each key (zeros for a key without usage), for the key
        list and `GET /v1/key`. Raises StoreUnavailable."""
        windows = Windows.at(self.clock())
        ids = list(dict.fromkeys(key_ids))
        found = await self._call(self._month_usage, ids, windows.month) if ids else {}
        return {
            key_id: MonthTotals(windows.month, found.get(key_id, Usage()), windows.month_reset)
            for key_id in ids
        }
