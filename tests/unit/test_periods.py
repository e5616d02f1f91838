"""Budget periods: duration parsing, epoch alignment, calendar months in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.limits.periods import BudgetPeriod, parse_duration, period_end


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds", "months", "canonical"),
    [
        ("30s", 30, 0, "30s"),
        ("30m", 1800, 0, "30m"),
        ("1h", 3600, 0, "1h"),
        ("30h", 108000, 0, "30h"),
        ("1d", 86400, 0, "1d"),
        ("7d", 604800, 0, "7d"),
        ("60m", 3600, 0, "1h"),
        ("90s", 90, 0, "90s"),
        (" 1d ", 86400, 0, "1d"),
        ("1mo", 0, 1, "1mo"),
        ("3mo", 0, 3, "3mo"),
    ],
)
def test_parse_duration(text: str, seconds: int, months: int, canonical: str) -> None:
    period = parse_duration(text)
    assert (period.seconds, period.months) == (seconds, months)
    assert str(period) == canonical


@pytest.mark.parametrize(
    "text", ["", "0d", "-1h", "1.5h", "1w", "1 d", "h", "1H", "1month", "1y", "99999mo", "1d1h"]
)
def test_parse_duration_rejects_bad_input(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_period_needs_exactly_one_positive_length() -> None:
    with pytest.raises(ValueError):
        BudgetPeriod()
    with pytest.raises(ValueError):
        BudgetPeriod(seconds=60, months=1)


def test_fixed_lengths_are_aligned_to_the_epoch() -> None:
    now = utc(2026, 11, 24, 6, 49, 15)
    assert parse_duration("1h").window(now) == (
        "20261124T060000Z/1h",
        utc(2026, 11, 24, 6),
        utc(2026, 11, 24, 7),
    )
    assert parse_duration("30s").window(now)[1:] == (
        utc(2026, 11, 24, 6, 49),
        utc(2026, 11, 24, 6, 49, 30),
    )
    assert parse_duration("1d").window(now)[1] == utc(2026, 11, 24)


def test_week_periods_start_on_thursdays_like_the_epoch() -> None:
    period_id, start, end = parse_duration("7d").window(utc(2026, 11, 24, 12))
    assert start == utc(2026, 11, 19)
    assert start.weekday() == 3
    assert end - start == timedelta(days=7)
    assert period_id == "20261119T000000Z/7d"


def test_lengths_that_do_not_divide_a_day_still_follow_the_epoch() -> None:
    _, start, _ = parse_duration("7h").window(utc(2026, 11, 24, 12))
    assert (start - utc(1970, 1, 1)) % timedelta(hours=7) == timedelta(0)
    assert start <= utc(2026, 11, 24, 12) < start + timedelta(hours=7)


def test_window_boundaries_are_start_inclusive() -> None:
    period = parse_duration("1h")
    assert period.window(utc(2026, 11, 24, 7))[1] == utc(2026, 11, 24, 7)
    assert period.window(utc(2026, 11, 24, 6, 59, 59, 999999))[1] == utc(2026, 11, 24, 6)


def test_calendar_month() -> None:
    assert parse_duration("1mo").window(utc(2026, 11, 24, 6, 49)) == (
        "2026-11",
        utc(2026, 11, 1),
        utc(2026, 12, 1),
    )


def test_month_across_the_year_end() -> None:
    assert parse_duration("1mo").window(utc(2026, 12, 31, 23, 59, 59)) == (
        "2026-12",
        utc(2026, 12, 1),
        utc(2027, 1, 1),
    )
    assert parse_duration("1mo").window(utc(2027, 1, 1))[0] == "2027-01"


def test_quarters_are_aligned_to_months_since_1970() -> None:
    quarter = parse_duration("3mo")
    assert quarter.window(utc(2026, 11, 24)) == ("2026-10/3mo", utc(2026, 10, 1), utc(2027, 1, 1))
    assert quarter.window(utc(2027, 1, 1))[1] == utc(2027, 1, 1)
    five = parse_duration("5mo")
    _, start, end = five.window(utc(2026, 11, 24))
    months_since_1970 = (start.year - 1970) * 12 + start.month - 1
    assert months_since_1970 % 5 == 0
    assert start <= utc(2026, 11, 24) < end


def test_other_timezones_are_converted_to_utc() -> None:
    tokyo = timezone(timedelta(hours=9))
    assert parse_duration("1mo").window(datetime(2026, 12, 1, 8, 0, tzinfo=tokyo))[0] == "2026-11"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_duration("1d").window(datetime(2026, 11, 24))


def test_seconds_until_reset() -> None:
    now = utc(2026, 11, 24, 6, 49, 15)
    assert parse_duration("1h").seconds_until_reset(now) == 645.0
    assert parse_duration("1mo").seconds_until_reset(utc(2026, 11, 30, 23, 59, 30)) == 30.0


@pytest.mark.parametrize("text", ["30s", "1h", "1d", "7d", "1mo", "3mo", "12mo"])
def test_period_end_reads_back_window_ids(text: str) -> None:
    period_id, _, end = parse_duration(text).window(utc(2026, 11, 24, 6, 49, 15))
    assert period_end(period_id) == end


@pytest.mark.parametrize("period_id", ["", "lifetime", "2026-13", "2026-11/0d", "x/1h"])
def test_period_end_of_unknown_ids_is_none(period_id: str) -> None:
    assert period_end(period_id) is None
