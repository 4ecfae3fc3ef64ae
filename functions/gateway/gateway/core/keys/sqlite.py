"""The key store in one SQLite file (stdlib sqlite3): `make dev`, containers, tests.

WAL mode lets several processes share the file; every read-check-write runs in one
`BEGIN IMMEDIATE` transaction, which takes the file's write lock first, so no two processes
interleave in it. A process waits up to `timeout` seconds for that lock.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from gateway.core.backends import SQLiteFile
from gateway.core.keys.admission import Admission, check_budget, check_minute, standing
from gateway.core.keys.errors import NameTaken
from gateway.core.keys.records import KeyRecord, Usage, UsageRow
from gateway.core.keys.store import KeyStore, Step
from gateway.core.keys.windows import Windows

SCHEMA = """
CREATE TABLE IF NOT EXISTS keys (
    id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    name TEXT NOT NULL,
    models TEXT,
    rpm INTEGER,
    tpm INTEGER,
    monthly_token_budget INTEGER,
    expires_at INTEGER,
    disabled INTEGER NOT NULL,
    metadata TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS live_key_names ON keys (name) WHERE revoked_at IS NULL;
CREATE TABLE IF NOT EXISTS minute_counters (
    key_id TEXT NOT NULL,
    minute INTEGER NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0,
    tokens INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, minute)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS monthly_usage (
    key_id TEXT NOT NULL,
    month TEXT NOT NULL,
    requests INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    PRIMARY KEY (key_id, month)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS daily_usage (
    day TEXT NOT NULL,
    key_id TEXT NOT NULL,
    model TEXT NOT NULL,
    requests INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    PRIMARY KEY (day, key_id, model)
) WITHOUT ROWID;
"""

# `SELECT *` reads the columns in the order of SCHEMA, which `_row` and `_record` follow.
LIVE_KEY = "SELECT * FROM keys WHERE id = ? AND revoked_at IS NULL"
INSERT_KEY = "INSERT INTO keys VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
UPDATE_KEY = (
    "UPDATE keys SET name = ?, models = ?, rpm = ?, tpm = ?, monthly_token_budget = ?, "
    "expires_at = ?, disabled = ?, metadata = ? WHERE id = ?"
)
ADD_TO_DAY = (
    "INSERT INTO daily_usage VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
    "requests = requests + excluded.requests, "
    "input_tokens = input_tokens + excluded.input_tokens, "
    "output_tokens = output_tokens + excluded.output_tokens, "
    "errors = errors + excluded.errors"
)
ADD_TO_MONTH = (
    "INSERT INTO monthly_usage VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
    "requests = requests + excluded.requests, "
    "input_tokens = input_tokens + excluded.input_tokens, "
    "output_tokens = output_tokens + excluded.output_tokens, "
    "errors = errors + excluded.errors"
)


def _editable(record: KeyRecord) -> tuple[Any, ...]:
    """The values of the columns an update may change, in SCHEMA's order (and UPDATE_KEY's)."""
    return (
        record.name,
        None if record.models is None else json.dumps(record.models),
        record.rpm,
        record.tpm,
        record.monthly_token_budget,
        record.expires_at,
        int(record.disabled),
        json.dumps(record.metadata),
    )


def _row(record: KeyRecord) -> tuple[Any, ...]:
    return (record.id, record.secret_hash, record.created_at, record.revoked_at, *_editable(record))


@contextmanager
def _unique_name(name: str | None) -> Iterator[None]:
    """Within it, a write that would give two live keys `name` (the unique index on the names
    of keys not revoked) raises NameTaken."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        if "keys.name" in str(exc):
            raise NameTaken(str(name)) from None
        raise


def _record(row: tuple[Any, ...]) -> KeyRecord:
    (
        key_id,
        secret_hash,
        created_at,
        revoked_at,
        name,
        models,
        rpm,
        tpm,
        budget,
        expires_at,
        disabled,
        metadata,
    ) = row
    return KeyRecord(
        id=key_id,
        name=name,
        secret_hash=secret_hash,
        created_at=created_at,
        models=None if models is None else tuple(json.loads(models)),
        rpm=rpm,
        tpm=tpm,
        monthly_token_budget=budget,
        expires_at=expires_at,
        disabled=bool(disabled),
        metadata=json.loads(metadata),
        revoked_at=revoked_at,
    )


class SQLiteKeyStore(KeyStore):
    """Keys and usage in the SQLite file at `path` (created with its folder on first use), or
    in memory for `:memory:` (one process, as long as the store lives).

    One connection per store, used from worker threads under a lock; other processes open
    their own. Minute counters older than the previous minute are pruned as requests come in.
    """

    def __init__(self, path: str, *, timeout: float = 10.0, **options: Any) -> None:
        super().__init__(**options)
        self.file = SQLiteFile(path, SCHEMA, timeout=timeout)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, holding the file's write lock from its first statement."""
        with self.file.locked() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _insert(self, record: KeyRecord) -> None:
        with _unique_name(record.name), self._transaction() as db:
            db.execute(INSERT_KEY, _row(record))

    def _get(self, key_id: str) -> KeyRecord | None:
        with self.file.locked() as db:
            row = db.execute("SELECT * FROM keys WHERE id = ?", (key_id,)).fetchone()
        return None if row is None else _record(row)

    def _find(self, secret_hash: str) -> KeyRecord | None:
        with self.file.locked() as db:
            row = db.execute(
                "SELECT * FROM keys WHERE secret_hash = ?",
                (secret_hash,),
            ).fetchone()
        return None if row is None else _record(row)

    def _list(self, include_revoked: bool) -> list[KeyRecord]:
        with self.file.locked() as db:
            rows = db.execute("SELECT * FROM keys ORDER BY created_at, id").fetchall()
        records = [_record(row) for row in rows]
        return [r for r in records if include_revoked or r.revoked_at is None]

    def _update(self, key_id: str, changes: dict[str, Any]) -> tuple[KeyRecord, KeyRecord] | None:
        with _unique_name(changes.get("name")), self._transaction() as db:
            row = db.execute(LIVE_KEY, (key_id,)).fetchone()
            if row is None:
                return None
            before = _record(row)
            after = before.changed(changes)
            db.execute(UPDATE_KEY, (*_editable(after), key_id))
            return before, after

    def _revoke(self, key_id: str, now: int) -> KeyRecord | None:
        with self._transaction() as db:
            row = db.execute(LIVE_KEY, (key_id,)).fetchone()
            if row is None:
                return None
            db.execute("UPDATE keys SET revoked_at = ? WHERE id = ?", (now, key_id))
            return _record(row)

    def _admit(self, key: KeyRecord, windows: Windows) -> Admission:
        if key.rpm is None and key.tpm is None:
            with self.file.locked() as db:
                return Admission(
                    now=windows.now,
                    budget=check_budget(key, windows, _month_tokens(db, key, windows)),
                )
        with self._transaction() as db:
            budget = check_budget(key, windows, _month_tokens(db, key, windows))
            counts = db.execute(
                "SELECT requests, tokens FROM minute_counters WHERE key_id = ? AND minute = ?",
                (key.id, windows.minute),
            ).fetchone()
            requests, tokens = counts or (0, 0)
            state = check_minute(key, windows, requests, tokens, budget)
            db.execute(
                "INSERT INTO minute_counters (key_id, minute, requests) VALUES (?, ?, 1) "
                "ON CONFLICT DO UPDATE SET requests = requests + 1",
                (key.id, windows.minute),
            )
            db.execute(
                "DELETE FROM minute_counters WHERE key_id = ? AND minute < ?",
                (key.id, windows.minute - 1),
            )
            return state

    def _peek(self, key: KeyRecord, windows: Windows) -> Admission:
        with self.file.locked() as db:
            counts = db.execute(
                "SELECT requests, tokens FROM minute_counters WHERE key_id = ? AND minute = ?",
                (key.id, windows.minute),
            ).fetchone()
            requests, tokens = counts or (0, 0)
            return standing(key, windows, requests, tokens, _month_tokens(db, key, windows))

    def _usage_steps(
        self, key: KeyRecord, model: str, usage: Usage, windows: Windows
    ) -> list[Step]:
        counts = (usage.requests, usage.input_tokens, usage.output_tokens, usage.errors)

        def write() -> None:
            with self._transaction() as db:
                db.execute(ADD_TO_DAY, (windows.day, key.id, model, *counts))
                db.execute(ADD_TO_MONTH, (key.id, windows.month, *counts))
                if key.tpm is not None:
                    db.execute(
                        "INSERT INTO minute_counters (key_id, minute, tokens) VALUES (?, ?, ?) "
                        "ON CONFLICT DO UPDATE SET tokens = tokens + excluded.tokens",
                        (key.id, windows.minute, usage.tokens),
                    )

        return [write]

    def _usage_rows(self, days: list[str], key_id: str | None) -> list[UsageRow]:
        query = (
            "SELECT day, key_id, model, requests, input_tokens, output_tokens, errors "
            "FROM daily_usage WHERE day BETWEEN ? AND ?"
        )
        arguments: tuple[str, ...] = (days[0], days[-1])
        if key_id is not None:
            query += " AND key_id = ?"
            arguments += (key_id,)
        with self.file.locked() as db:
            rows = db.execute(query, arguments).fetchall()
        return [UsageRow(day, key, model, Usage(*counts)) for day, key, model, *counts in rows]

    def _month_usage(self, key_ids: list[str], month: str) -> dict[str, Usage]:
        with self.file.locked() as db:
            rows = db.execute(
                "SELECT key_id, requests, input_tokens, output_tokens, errors FROM monthly_usage "
                "WHERE month = ? AND key_id IN (SELECT value FROM json_each(?))",
                (month, json.dumps(key_ids)),
            ).fetchall()
        return {key_id: Usage(*counts) for key_id, *counts in rows}

    def close(self) -> None:
        self.file.close()


def _month_tokens(db: sqlite3.Connection, key: KeyRecord, windows: Windows) -> int:
    if key.monthly_token_budget is None:
        return 0
    row = db.execute(
        "SELECT input_tokens + output_tokens FROM monthly_usage WHERE key_id = ? AND month = ?",
        (key.id, windows.month),
    ).fetchone()
    return row[0] if row else 0
