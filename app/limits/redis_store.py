"""Counters in Redis, shared by every gateway instance: each update is one Lua script.

Key layout (``P`` is the prefix, ``PERIOD`` is empty for a lifetime budget)::

    P rl:<minute>:<scope>       hash  r (requests), t (tokens) of one epoch minute; 2 min TTL
    P par:<scope>               zset  request id -> lease deadline (unix seconds)
    P bud:<PERIOD>:<scope>      hash  spent, reserved, h:<request id> (held per request)
    P bres:<PERIOD>:<scope>     zset  request id -> hold deadline
    P req:<request id>          string, present from admit until settle (1 day TTL)

Money is stored as integer units of 1e-10 USD; the scripts compare it as Lua doubles, exact
up to 2**53 units (about $900,719.93) per counter per period. Above that, comparisons round
to the nearest double (off by well under a millionth of a dollar below $900M); the stored
integers themselves are exact to 2**63 units because Redis does the additions.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from importlib.resources import files
from typing import Any

import redis.asyncio as aioredis

from app.limits.counters import (
    BUDGET_GRACE_S,
    PARALLEL_LEASE_S,
    RECORD_TTL_S,
    RESERVATION_LEASE_S,
    WINDOW_TTL_S,
    Admission,
    AdmissionResult,
    Denial,
    LevelUsage,
    LimitLevel,
    Peek,
    Reason,
    Reservation,
    budget_expiry,
    build_peek,
    build_result,
    from_units,
    minute_of,
    to_units,
)

__all__ = ["RedisCounterStore"]

_REASONS: dict[int, Reason] = {1: "rpm", 2: "tpm", 3: "parallel", 4: "budget"}


def _script(name: str) -> str:
    lua = files("app.limits") / "lua"
    return (lua / "common.lua").read_text() + "\n" + (lua / f"{name}.lua").read_text()


def _ms(seconds: float) -> str:
    return str(max(1, int(seconds * 1000)))


class RedisCounterStore:
    """The :class:`~app.limits.counters.CounterStore` shared across instances through Redis."""

    def __init__(
        self,
        client: aioredis.Redis,
        prefix: str = "deltallm:",
        *,
        parallel_lease_s: float = PARALLEL_LEASE_S,
        reservation_lease_s: float = RESERVATION_LEASE_S,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._parallel_lease = parallel_lease_s
        self._reservation_lease = reservation_lease_s
        self._admit = client.register_script(_script("admit"))
        self._settle = client.register_script(_script("settle"))
        self._extend = client.register_script(_script("extend"))
        self._seed = client.register_script(_script("seed"))
        self._peek = client.register_script(_script("peek"))

    @property
    def client(self) -> aioredis.Redis:
        return self._client

    async def admit(self, a: Admission) -> AdmissionResult:
        """Check and charge every level in one script (one round trip)."""
        minute = minute_of(a.now)
        reserve = to_units(a.reserve, ROUND_CEILING)
        args: list[Any] = [
            repr(a.now),
            a.request_id,
            a.tokens,
            reserve,
            repr(a.now + self._parallel_lease),
            repr(a.now + self._reservation_lease),
            _ms(RECORD_TTL_S),
            _ms(WINDOW_TTL_S),
            _ms(self._parallel_lease),
            len(a.levels),
        ]
        for level in a.levels:
            args += [
                _limit(level.rpm),
                _limit(level.tpm),
                _limit(level.max_parallel),
                _budget_limit(level),
                _budget_ttl(level.budget_period, a.now),
            ]
        reply = await self._admit(keys=self._keys(a.request_id, a.levels, minute), args=args)
        values = [int(v) for v in reply]
        used = [(values[4 + 2 * i], values[5 + 2 * i]) for i in range(len(a.levels))]
        denial = None
        if not values[0]:
            denial = Denial(values[1] - 1, _REASONS[values[2]], bool(values[3]))
        return build_result(a, used, denial, reserve)

    async def peek(self, a: Admission, seeds: Sequence[Decimal] = ()) -> Peek:
        """The verdict :meth:`admit` would give now, from one read-only script."""
        reserve = to_units(a.reserve, ROUND_CEILING)
        args: list[Any] = [repr(a.now), a.tokens, reserve, len(a.levels)]
        for index, level in enumerate(a.levels):
            seed = to_units(seeds[index]) if index < len(seeds) else 0
            args += [
                _limit(level.rpm),
                _limit(level.tpm),
                _limit(level.max_parallel),
                _budget_limit(level),
                seed,
            ]
        keys = self._keys(a.request_id, a.levels, minute_of(a.now))[1:]
        values = [int(v) for v in await self._peek(keys=keys, args=args)]
        usage = []
        for i in range(len(a.levels)):
            requests, tokens, in_flight, spent, reserved = values[3 + 5 * i : 8 + 5 * i]
            usage.append(
                LevelUsage(
                    requests=requests,
                    tokens=tokens,
                    in_flight=in_flight,
                    spent=from_units(spent) if spent >= 0 else None,
                    reserved=from_units(reserved),
                )
            )
        denial = Denial(values[0] - 1, _REASONS[values[1]], bool(values[2])) if values[0] else None
        return build_peek(a, usage, denial)

    async def settle(self, r: Reservation, *, cost: Decimal, tokens: int, now: float) -> None:
        """Release leases and holds, add the cost, correct TPM: once per request id."""
        keys, args = self._settle_call(r, cost=cost, tokens=tokens, now=now)
        await self._settle(keys=keys, args=args)

    def settle_command(
        self, r: Reservation, *, cost: Decimal, tokens: int, now: float
    ) -> tuple[Any, ...]:
        """The ``EVALSHA`` arguments of :meth:`settle`, for a caller that pipelines it with
        other commands (the caller handles ``NOSCRIPT`` by calling :meth:`settle`)."""
        keys, args = self._settle_call(r, cost=cost, tokens=tokens, now=now)
        return (self._settle.sha, len(keys), *keys, *args)

    def _settle_call(
        self, r: Reservation, *, cost: Decimal, tokens: int, now: float
    ) -> tuple[list[str], list[Any]]:
        if cost < 0 or tokens < 0:
            raise ValueError("Cost and tokens must not be negative.")
        args: list[Any] = [r.request_id, to_units(cost), tokens - r.tokens, len(r.levels)]
        for level in r.levels:
            has_budget = level.max_budget is not None
            args += [
                int(level.tpm is not None),
                int(level.max_parallel is not None),
                _budget_ttl(level.budget_period, now) if has_budget else -1,
            ]
        return self._keys(r.request_id, r.levels, r.minute), args

    async def extend(self, r: Reservation, extra: Decimal, now: float) -> bool:
        """Grow a live reservation if every budget still has room; refresh its leases."""
        if extra < 0:
            raise ValueError("A reservation can only grow.")
        units = to_units(extra, ROUND_CEILING)
        args: list[Any] = [
            repr(now),
            r.request_id,
            units,
            repr(now + self._parallel_lease),
            repr(now + self._reservation_lease),
            len(r.levels),
            _ms(RECORD_TTL_S),
            _ms(self._parallel_lease),
        ]
        for level in r.levels:
            args += [
                int(level.max_parallel is not None),
                _budget_limit(level),
                _budget_ttl(level.budget_period, now),
            ]
        keys = self._keys(r.request_id, r.levels, r.minute)
        grown = bool(int(await self._extend(keys=keys, args=args)))
        if grown:
            r.reserved += from_units(units)
        return grown

    async def spent(self, scope: str, period: str | None) -> Decimal:
        """Settled spend of a budget period, zero when absent."""
        value = await self._client.hget(self._budget_key(scope, period), "spent")
        return from_units(int(value)) if value is not None else Decimal(0)

    async def seed_spent(self, scope: str, period: str | None, amount: Decimal) -> None:
        """Restore a period's spend unless the counter already exists."""
        ttl = _budget_ttl(period, time.time())
        await self._seed(keys=[self._budget_key(scope, period)], args=[to_units(amount), ttl])

    def _budget_key(self, scope: str, period: str | None) -> str:
        return f"{self._prefix}bud:{period or ''}:{scope}"

    def _keys(self, request_id: str, levels: Sequence[LimitLevel], minute: int) -> list[str]:
        p = self._prefix
        keys = [f"{p}req:{request_id}"]
        for level in levels:
            scope, period = level.scope, level.budget_period or ""
            keys += [
                f"{p}rl:{minute}:{scope}",
                f"{p}par:{scope}",
                f"{p}bud:{period}:{scope}",
                f"{p}bres:{period}:{scope}",
            ]
        return keys


def _limit(value: int | None) -> int:
    return -1 if value is None else value


def _budget_limit(level: LimitLevel) -> int:
    return -1 if level.max_budget is None else to_units(level.max_budget, ROUND_FLOOR)


def _budget_ttl(period: str | None, now: float) -> str:
    """Milliseconds a budget period's keys should live ("0": forever)."""
    expiry = budget_expiry(period)
    return "0" if expiry is None else _ms(max(expiry - now, BUDGET_GRACE_S))
