"""Key records on both backends: minting, the admin operations, unique names, authentication
(expiry, disabling, revocation), the lookup cache's bound, and a store that is down."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from helpers import FakeClock, create_tables, run

from gateway.core.keys import (
    InvalidField,
    KeyRefused,
    NameTaken,
    StoreUnavailable,
    hash_secret,
    open_key_store,
)
from gateway.core.keys.cache import LookupCache


def test_a_minted_key_authenticates_and_only_its_hash_is_stored(make_store, stored_text, clock):
    store = make_store()
    minted = run(store.create_key({"name": "alice", "rpm": 5, "metadata": {"team": "ml"}}))
    assert minted.secret.startswith("sk-") and len(minted.secret) >= 40
    assert minted.record.id.startswith("key_")
    assert minted.record.secret_hash == hash_secret(minted.secret)
    assert minted.record.created_at == int(clock.now)
    assert run(store.authenticate(minted.secret)) == minted.record
    assert run(make_store().authenticate(minted.secret)) == minted.record
    held = stored_text()
    assert minted.record.secret_hash in held
    assert minted.secret not in held and minted.secret[3:] not in held
    assert "secret" not in repr(minted) and "secret_hash" not in minted.record.public()


def test_keys_are_created_listed_changed_and_revoked(make_store, clock):
    store = make_store()
    first = run(store.create_key({"name": "alice"})).record
    clock.advance(1)
    second = run(
        store.create_key(
            {
                "name": "bob",
                "models": ["gpt-4o", "@cf/meta/llama-3.1-8b-instruct"],
                "rpm": 10,
                "tpm": 1000,
                "monthly_token_budget": 50000,
                "expires_at": int(clock.now) + 3600,
                "metadata": {"owner": "bob@example.com", "tags": ["a"]},
            }
        )
    ).record
    assert first.public() == {
        "id": first.id,
        "name": "alice",
        "models": None,
        "rpm": None,
        "tpm": None,
        "monthly_token_budget": None,
        "expires_at": None,
        "disabled": False,
        "created_at": first.created_at,
        "metadata": {},
    }
    assert run(store.list_keys()) == [first, second]
    assert run(store.get_key(second.id)) == second

    changed = run(
        store.update_key(
            second.id, {"name": "robert", "rpm": None, "tpm": 5, "models": None, "disabled": True}
        )
    )
    assert changed is not None
    assert (changed.name, changed.rpm, changed.tpm, changed.models, changed.disabled) == (
        "robert",
        None,
        5,
        None,
        True,
    )
    assert changed.monthly_token_budget == 50000 and changed.metadata == second.metadata
    assert run(make_store().get_key(second.id)) == changed

    assert run(store.revoke_key(first.id)) is True
    assert run(store.revoke_key(first.id)) is False
    assert run(store.get_key(first.id)) is None
    assert run(store.update_key(first.id, {"rpm": 1})) is None
    assert run(store.list_keys()) == [changed]
    revoked = run(store.list_keys(include_revoked=True))
    assert [r.id for r in revoked] == [first.id, second.id]
    assert revoked[0].revoked_at == int(clock.now)
    assert run(store.get_key("key_unknown")) is None
    assert run(store.revoke_key("key_unknown")) is False


def test_names_are_unique_among_live_keys(make_store):
    store = make_store()
    alice = run(store.create_key({"name": "alice"})).record
    bob = run(store.create_key({"name": "bob"})).record
    with pytest.raises(NameTaken) as caught:
        run(make_store().create_key({"name": "alice"}))
    assert caught.value.param == "name"
    with pytest.raises(NameTaken):
        run(store.update_key(bob.id, {"name": "alice"}))
    assert run(store.get_key(bob.id)) == bob

    renamed = run(store.update_key(alice.id, {"name": "alice-2"}))
    assert renamed is not None and renamed.name == "alice-2"
    carol = run(store.create_key({"name": "alice"})).record  # the old name is free again
    assert run(store.revoke_key(carol.id)) is True
    assert run(store.create_key({"name": "alice"})).record.name == "alice"
    assert sorted(r.name for r in run(store.list_keys())) == ["alice", "alice-2", "bob"]


def test_concurrent_creations_of_one_name_leave_one_key(make_store):
    stores = [make_store() for _ in range(6)]
    outcomes: list[Any] = []
    start = threading.Barrier(len(stores))

    def create(store) -> None:
        start.wait()
        try:
            outcomes.append(run(store.create_key({"name": "contested"})).record)
        except NameTaken as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=create, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if not isinstance(o, NameTaken)]
    assert len(winners) == 1 and len(outcomes) == len(stores)
    assert run(stores[0].list_keys()) == winners


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": " padded"}, "name"),
        ({"name": "a\nb"}, "name"),
        ({"name": "x" * 129}, "name"),
        ({"name": 7}, "name"),
        ({"name": "k", "models": []}, "models"),
        ({"name": "k", "models": "gpt-4"}, "models"),
        ({"name": "k", "models": ["gpt-4", 3]}, "models"),
        ({"name": "k", "rpm": 0}, "rpm"),
        ({"name": "k", "rpm": True}, "rpm"),
        ({"name": "k", "tpm": 1.5}, "tpm"),
        ({"name": "k", "monthly_token_budget": -1}, "monthly_token_budget"),
        ({"name": "k", "monthly_token_budget": 10**16}, "monthly_token_budget"),
        ({"name": "k", "expires_at": "tomorrow"}, "expires_at"),
        ({"name": "k", "disabled": "yes"}, "disabled"),
        ({"name": "k", "metadata": ["not", "an", "object"]}, "metadata"),
        ({"name": "k", "metadata": {"big": "x" * 5000}}, "metadata"),
        ({"name": "k", "metadata": {"nan": float("nan")}}, "metadata"),
        ({"name": "k", "metadata": {"deep": nested(100_000)}}, "metadata"),
        ({"name": "k", "id": "key_mine"}, "id"),
        ({"name": "k", "secret_hash": "0" * 64}, "secret_hash"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(fields, param):
    store = open_key_store(db_path=":memory:")
    with pytest.raises(InvalidField) as caught:
        run(store.create_key(fields))
    assert caught.value.param == param and caught.value.message
    assert run(store.list_keys()) == []


def test_expired_disabled_and_revoked_keys_are_refused(make_store, clock):
    store = make_store()
    minted = run(store.create_key({"name": "temp", "expires_at": int(clock.now) + 60}))
    assert run(store.authenticate(minted.secret)).name == "temp"
    clock.advance(59.9)
    assert run(store.authenticate(minted.secret)).name == "temp"
    clock.advance(0.1)
    with pytest.raises(KeyRefused) as caught:
        run(store.authenticate(minted.secret))
    assert caught.value.reason == "expired"

    run(store.update_key(minted.record.id, {"expires_at": None, "disabled": True}))
    with pytest.raises(KeyRefused) as caught:
        run(store.authenticate(minted.secret))
    assert caught.value.reason == "disabled"

    run(store.revoke_key(minted.record.id))
    with pytest.raises(KeyRefused) as caught:
        run(store.authenticate(minted.secret))
    assert caught.value.reason == "revoked"
    with pytest.raises(KeyRefused) as caught:
        run(store.authenticate("sk-never-minted"))
    assert caught.value.reason == "unknown"


def test_an_expiry_already_past_is_refused_on_create_and_change(make_store, clock):
    store = make_store()
    for past in (int(clock.now), int(clock.now) - 3600):
        with pytest.raises(InvalidField) as caught:
            run(store.create_key({"name": "stillborn", "expires_at": past}))
        assert caught.value.param == "expires_at"
    assert run(store.list_keys()) == []

    minted = run(store.create_key({"name": "live"}))
    with pytest.raises(InvalidField) as caught:
        run(store.update_key(minted.record.id, {"expires_at": int(clock.now) - 1}))
    assert caught.value.param == "expires_at"
    assert run(store.authenticate(minted.secret)).expires_at is None


def test_changes_reach_other_instances_within_the_cache_bound(make_store, clock):
    here, there = make_store(cache_seconds=10), make_store(cache_seconds=10)
    minted = run(here.create_key({"name": "shared"}))
    assert run(there.authenticate(minted.secret)).name == "shared"  # no negative entry first

    assert run(here.revoke_key(minted.record.id)) is True
    with pytest.raises(KeyRefused):
        run(here.authenticate(minted.secret))  # at once where it was revoked
    clock.advance(9.9)
    assert run(there.authenticate(minted.secret)).name == "shared"  # cached, within the bound
    clock.advance(0.1)
    with pytest.raises(KeyRefused) as caught:
        run(there.authenticate(minted.secret))
    assert caught.value.reason == "revoked"


def test_unknown_keys_are_cached_briefly_and_new_keys_work_at_once(make_store, clock):
    store = make_store(negative_cache_seconds=2)
    for _ in range(3):
        with pytest.raises(KeyRefused):
            run(store.authenticate("sk-wrong"))
    minted = run(store.create_key({"name": "fresh"}))
    assert run(store.authenticate(minted.secret)).name == "fresh"
    changed = run(store.update_key(minted.record.id, {"rpm": 3}))
    assert run(store.authenticate(minted.secret)) == changed


def test_the_cache_is_bounded_and_distrusts_a_clock_that_went_back():
    clock = FakeClock(1000.0)
    cache = LookupCache(ttl=10, negative_ttl=2, clock=clock, max_entries=3)
    for name in "abcd":
        cache.put(name, None)
    assert cache.get("a") == (False, None)
    assert cache.get("d") == (True, None)
    clock.advance(2)
    assert cache.get("d") == (False, None)
    cache.put("e", None)
    clock.advance(-5)
    assert cache.get("e") == (False, None)


def test_a_store_that_is_down_raises_store_unavailable(kind, tmp_path, aws_or_none):
    if kind == "sqlite":
        (tmp_path / "file").write_text("")
        store = open_key_store(db_path=str(tmp_path / "file" / "keys.sqlite3"))
    else:
        store = open_key_store(keys_table="missing", usage_table="missing", region="us-east-1")
    calls = [
        store.create_key({"name": "x"}),
        store.list_keys(),
        store.get_key("key_x"),
        store.update_key("key_x", {"rpm": 1}),
        store.revoke_key("key_x"),
        store.authenticate("sk-x"),
    ]
    for call in calls:
        with pytest.raises(StoreUnavailable) as caught:
            run(call)
        assert caught.value.__cause__ is not None
    with pytest.raises(InvalidField):
        run(store.create_key({"name": ""}))  # bad input is still the caller's error


def test_only_both_tables_or_neither(aws):
    create_tables(aws)
    with pytest.raises(ValueError, match="both"):
        open_key_store(keys_table="gateway-keys")


def test_processes_opening_a_new_key_file_at_once_all_open_it(tmp_path):
    """Eight stores open one new SQLite file at the same moment, a hundred times over (as
    gateway processes starting together do): each gets it. SQLite refuses all but one of
    concurrent switches to WAL at once, without waiting; the store tries again."""
    failures: list[BaseException] = []
    for attempt in range(100):
        path = str(tmp_path / f"keys-{attempt}.sqlite3")
        stores = [open_key_store(db_path=path) for _ in range(8)]
        start = threading.Barrier(len(stores))

        def list_keys(store: Any, start: threading.Barrier) -> None:
            start.wait()
            try:
                run(store.list_keys())
            except Exception as exc:
                failures.append(exc)

        threads = [threading.Thread(target=list_keys, args=(store, start)) for store in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for store in stores:
            store.close()
    assert failures == []
