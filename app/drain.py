"""Draining at shutdown: readiness turns traffic away, open streams end at a deadline.

uvicorn owns the shutdown itself: on SIGTERM it closes the listening socket, lets the
requests in flight finish for ``graceful_shutdown_timeout`` seconds, then cancels what is
left and runs the app's shutdown (settlements, spend queue flush). :class:`Drain` is the
app's view of it: it starts with the signal, so readiness answers 503 at once, and it
expires at the deadline, after which every stream still open ends with an error event
after its next chunk and is settled for what it delivered; uvicorn cancels what still
runs :data:`HARD_STOP_GRACE` seconds later.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ["HARD_STOP_GRACE", "Drain"]

HARD_STOP_GRACE = 2.0
"""Seconds between the drain deadline and uvicorn's cancellation of what still runs, so
streams ended at the deadline have time to send their last event."""

_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Drain:
    """The shutdown state of one process: not draining, draining, or past the deadline."""

    def __init__(self, deadline: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.deadline = deadline
        self._clock = clock
        self._ends_at: float | None = None

    @property
    def draining(self) -> bool:
        return self._ends_at is not None

    @property
    def expired(self) -> bool:
        """True once the deadline has passed; cheap enough to ask for every relayed chunk."""
        ends_at = self._ends_at
        return ends_at is not None and self._clock() >= ends_at

    def begin(self) -> None:
        """Shutdown has begun: the deadline starts now (a second call changes nothing)."""
        if self._ends_at is None:
            self._ends_at = self._clock() + self.deadline

    def follow_signals(self) -> Callable[[], None]:
        """Begin draining when SIGTERM or SIGINT arrives, before the handler in place
        (uvicorn's) sees it; returns the function that puts that handler back. Signals are
        only handled by the main thread: elsewhere (an app under a test client) it does
        nothing."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous: dict[int, Any] = {}
        for sig in _SIGNALS:
            handler = signal.getsignal(sig)
            if callable(handler):
                previous[sig] = handler
                signal.signal(sig, self._chain(handler))

        def restore() -> None:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

        return restore

    def _chain(
        self, handler: Callable[[int, FrameType | None], Any]
    ) -> Callable[[int, FrameType | None], None]:
        def on_signal(sig: int, frame: FrameType | None) -> None:
            self.begin()
            handler(sig, frame)

        return on_signal
