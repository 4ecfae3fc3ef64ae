"""The limits' rule, in one place for both backends, and the state an admission answers.

Before each request (the source: issue 16, and OpenAI's documented behaviour):
- `rpm`: the request is counted in this UTC minute's counter, atomically and only if the count
  is below the limit, so across every process exactly `rpm` requests pass per minute.
- `tpm`: refused when the tokens recorded this minute have reached the limit.
- `monthly_token_budget`: refused when the tokens recorded this UTC month have reached it.
Tokens are known only once an answer ends, so these two are checked against what is recorded:
requests admitted together may each overshoot by their own size, as at OpenAI. A request
refused by tpm or the budget is not counted against rpm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from gateway.core.keys.errors import KeyStoreError
from gateway.core.keys.records import KeyRecord
from gateway.core.keys.windows import Windows

LimitKind = Literal["rpm", "tpm", "budget"]


@dataclass(frozen=True)
class Window:
    """One limit's state: its `limit`, what `remaining` of it (negative once overshot), and
    `reset_at`, the Unix second the window starts afresh."""

    limit: int
    remaining: int
    reset_at: int


@dataclass(frozen=True)
class Admission:
    """A key's limits as they stand after an admission (or at a refusal): None for a limit the
    key does not have. `now` is the clock reading it was decided at."""

    now: float
    requests: Window | None = None
    tokens: Window | None = None
    budget: Window | None = None

    def headers(self) -> dict[str, str]:
        """OpenAI's `x-ratelimit-*` headers for the limits the key has: limit, remaining (never
        below 0) and reset (a duration such as `12.5s` or `250ms`) of requests and of tokens.
        The monthly budget has no header at OpenAI; `GET /v1/key` shows it."""
        headers: dict[str, str] = {}
        for kind, window in (("requests", self.requests), ("tokens", self.tokens)):
            if window is not None:
                headers[f"x-ratelimit-limit-{kind}"] = str(window.limit)
                headers[f"x-ratelimit-remaining-{kind}"] = str(max(0, window.remaining))
                headers[f"x-ratelimit-reset-{kind}"] = duration(window.reset_at - self.now)
        return headers


class LimitExceeded(KeyStoreError):
    """A request refused by one of the key's limits, before any upstream call; nothing of it
    was counted.

    `kind`: `rpm` or `tpm` (this UTC minute is full: retry after it) or `budget` (this UTC
    month's tokens are spent: the budget resets at 00:00 UTC on the first). `limit` is the
    limit and `remaining` what is left of it (never above 0; below 0 when tokens overshot);
    `reset_at` is the Unix second the window starts afresh and `retry_after` the whole seconds
    until then (at least 1). `state` holds the key's windows at the refusal, for the
    `x-ratelimit-*` headers of the 429.
    """

    def __init__(
        self, kind: LimitKind, limit: int, remaining: int, reset_at: int, state: Admission
    ) -> None:
        self.kind: LimitKind = kind
        self.limit = limit
        self.remaining = remaining
        self.reset_at = reset_at
        self.retry_after = max(1, math.ceil(reset_at - state.now))
        self.state = state
        if kind == "budget":
            message = (
                f"This key has used its monthly budget of {limit} tokens; "
                "it resets at 00:00 UTC on the first of the month."
            )
        else:
            unit = "requests" if kind == "rpm" else "tokens"
            message = (
                f"This key has reached its limit of {limit} {unit} per minute; "
                f"try again in {self.retry_after} s."
            )
        super().__init__(message)


def duration(seconds: float) -> str:
    """A duration as OpenAI writes its reset headers: `250ms` under a second, else `12.5s` or
    `1m0s` (Go's notation)."""
    seconds = max(0.0, seconds)
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    minutes, rest = divmod(round(seconds, 3), 60)
    text = f"{rest:.3f}".rstrip("0").rstrip(".") + "s"
    return f"{int(minutes)}m{text}" if minutes else text


def check_budget(key: KeyRecord, windows: Windows, month_tokens: int) -> Window | None:
    """The key's budget window given the tokens recorded this month (None without a budget).

    Raises LimitExceeded `budget` when they have reached the budget.
    """
    budget = _window(key.monthly_token_budget, month_tokens, windows.month_reset)
    if budget is not None and budget.remaining <= 0:
        raise _refusal("budget", budget, Admission(now=windows.now, budget=budget))
    return budget


def check_minute(
    key: KeyRecord,
    windows: Windows,
    requests_before: int,
    minute_tokens: int,
    budget: Window | None,
) -> Admission:
    """The state after admitting one request, given this minute's counts before it (requests
    admitted, tokens recorded) and the budget window from `check_budget`.

    Raises LimitExceeded `rpm` (the minute's requests have reached rpm) or else `tpm` (its
    tokens have reached tpm); the backend then must not count the request.
    """
    requests = _window(key.rpm, requests_before, windows.minute_reset)
    tokens = _window(key.tpm, minute_tokens, windows.minute_reset)
    state = Admission(now=windows.now, requests=requests, tokens=tokens, budget=budget)
    if requests is not None and requests.remaining <= 0:
        raise _refusal("rpm", requests, state)
    if tokens is not None and tokens.remaining <= 0:
        raise _refusal("tpm", tokens, state)
    if requests is None:
        return state
    counted = Window(requests.limit, requests.remaining - 1, requests.reset_at)
    return Admission(now=windows.now, requests=counted, tokens=tokens, budget=budget)


def standing(
    key: KeyRecord, windows: Windows, requests: int, minute_tokens: int, month_tokens: int
) -> Admission:
    """The key's limits as they stand, given this minute's counts and this month's tokens,
    without admitting anything (for `GET /v1/key`): never raises."""
    return Admission(
        now=windows.now,
        requests=_window(key.rpm, requests, windows.minute_reset),
        tokens=_window(key.tpm, minute_tokens, windows.minute_reset),
        budget=_window(key.monthly_token_budget, month_tokens, windows.month_reset),
    )


def _window(limit: int | None, used: int, reset_at: int) -> Window | None:
    return None if limit is None else Window(limit, limit - used, reset_at)


def _refusal(kind: LimitKind, window: Window, state: Admission) -> LimitExceeded:
    return LimitExceeded(kind, window.limit, window.remaining, window.reset_at, state)
