"""The in-process cache of key lookups by secret hash: the hot path's one store read, made rare.

A found key is kept at most `ttl` seconds, so a revocation or change made on any instance takes
effect everywhere within that bound; a hash found in no key is kept `negative_ttl` seconds, so a
client retrying a wrong key does not reach the store each time. The instance that writes a key
forgets its hash at once. Used from the event loop only (no lock).
"""

from __future__ import annotations

from collections import OrderedDict

from gateway.core.keys.records import KeyRecord
from gateway.core.keys.windows import Clock

MAX_ENTRIES = 4096


class LookupCache:
    """Key records (or their absence) by secret hash, each for a bounded time.

    At most `max_entries` hashes are held, the oldest dropped first, so a flood of random keys
    cannot grow it. An entry counts as stale when the clock went back past its time, so a
    clock step never stretches the bound.
    """

    def __init__(
        self, ttl: float, negative_ttl: float, clock: Clock, max_entries: int = MAX_ENTRIES
    ) -> None:
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.clock = clock
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, KeyRecord | None]] = OrderedDict()

    def get(self, secret_hash: str) -> tuple[bool, KeyRecord | None]:
        """(True, record or None) for a fresh entry, (False, None) when there is none."""
        entry = self._entries.get(secret_hash)
        if entry is not None:
            stored_at, record = entry
            age = self.clock() - stored_at
            if 0 <= age < (self.ttl if record is not None else self.negative_ttl):
                return True, record
            del self._entries[secret_hash]
        return False, None

    def put(self, secret_hash: str, record: KeyRecord | None) -> None:
        self._entries[secret_hash] = (self.clock(), record)
        self._entries.move_to_end(secret_hash)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def forget(self, secret_hash: str) -> None:
        self._entries.pop(secret_hash, None)
