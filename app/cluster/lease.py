"""Leases: one holder at a time for a named piece of background work, across instances.

A lease is held until it expires (``ttl`` seconds after it was taken or last renewed), so
an instance that dies loses it by itself. With Redis the lease is a key set with
``SET NX PX`` and renewed or released by Lua scripts that compare the holder first (atomic,
on Redis' clock). Without Redis it is a row of ``cluster_leases``, taken by one conditional
``UPDATE`` (or an ``INSERT ... ON CONFLICT DO NOTHING`` for a lease never taken), on the
instances' clocks: keep them in sync (NTP) to well under a job's interval.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy import delete, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.cluster.models import ClusterLease
from app.db.statements import dialect_insert, table_of
from app.db.types import utcnow

__all__ = ["LEASE_ERRORS", "DatabaseLeases", "LeaseStore", "RedisLeases"]

LEASE_ERRORS = (RedisError, SQLAlchemyError, OSError)
"""What a lease store raises when Redis or the database cannot be reached."""

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class LeaseStore(Protocol):
    async def acquire(self, name: str, holder: str, ttl: float) -> bool:
        """Take the lease if nobody holds it; True if ``holder`` now holds it."""
        ...

    async def renew(self, name: str, holder: str, ttl: float) -> bool:
        """Hold it ``ttl`` seconds more; False if ``holder`` no longer holds it."""
        ...

    async def release(self, name: str, holder: str) -> bool:
        """Give it up if ``holder`` holds it; True if it did."""
        ...

    async def remaining(self, name: str) -> float:
        """Seconds until the lease is free (0 when nobody holds it)."""
        ...


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisLeases:
    """Leases as Redis keys ``<prefix>lease:<name>`` holding the holder's id."""

    def __init__(self, client: aioredis.Redis, prefix: str = "deltallm:") -> None:
        self._redis = client
        self._prefix = f"{prefix}lease:"
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    async def acquire(self, name: str, holder: str, ttl: float) -> bool:
        return bool(await self._redis.set(self._prefix + name, holder, nx=True, px=_ms(ttl)))

    async def renew(self, name: str, holder: str, ttl: float) -> bool:
        return bool(await self._renew(keys=[self._prefix + name], args=[holder, _ms(ttl)]))

    async def release(self, name: str, holder: str) -> bool:
        return bool(await self._release(keys=[self._prefix + name], args=[holder]))

    async def remaining(self, name: str) -> float:
        left = int(await self._redis.pttl(self._prefix + name))
        return max(0, left) / 1000


class DatabaseLeases:
    """Leases as rows of ``cluster_leases`` (SQLite or PostgreSQL)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    async def acquire(self, name: str, holder: str, ttl: float) -> bool:
        now = self._clock()
        until = now + timedelta(seconds=ttl)
        lease = col(ClusterLease.name)
        async with self._sessions() as session, session.begin():
            taken = await session.exec(
                update(ClusterLease)
                .where(lease == name, col(ClusterLease.expires_at) <= now)
                .values(holder=holder, expires_at=until)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:
                return True
            first = (
                dialect_insert(session, ClusterLease)
                .values(name=name, holder=holder, expires_at=until)
                .on_conflict_do_nothing(index_elements=["name"])
                .returning(table_of(ClusterLease).c.name)
            )
            return (await session.exec(first)).first() is not None

    async def renew(self, name: str, holder: str, ttl: float) -> bool:
        now = self._clock()
        async with self._sessions() as session, session.begin():
            result = await session.exec(
                update(ClusterLease)
                .where(
                    col(ClusterLease.name) == name,
                    col(ClusterLease.holder) == holder,
                    col(ClusterLease.expires_at) > now,
                )
                .values(expires_at=now + timedelta(seconds=ttl))
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount == 1)

    async def release(self, name: str, holder: str) -> bool:
        async with self._sessions() as session, session.begin():
            result = await session.exec(
                delete(ClusterLease).where(
                    col(ClusterLease.name) == name, col(ClusterLease.holder) == holder
                )
            )
            return bool(result.rowcount == 1)

    async def remaining(self, name: str) -> float:
        query = select(ClusterLease.expires_at).where(ClusterLease.name == name)
        async with self._sessions() as session:
            expires = (await session.exec(query)).first()
        if expires is None:
            return 0.0
        return max(0.0, (expires - self._clock()).total_seconds())
