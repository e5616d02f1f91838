"""The shared-counter interface behind rate limits and budgets, and its value types.

A request is admitted once (every level checked, then every level charged, atomically) and
settled once. Money is counted in integer units of 1e-10 USD so both stores agree exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal, Protocol

from app.limits.periods import period_end

__all__ = [
    "MAX_EXACT_UNITS",
    "Admission",
    "AdmissionResult",
    "CounterStore",
    "Denial",
    "LevelUsage",
    "LimitLevel",
    "Peek",
    "Reason",
    "Reservation",
    "budget_expiry",
    "build_peek",
    "build_result",
    "from_units",
    "minute_of",
    "to_units",
]

Reason = Literal["rpm", "tpm", "parallel", "budget"]

WINDOW_S = 60
WINDOW_TTL_S = 120
PARALLEL_LEASE_S = 600.0
RESERVATION_LEASE_S = 900.0
RECORD_TTL_S = 86_400.0
BUDGET_GRACE_S = 3_600.0
MAX_EXACT_UNITS = 2**53
"""Redis compares money as Lua doubles: exact up to 2**53 units, about $900,719.93."""
_MAX_UNITS = 2**63 - 1


@dataclass(frozen=True, slots=True)
class LimitLevel:
    """The limits of one scope (``key:<id>``, ``team:<id>``, ``keymodel:<id>:<model>``, ...).

    ``budget_period`` is the current period id, or None for a lifetime budget.
    """

    scope: str
    rpm: int | None = None
    tpm: int | None = None
    max_parallel: int | None = None
    max_budget: Decimal | None = None
    budget_period: str | None = None

    def __post_init__(self) -> None:
        if not self.scope:
            raise ValueError("A limit level needs a scope.")
        if any(v is not None and v < 0 for v in (self.rpm, self.tpm, self.max_parallel)):
            raise ValueError(f"Limits of {self.scope!r} must not be negative.")
        if self.max_budget is not None and self.max_budget < 0:
            raise ValueError(f"The budget of {self.scope!r} must not be negative.")
        if self.budget_period is not None and (not self.budget_period or ":" in self.budget_period):
            raise ValueError(f"Bad budget period id {self.budget_period!r}.")


@dataclass(frozen=True, slots=True)
class Admission:
    """One request asking to be admitted: estimated tokens now, its maximum cost reserved."""

    request_id: str
    levels: Sequence[LimitLevel]
    tokens: int
    reserve: Decimal
    now: float

    def __post_init__(self) -> None:
        if not self.request_id:
            raise ValueError("An admission needs a request id.")
        if self.tokens < 0 or self.reserve < 0:
            raise ValueError("Tokens and reserve must not be negative.")
        if len({level.scope for level in self.levels}) != len(self.levels):
            raise ValueError("Each scope may appear once among the levels.")


@dataclass(slots=True)
class Reservation:
    """What settle needs: the levels charged, the minute window, the reserved amount.

    ``reserved`` grows when :meth:`CounterStore.extend` succeeds.
    """

    request_id: str
    levels: tuple[LimitLevel, ...]
    tokens: int
    reserved: Decimal
    minute: int

    @property
    def budget_periods(self) -> tuple[tuple[str, str | None], ...]:
        """``(scope, period id)`` of every budget the reservation holds money in."""
        return tuple(
            (lv.scope, lv.budget_period) for lv in self.levels if lv.max_budget is not None
        )


@dataclass(frozen=True, slots=True)
class AdmissionResult:
    """The verdict, the rate-limit header figures, and the reservation when admitted.

    ``retry_after`` is None when admitted, and when a lifetime budget is exhausted (waiting
    does not help); header figures come from the tightest RPM and TPM levels.
    """

    admitted: bool
    scope: str | None = None
    reason: Reason | None = None
    retry_after: float | None = None
    limit_requests: int | None = None
    remaining_requests: int | None = None
    reset_requests_s: float | None = None
    limit_tokens: int | None = None
    remaining_tokens: int | None = None
    reset_tokens_s: float | None = None
    reservation: Reservation | None = None


@dataclass(frozen=True, slots=True)
class LevelUsage:
    """What one level holds now: this minute's requests and tokens, requests in flight,
    settled spend of the budget period (None: no counter yet) and live reservations."""

    requests: int = 0
    tokens: int = 0
    in_flight: int = 0
    spent: Decimal | None = None
    reserved: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Peek:
    """What :meth:`CounterStore.admit` would answer now (never with a reservation), and
    each level's usage, in the order of the admission's levels."""

    result: AdmissionResult
    usage: tuple[LevelUsage, ...]


class CounterStore(Protocol):
    """Rate-limit windows, parallel leases and budget reservations shared by the gateway."""

    async def admit(self, a: Admission) -> AdmissionResult:
        """Check every level and, only if all pass, charge all of them in one atomic step."""
        ...

    async def peek(self, a: Admission, seeds: Sequence[Decimal] = ()) -> Peek:
        """Judge ``a`` by the rules of :meth:`admit` without charging or reserving anything.

        ``seeds[i]`` is the spend to assume for level ``i`` whose budget counter does not
        exist yet (what :meth:`seed_spent` would restore before a real request)."""
        ...

    async def settle(self, r: Reservation, *, cost: Decimal, tokens: int, now: float) -> None:
        """Release the lease and reservation, add the actual cost; idempotent per request."""
        ...

    async def extend(self, r: Reservation, extra: Decimal, now: float) -> bool:
        """Grow a live reservation by ``extra`` if every budget still has room."""
        ...

    async def spent(self, scope: str, period: str | None) -> Decimal:
        """Settled spend of a budget (zero when the counter does not exist)."""
        ...

    async def seed_spent(self, scope: str, period: str | None, amount: Decimal) -> None:
        """Set a budget's spend only if its counter does not exist yet."""
        ...


@dataclass(frozen=True, slots=True)
class Denial:
    """Which level refused and why; ``in_flight`` when only live reservations block a budget."""

    index: int
    reason: Reason
    in_flight: bool = False


def to_units(amount: Decimal, rounding: str = ROUND_HALF_EVEN) -> int:
    """Dollars as integer units of 1e-10 USD."""
    units = int(amount.scaleb(10).to_integral_value(rounding=rounding))
    if abs(units) > _MAX_UNITS:
        raise ValueError(f"Amount {amount} is beyond the counters' range.")
    return units


def from_units(units: int) -> Decimal:
    """Integer units of 1e-10 USD as dollars."""
    return Decimal(units).scaleb(-10)


def minute_of(now: float) -> int:
    """The epoch-aligned 60 s window containing ``now``."""
    return int(now // WINDOW_S)


def budget_expiry(period: str | None) -> float | None:
    """When a period's counters may be dropped (end plus a grace); None for lifetime budgets."""
    end = period_end(period) if period is not None else None
    return None if end is None else end.timestamp() + BUDGET_GRACE_S


def build_result(
    a: Admission,
    used: Sequence[tuple[int, int]],
    denial: Denial | None,
    reserved_units: int,
) -> AdmissionResult:
    """Assemble the verdict from each level's (requests, tokens) used in the current minute."""
    minute = minute_of(a.now)
    reset = (minute + 1) * WINDOW_S - a.now
    rpm = _tightest([(lv.rpm, u[0]) for lv, u in zip(a.levels, used, strict=True)])
    tpm = _tightest([(lv.tpm, u[1]) for lv, u in zip(a.levels, used, strict=True)])
    requests_limit, requests_left = rpm if rpm else (None, None)
    tokens_limit, tokens_left = tpm if tpm else (None, None)
    scope = reason = retry = reservation = None
    if denial is not None:
        level = a.levels[denial.index]
        scope, reason = level.scope, denial.reason
        retry = _retry_after(denial, level, reset, a.now)
    else:
        held = from_units(reserved_units)
        reservation = Reservation(a.request_id, tuple(a.levels), a.tokens, held, minute)
    return AdmissionResult(
        admitted=denial is None,
        scope=scope,
        reason=reason,
        retry_after=retry,
        limit_requests=requests_limit,
        remaining_requests=requests_left,
        reset_requests_s=reset if rpm else None,
        limit_tokens=tokens_limit,
        remaining_tokens=tokens_left,
        reset_tokens_s=reset if tpm else None,
        reservation=reservation,
    )


def build_peek(a: Admission, usage: Sequence[LevelUsage], denial: Denial | None) -> Peek:
    """The verdict :func:`build_result` would give, without a reservation, and the usage."""
    used = [(u.requests, u.tokens) for u in usage]
    result = build_result(a, used, denial, 0)
    return Peek(replace(result, reservation=None), tuple(usage))


def _tightest(pairs: Sequence[tuple[int | None, int]]) -> tuple[int, int] | None:
    limited = [(limit, max(0, limit - used)) for limit, used in pairs if limit is not None]
    return min(limited, key=lambda p: (p[1], p[0])) if limited else None


def _retry_after(denial: Denial, level: LimitLevel, reset: float, now: float) -> float | None:
    if denial.reason in ("rpm", "tpm"):
        return reset
    if denial.reason == "parallel" or denial.in_flight:
        return 1.0
    end = period_end(level.budget_period) if level.budget_period is not None else None
    return None if end is None else max(0.0, end.timestamp() - now)
