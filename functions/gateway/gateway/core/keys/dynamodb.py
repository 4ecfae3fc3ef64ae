"""The key store in two DynamoDB tables (boto3, imported on first use): AWS.

The tables' design is in the package's docstring (`gateway.core.keys`). Atomicity comes from
DynamoDB itself: the minute's request count is one `UpdateItem` with `ADD` and a condition
that the counts are below the limits; a key and its name and hash items are written in one
`TransactWriteItems` with conditions, so two keys can never share a name; a key record carries
a `version` that every write of it checks, so concurrent changes never overwrite each other.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from itertools import groupby
from typing import Any

from gateway.core.backends import Boto3Client
from gateway.core.keys.admission import Admission, check_budget, check_minute, standing
from gateway.core.keys.errors import NameTaken
from gateway.core.keys.records import KeyRecord, Usage, UsageRow
from gateway.core.keys.store import KeyStore, Step
from gateway.core.keys.windows import Windows

MINUTE_ITEM_LIFETIME = 3600
"""Seconds after its minute ends that a minute counter's TTL lets DynamoDB delete it."""
OPTIMISTIC_TRIES = 5
"""Reads and conditional writes of one key change before giving up on a key that keeps changing."""
BATCH_GET_LIMIT = 100
USAGE_FIELDS = ("requests", "input_tokens", "output_tokens", "errors")


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _int(item: dict[str, Any], name: str) -> int:
    return int(item[name]["N"]) if name in item else 0


def _key_item(record: KeyRecord, version: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": _s(f"key#{record.id}"),
        "id": _s(record.id),
        "name": _s(record.name),
        "secret_hash": _s(record.secret_hash),
        "created_at": _n(record.created_at),
        "disabled": {"BOOL": record.disabled},
        "metadata": _s(json.dumps(record.metadata)),
        "version": _n(version),
    }
    if record.models is not None:
        item["models"] = _s(json.dumps(record.models))
    for name in ("rpm", "tpm", "monthly_token_budget", "expires_at", "revoked_at"):
        value = getattr(record, name)
        if value is not None:
            item[name] = _n(value)
    return item


def _key_record(item: dict[str, Any]) -> KeyRecord:
    def number(name: str) -> int | None:
        return int(item[name]["N"]) if name in item else None

    return KeyRecord(
        id=item["id"]["S"],
        name=item["name"]["S"],
        secret_hash=item["secret_hash"]["S"],
        created_at=int(item["created_at"]["N"]),
        models=tuple(json.loads(item["models"]["S"])) if "models" in item else None,
        rpm=number("rpm"),
        tpm=number("tpm"),
        monthly_token_budget=number("monthly_token_budget"),
        expires_at=number("expires_at"),
        disabled=item["disabled"]["BOOL"],
        metadata=json.loads(item["metadata"]["S"]),
        revoked_at=number("revoked_at"),
    )


def _usage(item: dict[str, Any]) -> Usage:
    return Usage(*(_int(item, name) for name in USAGE_FIELDS))


class KeyConflict(Exception):
    """A key kept changing under OPTIMISTIC_TRIES attempts to change it (seen as 503)."""


class DynamoDBKeyStore(KeyStore):
    """Keys in `keys_table`, counters and usage in `usage_table` (see the package docstring).

    boto3 is imported on first use, so processes that never meet a named key never load it.
    Its client gives up within seconds (2 s to connect, 5 s to read, 3 attempts), so a store
    that cannot be reached is a prompt StoreUnavailable rather than a hung request.
    """

    def __init__(
        self, keys_table: str, usage_table: str, *, region: str | None = None, **options: Any
    ) -> None:
        super().__init__(**options)
        self.keys_table = keys_table
        self.usage_table = usage_table
        self._dynamodb = Boto3Client(
            "dynamodb",
            region,
            connect_timeout=2,
            read_timeout=5,
            retries={"mode": "standard", "max_attempts": 3},
        )

    # ------------------------------------------------------------ keys

    def _versioned(self, key_id: str) -> tuple[KeyRecord, int] | None:
        item = (
            self._dynamodb()
            .get_item(
                TableName=self.keys_table, Key={"pk": _s(f"key#{key_id}")}, ConsistentRead=True
            )
            .get("Item")
        )
        return None if item is None else (_key_record(item), int(item["version"]["N"]))

    def _put_key(self, record: KeyRecord, version: int) -> dict[str, Any]:
        """A transaction's write of the record, conditioned on the version it was read at (0: a
        new key)."""
        put: dict[str, Any] = {
            "TableName": self.keys_table,
            "Item": _key_item(record, version + 1),
        }
        if version == 0:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :version"
            put["ExpressionAttributeValues"] = {":version": _n(version)}
        return {"Put": put}

    def _pointer(self, kind: str, value: str, key_id: str) -> dict[str, Any]:
        """A transaction's write of a `name#` or `hash#` item, only if none exists."""
        return {
            "Put": {
                "TableName": self.keys_table,
                "Item": {"pk": _s(f"{kind}#{value}"), "key_id": _s(key_id)},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _unpoint(self, kind: str, value: str) -> dict[str, Any]:
        return {"Delete": {"TableName": self.keys_table, "Key": {"pk": _s(f"{kind}#{value}")}}}

    def _transact(self, writes: list[dict[str, Any]], new_name: str | None) -> bool:
        """Write all or nothing: False when the key item's condition failed (it changed since
        it was read). The last write, when `new_name` is given, claims that name: its failure
        is NameTaken."""
        client = self._dynamodb()
        try:
            client.transact_write_items(TransactItems=writes)
        except client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if new_name is not None and reasons[-1:] == ["ConditionalCheckFailed"]:
                raise NameTaken(new_name) from None
            if reasons[:1] == ["ConditionalCheckFailed"]:
                return False
            raise
        return True

    def _insert(self, record: KeyRecord) -> None:
        writes = [
            self._put_key(record, 0),
            self._pointer("hash", record.secret_hash, record.id),
            self._pointer("name", record.name, record.id),
        ]
        if not self._transact(writes, record.name):
            raise KeyConflict(f"key id {record.id} exists")

    def _get(self, key_id: str) -> KeyRecord | None:
        found = self._versioned(key_id)
        return None if found is None else found[0]

    def _find(self, secret_hash: str) -> KeyRecord | None:
        pointer = (
            self._dynamodb()
            .get_item(
                TableName=self.keys_table,
                Key={"pk": _s(f"hash#{secret_hash}")},
                ConsistentRead=True,
            )
            .get("Item")
        )
        return None if pointer is None else self._get(pointer["key_id"]["S"])

    def _list(self, include_revoked: bool) -> list[KeyRecord]:
        pages = (
            self._dynamodb()
            .get_paginator("scan")
            .paginate(
                TableName=self.keys_table,
                FilterExpression="begins_with(pk, :prefix)",
                ExpressionAttributeValues={":prefix": _s("key#")},
                ConsistentRead=True,
            )
        )
        records = [_key_record(item) for page in pages for item in page["Items"]]
        return sorted(
            (r for r in records if include_revoked or r.revoked_at is None),
            key=lambda r: (r.created_at, r.id),
        )

    def _update(self, key_id: str, changes: dict[str, Any]) -> tuple[KeyRecord, KeyRecord] | None:
        for _ in range(OPTIMISTIC_TRIES):
            found = self._versioned(key_id)
            if found is None or found[0].revoked_at is not None:
                return None
            before, version = found
            after = before.changed(changes)
            writes = [self._put_key(after, version)]
            renamed = after.name != before.name
            if renamed:
                writes += [
                    self._unpoint("name", before.name),
                    self._pointer("name", after.name, key_id),
                ]
            if self._transact(writes, after.name if renamed else None):
                return before, after
        raise KeyConflict(f"{key_id} kept changing")

    def _revoke(self, key_id: str, now: int) -> KeyRecord | None:
        for _ in range(OPTIMISTIC_TRIES):
            found = self._versioned(key_id)
            if found is None or found[0].revoked_at is not None:
                return None
            before, version = found
            writes = [
                self._put_key(before.changed({"revoked_at": now}), version),
                self._unpoint("name", before.name),
            ]
            if self._transact(writes, None):
                return before
        raise KeyConflict(f"{key_id} kept changing")

    # ------------------------------------------------------------ limits and usage

    def _usage_item(self, key: KeyRecord, sk: str) -> dict[str, Any]:
        """One of the key's usage items (`month#...`, `minute#...`), empty when absent."""
        item: dict[str, Any] = (
            self._dynamodb()
            .get_item(
                TableName=self.usage_table,
                Key={"pk": _s(key.id), "sk": _s(sk)},
                ConsistentRead=True,
            )
            .get("Item", {})
        )
        return item

    def _month_tokens(self, key: KeyRecord, windows: Windows) -> int:
        if key.monthly_token_budget is None:
            return 0
        return _usage(self._usage_item(key, f"month#{windows.month}")).tokens

    def _peek(self, key: KeyRecord, windows: Windows) -> Admission:
        minute: dict[str, Any] = {}
        if key.rpm is not None or key.tpm is not None:
            minute = self._usage_item(key, f"minute#{windows.minute}")
        return standing(
            key,
            windows,
            _int(minute, "requests"),
            _int(minute, "tokens"),
            self._month_tokens(key, windows),
        )

    def _admit(self, key: KeyRecord, windows: Windows) -> Admission:
        client = self._dynamodb()
        budget = check_budget(key, windows, self._month_tokens(key, windows))
        if key.rpm is None and key.tpm is None:
            return Admission(now=windows.now, budget=budget)
        conditions = []
        values = {":one": _n(1), ":expires": _n(windows.minute_reset + MINUTE_ITEM_LIFETIME)}
        if key.rpm is not None:
            conditions.append("(attribute_not_exists(#requests) OR #requests < :rpm)")
            values[":rpm"] = _n(key.rpm)
        if key.tpm is not None:
            conditions.append("(attribute_not_exists(#tokens) OR #tokens < :tpm)")
            values[":tpm"] = _n(key.tpm)
        names = {"#requests": "requests", "#expires_at": "expires_at"}
        if key.tpm is not None:
            names["#tokens"] = "tokens"
        try:
            counts = client.update_item(
                TableName=self.usage_table,
                Key={"pk": _s(key.id), "sk": _s(f"minute#{windows.minute}")},
                UpdateExpression="ADD #requests :one SET #expires_at = :expires",
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )["Attributes"]
        except client.exceptions.ConditionalCheckFailedException as exc:
            old = exc.response.get("Item", {})
            check_minute(key, windows, _int(old, "requests"), _int(old, "tokens"), budget)
            raise  # the rule refuses whatever the condition refused; kept for safety
        return check_minute(
            key, windows, _int(counts, "requests") - 1, _int(counts, "tokens"), budget
        )

    def _add(self, pk: str, sk: str, adds: dict[str, int], sets: dict[str, Any]) -> Step:
        """One UpdateItem that adds `adds` to numbers and sets `sets` (attribute values)."""

        def write() -> None:
            names = {f"#{name}": name for name in (*adds, *sets)}
            values = {f":{name}": _n(value) for name, value in adds.items()}
            values |= {f":{name}": value for name, value in sets.items()}
            expression = "ADD " + ", ".join(f"#{name} :{name}" for name in adds)
            if sets:
                expression += " SET " + ", ".join(f"#{name} = :{name}" for name in sets)
            self._dynamodb().update_item(
                TableName=self.usage_table,
                Key={"pk": _s(pk), "sk": _s(sk)},
                UpdateExpression=expression,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )

        return write

    def _usage_steps(
        self, key: KeyRecord, model: str, usage: Usage, windows: Windows
    ) -> list[Step]:
        counts = {name: getattr(usage, name) for name in USAGE_FIELDS}
        steps = [
            self._add(
                f"usage#{windows.month}",
                f"{windows.day}#{key.id}#{model}",
                counts,
                {"day": _s(windows.day), "key_id": _s(key.id), "model": _s(model)},
            ),
            self._add(key.id, f"month#{windows.month}", counts, {}),
        ]
        if key.tpm is not None:
            expires = _n(windows.minute_reset + MINUTE_ITEM_LIFETIME)
            steps.append(
                self._add(
                    key.id,
                    f"minute#{windows.minute}",
                    {"tokens": usage.tokens},
                    {"expires_at": expires},
                )
            )
        return steps

    def _usage_rows(self, days: list[str], key_id: str | None) -> list[UsageRow]:
        paginator = self._dynamodb().get_paginator("query")
        rows = []
        for month, in_month in groupby(days, key=lambda day: day[:7]):
            spanned = list(in_month)
            query: dict[str, Any] = {
                "TableName": self.usage_table,
                "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
                "ExpressionAttributeValues": {
                    ":pk": _s(f"usage#{month}"),
                    ":first": _s(spanned[0]),
                    # "$" sorts after "#", so every `<last day>#...` key is below this bound.
                    ":last": _s(f"{spanned[-1]}$"),
                },
                "ConsistentRead": True,
            }
            if key_id is not None:
                query["FilterExpression"] = "key_id = :key_id"
                query["ExpressionAttributeValues"][":key_id"] = _s(key_id)
            for page in paginator.paginate(**query):
                rows += [
                    UsageRow(
                        item["day"]["S"], item["key_id"]["S"], item["model"]["S"], _usage(item)
                    )
                    for item in page["Items"]
                ]
        return rows

    def _month_usage(self, key_ids: list[str], month: str) -> dict[str, Usage]:
        found: dict[str, Usage] = {}
        for chunk in _chunks(key_ids, BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self.usage_table: {
                    "Keys": [{"pk": _s(k), "sk": _s(f"month#{month}")} for k in chunk],
                    "ConsistentRead": True,
                }
            }
            for attempt in range(OPTIMISTIC_TRIES):
                if attempt:
                    time.sleep(0.05 * attempt)  # DynamoDB leaves keys unprocessed when throttled
                answer = self._dynamodb().batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self.usage_table, []):
                    found[item["pk"]["S"]] = _usage(item)
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
            if request:
                raise RuntimeError("DynamoDB kept leaving keys unprocessed")
        return found

    def close(self) -> None:
        self._dynamodb.close()


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
