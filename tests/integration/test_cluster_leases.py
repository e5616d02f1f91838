"""Leases in Redis and in the database, and jobs that run once per cluster under them."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.cluster.jobs import LeasedJob
from app.cluster.lease import DatabaseLeases, LeaseStore, RedisLeases

REDIS_URL = os.environ.get("DELTALLM_TEST_REDIS_URL")
Sessions = async_sessionmaker[AsyncSession]


class Stores:
    """Lease stores of several instances sharing one Redis or one database."""

    def __init__(self, kind: str, sessions: Sessions) -> None:
        self.kind = kind
        self.sessions = sessions
        self.prefix = f"deltallm-test:{uuid.uuid4().hex}:"
        self.clients: list[aioredis.Redis] = []

    def instance(self) -> LeaseStore:
        if self.kind == "database":
            return DatabaseLeases(self.sessions)
        assert REDIS_URL is not None
        self.clients.append(aioredis.Redis.from_url(REDIS_URL))
        return RedisLeases(self.clients[-1], prefix=self.prefix)

    async def close(self) -> None:
        for client in self.clients:
            await client.delete(
                *[k async for k in client.scan_iter(match=f"{self.prefix}*")] or ["-"]
            )
            await client.aclose()


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
async def stores(request: pytest.FixtureRequest, sessions: Sessions) -> AsyncIterator[Stores]:
    if request.param == "redis" and not REDIS_URL:
        pytest.skip("DELTALLM_TEST_REDIS_URL is not set")
    stores = Stores(request.param, sessions)
    try:
        yield stores
    finally:
        await stores.close()


async def until(condition: Callable[[], Awaitable[bool] | bool], seconds: float = 10.0) -> None:
    """Poll ``condition`` until it holds; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        outcome = condition()
        if outcome if isinstance(outcome, bool) else await outcome:
            return
        assert time.monotonic() < deadline, "condition not met before the deadline"
        await asyncio.sleep(0.02)


async def test_one_of_many_concurrent_takers_gets_the_lease(stores: Stores) -> None:
    instances = [stores.instance() for _ in range(8)]
    won = await asyncio.gather(*(s.acquire("job", f"h{i}", 30) for i, s in enumerate(instances)))
    assert sum(won) == 1
    holder = f"h{won.index(True)}"
    assert not await instances[0].acquire("job", holder, 30)  # held, even by its holder
    assert 29 < await instances[1].remaining("job") <= 30
    assert await instances[2].acquire("another job", "h0", 30)  # leases are per name


async def test_only_the_holder_renews_or_releases(stores: Stores) -> None:
    first, second = stores.instance(), stores.instance()
    assert await first.acquire("job", "a", 30)
    assert not await second.renew("job", "b", 60)
    assert not await second.release("job", "b")
    assert await first.renew("job", "a", 60)
    assert 59 < await second.remaining("job") <= 60
    assert await first.release("job", "a")
    assert await second.remaining("job") == 0
    assert not await first.renew("job", "a", 60)  # released: nothing to renew
    assert await second.acquire("job", "b", 30)


async def test_an_expired_lease_goes_to_the_next_taker(stores: Stores) -> None:
    first, second = stores.instance(), stores.instance()
    assert await first.acquire("job", "a", 0.2)
    assert not await second.acquire("job", "b", 30)
    await until(lambda: second.acquire("job", "b", 30))
    assert not await first.renew("job", "a", 30)
    assert not await first.release("job", "a")
    assert await second.remaining("job") > 29


async def test_a_job_runs_once_per_interval_across_instances(stores: Stores) -> None:
    interval = 0.5
    running: list[str] = []
    starts: list[float] = []
    overlaps = 0

    def work(name: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            nonlocal overlaps
            overlaps += bool(running)
            running.append(name)
            starts.append(time.monotonic())
            await asyncio.sleep(0.05)
            running.remove(name)

        return run

    jobs = [LeasedJob("tick", work(f"i{i}"), interval, stores.instance()) for i in range(3)]
    began = time.monotonic()
    for job in jobs:
        await job.start()
    try:
        await until(lambda: sum(j.runs for j in jobs) >= 5, seconds=30)
        elapsed = time.monotonic() - began
        assert sum(j.runs for j in jobs) <= elapsed / interval + 1
        assert overlaps == 0
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        assert min(gaps) > interval / 2  # never two runs in one interval
        # The instance that ran last stops; the others carry on.
        last = max((j for j in jobs if j.last_started), key=lambda j: j.last_started or 0)
        await last.stop()
        others = [j for j in jobs if j is not last]
        before = sum(j.runs for j in others)
        await until(lambda: sum(j.runs for j in others) >= before + 2, seconds=30)
    finally:
        for job in jobs:
            await job.stop()


async def test_a_long_run_keeps_its_lease_and_a_stopped_run_releases_it(stores: Stores) -> None:
    interval = 0.3
    release = asyncio.Event()
    ran: list[str] = []

    def work(name: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            ran.append(name)
            await release.wait()

        return run

    first = LeasedJob("long", work("first"), interval, stores.instance(), holder="first")
    second = LeasedJob("long", work("second"), interval, stores.instance(), holder="second")
    await first.start()
    await until(lambda: ran == ["first"])
    await second.start()
    try:
        # Ten intervals later the first run still holds the lease (renewed while it runs).
        await asyncio.sleep(interval * 10)
        assert ran == ["first"]
        await second.stop()
        await first.stop()  # cancelled mid-run: the lease is released at once
        assert await stores.instance().remaining("long") == 0
        await second.start()
        await until(lambda: ran == ["first", "second"], seconds=5)
    finally:
        release.set()
        await first.stop()
        await second.stop()


async def test_a_run_that_loses_its_lease_is_cancelled(stores: Stores) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def run() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    store, thief = stores.instance(), stores.instance()
    job = LeasedJob("stolen", run, 0.3, store, holder="owner")
    await job.start()
    try:
        await asyncio.wait_for(started.wait(), 10)
        assert await store.release("stolen", "owner")  # as if it had expired
        assert await thief.acquire("stolen", "thief", 60)
        await asyncio.wait_for(cancelled.wait(), 10)
    finally:
        await job.stop()


async def test_when_the_holder_dies_mid_run_another_takes_over_after_the_lease(
    stores: Stores,
) -> None:
    interval = 0.6
    ran: list[str] = []
    hold = asyncio.Event()

    def work(name: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            ran.append(name)
            await hold.wait()

        return run

    first = LeasedJob("crash", work("first"), interval, stores.instance(), holder="first")
    second = LeasedJob("crash", work("second"), interval, stores.instance(), holder="second")
    await first.start()
    await until(lambda: ran == ["first"])
    await second.start()
    try:
        assert first._task is not None
        first._task.cancel()  # dies: its lease is neither renewed nor released
        died = time.monotonic()
        await until(lambda: ran == ["first", "second"])
        # The last renewal was at most a third of an interval before it died.
        assert time.monotonic() - died > interval / 3
    finally:
        hold.set()
        await first.stop()
        await second.stop()


class Counted:
    """A lease store that counts the attempts to take a lease."""

    def __init__(self, store: LeaseStore) -> None:
        self.store = store
        self.attempts = 0

    async def acquire(self, name: str, holder: str, ttl: float) -> bool:
        self.attempts += 1
        return await self.store.acquire(name, holder, ttl)

    async def renew(self, name: str, holder: str, ttl: float) -> bool:
        return await self.store.renew(name, holder, ttl)

    async def release(self, name: str, holder: str) -> bool:
        return await self.store.release(name, holder)

    async def remaining(self, name: str) -> float:
        return await self.store.remaining(name)


async def test_a_lease_store_out_of_reach_skips_runs_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = aioredis.Redis.from_url("redis://127.0.0.1:1/0")  # nothing listens there
    store = Counted(RedisLeases(client))
    ran: list[bool] = []

    async def run() -> None:
        ran.append(True)

    job = LeasedJob("unreachable", run, 0.05, store)
    try:
        with caplog.at_level("WARNING", logger="deltallm.cluster"):
            await job.start()
            await until(lambda: store.attempts >= 4)
            await job.stop()
        assert ran == [] and job.runs == 0
        warnings = [r for r in caplog.records if r.name == "deltallm.cluster"]
        assert len(warnings) == 1 and "cannot be reached" in warnings[0].getMessage()
    finally:
        await job.stop()
        await client.aclose()
