"""Budget periods: ``30s``, ``30m``, ``1h``, ``1d``, ``7d`` (epoch-aligned) and ``Nmo`` (calendar).

Fixed lengths are aligned to the Unix epoch in UTC, so ``7d`` periods start on Thursdays
(1970-01-01 was one). ``Nmo`` periods are calendar months in UTC, counted from 1970-01.
Period ids name one window and never contain ``:`` (they become part of counter keys).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["BudgetPeriod", "parse_duration", "period_end"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DURATION = re.compile(r"(\d{1,9})(s|m|h|d|mo)")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_MAX_SECONDS = 3653 * 86400
_MAX_MONTHS = 120
_FIXED_ID = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True, slots=True)
class BudgetPeriod:
    """A budget reset period: a fixed number of seconds or of calendar months."""

    seconds: int = 0
    months: int = 0

    def __post_init__(self) -> None:
        if (self.seconds > 0) == (self.months > 0) or min(self.seconds, self.months) < 0:
            raise ValueError("A budget period is a positive number of seconds or of months.")

    def __str__(self) -> str:
        if self.months:
            return f"{self.months}mo"
        for unit in ("d", "h", "m"):
            if self.seconds % _UNIT_SECONDS[unit] == 0:
                return f"{self.seconds // _UNIT_SECONDS[unit]}{unit}"
        return f"{self.seconds}s"

    def window(self, now: datetime) -> tuple[str, datetime, datetime]:
        """The period containing ``now``: ``(period_id, start, end)``, start inclusive."""
        now = _as_utc(now)
        if self.months:
            index = _month_index(now)
            first = index - index % self.months
            start, end = _month_start(first), _month_start(first + self.months)
            label = start.strftime("%Y-%m")
            return (label if self.months == 1 else f"{label}/{self}"), start, end
        length = timedelta(seconds=self.seconds)
        start = EPOCH + length * ((now - EPOCH) // length)
        return f"{start.strftime(_FIXED_ID)}/{self}", start, start + length

    def seconds_until_reset(self, now: datetime) -> float:
        """Seconds from ``now`` until the current period ends."""
        _, _, end = self.window(now)
        return (end - _as_utc(now)).total_seconds()


def parse_duration(text: str) -> BudgetPeriod:
    """Parse ``30s``, ``30m``, ``1h``, ``1d``, ``7d``, ``1mo``, ``3mo``, ... into a period."""
    match = _DURATION.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or int(match.group(1)) == 0:
        raise ValueError(
            f"Invalid budget duration {text!r}: expected a positive whole number followed by "
            "s, m, h, d or mo (for example 30s, 30m, 1h, 1d, 7d, 1mo)."
        )
    count, unit = int(match.group(1)), match.group(2)
    if unit == "mo":
        period = BudgetPeriod(months=count)
    else:
        period = BudgetPeriod(seconds=count * _UNIT_SECONDS[unit])
    if period.seconds > _MAX_SECONDS or period.months > _MAX_MONTHS:
        raise ValueError(f"Budget duration {text!r} is longer than ten years.")
    return period


def period_end(period_id: str) -> datetime | None:
    """When the period named by an id from :meth:`BudgetPeriod.window` ends (None if unknown)."""
    label, _, duration = period_id.partition("/")
    try:
        if len(label) == 7:
            period = parse_duration(duration or "1mo")
            start = datetime.strptime(label, "%Y-%m").replace(tzinfo=UTC)
            return _month_start(_month_index(start) + period.months) if period.months else None
        period = parse_duration(duration)
        start = datetime.strptime(label, _FIXED_ID).replace(tzinfo=UTC)
    except ValueError:
        return None
    return start + timedelta(seconds=period.seconds) if period.seconds else None


def _as_utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("Budget periods need a timezone-aware datetime (UTC).")
    return now.astimezone(UTC)


def _month_index(moment: datetime) -> int:
    return (moment.year - 1970) * 12 + moment.month - 1


def _month_start(index: int) -> datetime:
    return datetime(1970 + index // 12, index % 12 + 1, 1, tzinfo=UTC)
