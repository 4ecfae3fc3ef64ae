"""Stored responses: both backends through one set of tests (SQLite on a real file, DynamoDB on
moto), and the gateway on each: responses survive a restart, and DynamoDB holds only a hash of
the key."""

from __future__ import annotations

import asyncio
import base64
import os
import time
from collections.abc import Iterator
from typing import Any

import boto3
import openai
import pytest
from helpers import KEYS, fake_aws_credentials, sdk
from moto import mock_aws

from gateway.core.errors import GatewayError
from gateway.core.keys import hash_secret as key_owner
from gateway.core.storage import DAY, DynamoDBStore, ResponseStore, SQLiteStore

TABLE = "gateway-responses"
OWNER, OTHER = key_owner("sk-one"), key_owner("sk-two")
RECORD = {"response": {"id": "resp_1", "output": []}, "input_items": [{"id": "msg_1"}]}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto's DynamoDB with the table as template.yaml declares it (key `id`, TTL attribute)."""
    fake_aws_credentials(monkeypatch)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.update_time_to_live(
            TableName=TABLE,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
        )
        yield client


def make_store(kind: str, tmp_path, retention: float = DAY) -> ResponseStore:
    if kind == "sqlite":
        return SQLiteStore(str(tmp_path / "new-folder" / "responses.sqlite3"), retention)
    return DynamoDBStore(TABLE, retention, region="us-east-1")


@pytest.fixture(params=["sqlite", "dynamodb"])
def kind(request: pytest.FixtureRequest) -> str:
    if request.param == "dynamodb":
        request.getfixturevalue("aws")
    return request.param


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_a_record_round_trips_for_its_owner_only(kind, tmp_path):
    store = make_store(kind, tmp_path)
    run(store.save(OWNER, "resp_1", RECORD))
    assert run(store.load(OWNER, "resp_1")) == RECORD
    assert run(store.load(OTHER, "resp_1")) is None
    assert run(store.load(OWNER, "resp_unknown")) is None
    assert run(store.delete(OTHER, "resp_1")) is False
    assert run(store.load(OWNER, "resp_1")) == RECORD
    assert run(store.delete(OWNER, "resp_1")) is True
    assert run(store.load(OWNER, "resp_1")) is None
    assert run(store.delete(OWNER, "resp_1")) is False
    store.close()


def test_expired_records_are_gone(kind, tmp_path):
    store = make_store(kind, tmp_path, retention=-1)
    run(store.save(OWNER, "resp_1", RECORD))
    assert run(store.load(OWNER, "resp_1")) is None
    assert run(store.delete(OWNER, "resp_1")) is False
    store.close()


def test_sqlite_creates_its_file_on_first_use(tmp_path):
    path = tmp_path / "new-folder" / "responses.sqlite3"
    store = SQLiteStore(str(path), DAY)
    assert not path.parent.exists()
    run(store.save(OWNER, "resp_1", RECORD))
    store.close()
    assert path.is_file()
    reopened = SQLiteStore(str(path), DAY)
    assert run(reopened.load(OWNER, "resp_1")) == RECORD
    reopened.close()


def test_dynamodb_items_hold_a_hash_of_the_key_and_a_ttl(aws):
    store = DynamoDBStore(TABLE, 30 * DAY, region="us-east-1")
    run(store.save(key_owner("sk-one"), "resp_1", RECORD))
    [item] = aws.scan(TableName=TABLE)["Items"]
    assert "sk-one" not in repr(item)
    assert item["owner"]["S"] == key_owner("sk-one")
    assert abs(int(item["expires_at"]["N"]) - (time.time() + 30 * DAY)) < 60


def test_dynamodb_refuses_an_oversized_record_with_a_413(aws):
    store = DynamoDBStore(TABLE, DAY, region="us-east-1")
    image = base64.b64encode(os.urandom(450_000)).decode()  # incompressible, > 400 KB
    huge = {"response": {"id": "resp_1"}, "input_items": [{"image_url": image}]}
    with pytest.raises(GatewayError) as caught:
        run(store.save(OWNER, "resp_1", huge))
    assert caught.value.status == 413 and caught.value.param == "store"


def test_a_broken_store_is_a_503_not_a_traceback(tmp_path):
    (tmp_path / "file").write_text("")
    store = SQLiteStore(str(tmp_path / "file" / "responses.sqlite3"), DAY)
    with pytest.raises(GatewayError) as caught:
        run(store.save(OWNER, "resp_1", RECORD))
    assert caught.value.status == 503 and caught.value.code == "store_unavailable"


def test_stored_responses_survive_a_gateway_restart(start_gateway, emulator, tmp_path):
    path = str(tmp_path / "responses.sqlite3")
    with start_gateway(responses_db_path=path) as gateway:
        first = sdk(gateway).responses.create(model="gpt-4", input="remember this")
        streamed = list(
            sdk(gateway).responses.create(
                model="gpt-4", input="and this", previous_response_id=first.id, stream=True
            )
        )[-1].response
    with start_gateway(responses_db_path=path) as gateway:
        client = sdk(gateway)
        assert client.responses.retrieve(first.id).output_text == first.output_text
        assert client.responses.retrieve(streamed.id).output_text == streamed.output_text
        third = client.responses.create(
            model="gpt-4", input="what came before?", previous_response_id=streamed.id
        )
        assert third.status == "completed"
        texts = [m["content"] for m in emulator.requests()[-1]["body"]["messages"]]
        assert texts == [
            "remember this",
            first.output_text,
            "and this",
            streamed.output_text,
            "what came before?",
        ]
        with pytest.raises(Exception, match="404"):
            sdk(gateway, KEYS[1]).responses.retrieve(first.id)


def test_the_gateway_stores_in_dynamodb_when_a_table_is_named(aws, start_gateway, emulator):
    with start_gateway(responses_table=TABLE) as gateway:
        client = sdk(gateway)
        first = client.responses.create(model="gpt-4", input="to the table")
        second = client.responses.create(model="gpt-4", input="next", previous_response_id=first.id)
        assert client.responses.retrieve(second.id).previous_response_id == first.id
        client.responses.delete(first.id)
    ids = {item["id"]["S"] for item in aws.scan(TableName=TABLE)["Items"]}
    assert ids == {second.id}


def test_a_broken_store_never_loses_an_answer_silently(start_gateway, emulator, tmp_path):
    (tmp_path / "file").write_text("")
    broken = str(tmp_path / "file" / "responses.sqlite3")
    with start_gateway(responses_db_path=broken) as gateway:
        client = sdk(gateway)
        with pytest.raises(openai.InternalServerError) as caught:
            client.responses.create(model="gpt-4", input="keep this")
        assert caught.value.status_code == 503
        assert caught.value.body["code"] == "store_unavailable"
        events = list(client.responses.create(model="gpt-4", input="keep this", stream=True))
        assert [e.type for e in events[-2:]] == ["error", "response.failed"]
        assert events[-2].code == "store_unavailable"
        unstored = client.responses.create(model="gpt-4", input="keep this", store=False)
        assert unstored.status == "completed"
