"""The live objects of one process, started and stopped with the app."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.engine import create_engine, ping
from app.db.migrate import upgrade
from app.gateway.auth import MasterKeyAuthenticator
from app.gateway.pipeline import Gateway
from app.router.health import HealthChecker
from app.router.router import Router
from app.settings import Settings

__all__ = ["Runtime"]

log = logging.getLogger("deltallm")


@dataclass
class Runtime:
    """Database engine, Redis client, router and gateway for one process."""

    settings: Settings
    router: Router
    gateway: Gateway
    health: HealthChecker
    engine: AsyncEngine
    redis: aioredis.Redis | None = None
    _started: bool = field(default=False, init=False)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        router = Router(settings.config)
        gateway = Gateway(router, MasterKeyAuthenticator(settings.master_key))
        engine = create_engine(settings.database_url.get_secret_value())
        redis_client = (
            aioredis.from_url(settings.redis_url.get_secret_value(), decode_responses=False)
            if settings.redis_url is not None
            else None
        )
        return cls(settings, router, gateway, HealthChecker(router), engine, redis_client)

    async def start(self) -> None:
        for warning in self.settings.warnings:
            log.warning("%s", warning)
        if self.settings.run_migrations_on_start:
            await upgrade(self.settings.database_url.get_secret_value())
        general = self.settings.config.general_settings
        router_settings = self.settings.config.router_settings
        if general.background_health_checks or router_settings.enable_health_checks:
            self.health.start(
                min(general.health_check_interval, router_settings.health_check_interval)
            )
        self._started = True

    async def stop(self) -> None:
        await self.health.stop()
        await self.router.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()

    async def check_dependencies(self) -> dict[str, str]:
        """``ok``, ``not configured`` or the failure, per dependency."""
        checks: dict[str, str] = {}
        try:
            await ping(self.engine)
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - readiness reports any failure
            checks["database"] = f"error: {type(exc).__name__}"
        if self.redis is None:
            checks["redis"] = "not configured"
        else:
            try:
                await self.redis.ping()
                checks["redis"] = "ok"
            except Exception as exc:  # noqa: BLE001 - readiness reports any failure
                checks["redis"] = f"error: {type(exc).__name__}"
        return checks
