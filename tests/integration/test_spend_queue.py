"""Spend queues: the in-process buffer, and the Redis stream that survives a crashed instance.

The Redis cases need ``DELTALLM_TEST_REDIS_URL`` (e.g. redis://127.0.0.1:6379/0); each test
uses its own stream and group and deletes the stream afterwards.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from sqlalchemy.exc import OperationalError
from sqlmodel import func, select

from app.db.engine import create_engine, session_factory
from app.spend.models import DailySpend, SpendLog
from app.spend.queue import MemorySpendQueue
from app.spend.records import SpendRecord
from app.spend.redis_queue import RedisSpendQueue
from app.spend.writer import SpendWriter
from tests.support.db import fresh_database
from tests.support.process import free_port
from tests.support.spend_crash_worker import BATCH, crash_records

REDIS_URL = os.environ.get("DELTALLM_TEST_REDIS_URL")
ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def record(i: int, cost: str = "0.001") -> SpendRecord:
    return SpendRecord(
        request_id=f"req-{uuid.uuid4().hex}-{i}",
        model_group="gpt-4o",
        cost=Decimal(cost),
        started_at=T0,
        ended_at=T0,
    )


class Sink:
    """Records batches; fails the first ``failures`` writes as an unreachable database would."""

    def __init__(self, failures: int = 0) -> None:
        self.batches: list[list[SpendRecord]] = []
        self.failures = failures

    async def write(self, records: Sequence[SpendRecord]) -> int:
        if self.failures:
            self.failures -= 1
            raise OperationalError("INSERT", {}, ConnectionRefusedError("database is down"))
        self.batches.append(list(records))
        return len(records)

    @property
    def ids(self) -> list[str]:
        return [r.request_id for batch in self.batches for r in batch]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


async def test_memory_queue_flushes_on_interval() -> None:
    sink = Sink()
    queue = MemorySpendQueue(sink, interval=0.05)
    await queue.start()
    records = [record(i) for i in range(3)]
    for r in records:
        await queue.put(r)

    async def written() -> bool:
        return len(sink.ids) == 3

    await eventually(written, timeout=2)
    await queue.stop()
    assert sink.ids == [r.request_id for r in records]


async def test_memory_queue_flushes_early_when_a_batch_is_full() -> None:
    sink = Sink()
    queue = MemorySpendQueue(sink, interval=60, batch_size=10)
    await queue.start()
    for i in range(25):
        await queue.put(record(i))

    async def two_batches() -> bool:
        return len(sink.batches) >= 2

    await eventually(two_batches, timeout=2)
    assert [len(b) for b in sink.batches[:2]] == [10, 10]
    await queue.stop()
    assert len(sink.ids) == 25 and len(queue) == 0


async def test_memory_queue_stop_flushes_everything() -> None:
    sink = Sink()
    queue = MemorySpendQueue(sink, interval=60)
    await queue.start()
    for i in range(5):
        await queue.put(record(i))
    await queue.stop()
    assert len(sink.ids) == 5


async def test_memory_queue_keeps_records_while_the_database_is_down() -> None:
    sink = Sink(failures=3)
    queue = MemorySpendQueue(sink, interval=0.02)
    await queue.start()
    for i in range(4):
        await queue.put(record(i))

    async def written() -> bool:
        return len(sink.ids) == 4

    await eventually(written, timeout=5)
    await queue.stop()
    assert sink.failures == 0


async def test_bad_records_are_isolated_and_the_rest_written(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with fresh_database() as url:
        engine = create_engine(url)
        try:
            sessions = session_factory(engine)
            queue = MemorySpendQueue(SpendWriter(sessions), interval=60)
            good = [record(i) for i in range(6)]
            bad = record(99, cost="1e12")  # beyond what a money column holds
            for r in [*good[:3], bad, *good[3:]]:
                await queue.put(r)
            await queue.start()
            await queue.stop()
            async with sessions() as session:
                ids = set((await session.exec(select(SpendLog.request_id))).all())
            assert ids == {r.request_id for r in good}
            dropped = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
            assert len(dropped) == 1 and bad.request_id in dropped[0]
        finally:
            await engine.dispose()


async def test_memory_queue_writes_many_batches_to_the_database() -> None:
    async with fresh_database() as url:
        engine = create_engine(url)
        try:
            sessions = session_factory(engine)
            queue = MemorySpendQueue(SpendWriter(sessions), interval=60)
            await queue.start()
            for i in range(1234):
                await queue.put(record(i, cost="0.0000000003"))
            await queue.stop()
            async with sessions() as session:
                logs = (await session.exec(select(func.count()).select_from(SpendLog))).one()
                day = (await session.exec(select(DailySpend))).one()
            assert logs == day.request_count == 1234
            assert day.cost == Decimal("0.0000003702")
        finally:
            await engine.dispose()


@pytest.fixture
async def redis() -> AsyncIterator[aioredis.Redis]:
    if not REDIS_URL:
        pytest.skip("DELTALLM_TEST_REDIS_URL is not set; e.g. redis://127.0.0.1:6379/0")
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def stream(redis: aioredis.Redis) -> AsyncIterator[tuple[str, str]]:
    name = f"deltallm-test:spend:{uuid.uuid4().hex}"
    try:
        yield name, f"writers-{uuid.uuid4().hex[:8]}"
    finally:
        await redis.delete(name)


def redis_queue(
    client: aioredis.Redis, writer: Sink | SpendWriter, names: tuple[str, str], consumer: str
) -> RedisSpendQueue:
    stream, group = names
    return RedisSpendQueue(
        client, writer, 0.05, consumer, stream=stream, group=group, claim_idle=0.3
    )


@pytest.mark.redis
async def test_redis_queue_delivers_and_deletes(
    redis: aioredis.Redis, stream: tuple[str, str]
) -> None:
    sink = Sink()
    queue = redis_queue(redis, sink, stream, "only")
    await queue.start()
    records = [record(i) for i in range(20)]
    for r in records:
        await queue.put(r)

    async def written() -> bool:
        return len(sink.ids) == 20

    await eventually(written)
    await queue.stop()
    assert sorted(sink.ids) == sorted(r.request_id for r in records)
    assert sink.batches[0][0] == records[0]  # decoded exactly, Decimal and datetimes included
    assert await redis.xlen(stream[0]) == 0
    assert (await redis.xpending(stream[0], stream[1]))["pending"] == 0


@pytest.mark.redis
async def test_redis_queue_shares_work_and_retries_after_failures(
    redis: aioredis.Redis, stream: tuple[str, str]
) -> None:
    flaky, steady = Sink(failures=2), Sink()
    queues = [redis_queue(redis, flaky, stream, "a"), redis_queue(redis, steady, stream, "b")]
    for queue in queues:
        await queue.start()
    records = [record(i) for i in range(60)]
    for r in records:
        await queues[0].put(r)

    async def all_written() -> bool:
        return len(flaky.ids) + len(steady.ids) >= 60

    await eventually(all_written)
    for queue in queues:
        await queue.stop()
    assert sorted(flaky.ids + steady.ids) == sorted(r.request_id for r in records)


@pytest.mark.redis
async def test_redis_queue_flush_writes_everything_put_so_far(
    redis: aioredis.Redis, stream: tuple[str, str]
) -> None:
    sink = Sink()
    queue = redis_queue(redis, sink, stream, "only")
    await queue.start()
    put: set[str] = set()
    for round_ in range(20):
        for i in range(round_ * 7):
            r = record(i)
            put.add(r.request_id)
            await queue.put(r)
        assert await queue.flush()
        assert set(sink.ids) == put  # the background task may have held some: written anyway
    await queue.stop()


@pytest.mark.redis
async def test_redis_queue_stop_drains_the_stream(
    redis: aioredis.Redis, stream: tuple[str, str]
) -> None:
    sink = Sink()
    queue = redis_queue(redis, sink, stream, "only")
    await queue.start()
    for i in range(1200):
        await queue.put(record(i))
    await queue.stop()
    assert len(set(sink.ids)) == 1200
    assert await redis.xlen(stream[0]) == 0


@pytest.mark.redis
@pytest.mark.parametrize("mode", ["before-write", "after-commit"])
async def test_records_survive_a_killed_consumer(
    redis: aioredis.Redis, stream: tuple[str, str], mode: str
) -> None:
    assert REDIS_URL is not None
    n = 30
    async with fresh_database() as url:
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.spend_crash_worker",
            *(REDIS_URL, stream[0], stream[1], url, str(n), mode),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        assert worker.stdout is not None
        try:
            line = await asyncio.wait_for(worker.stdout.readline(), 30)
        finally:
            worker.kill()  # SIGKILL: no cleanup, no XACK
            await worker.communicate()
        assert line == f"HANG {BATCH}\n".encode()
        assert (await redis.xpending(*stream))["pending"] == BATCH

        engine = create_engine(url)
        try:
            sessions = session_factory(engine)
            async with sessions() as session:
                committed = (await session.exec(select(func.count()).select_from(SpendLog))).one()
            assert committed == (BATCH if mode == "after-commit" else 0)  # to be re-delivered
            survivor = redis_queue(redis, SpendWriter(sessions), stream, "survivor")
            await survivor.start()

            async def drained() -> bool:
                pending = (await redis.xpending(*stream))["pending"]
                return pending == 0 and await redis.xlen(stream[0]) == 0

            await eventually(drained)
            await survivor.stop()
            async with sessions() as session:
                ids = (await session.exec(select(SpendLog.request_id))).all()
                days = (await session.exec(select(DailySpend))).all()
        finally:
            await engine.dispose()
    expected = crash_records(n, stream[0])
    assert sorted(ids) == sorted(r.request_id for r in expected)
    assert sum(d.request_count for d in days) == n
    assert sum(d.cost for d in days) == sum(r.cost for r in expected)
    assert sum(d.cost for d in days) == Decimal("0.465000003")
    assert len({d.day for d in days}) == 2


@pytest.mark.redis
async def test_an_appending_queue_leaves_the_stream_to_the_writer_process(
    redis: aioredis.Redis, stream: tuple[str, str]
) -> None:
    """A worker whose instance has a spend writer process only appends: nothing it puts is
    read or written by it, and the writer's consuming queue writes all of it."""
    appended, written = Sink(), Sink()
    names, group = stream
    worker = RedisSpendQueue(
        redis, appended, 0.05, "worker", stream=names, group=group, consume=False
    )
    await worker.start()
    records = [record(i) for i in range(40)]
    for r in records:
        await worker.put(r)
    assert await worker.flush()  # nothing held: nothing to write
    await asyncio.sleep(0.3)  # six of its intervals
    await worker.stop()
    assert appended.batches == []
    assert await redis.xlen(names) == 40
    assert await redis.xinfo_groups(names) == []  # it never joined the consumer group

    writer = redis_queue(redis, written, stream, "writer")
    await writer.start()
    await writer.stop()
    assert sorted(written.ids) == sorted(r.request_id for r in records)
    assert await redis.xlen(names) == 0


async def test_an_appending_queue_writes_what_it_held_while_redis_was_away() -> None:
    """With Redis unreachable, a worker that only appends writes its records to the database
    itself, as a consuming one would; nothing is lost for want of the writer process."""
    away = aioredis.Redis(port=free_port(), retry=Retry(NoBackoff(), 0))
    sink = Sink(failures=1)  # and the database refuses the first attempt
    queue = RedisSpendQueue(away, sink, 0.05, "worker", stream="nowhere", consume=False)
    try:
        await queue.start()
        records = [record(i) for i in range(5)]
        for r in records:
            await queue.put(r)
        assert queue.held >= 1

        async def written() -> bool:
            return len(sink.ids) == len(records)

        await eventually(written)
        await queue.stop()
    finally:
        await away.aclose()
    assert sorted(sink.ids) == sorted(r.request_id for r in records)
    assert queue.held == 0
