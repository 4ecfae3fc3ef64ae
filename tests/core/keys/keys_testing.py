"""What the key store's tests share besides fixtures: the tables, a clock they move, and a
way to run a coroutine."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

KEYS_TABLE = "gateway-keys"
USAGE_TABLE = "gateway-usage"


class FakeClock:
    """A clock that stands still until the test moves it (Unix seconds)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def utc(text: str) -> float:
    """Unix seconds of an ISO time in UTC, e.g. `2026-12-31T23:59:30`."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def create_tables(client: Any) -> None:
    """The two tables as `gateway.core.keys` documents them."""
    client.create_table(
        TableName=KEYS_TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    create_usage_table(client)


def create_usage_table(client: Any) -> None:
    client.create_table(
        TableName=USAGE_TABLE,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=USAGE_TABLE,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )
