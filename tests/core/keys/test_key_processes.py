"""Limits and usage across OS processes sharing one SQLite file, as several gateway processes
(`make dev` workers, containers on one volume) do: exactly `rpm` requests pass between them,
and their usage writes add up exactly."""

from __future__ import annotations

import asyncio
import multiprocessing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from helpers import run, utc

from gateway.core.keys import KeyRecord, LimitExceeded, Usage, UsageRow
from gateway.core.keys.sqlite import SQLiteKeyStore

PROCESSES = 4
ATTEMPTS = 12
RPM = 17
WRITES = 25
NOW = utc("2026-12-15T12:00:05")


def hammer(path: str, limited: KeyRecord, free: KeyRecord, start: Any, results: Any, n: int):
    """Process `n`: once all are ready, try ATTEMPTS admissions of the limited key, then write
    WRITES usage records of the free key (input tokens n, output tokens 0 to WRITES - 1)."""

    async def work() -> int:
        store = SQLiteKeyStore(path, clock=lambda: NOW)
        admitted = 0
        start.wait()
        for _ in range(ATTEMPTS):
            try:
                await store.admit(limited)
                admitted += 1
            except LimitExceeded as exc:
                assert exc.kind == "rpm"
        for i in range(WRITES):
            written = await store.record_usage(free, "gpt-4", input_tokens=n, output_tokens=i)
            assert written.recorded, written.error
        store.close()
        return admitted

    results.put(asyncio.run(work()))


def test_processes_sharing_a_file_pass_exactly_the_rpm_and_lose_no_usage(tmp_path: Path):
    path = str(tmp_path / "keys.sqlite3")
    store = SQLiteKeyStore(path, clock=lambda: NOW)
    limited = run(store.create_key({"name": "limited", "rpm": RPM})).record
    free = run(store.create_key({"name": "free"})).record

    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(PROCESSES), context.Queue()
    workers = [
        context.Process(target=hammer, args=(path, limited, free, start, results, n))
        for n in range(1, PROCESSES + 1)
    ]
    for process in workers:
        process.start()
    admitted = [results.get(timeout=60) for _ in workers]
    for process in workers:
        process.join(timeout=60)
        assert process.exitcode == 0

    assert sum(admitted) == RPM
    with pytest.raises(LimitExceeded):
        run(store.admit(limited))
    expected = Usage(
        requests=PROCESSES * WRITES,
        input_tokens=WRITES * sum(range(1, PROCESSES + 1)),
        output_tokens=PROCESSES * sum(range(WRITES)),
    )
    assert run(store.month_totals([free.id]))[free.id].usage == expected
    assert run(store.usage(date(2026, 12, 15), date(2026, 12, 15))) == [
        UsageRow("2026-12-15", free.id, "gpt-4", expected)
    ]
