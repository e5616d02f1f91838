"""Three gateway instances on one database (and one Redis when configured): a background
job runs once per interval across them, and goes on when the instance that ran it stops."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from app.cluster.lease import DatabaseLeases, RedisLeases
from app.db.types import utcnow
from app.spend.models import SpendLog
from tests.support.db import fresh_database
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import RunningGateway, running_gateway

INTERVAL = 1.0


def config(fake: FakeOpenAI) -> dict[str, Any]:
    return {
        "model_list": [
            {
                "model_name": "gpt-a",
                "deltallm_params": {"model": "openai/gpt-a", "api_base": fake.base_url},
            }
        ],
        "general_settings": {
            "spend_log_retention_days": 1,
            "spend_log_retention_interval": INTERVAL,
        },
    }


async def until(condition: Callable[[], Awaitable[bool] | bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        outcome = condition()
        if outcome if isinstance(outcome, bool) else await outcome:
            return
        assert time.monotonic() < deadline, "condition not met before the deadline"
        await asyncio.sleep(0.05)


async def add_old_logs(gw: RunningGateway, count: int) -> None:
    started = utcnow() - timedelta(days=3)
    async with gw.runtime.sessions() as session:
        session.add_all(
            SpendLog(
                request_id=f"old-{time.monotonic_ns()}-{i}",
                model_group="gpt-a",
                started_at=started,
                ended_at=started,
            )
            for i in range(count)
        )
        await session.commit()


def old_logs_left(gw: RunningGateway) -> Callable[[], Awaitable[bool]]:
    async def none_left() -> bool:
        async with gw.runtime.sessions() as session:
            query = select(func.count(col(SpendLog.id)))
            return (await session.exec(query)).one() == 0

    return none_left


async def test_retention_runs_once_per_interval_across_three_instances(
    fake_openai: FakeOpenAI,
) -> None:
    async with fresh_database() as url:
        stacks = [AsyncExitStack() for _ in range(3)]
        try:
            began = time.monotonic()
            gateways = [
                await s.enter_async_context(
                    running_gateway(config(fake_openai), env={"DATABASE_URL": url})
                )
                for s in stacks
            ]
            retention = [g.runtime.retention for g in gateways]
            jobs = [r.job for r in retention if r is not None]
            assert len(jobs) == 3
            leases = RedisLeases if os.environ.get("DELTALLM_TEST_REDIS_URL") else DatabaseLeases
            assert all(isinstance(g.runtime.leases, leases) for g in gateways)

            await add_old_logs(gateways[0], 5)
            await until(old_logs_left(gateways[0]))
            await until(lambda: sum(j.runs for j in jobs) >= 4)
            elapsed = time.monotonic() - began
            # Three instances, yet no more runs than intervals went by (plus the first).
            assert sum(j.runs for j in jobs) <= elapsed / INTERVAL + 1

            # The instance that ran last stops; the other two carry on without it.
            last = max(range(3), key=lambda i: jobs[i].last_started or 0)
            await stacks[last].aclose()
            rest = [jobs[i] for i in range(3) if i != last]
            survivor = gateways[(last + 1) % 3]
            began = time.monotonic()
            before = sum(j.runs for j in rest)
            await add_old_logs(survivor, 5)
            await until(old_logs_left(survivor))
            await until(lambda: sum(j.runs for j in rest) >= before + 3)
            elapsed = time.monotonic() - began
            assert sum(j.runs for j in rest) - before <= elapsed / INTERVAL + 1
        finally:
            for s in stacks:
                await s.aclose()
