"""The key store's fixtures: each test runs on SQLite (a real file) and on DynamoDB (moto, with
the tables as the package docstring describes them: tests/conftest.py), under a clock the test
moves."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import KEYS_TABLE, USAGE_TABLE, FakeClock, create_tables

from gateway.core.keys import KeyStore, open_key_store


@pytest.fixture(params=["sqlite", "dynamodb"])
def kind(request: pytest.FixtureRequest) -> str:
    if request.param == "dynamodb":
        create_tables(request.getfixturevalue("aws"))
    return request.param


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "new-folder" / "keys.sqlite3"


@pytest.fixture
def make_store(kind: str, db_path: Path, clock: FakeClock) -> Iterator[Callable[..., KeyStore]]:
    """Opens a store on the test's backend: every store it opens shares the same data, as the
    instances of one deployment do."""
    stores: list[KeyStore] = []

    def make(**options: Any) -> KeyStore:
        options = {"clock": clock, **options}
        if kind == "dynamodb":
            store = open_key_store(
                keys_table=KEYS_TABLE, usage_table=USAGE_TABLE, region="us-east-1", **options
            )
        else:
            store = open_key_store(db_path=str(db_path), **options)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def stored_text(kind: str, db_path: Path, aws_or_none: Any) -> Callable[[], str]:
    """Everything the backend holds, as text (to look for what must not be there)."""

    def dump() -> str:
        if kind == "sqlite":
            with sqlite3.connect(db_path) as db:
                query = "SELECT name FROM sqlite_master WHERE type = 'table'"
                tables = [row[0] for row in db.execute(query)]
                return repr([db.execute(f"SELECT * FROM {t}").fetchall() for t in tables])
        return repr(
            [aws_or_none.scan(TableName=table)["Items"] for table in (KEYS_TABLE, USAGE_TABLE)]
        )

    return dump


@pytest.fixture
def aws_or_none(kind: str, request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue("aws") if kind == "dynamodb" else None
