"""Hot reload of model deployments and run-time settings on every instance, within a second.

The effective model list is ``config.yaml``'s ``model_list`` followed by the database's
deployments; the effective settings are ``config.yaml``'s with the stored changes over
them (:mod:`app.gateway_settings`). A change is announced on a Redis pub/sub channel
or, on the embedded default, through a generation marker in the database polled twice
a second. On each announcement (and once at start) :class:`DeploymentReloader` builds
a new router when deployments or router settings changed and swaps it in, and hands
the settings to its listener (health checks, cache, guardrails). The old router keeps
serving requests already in flight; its transports are closed once they are done (or
after a long bound).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

import redis.asyncio as aioredis
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.secrets import SecretBox
from app.broadcast import Broadcast, DatabaseBroadcast, RedisBroadcast
from app.config import GatewayConfig, ModelEntry
from app.deployments.service import load_model_entries
from app.gateway_settings.sections import EffectiveSettings
from app.gateway_settings.service import effective_settings, load_setting_rows
from app.router.router import Router

__all__ = [
    "DatabaseReloadNotifier",
    "DeploymentReloader",
    "RedisReloadNotifier",
    "ReloadNotifier",
    "effective_config",
]

log = logging.getLogger("deltallm.deployments")

GENERATION_KEY = "deployments.generation"

Listener = Callable[[], None]
Swap = Callable[[Router], Router]
SettingsListener = Callable[[EffectiveSettings], None]


class ReloadNotifier(Protocol):
    async def publish(self) -> None:
        """Tell every process (this one included) that deployments changed."""

    async def start(self, listener: Listener) -> None:
        """Call ``listener`` on every announcement until ``stop``."""

    async def stop(self) -> None: ...


class _BroadcastNotifier:
    def __init__(self, broadcast: Broadcast) -> None:
        self._broadcast = broadcast

    async def publish(self) -> None:
        await self._broadcast.publish({"reload": True})

    async def start(self, listener: Listener) -> None:
        await self._broadcast.start(lambda _payload: listener())

    async def stop(self) -> None:
        await self._broadcast.stop()


class RedisReloadNotifier(_BroadcastNotifier):
    def __init__(self, client: aioredis.Redis, channel: str) -> None:
        super().__init__(RedisBroadcast(client, channel))


class DatabaseReloadNotifier(_BroadcastNotifier):
    """Without Redis: a generation marker in ``gateway_settings``, polled twice a second."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, interval: float = 0.5
    ) -> None:
        super().__init__(DatabaseBroadcast(sessions, GENERATION_KEY, interval=interval))


def effective_config(
    config: GatewayConfig,
    entries: list[dict[str, Any]],
    settings: EffectiveSettings | None = None,
) -> GatewayConfig:
    """``config`` with the database's deployments after its own ``model_list`` (and the
    effective router settings, when given)."""
    models = list(config.model_list)
    for entry in entries:
        try:
            models.append(ModelEntry.model_validate(entry))
        except ValidationError as exc:
            ident = entry.get("model_info", {}).get("id")
            log.warning("skipping deployment %s: %s", ident, exc.errors()[0]["msg"])
    update: dict[str, Any] = {"model_list": models}
    if settings is not None:
        update["router_settings"] = settings.router
    return config.model_copy(update=update)


class DeploymentReloader:
    """Swaps a freshly built router in on every announcement; is the service's notifier.

    ``publish`` reloads this process at once (so a mutation's answer means the change
    is served here) and then tells the others.
    """

    def __init__(
        self,
        config: GatewayConfig,
        sessions: async_sessionmaker[AsyncSession],
        salt: str,
        build: Callable[[GatewayConfig], Router],
        notifier: ReloadNotifier,
        *,
        grace: float = 2.0,
        max_drain: float = 600.0,
    ) -> None:
        self._config = config
        self._sessions = sessions
        self._salt = salt
        self._box = SecretBox(salt)
        self._build = build
        self._notifier = notifier
        self._grace = grace
        self._max_drain = max_drain
        self._lock = asyncio.Lock()
        self._wanted = asyncio.Event()
        self._swap: Swap | None = None
        # The router built at start serves config.yaml alone.
        self._loaded: list[dict[str, Any]] = []
        self._loaded_rows: dict[str, Any] = {}
        self.settings = effective_settings(config, {}, self._box)
        self._on_settings: SettingsListener | None = None
        self._task: asyncio.Task[None] | None = None
        self._retiring: set[asyncio.Task[None]] = set()

    async def start(self, swap: Swap, on_settings: SettingsListener | None = None) -> None:
        self._swap = swap
        self._on_settings = on_settings
        await self.reload()
        await self._notifier.start(self._wanted.set)
        self._task = asyncio.create_task(self._loop(), name="deltallm-deployment-reloader")

    async def publish(self) -> None:
        try:
            await self.reload()
        finally:
            await self._notifier.publish()

    async def _loop(self) -> None:
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            try:
                await self.reload()
            except Exception:
                log.exception("cannot reload the model deployments")

    async def reload(self) -> bool:
        """Load deployments and settings; apply what changed. True if a router was swapped."""
        if self._swap is None:
            return False
        async with self._lock:
            entries = await load_model_entries(self._sessions, self._salt)
            rows = await load_setting_rows(self._sessions)
            if entries == self._loaded and rows == self._loaded_rows:
                return False
            settings = effective_settings(self._config, rows, self._box)
            old: Router | None = None
            if entries != self._loaded or settings.router != self.settings.router:
                router = self._build(effective_config(self._config, entries, settings))
                old = self._swap(router)
            self._loaded, self._loaded_rows, self.settings = entries, rows, settings
            if self._on_settings is not None:
                self._on_settings(settings)
        if old is None:
            log.info("gateway settings reloaded")
            return False
        log.info("model deployments reloaded: %d from the database", len(entries))
        task = asyncio.create_task(self._retire(old), name="deltallm-router-retire")
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)
        return True

    async def _retire(self, router: Router) -> None:
        """Close ``router``'s transports once its in-flight requests are done."""
        try:
            await asyncio.sleep(self._grace)
            waited = self._grace
            while waited < self._max_drain and any(d.in_flight for d in router.deployments):
                await asyncio.sleep(0.5)
                waited += 0.5
        finally:
            await router.aclose()

    async def stop(self) -> None:
        await self._notifier.stop()
        tasks = [t for t in (self._task, *self._retiring) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
