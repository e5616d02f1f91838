"""The drain state: a deadline that starts with SIGTERM, ahead of uvicorn's handler."""

from __future__ import annotations

import signal
from types import FrameType

from app.drain import Drain


def test_the_deadline_starts_once_and_expires() -> None:
    now = [100.0]
    drain = Drain(5, clock=lambda: now[0])
    assert not drain.draining and not drain.expired
    drain.begin()
    now[0] = 103.0
    drain.begin()  # a second signal does not push the deadline back
    assert drain.draining and not drain.expired
    now[0] = 105.0
    assert drain.expired


def test_signals_begin_the_drain_then_reach_the_handler_in_place() -> None:
    seen: list[int] = []

    def handler(sig: int, frame: FrameType | None) -> None:
        seen.append(sig)

    original = signal.signal(signal.SIGTERM, handler)
    try:
        drain = Drain(30)
        restore = drain.follow_signals()
        signal.raise_signal(signal.SIGTERM)
        assert drain.draining
        assert seen == [signal.SIGTERM]
        restore()
        assert signal.getsignal(signal.SIGTERM) is handler
    finally:
        signal.signal(signal.SIGTERM, original)
