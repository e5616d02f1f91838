"""Entries in Redis with their TTL (``SET ... PX``), shared by every instance; a short
``SET NX`` lock lets one instance compute an answer the others then read."""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from app.cache.backends.base import CacheBackendError

__all__ = ["RedisBackend"]

_DELETE_BATCH = 500


class RedisBackend:
    name = "redis"

    def __init__(self, client: aioredis.Redis, prefix: str, *, owns_client: bool) -> None:
        self._client = client
        self._prefix = prefix
        self._owns = owns_client

    async def get(self, key: str) -> bytes | None:
        try:
            value = await self._client.get(self._prefix + key)
        except (RedisError, OSError) as exc:
            raise CacheBackendError(type(exc).__name__) from exc
        return value.encode() if isinstance(value, str) else value

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        try:
            await self._client.set(self._prefix + key, value, px=max(1, int(ttl * 1000)))
        except (RedisError, OSError) as exc:
            raise CacheBackendError(type(exc).__name__) from exc

    async def delete(self, key: str) -> None:
        try:
            await self._client.unlink(self._prefix + key)
        except (RedisError, OSError) as exc:
            raise CacheBackendError(type(exc).__name__) from exc

    async def flush(self) -> int:
        """Every entry and lock under this cache's prefix (SCAN, never KEYS)."""
        deleted = 0
        batch: list[bytes] = []
        try:
            async for name in self._client.scan_iter(match=self._prefix + "*", count=1000):
                batch.append(name)
                if len(batch) >= _DELETE_BATCH:
                    deleted += await self._client.unlink(*batch)
                    batch = []
            if batch:
                deleted += await self._client.unlink(*batch)
        except (RedisError, OSError) as exc:
            raise CacheBackendError(type(exc).__name__) from exc
        return deleted

    async def lock(self, key: str, ttl: float) -> bool:
        try:
            won = await self._client.set(
                f"{self._prefix}lock:{key}", b"1", nx=True, px=max(1, int(ttl * 1000))
            )
        except (RedisError, OSError) as exc:
            raise CacheBackendError(type(exc).__name__) from exc
        return bool(won)

    async def unlock(self, key: str) -> None:
        await self._quiet_unlink(f"{self._prefix}lock:{key}")

    async def locked(self, key: str) -> bool:
        try:
            return bool(await self._client.exists(f"{self._prefix}lock:{key}"))
        except (RedisError, OSError) as exc:
            raise CacheBackendError(type(exc).__name__) from exc

    async def _quiet_unlink(self, name: str) -> None:
        try:
            await self._client.unlink(name)
        except (RedisError, OSError) as exc:
            raise CacheBackendError(type(exc).__name__) from exc

    async def aclose(self) -> None:
        if self._owns:
            await self._client.aclose(close_connection_pool=True)
