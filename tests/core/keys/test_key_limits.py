"""The limits on both backends, under a clock the tests move: rpm per UTC minute, tpm against
the minute's recorded tokens, the monthly budget and its reset at 00:00 UTC on the first, the
state behind OpenAI's headers, and concurrent admissions against one small rpm."""

from __future__ import annotations

import threading

import pytest
from helpers import run, utc

from gateway.core.keys import Admission, LimitExceeded, Window, open_key_store
from gateway.core.keys.admission import duration


def test_rpm_admits_exactly_the_limit_in_each_utc_minute(make_store, clock):
    clock.now = utc("2026-12-15T12:00:45")
    store = make_store()
    key = run(store.create_key({"name": "a", "rpm": 3})).record
    states = [run(store.admit(key)) for _ in range(3)]
    assert [s.requests.remaining for s in states] == [2, 1, 0]
    assert states[0].requests == Window(3, 2, int(utc("2026-12-15T12:01:00")))
    assert states[0].tokens is None and states[0].budget is None

    clock.advance(14.5)
    with pytest.raises(LimitExceeded) as caught:
        run(make_store().admit(key))  # another instance sees the same count
    refused = caught.value
    assert (refused.kind, refused.limit, refused.remaining) == ("rpm", 3, 0)
    assert refused.reset_at == int(utc("2026-12-15T12:01:00")) and refused.retry_after == 1

    clock.advance(0.5)  # 12:01:00, a new minute
    assert run(store.admit(key)).requests.remaining == 2


def test_tpm_refuses_once_the_minute_has_recorded_its_tokens(make_store, clock):
    clock.now = utc("2026-12-15T12:00:10")
    store = make_store()
    key = run(store.create_key({"name": "a", "tpm": 100})).record
    assert run(store.admit(key)).tokens == Window(100, 100, int(utc("2026-12-15T12:01:00")))
    assert run(store.record_usage(key, "m", input_tokens=30, output_tokens=20)).recorded
    assert run(store.admit(key)).tokens.remaining == 50
    run(store.record_usage(key, "m", input_tokens=40, output_tokens=20))  # overshoots by 10

    with pytest.raises(LimitExceeded) as caught:
        run(store.admit(key))
    assert (caught.value.kind, caught.value.remaining, caught.value.retry_after) == ("tpm", -10, 50)
    assert caught.value.state.headers()["x-ratelimit-remaining-tokens"] == "0"
    clock.advance(50)
    assert run(store.admit(key)).tokens.remaining == 100


def test_the_budget_resets_at_midnight_utc_on_the_first(make_store, clock):
    clock.now = utc("2026-12-31T23:59:59")
    store = make_store()
    key = run(store.create_key({"name": "a", "monthly_token_budget": 1000, "rpm": 5})).record
    assert run(store.admit(key)).budget == Window(1000, 1000, int(utc("2027-01-01T00:00:00")))
    run(store.record_usage(key, "m", input_tokens=900, output_tokens=150))

    for _ in range(6):  # refusals by the budget do not use up the rpm
        with pytest.raises(LimitExceeded) as caught:
            run(store.admit(key))
        assert (caught.value.kind, caught.value.limit, caught.value.remaining) == (
            "budget",
            1000,
            -50,
        )
        assert caught.value.reset_at == int(utc("2027-01-01T00:00:00"))
        assert caught.value.retry_after == 1

    clock.now = utc("2027-01-01T00:00:00")
    state = run(store.admit(key))
    assert state.budget == Window(1000, 1000, int(utc("2027-02-01T00:00:00")))
    assert state.requests.remaining == 4
    totals = run(store.month_totals([key.id]))[key.id]
    assert (totals.month, totals.usage.tokens) == ("2027-01", 0)


def test_the_state_gives_openais_headers(make_store, clock):
    clock.now = utc("2026-12-15T12:00:30.5")
    store = make_store()
    key = run(store.create_key({"name": "a", "rpm": 60, "tpm": 10000})).record
    run(store.record_usage(key, "m", input_tokens=1200, output_tokens=300))
    assert run(store.admit(key)).headers() == {
        "x-ratelimit-limit-requests": "60",
        "x-ratelimit-remaining-requests": "59",
        "x-ratelimit-reset-requests": "29.5s",
        "x-ratelimit-limit-tokens": "10000",
        "x-ratelimit-remaining-tokens": "8500",
        "x-ratelimit-reset-tokens": "29.5s",
    }
    budget_only = run(store.create_key({"name": "b", "monthly_token_budget": 10})).record
    assert run(store.admit(budget_only)).headers() == {}


def test_peeking_counts_nothing_and_never_refuses(make_store, clock):
    clock.now = utc("2026-12-15T12:00:30")
    store = make_store()
    key = run(
        store.create_key({"name": "a", "rpm": 2, "tpm": 100, "monthly_token_budget": 50})
    ).record
    minute, month = int(utc("2026-12-15T12:01:00")), int(utc("2027-01-01T00:00:00"))
    assert run(store.peek(key)) == Admission(
        now=clock.now,
        requests=Window(2, 2, minute),
        tokens=Window(100, 100, minute),
        budget=Window(50, 50, month),
    )
    run(store.admit(key))
    run(store.admit(key))
    run(store.record_usage(key, "m", input_tokens=40, output_tokens=30))
    with pytest.raises(LimitExceeded):
        run(store.admit(key))
    standing = run(make_store().peek(key))  # as another instance sees it
    assert standing.requests == Window(2, 0, minute)
    assert standing.tokens == Window(100, 30, minute)
    assert standing.budget == Window(50, -20, month)
    assert run(store.peek(key)) == standing, "peeking counted something"
    free = run(store.create_key({"name": "free"})).record
    assert run(store.peek(free)) == Admission(now=clock.now)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0ms"), (0.25, "250ms"), (1, "1s"), (12.5, "12.5s"), (59.999, "59.999s"), (60, "1m0s")],
)
def test_durations_are_written_as_openai_writes_them(seconds, text):
    assert duration(seconds) == text


def test_a_key_without_limits_is_admitted_without_the_store(tmp_path, clock):
    (tmp_path / "file").write_text("")
    down = open_key_store(db_path=str(tmp_path / "file" / "keys.sqlite3"), clock=clock)
    working = open_key_store(db_path=":memory:", clock=clock)
    key = run(working.create_key({"name": "free"})).record
    assert run(down.admit(key)) == Admission(now=clock.now)


def test_concurrent_admissions_pass_exactly_the_rpm(make_store):
    creator = make_store()
    key = run(creator.create_key({"name": "busy", "rpm": 7, "tpm": 10**6})).record
    stores = [make_store() for _ in range(5)]
    start = threading.Barrier(len(stores))
    outcomes: list[str] = []

    def hammer(store) -> None:
        start.wait()
        for _ in range(4):
            try:
                run(store.admit(key))
                outcomes.append("admitted")
            except LimitExceeded as exc:
                outcomes.append(exc.kind)

    threads = [threading.Thread(target=hammer, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["admitted"] * 7 + ["rpm"] * 13
