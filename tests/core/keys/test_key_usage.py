"""Usage records on both backends: per UTC day, key and model; reports grouped any way over any
span of days; this month's totals; a write that fails once is retried and counted once; a
write that cannot be made is reported, never raised; a cancelled caller loses nothing."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date

import pytest
from helpers import USAGE_TABLE, create_usage_table, run, utc

from gateway.core.keys import (
    InvalidField,
    KeyRecord,
    StoreUnavailable,
    Usage,
    UsageRow,
    open_key_store,
)
from gateway.core.keys.store import USAGE_RETRY_DELAYS


def record(store, key, model, at, clock, tokens=(0, 0), error=False):
    clock.now = utc(at)
    written = run(
        store.record_usage(key, model, input_tokens=tokens[0], output_tokens=tokens[1], error=error)
    )
    assert written.recorded and written.error is None


def test_usage_is_counted_per_day_key_and_model_and_reported_any_way(make_store, clock):
    store = make_store()
    alice = run(store.create_key({"name": "alice"})).record
    bob = run(store.create_key({"name": "bob", "tpm": 10**6})).record
    record(store, alice, "gpt-4", "2026-11-30T23:59:59", clock, (1, 1))
    record(store, alice, "gpt-4", "2026-12-01T00:00:00", clock, (10, 5))
    record(store, alice, "gpt-4", "2026-12-01T18:00:00", clock, (20, 7), error=True)
    record(store, alice, "@cf/x", "2026-12-01T18:00:01", clock, (3, 0))
    record(store, bob, "gpt-4", "2026-12-02T09:00:00", clock, (100, 50))
    record(store, bob, "gpt-4", "2026-12-31T23:59:59", clock, (1000, 500))
    record(store, bob, "gpt-4", "2027-01-01T00:00:00", clock, (7, 7))

    rows = run(store.usage(date(2026, 12, 1), date(2026, 12, 31)))
    assert rows == [
        UsageRow("2026-12-01", alice.id, "@cf/x", Usage(1, 3, 0, 0)),
        UsageRow("2026-12-01", alice.id, "gpt-4", Usage(2, 30, 12, 1)),
        UsageRow("2026-12-02", bob.id, "gpt-4", Usage(1, 100, 50, 0)),
        UsageRow("2026-12-31", bob.id, "gpt-4", Usage(1, 1000, 500, 0)),
    ]
    by_key = run(store.usage(date(2026, 11, 30), date(2027, 1, 1), group_by=["key"]))
    assert by_key == sorted(
        [
            UsageRow(None, alice.id, None, Usage(4, 34, 13, 1)),
            UsageRow(None, bob.id, None, Usage(3, 1107, 557, 0)),
        ],
        key=lambda r: r.key_id,
    )
    assert run(store.usage(date(2026, 12, 1), date(2026, 12, 2), group_by=[])) == [
        UsageRow(None, None, None, Usage(4, 133, 62, 1))
    ]
    assert run(
        store.usage(date(2026, 11, 1), date(2027, 1, 31), key_id=alice.id, group_by=["model"])
    ) == [
        UsageRow(None, None, "@cf/x", Usage(1, 3, 0, 0)),
        UsageRow(None, None, "gpt-4", Usage(3, 31, 13, 1)),
    ]
    assert run(store.usage(date(2026, 12, 1), date(2026, 12, 1), key_id=bob.id)) == []

    clock.now = utc("2027-01-01T12:00:00")
    totals = run(store.month_totals([alice.id, bob.id, "key_unknown"]))
    assert totals[bob.id].usage == Usage(1, 7, 7, 0) and totals[bob.id].month == "2027-01"
    assert totals[bob.id].resets_at == int(utc("2027-02-01T00:00:00"))
    assert totals[alice.id].usage == Usage() and totals["key_unknown"].usage == Usage()
    assert run(store.month_totals([])) == {}


def test_a_revoked_keys_usage_stays_in_the_reports(make_store, clock):
    store = make_store()
    key = run(store.create_key({"name": "gone"})).record
    record(store, key, "gpt-4", "2026-12-15T12:00:00", clock, (5, 5))
    run(store.revoke_key(key.id))
    assert run(store.usage(date(2026, 12, 15), date(2026, 12, 15), group_by=["key"])) == [
        UsageRow(None, key.id, None, Usage(1, 5, 5, 0))
    ]


@pytest.mark.parametrize(
    ("start", "end", "group_by", "param"),
    [
        (date(2026, 12, 2), date(2026, 12, 1), ["day"], "end"),
        (date(2025, 1, 1), date(2026, 1, 2), ["day"], "end"),
        (date(2026, 12, 1), date(2026, 12, 1), ["day", "week"], "group_by"),
    ],
)
def test_bad_reports_are_refused_naming_the_field(start, end, group_by, param):
    store = open_key_store(db_path=":memory:")
    with pytest.raises(InvalidField) as caught:
        run(store.usage(start, end, group_by=group_by))
    assert caught.value.param == param


@pytest.fixture
def fail_once(kind, db_path, aws_or_none):
    """(arm, store options, seconds slept): `arm()` makes the store's next write fail for
    real, and the store's backoff sleep mends it. On SQLite another connection holds the write
    lock (and the store waits 10 ms for it); on DynamoDB the usage table is missing."""
    slept: list[float] = []
    blockers: list[sqlite3.Connection] = []

    def arm() -> None:
        if kind == "sqlite":
            blockers.append(sqlite3.connect(db_path, isolation_level=None))
            blockers[-1].execute("BEGIN IMMEDIATE")
        else:
            aws_or_none.delete_table(TableName=USAGE_TABLE)

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if kind == "sqlite":
            blockers.pop().execute("COMMIT")
        else:
            create_usage_table(aws_or_none)

    options = {"sleep": sleep, "timeout": 0.01} if kind == "sqlite" else {"sleep": sleep}
    return arm, options, slept


def test_a_write_that_fails_once_is_retried_and_counted_once(make_store, fail_once):
    arm, options, slept = fail_once
    store = make_store(**options)
    key = run(store.create_key({"name": "a", "tpm": 1000})).record
    arm()
    written = run(store.record_usage(key, "gpt-4", input_tokens=11, output_tokens=22))
    assert written.recorded and written.error is None and written.attempts >= 2
    assert slept == [USAGE_RETRY_DELAYS[0]]
    assert run(store.month_totals([key.id]))[key.id].usage == Usage(1, 11, 22, 0)
    assert run(store.usage(date(2026, 12, 15), date(2026, 12, 15))) == [
        UsageRow("2026-12-15", key.id, "gpt-4", Usage(1, 11, 22, 0))
    ]
    assert run(store.admit(key)).tokens.remaining == 1000 - 33


def test_a_write_that_cannot_be_made_is_reported_not_raised(kind, tmp_path, aws_or_none):
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    if kind == "sqlite":
        (tmp_path / "file").write_text("")
        store = open_key_store(db_path=str(tmp_path / "file" / "keys.sqlite3"), sleep=sleep)
    else:
        store = open_key_store(
            keys_table="missing", usage_table="missing", region="us-east-1", sleep=sleep
        )
    key = KeyRecord(id="key_x", name="x", secret_hash="0" * 64, created_at=0, rpm=1)
    written = run(store.record_usage(key, "gpt-4", input_tokens=1, output_tokens=1))
    assert not written.recorded and written.attempts == 1 + len(USAGE_RETRY_DELAYS)
    assert written.error is not None and slept == list(USAGE_RETRY_DELAYS)
    with pytest.raises(StoreUnavailable):
        run(store.admit(key))
    with pytest.raises(StoreUnavailable):
        run(store.usage(date(2026, 1, 1), date(2026, 1, 1)))


def test_a_cancelled_caller_does_not_cancel_its_usage_write(make_store):
    store = make_store()
    key = run(store.create_key({"name": "a"})).record

    async def leave_early() -> None:
        task = asyncio.create_task(store.record_usage(key, "gpt-4", input_tokens=4))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await store.flush()

    run(leave_early())
    assert run(store.month_totals([key.id]))[key.id].usage == Usage(1, 4, 0, 0)
