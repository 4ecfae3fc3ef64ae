"""What the key store raises. The HTTP wiring maps each onto its API family's envelope; none of
these messages contains a secret, so they may be shown to the client as they are.

- `StoreUnavailable`: the store could not be reached or failed. 503 for named keys, which
  are never let through unverified; operator keys keep working.
- `KeyRefused`: an unknown, revoked, disabled or expired key. 401.
- `LimitExceeded` (in `admission`, beside the state it carries) of kind `rpm` or `tpm`: this
  minute is full. 429 `rate_limit_exceeded` with `retry-after`. Of kind `budget`: this month's
  token budget is spent. 429 `insufficient_quota`.
- `InvalidField`: an admin value breaks a rule; `param` names the field. 400.
- `NameTaken` (an InvalidField of `name`): another live key has this name. 400 or 409.
"""

from __future__ import annotations

from typing import Literal

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
