"""The in-process key cache: hash → identity, with a TTL as a safety net only.

Changes reach every instance by invalidation (``app.keys.invalidation``); the TTL bounds
what a missed message could cost. Unknown hashes are cached briefly too, so a client
hammering with a bad key costs one lookup, not one per request.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from app.keys.identity import KeyIdentity

__all__ = ["KeyCache"]

_MISSING = object()


class KeyCache:
    def __init__(
        self,
        *,
        ttl: float = 60.0,
        negative_ttl: float = 5.0,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._negative_ttl = negative_ttl
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, KeyIdentity | None]] = OrderedDict()
        self.generation = 0
        """Counts invalidations: a lookup that began before one may not be cached."""

    def get(self, key_hash: str) -> KeyIdentity | object | None:
        """The cached identity, None for a known-bad hash, or ``MISSING``."""
        entry = self._entries.get(key_hash)
        if entry is None:
            return _MISSING
        expires, identity = entry
        if expires <= self._clock():
            del self._entries[key_hash]
            return _MISSING
        return identity

    def put(
        self, key_hash: str, identity: KeyIdentity | None, *, generation: int | None = None
    ) -> None:
        """Cache ``identity``; with ``generation`` (read before the lookup began), only if
        nothing was invalidated meanwhile: the lookup may have read the row before the
        change that the invalidation announced."""
        if generation is not None and generation != self.generation:
            return
        ttl = self._ttl if identity is not None else self._negative_ttl
        self._entries[key_hash] = (self._clock() + ttl, identity)
        self._entries.move_to_end(key_hash)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def invalidate(self, key_hashes: Iterable[str] | None) -> None:
        """Forget these hashes (every entry when ``None``)."""
        self.generation += 1
        if key_hashes is None:
            self._entries.clear()
            return
        for key_hash in key_hashes:
            self._entries.pop(key_hash, None)

    def __len__(self) -> int:
        return len(self._entries)


MISSING = _MISSING
