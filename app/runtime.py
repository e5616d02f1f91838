"""The live objects of one process, built from settings, started and stopped with the app."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.service import IdentityService
from app.auth.sso import SingleSignOn
from app.auth.throttle import SignInThrottle
from app.cluster.lease import LeaseStore
from app.db.engine import create_engine, ping, session_factory
from app.deployments.reload import DeploymentReloader
from app.deployments.service import DeploymentService
from app.deployments.testing import DeploymentTester
from app.drain import Drain
from app.gateway.admission import Admitter
from app.gateway.auth import KeyAuthenticator
from app.gateway.explain import AdmissionExplainer
from app.gateway.pipeline import Gateway
from app.gateway.settlement import Settler
from app.gateway_settings.sections import EffectiveSettings
from app.gateway_settings.service import SettingsService
from app.guardrails.registry import rebuilt
from app.keys.cache import KeyCache
from app.keys.hygiene import KeyHygiene
from app.keys.invalidation import LocalFirst
from app.keys.playground import PlaygroundKeys
from app.keys.service import KeyService
from app.observability.metrics import Metrics
from app.observability.state import StateGauges
from app.observability.tracing import start_tracing
from app.orgs.service import OrgService
from app.responses.store import ResponseStore
from app.router.health import HealthChecker
from app.router.router import Router
from app.security.upstream_urls import UpstreamUrlPolicy
from app.settings import Settings, aws_environment
from app.shared_state import SharedState, redis_client
from app.spend.alerts import BudgetAlerts
from app.spend.analytics import SpendAnalytics
from app.spend.queue import SpendQueue
from app.spend.requests import RequestAnalytics
from app.spend.retention import RetentionTask
from app.spend.settle_pipeline import PipelinedSettlement
from app.spend.tail import RequestTail
from app.spend.writer_process import build_spend_queue

if TYPE_CHECKING:
    from app.cache.setup import CacheDeps

__all__ = ["Runtime"]

log = logging.getLogger("deltallm")
_DEFAULT_PORTS = {"postgresql": 5432, "postgresql+asyncpg": 5432, "redis": 6379, "rediss": 6379}


def _forgetting(cache: KeyCache, admitter: Admitter) -> Callable[[Sequence[str] | None], None]:
    """The listener of invalidations: drops changed keys and end users from the caches."""

    def forget(tokens: Sequence[str] | None) -> None:
        cache.invalidate(tokens)
        admitter.forget(tokens)

    return forget


@dataclass
class Runtime:
    """Database, Redis, counters, queues, router and gateway of one process."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: aioredis.Redis | None
    router: Router
    gateway: Gateway
    health: HealthChecker
    keys: KeyService
    orgs: OrgService
    analytics: SpendAnalytics
    request_analytics: RequestAnalytics
    identity: IdentityService
    sso: SingleSignOn
    invalidator: LocalFirst
    cache: KeyCache
    spend_queue: SpendQueue
    http: httpx.AsyncClient
    deployments: DeploymentService
    reloader: DeploymentReloader
    gateway_settings: SettingsService
    key_hygiene: KeyHygiene
    request_tail: RequestTail
    metrics: Metrics
    state_gauges: StateGauges
    leases: LeaseStore | None = None
    """Leases of jobs that run once per cluster (:class:`app.cluster.jobs.LeasedJob`)."""
    drain: Drain = field(default_factory=lambda: Drain(30.0))
    alerts: BudgetAlerts | None = None
    retention: RetentionTask | None = None
    responses_store: ResponseStore | None = None
    cache_deps: CacheDeps | None = None
    """What the response cache is built from, once one is configured."""
    _started: bool = field(default=False, init=False)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        general = settings.config.general_settings
        engine = create_engine(
            settings.database_url.get_secret_value(),
            pool_size=settings.pool_limit,
            pool_timeout=general.database_connection_timeout,
            query_timeout=general.database_query_timeout,
        )
        sessions = session_factory(engine)
        redis = redis_client(settings.redis_url.get_secret_value()) if settings.redis_url else None
        namespace = general.redis_namespace
        shared = SharedState.build(redis, sessions, general)
        counters = shared.counters
        http = httpx.AsyncClient(timeout=general.budget_alerts.timeout)
        alerts = BudgetAlerts.configured(general.budget_alerts, sessions, http)
        metrics = Metrics(general.metrics, settings.metrics_dir)
        queue = build_spend_queue(
            settings, sessions, redis, alerts, metrics, consume=not settings.spend_writer_process
        )
        tracing = start_tracing(settings.tracing) if settings.tracing else None
        router = Router(settings.config, counters=counters, tracing=tracing)
        router.on_attempt = metrics.attempt
        metrics.use_router(router)
        cache = KeyCache()
        admitter = Admitter(counters, sessions)
        invalidator = LocalFirst(shared.announcer, _forgetting(cache, admitter))
        salt = settings.salt_key
        authenticator = KeyAuthenticator(
            settings.master_key, salt, sessions, cache, on_load=admitter.seed
        )
        gateway = Gateway(
            router,
            authenticator,
            admitter,
            Settler(
                counters,
                queue,
                metrics=metrics,
                combined=PipelinedSettlement.build(counters, queue),
            ),
            max_reserved_output_tokens=general.max_reserved_output_tokens,
        )
        gateway.tracing = tracing
        throttle = SignInThrottle(
            counters, general.signin.max_attempts_per_minute, general.signin.trusted_proxies
        )
        identity = IdentityService(sessions, salt.get_secret_value(), throttle=throttle)
        urls = _upstream_url_policy(settings)
        leases = shared.leases
        retention = (
            RetentionTask(
                sessions,
                general.spend_log_retention_days,
                general.spend_log_retention_interval,
                leases=leases,
            )
            if general.spend_log_retention_days
            else None
        )
        reloader = DeploymentReloader(
            settings.config,
            sessions,
            salt.get_secret_value(),
            lambda config: Router(config, counters=counters, tracing=tracing),
            shared.reload_notifier,
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            redis=redis,
            router=router,
            gateway=gateway,
            health=HealthChecker(router),
            keys=KeyService(sessions, salt.get_secret_value(), invalidator),
            orgs=OrgService(sessions, invalidator),
            analytics=SpendAnalytics(sessions),
            request_analytics=RequestAnalytics(sessions),
            identity=identity,
            sso=SingleSignOn(general.oidc, salt.get_secret_value(), http, identity, sessions),
            invalidator=invalidator,
            cache=cache,
            spend_queue=queue,
            http=http,
            deployments=DeploymentService(sessions, salt.get_secret_value(), reloader, urls),
            reloader=reloader,
            gateway_settings=SettingsService(
                sessions, settings.config, salt.get_secret_value(), reloader, urls
            ),
            key_hygiene=KeyHygiene(sessions),
            request_tail=RequestTail(sessions),
            metrics=metrics,
            state_gauges=StateGauges(
                metrics,
                lambda: gateway.router,
                queue,
                counters,
                redis,
                f"{namespace}:spend" if redis is not None else None,
                admitter,
            ),
            leases=leases,
            drain=Drain(general.graceful_shutdown_timeout),
            alerts=alerts,
            retention=retention,
            responses_store=(
                ResponseStore(sessions, general.responses_store, leases=leases)
                if general.responses_store.enabled
                else None
            ),
        )

    async def start(self) -> None:
        for warning in self.settings.warnings:
            log.warning("%s", warning)
        if self.settings.run_migrations_on_start:
            from app.db.migrate import upgrade  # Alembic only where it runs

            await upgrade(self.settings.database_url.get_secret_value())
        general = self.settings.config.general_settings
        if general.first_admin_email and general.first_admin_password:
            await self.identity.ensure_first_admin(
                general.first_admin_email, general.first_admin_password.get_secret_value()
            )
        await self.invalidator.start(self.invalidator.local)
        await self.reloader.start(self._swap_router, self._apply_settings)
        await self.spend_queue.start()
        if self.retention is not None:
            await self.retention.start()
        if self.responses_store is not None:
            await self.responses_store.start()
        self._apply_settings(self.reloader.settings)
        await self.state_gauges.start(self.settings.config.general_settings.metrics.sync_interval)
        # Everything built so far lives as long as the process: keep it out of the
        # collector's full passes, whose pauses would otherwise show in tail latency.
        gc.collect()
        gc.freeze()
        self._started = True

    async def stop(self) -> None:
        await self.health.stop()
        await self.gateway.settler.drain()
        await self.spend_queue.stop()
        await self.state_gauges.stop()
        self.metrics.close()
        if self.alerts is not None:
            await self.alerts.drain()
        if self.retention is not None:
            await self.retention.stop()
        if self.responses_store is not None:
            await self.responses_store.stop()
        await self.invalidator.stop()
        await self.reloader.stop()
        if self.gateway.cache is not None:
            await self.gateway.cache.aclose()
        await self.router.aclose()
        await self.http.aclose()
        if self.redis is not None:
            await self.redis.aclose(close_connection_pool=True)  # the pool is ours
        await self.engine.dispose()
        if self.gateway.tracing is not None:
            await asyncio.to_thread(self.gateway.tracing.shutdown)
        gc.unfreeze()  # what start froze may be garbage now; let the collector see it

    @property
    def deployment_tester(self) -> DeploymentTester:
        """Sends one request to one deployment of the router serving now."""
        return DeploymentTester(lambda: self.router, self.sessions)

    @property
    def playground_keys(self) -> PlaygroundKeys:
        """Mints short-lived keys for the console's playground."""
        return PlaygroundKeys(self.keys)

    @property
    def admission(self) -> AdmissionExplainer:
        """Explains the admission of a key's calls with the data plane's own rules."""
        return AdmissionExplainer(self.gateway, self.sessions)

    @property
    def effective_settings(self) -> EffectiveSettings:
        """Router, health-check, cache and guardrail settings in force now."""
        return self.reloader.settings

    def _apply_settings(self, settings: EffectiveSettings) -> None:
        """Start, stop or retime the background health checks to match ``settings``."""
        checks = settings.health_checks
        self.health.configure(checks.interval if checks.enabled else None, checks.timeout)
        self.gateway.guardrails = rebuilt(self.gateway.guardrails, settings.guardrails, self.http)
        if settings.cache.enabled or self.gateway.cache is not None:
            self._apply_cache(settings)

    def _apply_cache(self, settings: EffectiveSettings) -> None:
        """Build, change or drop the response cache (imported only once one is configured)."""
        from app.cache.setup import CacheDeps, reconfigure

        if self.cache_deps is None:
            namespace = self.settings.config.general_settings.redis_namespace
            self.cache_deps = CacheDeps(
                self.redis, namespace, self.http, aws_environment(), self.metrics
            )
        self.gateway.cache = reconfigure(self.gateway.cache, settings.cache, self.cache_deps)

    def _swap_router(self, router: Router) -> Router:
        """Serve new requests with ``router``; returns the one it replaces."""
        old, self.router = self.router, router
        router.on_attempt = self.metrics.attempt
        self.metrics.use_router(router)
        self.gateway.router = router
        self.health.router = router
        return old

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


def _upstream_url_policy(settings: Settings) -> UpstreamUrlPolicy:
    """Admins' ``api_base`` values may not reach this gateway, its database or its Redis."""
    endpoints: list[tuple[str | None, int | None]] = [(settings.host, settings.port)]
    for url in (settings.database_url, settings.redis_url):
        if url is not None:
            parts = urlsplit(url.get_secret_value())
            with contextlib.suppress(ValueError):
                endpoints.append((parts.hostname, parts.port or _DEFAULT_PORTS.get(parts.scheme)))
    allow = settings.config.general_settings.allow_private_upstreams
    return UpstreamUrlPolicy.of(allow, endpoints)
