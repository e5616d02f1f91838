"""Telling every instance that keys changed, so each drops them from its cache within 1 s."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.broadcast import Broadcast, DatabaseBroadcast, Payload, RedisBroadcast

__all__ = ["DatabaseInvalidator", "Invalidator", "LocalFirst", "RedisInvalidator"]

CHANNEL = "deltallm:keys:invalidate"
GENERATION_KEY = "keys.generation"

Listener = Callable[[Sequence[str] | None], None]


class Invalidator(Protocol):
    async def publish(self, key_hashes: Sequence[str] | None) -> None:
        """Announce changed keys (``None``: anything may have changed)."""

    async def start(self, listener: Listener) -> None:
        """Deliver announcements from every process to ``listener`` until ``stop``."""

    async def stop(self) -> None: ...


class _BroadcastInvalidator:
    def __init__(self, broadcast: Broadcast) -> None:
        self._broadcast = broadcast

    async def publish(self, key_hashes: Sequence[str] | None) -> None:
        payload = {"all": True} if key_hashes is None else {"hashes": list(key_hashes)}
        await self._broadcast.publish(payload)

    async def start(self, listener: Listener) -> None:
        def deliver(payload: Payload | None) -> None:
            if payload is None or payload.get("all"):
                listener(None)
            else:
                listener([str(h) for h in payload.get("hashes", [])])

        await self._broadcast.start(deliver)

    async def stop(self) -> None:
        await self._broadcast.stop()


class RedisInvalidator(_BroadcastInvalidator):
    """Names the changed key hashes on a Redis channel."""

    def __init__(self, client: aioredis.Redis, channel: str = CHANNEL) -> None:
        super().__init__(RedisBroadcast(client, channel))


class DatabaseInvalidator(_BroadcastInvalidator):
    """Without Redis: any change drops the whole cache (a polled database marker)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, interval: float = 0.5
    ) -> None:
        super().__init__(DatabaseBroadcast(sessions, GENERATION_KEY, interval=interval))


class LocalFirst:
    """Applies a change to this process's cache at once, then tells the other processes."""

    def __init__(self, inner: Invalidator, local: Listener) -> None:
        self._inner = inner
        self._local = local

    @property
    def local(self) -> Listener:
        """What applies a change to this process: also the listener for other processes'."""
        return self._local

    async def publish(self, key_hashes: Sequence[str] | None) -> None:
        self._local(key_hashes)
        await self._inner.publish(key_hashes)

    async def start(self, listener: Listener) -> None:
        await self._inner.start(listener)

    async def stop(self) -> None:
        await self._inner.stop()
