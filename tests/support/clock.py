"""A clock tests move by hand; by default it starts at the real time (TOTP codes line up)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.db.types import utcnow

__all__ = ["Clock", "ticking"]


@dataclass
class Clock:
    now: datetime = field(default_factory=utcnow)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def ticking(start: datetime, step: timedelta = timedelta(milliseconds=1)) -> Callable[[], float]:
    """A wall clock for ``Gateway.set_clock`` that starts at ``start`` and moves ``step`` on
    every reading: the traffic a test makes lands on the day and hour it chose, in order."""
    readings = itertools.count()

    def now() -> float:
        return (start + step * next(readings)).timestamp()

    return now
