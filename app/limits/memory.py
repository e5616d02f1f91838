"""In-process counters for the embedded default: exact inside one process only.

Every check-and-charge runs without awaiting, so on one event loop it is atomic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from app.limits.counters import (
    PARALLEL_LEASE_S,
    RECORD_TTL_S,
    RESERVATION_LEASE_S,
    WINDOW_S,
    WINDOW_TTL_S,
    Admission,
    AdmissionResult,
    Denial,
    LevelUsage,
    LimitLevel,
    Peek,
    Reservation,
    budget_expiry,
    build_peek,
    build_result,
    from_units,
    minute_of,
    to_units,
)

__all__ = ["MemoryCounterStore"]


class _Leases:
    """Request ids with deadlines; scanned only once the earliest deadline may have passed."""

    __slots__ = ("deadlines", "earliest")

    def __init__(self) -> None:
        self.deadlines: dict[str, float] = {}
        self.earliest = math.inf

    def add(self, request_id: str, deadline: float) -> None:
        self.deadlines[request_id] = deadline
        self.earliest = min(self.earliest, deadline)

    def expire(self, now: float) -> list[str]:
        if now < self.earliest:
            return []
        gone = [rid for rid, deadline in self.deadlines.items() if deadline <= now]
        for rid in gone:
            del self.deadlines[rid]
        self.earliest = min(self.deadlines.values(), default=math.inf)
        return gone


@dataclass(slots=True)
class _Window:
    requests: int = 0
    tokens: int = 0
    expires_at: float = 0.0


@dataclass(slots=True)
class _Budget:
    """One budget period: settled spend (None until written) and per-request holds."""

    expires_at: float | None
    spent: int | None = None
    reserved: int = 0
    holds: dict[str, int] = field(default_factory=dict)
    leases: _Leases = field(default_factory=_Leases)

    def purge(self, now: float) -> None:
        for rid in self.leases.expire(now):
            self.release(rid)

    def release(self, request_id: str) -> None:
        self.reserved -= self.holds.pop(request_id, 0)
        self.leases.deadlines.pop(request_id, None)

    def fits(self, amount: int, limit: int) -> bool:
        return (self.spent or 0) + self.reserved + amount <= limit


class MemoryCounterStore:
    """The :class:`~app.limits.counters.CounterStore` of a single process."""

    def __init__(
        self,
        *,
        parallel_lease_s: float = PARALLEL_LEASE_S,
        reservation_lease_s: float = RESERVATION_LEASE_S,
    ) -> None:
        self._parallel_lease = parallel_lease_s
        self._reservation_lease = reservation_lease_s
        self._windows: dict[tuple[str, int], _Window] = {}
        self._parallel: dict[str, _Leases] = {}
        self._budgets: dict[tuple[str, str | None], _Budget] = {}
        self._live: dict[str, float] = {}
        self._next_sweep = -math.inf

    async def admit(self, a: Admission) -> AdmissionResult:
        """Check every level, then charge every level only if all passed."""
        self._sweep(a.now)
        minute = minute_of(a.now)
        reserve = to_units(a.reserve, ROUND_CEILING)
        used = [self._used(level.scope, minute) for level in a.levels]
        denial = self._check(a, used, reserve)
        if denial is None:
            for level in a.levels:
                self._charge(level, a, minute, reserve)
            self._live[a.request_id] = a.now + RECORD_TTL_S
            used = [self._used(level.scope, minute) for level in a.levels]
        return build_result(a, used, denial, reserve)

    async def peek(self, a: Admission, seeds: Sequence[Decimal] = ()) -> Peek:
        """The verdict :meth:`admit` would give now; charges nothing (expired leases and
        holds are dropped on the way, as any call does)."""
        minute = minute_of(a.now)
        reserve = to_units(a.reserve, ROUND_CEILING)
        units = [to_units(s) for s in seeds]
        used = [self._used(level.scope, minute) for level in a.levels]
        denial = self._check(a, used, reserve, units)
        usage = []
        for level, (requests, tokens) in zip(a.levels, used, strict=True):
            budget = self._budgets.get(_key(level))
            spent = budget.spent if budget is not None else None
            usage.append(
                LevelUsage(
                    requests=requests,
                    tokens=tokens,
                    in_flight=self._in_flight(level.scope, a.now),
                    spent=from_units(spent) if spent is not None else None,
                    reserved=from_units(budget.reserved) if budget is not None else Decimal(0),
                )
            )
        return build_peek(a, usage, denial)

    async def settle(self, r: Reservation, *, cost: Decimal, tokens: int, now: float) -> None:
        """Release leases and holds, add the cost to spend, correct TPM; once per request."""
        if cost < 0 or tokens < 0:
            raise ValueError("Cost and tokens must not be negative.")
        self._sweep(now)
        expires = self._live.pop(r.request_id, None)
        if expires is None or expires <= now:
            return
        units, delta = to_units(cost), tokens - r.tokens
        for level in r.levels:
            window = self._windows.get((level.scope, r.minute))
            if level.tpm is not None and window is not None and window.expires_at > now:
                window.tokens = max(0, window.tokens + delta)
            if level.max_parallel is not None and level.scope in self._parallel:
                self._parallel[level.scope].deadlines.pop(r.request_id, None)
            if level.max_budget is not None:
                budget = self._budget(level.scope, level.budget_period)
                budget.release(r.request_id)
                budget.spent = (budget.spent or 0) + units

    async def extend(self, r: Reservation, extra: Decimal, now: float) -> bool:
        """Grow a live reservation if every budget still has room; refresh its leases."""
        if extra < 0:
            raise ValueError("A reservation can only grow.")
        expires = self._live.get(r.request_id)
        if expires is None or expires <= now:
            return False
        units = to_units(extra, ROUND_CEILING)
        budgets = [
            (self._budgets.get(_key(lv)) or _Budget(None), _limit(lv.max_budget))
            for lv in r.levels
            if lv.max_budget is not None
        ]
        for budget, limit in budgets:
            budget.purge(now)
            if r.request_id not in budget.holds or not budget.fits(units, limit):
                return False
        for budget, _ in budgets:
            budget.holds[r.request_id] += units
            budget.reserved += units
            budget.leases.add(r.request_id, now + self._reservation_lease)
        for level in r.levels:
            leases = self._parallel.get(level.scope)
            if level.max_parallel is not None and leases and r.request_id in leases.deadlines:
                leases.add(r.request_id, now + self._parallel_lease)
        self._live[r.request_id] = now + RECORD_TTL_S
        r.reserved += from_units(units)
        return True

    async def spent(self, scope: str, period: str | None) -> Decimal:
        """Settled spend of a budget period, zero when absent."""
        budget = self._budgets.get((scope, period))
        return from_units(budget.spent or 0) if budget is not None else Decimal(0)

    async def seed_spent(self, scope: str, period: str | None, amount: Decimal) -> None:
        """Restore a period's spend unless the counter already exists."""
        budget = self._budget(scope, period)
        if budget.spent is None:
            budget.spent = to_units(amount)

    def _used(self, scope: str, minute: int) -> tuple[int, int]:
        window = self._windows.get((scope, minute))
        return (window.requests, window.tokens) if window is not None else (0, 0)

    def _check(
        self,
        a: Admission,
        used: list[tuple[int, int]],
        reserve: int,
        seeds: Sequence[int] = (),
    ) -> Denial | None:
        """The first refusal; ``seeds[i]``: level ``i``'s spend when it has no counter."""
        for index, (level, (requests, tokens)) in enumerate(zip(a.levels, used, strict=True)):
            if level.rpm is not None and requests + 1 > level.rpm:
                return Denial(index, "rpm")
            if level.tpm is not None and (tokens >= level.tpm or tokens + a.tokens > level.tpm):
                return Denial(index, "tpm")
            cap = level.max_parallel
            if cap is not None and self._in_flight(level.scope, a.now) >= cap:
                return Denial(index, "parallel")
            if level.max_budget is not None:
                seed = seeds[index] if index < len(seeds) else 0
                budget_denial = self._budget_denial(index, level, a.now, reserve, seed)
                if budget_denial is not None:
                    return budget_denial
        return None

    def _in_flight(self, scope: str, now: float) -> int:
        leases = self._parallel.get(scope)
        if leases is None:
            return 0
        leases.expire(now)
        return len(leases.deadlines)

    def _budget_denial(
        self, index: int, level: LimitLevel, now: float, reserve: int, seed: int = 0
    ) -> Denial | None:
        budget = self._budgets.get(_key(level)) or _Budget(None)
        budget.purge(now)
        limit = _limit(level.max_budget)
        spent = budget.spent if budget.spent is not None else seed
        if spent + budget.reserved + reserve <= limit:
            return None
        return Denial(index, "budget", spent + reserve <= limit)

    def _charge(self, level: LimitLevel, a: Admission, minute: int, reserve: int) -> None:
        if level.rpm is not None or level.tpm is not None:
            window = self._windows.setdefault((level.scope, minute), _Window())
            window.requests += 1
            window.tokens += a.tokens
            window.expires_at = a.now + WINDOW_TTL_S
        if level.max_parallel is not None:
            leases = self._parallel.setdefault(level.scope, _Leases())
            leases.add(a.request_id, a.now + self._parallel_lease)
        if level.max_budget is not None:
            budget = self._budget(level.scope, level.budget_period)
            budget.holds[a.request_id] = budget.holds.get(a.request_id, 0) + reserve
            budget.reserved += reserve
            budget.leases.add(a.request_id, a.now + self._reservation_lease)

    def _budget(self, scope: str, period: str | None) -> _Budget:
        budget = self._budgets.get((scope, period))
        if budget is None:
            budget = self._budgets[(scope, period)] = _Budget(budget_expiry(period))
        return budget

    def _sweep(self, now: float) -> None:
        """Drop expired windows, leases, budget periods and records about once a minute."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + WINDOW_S
        self._windows = {k: w for k, w in self._windows.items() if w.expires_at > now}
        for leases in self._parallel.values():
            leases.expire(now)
        self._parallel = {s: ls for s, ls in self._parallel.items() if ls.deadlines}
        for budget in self._budgets.values():
            budget.purge(now)
        self._budgets = {
            k: b for k, b in self._budgets.items() if b.expires_at is None or b.expires_at > now
        }
        self._live = {rid: t for rid, t in self._live.items() if t > now}


def _key(level: LimitLevel) -> tuple[str, str | None]:
    return level.scope, level.budget_period


def _limit(max_budget: Decimal | None) -> int:
    return to_units(max_budget or Decimal(0), ROUND_FLOOR)
