"""Identical requests in flight at once reach the upstream once: the first leads, the
others wait for its entry (in this process). Across instances the backend's lock does
the same where it has one (Redis: a short ``SET NX``)."""

from __future__ import annotations

import asyncio

from app.cache.entry import Entry

__all__ = ["SingleFlight"]


class SingleFlight:
    def __init__(self) -> None:
        self._flights: dict[str, asyncio.Future[Entry | None]] = {}
        self.waiting = 0
        """Requests waiting for a leader now (tests watch it)."""

    def lead(self, key: str) -> bool:
        """Become the leader for ``key`` (False: another request leads)."""
        if key in self._flights:
            return False
        self._flights[key] = asyncio.get_running_loop().create_future()
        return True

    async def follow(self, key: str, timeout: float) -> Entry | None:
        """The leader's entry (None: it stored nothing, or took longer than ``timeout``)."""
        flight = self._flights.get(key)
        if flight is None:
            return None
        self.waiting += 1
        try:
            return await asyncio.wait_for(asyncio.shield(flight), timeout)
        except TimeoutError:
            # A leader that never landed (its caller left before the answer began) must
            # not hold the key forever: the next request leads afresh.
            self.land(key, None)
            return None
        finally:
            self.waiting -= 1

    def land(self, key: str, entry: Entry | None) -> None:
        """The leader is done: hand its entry to the waiting requests."""
        flight = self._flights.pop(key, None)
        if flight is not None and not flight.done():
            flight.set_result(entry)
