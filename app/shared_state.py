"""Where state shared between instances lives: Redis when one is configured, else the
database (or, for counters, this process, which the embedded default runs alone)."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.cluster.lease import DatabaseLeases, LeaseStore, RedisLeases
from app.config import GeneralSettings
from app.deployments.reload import DatabaseReloadNotifier, RedisReloadNotifier, ReloadNotifier
from app.keys.invalidation import DatabaseInvalidator, Invalidator, RedisInvalidator
from app.limits.counters import CounterStore
from app.limits.memory import MemoryCounterStore
from app.limits.outage import OutageTolerantCounters
from app.limits.redis_store import RedisCounterStore

__all__ = ["SharedState", "redis_client"]


def redis_client(url: str) -> aioredis.Redis:
    """A client whose pool waits for a free connection instead of failing under load."""
    pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=512, timeout=10)
    return aioredis.Redis(connection_pool=pool)


@dataclass(frozen=True, slots=True)
class SharedState:
    """Limits and budgets, key invalidations, cluster leases and reload announcements."""

    counters: CounterStore
    announcer: Invalidator
    leases: LeaseStore
    reload_notifier: ReloadNotifier

    @classmethod
    def build(
        cls,
        redis: aioredis.Redis | None,
        sessions: async_sessionmaker[AsyncSession],
        general: GeneralSettings,
    ) -> SharedState:
        namespace = general.redis_namespace
        if redis is None:
            return cls(
                MemoryCounterStore(),
                DatabaseInvalidator(sessions),
                DatabaseLeases(sessions),
                DatabaseReloadNotifier(sessions),
            )
        return cls(
            OutageTolerantCounters(
                RedisCounterStore(redis, prefix=f"{namespace}:"), general.redis_unavailable
            ),
            RedisInvalidator(redis, channel=f"{namespace}:keys:invalidate"),
            RedisLeases(redis, prefix=f"{namespace}:"),
            RedisReloadNotifier(redis, channel=f"{namespace}:deployments:reload"),
        )
