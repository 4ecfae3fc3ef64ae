"""The key store's fixtures: each test runs on SQLite (a real file) and on DynamoDB (moto, with
the tables as the package docstring describes them), under a clock the test moves."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from helpers import fake_aws_credentials
from keys_testing import KEYS_TABLE, USAGE_TABLE, FakeClock, create_tables, utc
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from gateway.core.keys import KeyStore, open_key_store


@pytest.fixture(scope="module")
def moto_dynamodb() -> Iterator[Any]:
    """moto's DynamoDB for one test module (starting it per test costs more than the tests).

    DynamoDB applies each request atomically (a conditional update, a transaction); moto does
    not when threads call it at once, so here each of its requests runs under one lock. Any
    race between two requests of ours still shows, as it would against DynamoDB.
    """
    lock = threading.Lock()
    process = BotocoreStubber.process_request

    def one_at_a_time(self: BotocoreStubber, request: Any) -> Any:
        with lock:
            return process(self, request)

    with pytest.MonkeyPatch.context() as patch:
        fake_aws_credentials(patch)
        patch.setattr(BotocoreStubber, "process_request", one_at_a_time)
        with mock_aws():
            yield boto3.client("dynamodb", region_name="us-east-1")


@pytest.fixture
def aws(moto_dynamodb: Any) -> Any:
    """moto's DynamoDB with no tables (those of the module's previous test are deleted)."""
    for table in moto_dynamodb.list_tables()["TableNames"]:
        moto_dynamodb.delete_table(TableName=table)
    return moto_dynamodb


@pytest.fixture(params=["sqlite", "dynamodb"])
def kind(request: pytest.FixtureRequest) -> str:
    if request.param == "dynamodb":
        create_tables(request.getfixturevalue("aws"))
    return request.param


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc("2026-12-15T12:00:00"))


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
