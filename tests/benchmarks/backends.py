"""The production arm's PostgreSQL database and Redis namespace, created for one run and
removed after it: the bench drops only the database it created and deletes only the keys
under its own namespace."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import asyncpg
import redis
from sqlalchemy.engine import make_url

__all__ = ["Backends", "scratch_backends"]


@dataclass(frozen=True)
class Backends:
    database_url: str
    """The URL of the bench's own database (the gateway migrates it at start)."""
    redis_url: str
    namespace: str
    """``general_settings.redis_namespace`` (arms with several workers append their name):
    every Redis key the gateway writes starts with it, and the clean-up deletes them all."""


def _dsn(server_url: str, database: str) -> str:
    url = make_url(server_url).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


async def _admin(server_url: str, statement: str) -> None:
    admin_db = make_url(server_url).database or "postgres"
    connection = await asyncpg.connect(_dsn(server_url, admin_db))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _delete_namespace(redis_url: str, namespace: str) -> int:
    client = redis.Redis.from_url(redis_url)
    try:
        deleted = 0
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{namespace}*", count=1000):
            batch.append(key)
            if len(batch) >= 500:
                deleted += int(client.delete(*batch))
                batch.clear()
        if batch:
            deleted += int(client.delete(*batch))
        return deleted
    finally:
        client.close()


@contextmanager
def scratch_backends(database_url: str, redis_url: str) -> Iterator[Backends]:
    """A new ``deltallm_bench_*`` database on the server of ``database_url`` and a
    ``deltallm_bench_*`` Redis namespace; both are gone when the block ends."""
    name = f"deltallm_bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(database_url, f'CREATE DATABASE "{name}"'))
    try:
        yield Backends(_dsn(database_url, name), redis_url, name)
    finally:
        try:
            asyncio.run(_admin(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            _delete_namespace(redis_url, name)
