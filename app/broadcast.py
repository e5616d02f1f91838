"""Telling every gateway process that something changed, within a second.

With Redis: a pub/sub channel carrying a small JSON payload. Without Redis (the embedded
default: one server process, but CLI commands are other processes): a generation marker
in ``gateway_settings``, polled twice a second. Listeners get the payload, or ``None``
when anything may have changed (a reconnect, a marker change).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import msgspec
import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.types import utcnow
from app.deployments.models import GatewaySetting

__all__ = ["Broadcast", "DatabaseBroadcast", "Listener", "Payload", "RedisBroadcast"]

log = logging.getLogger("deltallm.broadcast")

Payload = dict[str, Any]
Listener = Callable[[Payload | None], None]


class Broadcast(Protocol):
    async def publish(self, payload: Payload) -> None:
        """Announce a change to every process (this one included)."""

    async def start(self, listener: Listener) -> None:
        """Deliver announcements to ``listener`` until ``stop``."""

    async def stop(self) -> None: ...


class _Task:
    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None


class RedisBroadcast(_Task):
    """Redis pub/sub. The listener polls with a short timeout and stops when asked instead of
    being cancelled: redis-py may never return from a read cancelled halfway."""

    _POLL = 0.25

    def __init__(self, client: aioredis.Redis, channel: str) -> None:
        super().__init__()
        self._client = client
        self._channel = channel
        self._ready = asyncio.Event()
        self._stopping = asyncio.Event()

    async def publish(self, payload: Payload) -> None:
        await self._client.publish(self._channel, msgspec.json.encode(payload))

    async def start(self, listener: Listener) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._listen(listener), name=f"listen:{self._channel}")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stopping.set()
        task, self._task = self._task, None
        done, _ = await asyncio.wait({task}, timeout=5.0)
        if not done:  # a read that never returns: cancel, but do not wait on it forever
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)

    async def _listen(self, listener: Listener) -> None:
        while not self._stopping.is_set():
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    # Whatever was announced while we were not listening is unknown.
                    listener(None)
                    self._ready.set()
                    while not self._stopping.is_set():
                        message = await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=self._POLL
                        )
                        if message is not None and message.get("type") == "message":
                            listener(msgspec.json.decode(message["data"]))
            except (aioredis.ConnectionError, aioredis.TimeoutError) as exc:
                log.warning("channel %s lost (%s); reconnecting", self._channel, exc)
                await asyncio.sleep(0.5)


class DatabaseBroadcast(_Task):
    """A generation marker under ``key`` in ``gateway_settings``; any change is news."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], key: str, *, interval: float = 0.5
    ) -> None:
        super().__init__()
        self._sessions = sessions
        self._key = key
        self._interval = interval

    async def publish(self, payload: Payload) -> None:
        async with self._sessions() as session, session.begin():
            query = select(GatewaySetting).where(GatewaySetting.key == self._key)
            row = (await session.exec(query)).first()
            marker = {"generation": uuid.uuid4().hex}
            if row is None:
                session.add(GatewaySetting(key=self._key, value=marker))
            else:
                row.value = marker
                row.updated_at = utcnow()

    async def _generation(self) -> object:
        async with self._sessions() as session:
            query = select(GatewaySetting.value).where(GatewaySetting.key == self._key)
            return (await session.exec(query)).first()

    async def start(self, listener: Listener) -> None:
        seen = await self._generation()

        async def poll() -> None:
            nonlocal seen
            while True:
                await asyncio.sleep(self._interval)
                try:
                    current = await self._generation()
                except Exception as exc:  # noqa: BLE001 - keep polling through DB hiccups
                    log.warning("cannot read %s: %s", self._key, exc)
                    continue
                if current != seen:
                    seen = current
                    listener(None)

        self._task = asyncio.create_task(poll(), name=f"poll:{self._key}")
