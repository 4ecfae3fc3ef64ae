"""What the key store raises. The HTTP wiring maps each onto its API family's envelope; none of
these messages contains a secret, so they may be shown to the client as they are.

- `StoreUnavailable`: the store could not be reached or failed. 503 for named keys, which
  are never let through unverified; operator keys keep working.
- `KeyRefused`: an unknown, revoked, disabled or expired key. 401.
- `LimitExceeded` of kind `rpm` or `tpm`: this minute is full. 429 `rate_limit_exceeded`
  with `retry-after`.
- `LimitExceeded` of kind `budget`: this month's token budget is spent. 429
  `insufficient_quota`.
- `InvalidField`: an admin value breaks a rule; `param` names the field. 400.
- `NameTaken` (an InvalidField of `name`): another live key has this name. 400 or 409.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from gateway.core.keys.admission import Admission

LimitKind = Literal["rpm", "tpm", "budget"]
Refusal = Literal["unknown", "revoked", "disabled", "expired"]


class KeyStoreError(Exception):
    """The base of everything this package raises on purpose."""


class StoreUnavailable(KeyStoreError):
    """The store could not answer; `__cause__` holds the backend's exception, for the log."""

    def __init__(self) -> None:
        super().__init__("The key store is unavailable right now; try again shortly.")


class KeyRefused(KeyStoreError):
    """A presented key that may not be used: `reason` is unknown, revoked, disabled or expired."""

    def __init__(self, reason: Refusal) -> None:
        messages = {
            "unknown": "Incorrect API key provided.",
            "revoked": "This API key has been revoked.",
            "disabled": "This API key is disabled.",
            "expired": "This API key has expired.",
        }
        super().__init__(messages[reason])
        self.reason: Refusal = reason


class InvalidField(KeyStoreError):
    """A key field with a value the store refuses; `param` is the field's name."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


class NameTaken(InvalidField):
    """Another live key already has this name (names are unique among keys not revoked)."""

    def __init__(self, name: str) -> None:
        super().__init__("name", f"A key named {name!r} already exists.")
        self.name = name


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
