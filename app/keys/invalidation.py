"""Telling every instance that keys changed, within a second.

With Redis: a pub/sub message naming the changed key hashes (or all keys). On the
embedded default (one server process, but CLI commands run as other processes): a
generation marker in the database, polled twice a second by the server.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Protocol

import msgspec
import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.types import utcnow
from app.deployments.models import GatewaySetting

__all__ = ["DatabaseInvalidator", "Invalidator", "LocalFirst", "RedisInvalidator"]

log = logging.getLogger("deltallm.keys")

CHANNEL = "deltallm:keys:invalidate"
GENERATION_KEY = "keys.generation"

Listener = Callable[[Sequence[str] | None], None]


class Invalidator(Protocol):
    async def publish(self, key_hashes: Sequence[str] | None) -> None:
        """Announce changed keys (``None``: anything may have changed)."""

    async def start(self, listener: Listener) -> None:
        """Deliver announcements from every process to ``listener`` until ``stop``."""

    async def stop(self) -> None: ...


class RedisInvalidator:
    def __init__(self, client: aioredis.Redis, channel: str = CHANNEL) -> None:
        self._client = client
        self._channel = channel
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def publish(self, key_hashes: Sequence[str] | None) -> None:
        payload = {"all": True} if key_hashes is None else {"hashes": list(key_hashes)}
        await self._client.publish(self._channel, msgspec.json.encode(payload))

    async def start(self, listener: Listener) -> None:
        self._task = asyncio.create_task(self._listen(listener), name="deltallm-key-invalidation")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def _listen(self, listener: Listener) -> None:
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    # Anything published while we were not listening is unknown: start clean.
                    listener(None)
                    self._ready.set()
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        data = msgspec.json.decode(message["data"])
                        listener(None if data.get("all") else data.get("hashes", []))
            except (aioredis.ConnectionError, aioredis.TimeoutError) as exc:
                log.warning("key invalidation channel lost (%s); reconnecting", exc)
                await asyncio.sleep(0.5)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


class DatabaseInvalidator:
    """A generation marker in ``gateway_settings``; any change drops the whole cache."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, interval: float = 0.5
    ) -> None:
        self._sessions = sessions
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def publish(self, key_hashes: Sequence[str] | None) -> None:
        async with self._sessions() as session, session.begin():
            row = (
                await session.exec(
                    select(GatewaySetting).where(GatewaySetting.key == GENERATION_KEY)
                )
            ).first()
            marker = {"generation": uuid.uuid4().hex}
            if row is None:
                session.add(GatewaySetting(key=GENERATION_KEY, value=marker))
            else:
                row.value = marker
                row.updated_at = utcnow()

    async def _generation(self) -> object:
        async with self._sessions() as session:
            row = (
                await session.exec(
                    select(GatewaySetting.value).where(GatewaySetting.key == GENERATION_KEY)
                )
            ).first()
            return row

    async def start(self, listener: Listener) -> None:
        seen = await self._generation()

        async def poll() -> None:
            nonlocal seen
            while True:
                await asyncio.sleep(self._interval)
                try:
                    current = await self._generation()
                except Exception as exc:  # noqa: BLE001 - keep polling through DB hiccups
                    log.warning("cannot read the key generation: %s", exc)
                    continue
                if current != seen:
                    seen = current
                    listener(None)

        self._task = asyncio.create_task(poll(), name="deltallm-key-generation")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


class LocalFirst:
    """Applies a change to this process's cache at once, then tells the other processes."""

    def __init__(self, inner: Invalidator, local: Listener) -> None:
        self._inner = inner
        self._local = local

    async def publish(self, key_hashes: Sequence[str] | None) -> None:
        self._local(key_hashes)
        await self._inner.publish(key_hashes)

    async def start(self, listener: Listener) -> None:
        await self._inner.start(listener)

    async def stop(self) -> None:
        await self._inner.stop()
