"""One conformance suite for every counter store: in-process memory and Redis.

The Redis cases need a real server at ``DELTALLM_TEST_REDIS_URL``; each test uses its own
key prefix so tests can share one server.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import redis.asyncio as aioredis

from app.limits import (
    Admission,
    AdmissionResult,
    CounterStore,
    LimitLevel,
    MemoryCounterStore,
    RedisCounterStore,
    Reservation,
    parse_duration,
)

REDIS_URL = os.environ.get("DELTALLM_TEST_REDIS_URL")
NO_REDIS = "DELTALLM_TEST_REDIS_URL is not set; e.g. redis://127.0.0.1:6379/0 runs the Redis store"
T0 = 60.0 * 29_833_334  # a minute boundary in 2026-09
MONTH = parse_duration("1mo")
P1 = MONTH.window(datetime.fromtimestamp(T0, UTC))[0]
ONE = Decimal(1)
P2 = MONTH.window(datetime(2026, 10, 1, tzinfo=UTC))[0]


class Backend:
    """A store under test, and more instances of it sharing the same state."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.prefix = f"deltallm-test:{uuid.uuid4().hex}:"
        self.clients: list[aioredis.Redis] = []
        self.memory = MemoryCounterStore()
        self.store = self.instance()

    def instance(self) -> CounterStore:
        """Another gateway instance: a new Redis client, or the one process's memory."""
        if self.kind == "memory":
            return self.memory
        assert REDIS_URL is not None
        pool = aioredis.BlockingConnectionPool.from_url(REDIS_URL, max_connections=32, timeout=10)
        self.clients.append(aioredis.Redis.from_pool(pool))
        return RedisCounterStore(self.clients[-1], prefix=self.prefix)

    async def close(self) -> None:
        if self.clients:
            keys = [key async for key in self.clients[0].scan_iter(match=f"{self.prefix}*")]
            if keys:
                await self.clients[0].delete(*keys)
        for client in self.clients:
            await client.aclose()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "redis" and not REDIS_URL:
        pytest.skip(NO_REDIS)
    backend = Backend(request.param)
    try:
        yield backend
    finally:
        await backend.close()


@pytest.fixture
def store(backend: Backend) -> CounterStore:
    return backend.store


def admission(
    *levels: LimitLevel, rid: str | None = None, tokens: int = 0, reserve: str = "0", at: float = 0
) -> Admission:
    return Admission(rid or uuid.uuid4().hex, levels, tokens, Decimal(reserve), T0 + at)


def held(result: AdmissionResult) -> Reservation:
    assert result.admitted, result
    assert result.reservation is not None
    return result.reservation


async def settle(store: CounterStore, r: Reservation, cost: str = "0", tokens: int = 0) -> None:
    await store.settle(r, cost=Decimal(cost), tokens=tokens, now=T0 + 1)


def budget(scope: str, amount: str, period: str | None = P1) -> LimitLevel:
    return LimitLevel(scope, max_budget=Decimal(amount), budget_period=period)


async def test_rpm(store: CounterStore) -> None:
    key = LimitLevel("key:a", rpm=2)
    assert (await store.admit(admission(key, at=10))).remaining_requests == 1
    assert (await store.admit(admission(key, at=11))).remaining_requests == 0
    denied = await store.admit(admission(key, at=15))
    assert (denied.admitted, denied.scope, denied.reason) == (False, "key:a", "rpm")
    assert denied.retry_after == 45.0
    assert denied.reservation is None


async def test_tpm(store: CounterStore) -> None:
    key = LimitLevel("key:a", tpm=100)
    assert (await store.admit(admission(key, tokens=60))).remaining_tokens == 40
    denied = await store.admit(admission(key, tokens=50, at=20))
    assert (denied.reason, denied.retry_after, denied.remaining_tokens) == ("tpm", 40.0, 40)
    assert (await store.admit(admission(key, tokens=40))).remaining_tokens == 0
    assert (await store.admit(admission(key, tokens=0))).reason == "tpm"


async def test_parallel_leases_released_by_settle(store: CounterStore) -> None:
    key = LimitLevel("key:a", max_parallel=2)
    first = held(await store.admit(admission(key)))
    held(await store.admit(admission(key)))
    denied = await store.admit(admission(key))
    assert (denied.reason, denied.retry_after) == ("parallel", 1.0)
    await settle(store, first)
    held(await store.admit(admission(key)))
    assert (await store.admit(admission(LimitLevel("key:b", max_parallel=0)))).reason == "parallel"


async def test_parallel_leases_expire(store: CounterStore) -> None:
    key = LimitLevel("key:a", max_parallel=1)
    held(await store.admit(admission(key)))
    assert (await store.admit(admission(key, at=599))).reason == "parallel"
    held(await store.admit(admission(key, at=600)))


@pytest.mark.parametrize(
    ("org", "reason"),
    [
        (LimitLevel("org:o", rpm=0), "rpm"),
        (LimitLevel("org:o", tpm=5), "tpm"),
        (LimitLevel("org:o", max_parallel=0), "parallel"),
        (budget("org:o", "0.5"), "budget"),
    ],
)
async def test_denial_at_an_outer_level_leaves_no_charge(
    store: CounterStore, org: LimitLevel, reason: str
) -> None:
    key = LimitLevel(
        "key:k", rpm=1, tpm=10, max_parallel=1, max_budget=Decimal(1), budget_period=P1
    )
    team = budget("team:t", "1", None)
    denied = await store.admit(admission(key, team, org, tokens=10, reserve="1"))
    assert (denied.admitted, denied.scope, denied.reason) == (False, "org:o", reason)
    assert denied.remaining_requests == (0 if reason == "rpm" else 1)
    again = await store.admit(admission(key, team, tokens=10, reserve="1"))
    assert (again.remaining_requests, again.remaining_tokens) == (0, 0)
    await settle(store, held(again), cost="1")
    assert await store.spent("key:k", P1) == await store.spent("team:t", None) == 1
    assert await store.spent("org:o", P1) == 0


async def test_levels_report_the_first_refusal(store: CounterStore) -> None:
    levels = (LimitLevel("key:k", rpm=5), LimitLevel("team:t", rpm=0), LimitLevel("org:o", rpm=0))
    assert (await store.admit(admission(*levels))).scope == "team:t"


async def test_window_rollover(store: CounterStore) -> None:
    key = LimitLevel("key:a", rpm=1, tpm=10)
    held(await store.admit(admission(key, tokens=10, at=59.5)))
    denied = await store.admit(admission(key, at=59.75))
    assert (denied.reason, denied.retry_after) == ("rpm", 0.25)
    fresh = await store.admit(admission(key, tokens=4, at=60))
    assert (fresh.remaining_requests, fresh.remaining_tokens, fresh.reset_tokens_s) == (0, 6, 60)


async def test_tpm_adjusted_at_settle(store: CounterStore) -> None:
    key = LimitLevel("key:a", tpm=100)
    over = held(await store.admit(admission(key, tokens=50)))
    await settle(store, over, tokens=80)
    assert (await store.admit(admission(key, tokens=21))).reason == "tpm"
    under = held(await store.admit(admission(key, tokens=20)))
    await settle(store, under, tokens=0)
    assert (await store.admit(admission(key))).remaining_tokens == 20


async def test_tpm_settles_into_the_window_it_was_charged_to(store: CounterStore) -> None:
    key = LimitLevel("key:a", tpm=100)
    r = held(await store.admit(admission(key, tokens=30, at=50)))
    await store.settle(r, cost=Decimal(0), tokens=90, now=T0 + 70)
    assert (await store.admit(admission(key, at=70))).remaining_tokens == 100
    assert (await store.admit(admission(key, at=59))).remaining_tokens == 10


async def test_budget_reserves_then_settles_to_actual_cost(store: CounterStore) -> None:
    key = budget("key:a", "1.00")
    first = held(await store.admit(admission(key, reserve="0.40")))
    assert first.reserved == Decimal("0.4")
    held(await store.admit(admission(key, reserve="0.40")))
    denied = await store.admit(admission(key, reserve="0.40"))
    assert (denied.reason, denied.retry_after) == ("budget", 1.0)
    await settle(store, first, cost="0.10")
    assert await store.spent("key:a", P1) == Decimal("0.10")
    held(await store.admit(admission(key, reserve="0.50")))
    assert (await store.admit(admission(key, reserve="0.0000000001"))).reason == "budget"


async def test_reservations_expire_but_their_cost_still_counts(store: CounterStore) -> None:
    key = budget("key:a", "1")
    crashed = held(await store.admit(admission(key, reserve="1")))
    assert (await store.admit(admission(key, reserve="0.1", at=899))).retry_after == 1.0
    late = held(await store.admit(admission(key, reserve="0.6", at=900)))
    await store.settle(crashed, cost=Decimal("0.3"), tokens=0, now=T0 + 950)
    assert await store.spent("key:a", P1) == Decimal("0.3")
    assert (await store.admit(admission(key, reserve="0.2", at=951))).reason == "budget"
    await settle(store, late, cost="0.6")


async def test_lifetime_and_period_budgets(store: CounterStore) -> None:
    monthly, lifetime = budget("key:m", "1", P1), budget("key:l", "1", None)
    for level in (monthly, lifetime):
        await settle(store, held(await store.admit(admission(level, reserve="1"))), cost="1")
    spent_out = await store.admit(admission(monthly, reserve="0.01", at=60))
    end = MONTH.window(datetime.fromtimestamp(T0, UTC))[2].timestamp()
    assert (spent_out.reason, spent_out.retry_after) == ("budget", end - T0 - 60)
    assert (await store.admit(admission(lifetime, reserve="0.01"))).retry_after is None
    next_month = budget("key:m", "1", P2)
    assert await store.spent("key:m", P2) == 0
    held(await store.admit(admission(next_month, reserve="1", at=end - T0)))
    assert (await store.spent("key:m", P1), await store.spent("key:l", None)) == (ONE, ONE)
    assert await store.spent("key:l", P1) == 0


async def test_settle_is_idempotent(store: CounterStore) -> None:
    key = LimitLevel("key:a", tpm=100, max_parallel=2, max_budget=Decimal("1"), budget_period=None)
    first = held(await store.admit(admission(key, tokens=50, reserve="0.5")))
    second = held(await store.admit(admission(key, tokens=10, reserve="0.5")))
    for _ in range(2):
        await settle(store, first, cost="0.25", tokens=20)
    assert await store.spent("key:a", None) == Decimal("0.25")
    check = await store.admit(admission(key, reserve="0.25"))
    assert (check.admitted, check.remaining_tokens) == (True, 70)
    assert (await store.admit(admission(key))).reason == "parallel"
    assert not await store.extend(first, Decimal(0), T0 + 2)
    await settle(store, second, cost="0.5")
    assert await store.spent("key:a", None) == Decimal("0.75")


async def test_extend(store: CounterStore) -> None:
    key = LimitLevel("key:a", max_parallel=1, max_budget=Decimal("1"), budget_period=P1)
    r = held(await store.admit(admission(key, reserve="0.4")))
    assert await store.extend(r, Decimal("0.5"), T0 + 800)
    assert r.reserved == Decimal("0.9")
    assert not await store.extend(r, Decimal("0.2"), T0 + 801)
    assert (await store.admit(admission(key, at=1000))).reason == "parallel"
    denied = await store.admit(admission(budget("key:a", "1"), reserve="0.2", at=1000))
    assert (denied.reason, denied.retry_after) == ("budget", 1.0)
    await store.settle(r, cost=Decimal("0.7"), tokens=0, now=T0 + 1001)
    assert not await store.extend(r, Decimal(0), T0 + 1002)
    assert await store.spent("key:a", P1) == Decimal("0.7")


async def test_extend_fails_once_the_hold_has_expired(store: CounterStore) -> None:
    r = held(await store.admit(admission(budget("key:a", "1"), reserve="0.1")))
    assert not await store.extend(r, Decimal("0.1"), T0 + 900)
    unlimited = held(await store.admit(admission(LimitLevel("key:b"))))
    assert await store.extend(unlimited, Decimal("5"), T0 + 1)


async def test_seed_spent_only_when_absent(store: CounterStore) -> None:
    await store.seed_spent("team:t", P1, Decimal("5.5"))
    await store.seed_spent("team:t", P1, Decimal("7"))
    assert await store.spent("team:t", P1) == Decimal("5.5")
    assert (await store.admit(admission(budget("team:t", "6"), reserve="0.6"))).reason == "budget"
    settled = held(await store.admit(admission(budget("team:u", "6"), reserve="1")))
    await settle(store, settled, cost="2")
    await store.seed_spent("team:u", P1, Decimal("3"))
    assert await store.spent("team:u", P1) == 2


async def test_header_figures_come_from_the_tightest_levels(store: CounterStore) -> None:
    levels = (
        LimitLevel("key:k", rpm=10, tpm=1000),
        LimitLevel("team:t", rpm=5),
        LimitLevel("org:o", tpm=5000),
    )
    result = await store.admit(admission(*levels, tokens=300, at=12.5))
    assert (result.limit_requests, result.remaining_requests, result.reset_requests_s) == (
        5,
        4,
        47.5,
    )
    assert (result.limit_tokens, result.remaining_tokens, result.reset_tokens_s) == (
        1000,
        700,
        47.5,
    )
    bare = await store.admit(admission(budget("key:x", "1")))
    assert (bare.limit_requests, bare.remaining_tokens, bare.reset_tokens_s) == (None, None, None)


async def test_money_is_exact_up_to_the_ceiling(store: CounterStore) -> None:
    key = budget("key:big", "900000")
    held(await store.admit(admission(key, reserve="899999.9999999999")))
    held(await store.admit(admission(key, reserve="0.0000000001")))
    assert (await store.admit(admission(key, reserve="0.0000000001"))).reason == "budget"


@pytest.mark.parametrize("instances", [1, 2])
async def test_concurrent_admits_fill_a_budget_exactly(backend: Backend, instances: int) -> None:
    stores = [backend.store] + [backend.instance() for _ in range(instances - 1)]
    level = LimitLevel("team:t", rpm=1000, max_budget=Decimal("1.00"), budget_period=P1)
    tries = [
        stores[i % instances].admit(admission(level, rid=f"r{i}", reserve="0.05"))
        for i in range(200)
    ]
    results = await asyncio.gather(*tries)
    admitted = [held(r) for r in results if r.admitted]
    assert len(admitted) == 20
    assert {r.reason for r in results if not r.admitted} == {"budget"}
    costs = [Decimal(i + 1) / 1000 + Decimal("0.0000000007") for i in range(20)]
    settles = [
        stores[i % instances].settle(r, cost=c, tokens=0, now=T0 + 1)
        for i, (r, c) in enumerate(zip(admitted, costs, strict=True))
    ]
    await asyncio.gather(*settles)
    assert await stores[-1].spent("team:t", P1) == sum(costs) == Decimal("0.2100000140")


@pytest.mark.parametrize(
    ("org", "reason"),
    [
        (LimitLevel("org:o", rpm=1), "rpm"),
        (LimitLevel("org:o", tpm=15), "tpm"),
        (LimitLevel("org:o", max_parallel=1), "parallel"),
        (budget("org:o", "1.5"), "budget"),
    ],
)
async def test_peek_refuses_where_admit_would_and_charges_nothing(
    store: CounterStore, org: LimitLevel, reason: str
) -> None:
    key = LimitLevel("key:k", rpm=10, tpm=100, max_parallel=5)
    held(await store.admit(admission(key, org, tokens=10, reserve="1", at=1)))
    looked = await store.peek(admission(key, org, tokens=10, reserve="1", at=2))
    assert (looked.result.admitted, looked.result.scope, looked.result.reason) == (
        False,
        "org:o",
        reason,
    )
    assert looked.result.reservation is None
    assert (looked.usage[0].requests, looked.usage[0].tokens, looked.usage[0].in_flight) == (
        1,
        10,
        1,
    )
    for _ in range(3):  # peeking again and again leaves every counter as it was
        again = await store.peek(admission(key, org, tokens=10, reserve="1", at=3))
        assert again.usage == looked.usage and again.result.reason == reason
    denied = await store.admit(admission(key, org, tokens=10, reserve="1", at=4))
    assert (denied.scope, denied.reason) == ("org:o", reason)


async def test_peek_reports_usage_and_admits_what_fits(store: CounterStore) -> None:
    key = LimitLevel("key:k", rpm=3, tpm=100, max_parallel=2)
    team = budget("team:t", "2")
    first = held(await store.admit(admission(key, team, tokens=30, reserve="0.5", at=1)))
    await settle(store, first, cost="0.25", tokens=40)
    held(await store.admit(admission(key, team, tokens=20, reserve="0.5", at=2)))
    looked = await store.peek(admission(key, team, tokens=10, reserve="1", at=3))
    assert looked.result.admitted and looked.result.reservation is None
    assert looked.result.remaining_requests == 1 and looked.result.remaining_tokens == 40
    assert looked.usage[0].requests == 2 and looked.usage[0].tokens == 60
    assert looked.usage[0].in_flight == 1
    assert looked.usage[1].spent == Decimal("0.25") and looked.usage[1].reserved == Decimal("0.5")
    assert (await store.peek(admission(key, team, reserve="1.26", at=3))).result.reason == "budget"
    assert await store.spent("team:t", P1) == Decimal("0.25")


async def test_peek_drops_expired_holds_and_leases_without_writing(store: CounterStore) -> None:
    key = LimitLevel("key:k", max_parallel=1, max_budget=ONE, budget_period=P1)
    held(await store.admit(admission(key, reserve="1")))
    assert (await store.peek(admission(key, reserve="0.1", at=10))).result.reason == "parallel"
    late = await store.peek(admission(key, reserve="1", at=901))  # lease and hold expired
    assert late.result.admitted
    assert (late.usage[0].in_flight, late.usage[0].reserved) == (0, 0)


async def test_peek_assumes_the_seed_where_no_counter_exists(store: CounterStore) -> None:
    key = budget("key:s", "1")
    fresh = await store.peek(admission(key, reserve="0.5"), seeds=[Decimal("0.6")])
    assert fresh.result.reason == "budget" and fresh.usage[0].spent is None
    assert (await store.peek(admission(key, reserve="0.5"))).result.admitted
    await store.seed_spent("key:s", P1, Decimal("0.2"))
    seeded = await store.peek(admission(key, reserve="0.5"), seeds=[Decimal("0.6")])
    assert seeded.result.admitted and seeded.usage[0].spent == Decimal("0.2")
