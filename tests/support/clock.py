"""A clock tests move by hand; by default it starts at the real time (TOTP codes line up)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.db.types import utcnow

__all__ = ["Clock"]


@dataclass
class Clock:
    now: datetime = field(default_factory=utcnow)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta
