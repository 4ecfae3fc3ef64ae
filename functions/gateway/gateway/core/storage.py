"""Stored responses for `previous_response_id` and `GET /v1/responses/{id}`: one small interface,
two backends — SQLite (embedded: `make dev`, containers) and DynamoDB (AWS).

A record is `{"response": Response, "input_items": [item resources]}`. It belongs to the API
key that created it: the store keeps a SHA-256 of the key (`keys.hash_secret`, never the key)
as its `owner`, and answers None to any other owner, exactly as for an unknown id. Records
expire after the retention period: DynamoDB's TTL deletes them (within a day or two, so reads
also check the expiry), SQLite prunes on write.
"""

from __future__ import annotations

import hmac
import json
import time
import zlib
from typing import Any

from gateway.core.backends import Boto3Client, SQLiteFile, Unavailable
from gateway.core.config import Settings
from gateway.core.errors import GatewayError
from gateway.core.http import dumps

DAY = 86400

UNAVAILABLE = Unavailable(
    "response store",
    "The response store is unavailable right now; try again, or send store: false.",
    "store_unavailable",
)


def _encode(record: dict[str, Any]) -> bytes:
    return zlib.compress(dumps(record))


def _decode(blob: bytes) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(zlib.decompress(blob))
    return record


class ResponseStore:
    """The interface: async calls over a backend whose own calls block (sqlite3, boto3), run
    in a worker thread each. A backend failure is a GatewayError 503, never a traceback.

    Backends implement `_put`, `_get` and `_remove` (same arguments and results as `save`,
    `load` and `delete`) and `close`.
    """

    def _put(self, owner: str, response_id: str, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def _get(self, owner: str, response_id: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def _remove(self, owner: str, response_id: str) -> bool:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    async def save(self, owner: str, response_id: str, record: dict[str, Any]) -> None:
        """Store (or replace) a record; raises GatewayError when it cannot be stored."""
        await UNAVAILABLE.call(self._put, owner, response_id, record)

    async def load(self, owner: str, response_id: str) -> dict[str, Any] | None:
        """The record, or None when it is unknown, expired or another key's."""
        return await UNAVAILABLE.call(self._get, owner, response_id)

    async def delete(self, owner: str, response_id: str) -> bool:
        """Delete a record; False when there was none for this owner."""
        return await UNAVAILABLE.call(self._remove, owner, response_id)


class SQLiteStore(ResponseStore):
    """Records in one SQLite file, created with its folder on first use.

    One connection per process, used from worker threads under a lock (sqlite3 calls block).
    `:memory:` gives a store that lives as long as the process.
    """

    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS responses (id TEXT PRIMARY KEY, owner TEXT NOT NULL, "
        "expires_at INTEGER NOT NULL, record BLOB NOT NULL)"
    )

    def __init__(self, path: str, retention_seconds: float) -> None:
        self.retention = retention_seconds
        self.file = SQLiteFile(path, self.SCHEMA)

    def _put(self, owner: str, response_id: str, record: dict[str, Any]) -> None:
        now = int(time.time())
        with self.file.locked() as db:
            db.execute("DELETE FROM responses WHERE expires_at <= ?", (now,))
            db.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?)",
                (response_id, owner, now + int(self.retention), _encode(record)),
            )

    def _get(self, owner: str, response_id: str) -> dict[str, Any] | None:
        with self.file.locked() as db:
            row = db.execute(
                "SELECT owner, expires_at, record FROM responses WHERE id = ?", (response_id,)
            ).fetchone()
        if row is None or not hmac.compare_digest(row[0], owner) or row[1] <= time.time():
            return None
        return _decode(row[2])

    def _remove(self, owner: str, response_id: str) -> bool:
        with self.file.locked() as db:
            cursor = db.execute(
                "DELETE FROM responses WHERE id = ? AND owner = ? AND expires_at > ?",
                (response_id, owner, int(time.time())),
            )
        return cursor.rowcount > 0

    def close(self) -> None:
        self.file.close()


class DynamoDBStore(ResponseStore):
    """Records in a DynamoDB table keyed by `id`, with `owner`, `expires_at` (the table's TTL
    attribute, Unix seconds) and `record` (compressed JSON).

    boto3 is imported on first use, so processes that store nothing never load it.
    DynamoDB refuses items over 400 KB: such a response is answered with a 413 naming `store`.
    """

    def __init__(self, table: str, retention_seconds: float, region: str | None = None) -> None:
        self.table = table
        self.retention = retention_seconds
        self._dynamodb = Boto3Client("dynamodb", region)

    def _put(self, owner: str, response_id: str, record: dict[str, Any]) -> None:
        client = self._dynamodb()
        item = {
            "id": {"S": response_id},
            "owner": {"S": owner},
            "expires_at": {"N": str(int(time.time() + self.retention))},
            "record": {"B": _encode(record)},
        }
        try:
            client.put_item(TableName=self.table, Item=item)
        except client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ValidationException":
                raise GatewayError(
                    413,
                    "This response is too large to store (DynamoDB holds at most 400 KB); "
                    "send store: false, or smaller images.",
                    code="response_too_large_to_store",
                    param="store",
                ) from None
            raise

    def _get(self, owner: str, response_id: str) -> dict[str, Any] | None:
        found = self._dynamodb().get_item(
            TableName=self.table, Key={"id": {"S": response_id}}, ConsistentRead=True
        )
        item = found.get("Item")
        if (
            item is None
            or not hmac.compare_digest(item["owner"]["S"], owner)
            or int(item["expires_at"]["N"]) <= time.time()
        ):
            return None
        return _decode(item["record"]["B"])

    def _remove(self, owner: str, response_id: str) -> bool:
        client = self._dynamodb()
        try:
            client.delete_item(
                TableName=self.table,
                Key={"id": {"S": response_id}},
                ConditionExpression="#owner = :owner AND expires_at > :now",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={
                    ":owner": {"S": owner},
                    ":now": {"N": str(int(time.time()))},
                },
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def close(self) -> None:
        self._dynamodb.close()


def open_store(settings: Settings) -> ResponseStore:
    """DynamoDB when `RESPONSES_TABLE` names a table, else SQLite at `RESPONSES_DB_PATH`.

    Nothing is opened here: each backend connects on first use.
    """
    retention = settings.response_retention_days * DAY
    if settings.responses_table:
        return DynamoDBStore(settings.responses_table, retention)
    return SQLiteStore(settings.responses_db_path, retention)
