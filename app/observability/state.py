"""State gauges (deployments, spend queue, Redis outage counts), refreshed in the background.

Each worker refreshes its own figures every ``general_settings.metrics.sync_interval``
seconds and again before it answers a scrape, so a scrape of any worker sees every worker's
state at most one interval old.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.errors import LimitsUnavailableError
from app.gateway.admission import Admitter
from app.gateway.explain import level_report
from app.limits.counters import CounterStore
from app.limits.outage import OutageTolerantCounters
from app.observability.metrics import Metrics
from app.router.router import Router
from app.spend.queue import MemorySpendQueue, SpendQueue
from app.spend.redis_queue import RedisSpendQueue

__all__ = ["StateGauges"]

log = logging.getLogger("deltallm.metrics")


class StateGauges:
    """Copies this worker's router, queue and counter state into the metrics."""

    def __init__(
        self,
        metrics: Metrics,
        router: Callable[[], Router],
        queue: SpendQueue,
        counters: CounterStore,
        redis: Redis | None = None,
        stream: str | None = None,
        admitter: Admitter | None = None,
    ) -> None:
        self.metrics = metrics
        self._router = router
        self._queue = queue
        self._counters = counters
        self._redis = redis
        self._stream = stream
        self._admitter = admitter
        self._seen: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def refresh(self) -> None:
        """Deployment health, cooldowns and load; queue depth; outage event counts."""
        m = self.metrics
        for d in self._router().deployments:
            group = m.group(d.model_name)
            m.healthy(group, d.id).set(1 if d.healthy else 0)
            m.cooling(group, d.id).set(1 if d.cooling_down() else 0)
            m.in_flight(group, d.id).set(d.in_flight)
        queue = self._queue
        if isinstance(queue, MemorySpendQueue):
            m.queue_depth().set(len(queue))
            self._count("dropped", queue.dropped, m.spend_dropped().inc)
        elif isinstance(queue, RedisSpendQueue):
            m.queue_depth().set(queue.held)
        counters = self._counters
        if isinstance(counters, OutageTolerantCounters):
            self._count("failures", counters.failures, m.redis_failures().inc)
            self._count("open", counters.served_open, m.redis_outage("served_uncounted").inc)
            self._count("closed", counters.refused, m.redis_outage("refused").inc)

    def _count(self, name: str, total: int, inc: Callable[[float], None]) -> None:
        """Add what a plain counter gained since the last refresh to its Prometheus twin."""
        gained = total - self._seen.get(name, 0)
        if gained > 0:
            inc(gained)
        self._seen[name] = total

    async def refresh_stream(self) -> None:
        """The Redis spend stream's length (skipped while Redis is down)."""
        if self._redis is None or self._stream is None:
            return
        try:
            length = await self._redis.xlen(self._stream)
        except (RedisError, OSError):
            return
        self.metrics.stream_length().set(length)

    async def refresh_budgets(self) -> None:
        """Budget headroom of the keys admitted since the last refresh (key labels only):
        one read of their counters each, nothing reserved."""
        admitter = self._admitter
        if admitter is None:
            return
        for identity in self.metrics.active_keys():
            try:
                _, peek = await admitter.peek(identity.levels, tokens=0, reserve=Decimal(0))
            except (RedisError, OSError, LimitsUnavailableError):
                return  # Redis is down: the outage counters say so
            now = datetime.fromtimestamp(admitter.clock(), UTC)
            left = [
                level_report(level, usage, now).remaining("budget")
                for level, usage in zip(identity.levels, peek.usage, strict=True)
            ]
            budgets = [value for value in left if value is not None]
            if budgets:
                self.metrics.key_budget_left(identity, min(budgets))

    async def start(self, interval: float) -> None:
        self.refresh()
        if self._task is None:
            self._stopping = asyncio.Event()
            self._task = asyncio.create_task(self._run(interval), name="deltallm-metrics")

    async def stop(self) -> None:
        """Stop after the refresh in hand: a Redis command is never cancelled midway (redis-py
        may not return from a cancelled read)."""
        if self._task is not None:
            self._stopping.set()
            await self._task
            self._task = None
        self.refresh()

    async def _run(self, interval: float) -> None:
        while not self._stopping.is_set():
            try:
                self.refresh()
                await self.refresh_stream()
                await self.refresh_budgets()
            except Exception:
                log.exception("refreshing the state gauges failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), interval)
