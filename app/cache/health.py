"""Whether the cache backend answers: a failure is logged once (and again on recovery),
counted, and makes requests skip the backend for a second, so a dead host's timeouts are
not paid by every request."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from app.cache.backends.base import CacheBackendError

__all__ = ["BackendHealth"]

log = logging.getLogger("deltallm.cache")
_RETRY_SECONDS = 1.0


class BackendHealth:
    def __init__(self, count: Callable[[str, str], None]) -> None:
        self._count = count
        self._failing = False
        self._retry_at = 0.0

    @property
    def resting(self) -> bool:
        """Whether requests skip the backend now (it failed less than a second ago)."""
        return time.monotonic() < self._retry_at

    def failed(self, backend: str, exc: CacheBackendError, call_type: str) -> None:
        self._count("error", call_type)
        self._retry_at = time.monotonic() + _RETRY_SECONDS
        if not self._failing:
            self._failing = True
            log.warning("response cache (%s) unavailable, serving uncached: %s", backend, exc)

    def recovered(self, backend: str) -> None:
        if self._failing:
            self._failing = False
            log.info("response cache (%s) available again", backend)
