"""Spend log retention: delete logs older than N days, in small batches, periodically.

Daily totals stay; only the per-request rows go. Each batch is its own short transaction,
so purging millions of rows never holds a long lock or a huge transaction. The purge runs
under the ``spend-retention`` lease: once per interval across every instance.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.cluster.jobs import LeasedJob
from app.cluster.lease import DatabaseLeases, LeaseStore
from app.db.types import utcnow
from app.spend.models import SpendLog

__all__ = ["RetentionTask", "purge_old_logs"]

log = logging.getLogger("deltallm.spend.retention")


async def purge_old_logs(
    session_factory: async_sessionmaker[AsyncSession], older_than: datetime, batch_size: int = 1000
) -> int:
    """Delete spend logs that started before ``older_than``; returns how many were deleted."""
    deleted = 0
    while True:
        async with session_factory() as session, session.begin():
            query = select(SpendLog.id).where(col(SpendLog.started_at) < older_than)
            ids = list((await session.exec(query.limit(batch_size))).all())
            if ids:
                await session.exec(delete(SpendLog).where(col(SpendLog.id).in_(ids)))
        deleted += len(ids)
        if len(ids) < batch_size:
            return deleted


class RetentionTask:
    """Runs :func:`purge_old_logs` for logs older than ``days`` every ``interval`` seconds,
    on one instance of the cluster at a time (``leases``: the database's by default)."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        days: int,
        interval: float = 3600.0,
        clock: Callable[[], datetime] = utcnow,
        leases: LeaseStore | None = None,
    ) -> None:
        self._sessions = session_factory
        self._age = timedelta(days=days)
        self._clock = clock
        self.job = LeasedJob(
            "spend-retention", self.run_once, interval, leases or DatabaseLeases(session_factory)
        )

    async def start(self) -> None:
        """Start purging in the background (the first purge in the cluster runs at once)."""
        await self.job.start()

    async def stop(self) -> None:
        """Stop; a batch being deleted is rolled back."""
        await self.job.stop()

    async def run_once(self) -> int:
        """Purge now (whatever other instances do); returns how many logs were deleted."""
        deleted = await purge_old_logs(self._sessions, self._clock() - self._age)
        if deleted:
            log.info("deleted %d spend logs older than %s", deleted, self._age)
        return deleted
