"""The response cache on the request path: one lookup per cacheable call, between the
pre-call guardrails and the router.

A hit answers from the entry (a stream is replayed) and is settled at no cost unless
``charge_hits``; a miss goes upstream and its answer (a stream: once complete) is stored.
Identical requests in flight wait for the first (:mod:`app.cache.singleflight`). A backend
that fails never fails a request: the failure is logged once, counted, and the request is
served uncached.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.cache.backends.base import CacheBackend, CacheBackendError
from app.cache.controls import CacheControls, parse_controls
from app.cache.entry import Entry, decode_entry, encode_entry, new_entry
from app.cache.health import BackendHealth
from app.cache.keys import cache_key, scope_of
from app.cache.recording import RecordingStream
from app.cache.replay import ReplayedStream
from app.cache.singleflight import SingleFlight
from app.gateway_settings.sections import CacheMode, CacheSettings
from app.providers.base import Operation, ProviderResult, Usage
from app.router.deployment import Deployment
from app.router.routed import RoutedResult, RoutedStream

if TYPE_CHECKING:
    from app.gateway.pipeline import RequestContext
    from app.gateway.settlement import CallFacts
    from app.observability.metrics import Metrics
    from app.router.router import Router

__all__ = ["ResponseCache"]

CALL_TYPES = {
    Operation.CHAT: "chat_completions",
    Operation.COMPLETION: "completions",
    Operation.EMBEDDING: "embeddings",
    Operation.MESSAGES: "messages",
    Operation.RESPONSES: "responses",
}
_STREAM_KINDS = {
    Operation.CHAT: "chat",
    Operation.COMPLETION: "completion",
    Operation.MESSAGES: "messages",
    Operation.RESPONSES: "responses",
}
_SSE_OVERHEAD = 32
"""How much larger than the answer it assembles into a stream may be (a chunk of JSON per
token); past that a stream is not recorded, so recording costs bounded memory."""
_WAIT_SECONDS = 60.0
"""How long identical requests wait for the one in flight before going upstream themselves."""


@dataclass(slots=True)
class _Plan:
    op: Operation
    call_type: str
    key: str
    group: str
    controls: CacheControls
    leader: bool = False
    locked: bool = False


class ResponseCache:
    def __init__(
        self,
        settings: CacheSettings,
        backend: CacheBackend,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.backend = backend
        self.metrics = metrics
        self.clock = clock
        """Wall clock of entry ages and expiry (tests move it)."""
        self.flights = SingleFlight()
        self.health = BackendHealth(self._count)

    # --- the request path -------------------------------------------------------------

    async def call(
        self,
        ctx: RequestContext,
        facts: CallFacts,
        body: dict[str, Any],
        routing: Coroutine[Any, Any, RoutedResult],
        router: Router,
    ) -> RoutedResult:
        """The cached answer, or ``routing``'s (stored on the way)."""
        plan = await self._begin(ctx, facts, body, routing)
        if isinstance(plan, Entry):
            self._hit(ctx, facts)
            result = ProviderResult(plan.body, plan.media_type, plan.usage)
            return RoutedResult(
                result, _deployment(router, facts.model_group, plan), facts.model_group
            )
        if plan is None:
            return await routing
        try:
            routed = await routing
        except BaseException:
            await self._land(plan, None)
            raise
        result, deployment = routed.result, routed.deployment.id
        await self._finish(plan, result.content, result.media_type, result.usage, deployment)
        return routed

    async def stream(
        self,
        ctx: RequestContext,
        facts: CallFacts,
        body: dict[str, Any],
        routing: Coroutine[Any, Any, RoutedStream],
        router: Router,
    ) -> RoutedStream:
        """The cached answer replayed, or ``routing``'s stream (recorded on the way)."""
        plan = await self._begin(ctx, facts, body, routing)
        if isinstance(plan, Entry):
            self._hit(ctx, facts)
            options = body.get("stream_options")
            usage = isinstance(options, dict) and bool(options.get("include_usage"))
            deployment = _deployment(router, facts.model_group, plan)
            kind = _STREAM_KINDS[ctx.op]
            return ReplayedStream(plan, deployment, facts.model_group, kind=kind, usage=usage)
        if plan is None:
            return await routing
        try:
            routed = await routing
        except BaseException:
            await self._land(plan, None)
            raise
        if not plan.controls.write:
            await self._land(plan, None)
            return routed
        produced_by = routed.deployment.id

        async def store(answer: bytes | None, usage: Usage | None) -> None:
            await self._finish(plan, answer, "application/json", usage, produced_by)

        limit = self.settings.max_entry_bytes * _SSE_OVERHEAD
        return RecordingStream(routed, kind=_STREAM_KINDS[ctx.op], store=store, limit=limit)

    async def _begin(
        self,
        ctx: RequestContext,
        facts: CallFacts,
        body: dict[str, Any],
        routing: Coroutine[Any, Any, Any],
    ) -> _Plan | Entry | None:
        """An entry to answer with, a plan for the miss, or None (not cached)."""
        try:
            plan = self._plan(ctx, facts, body)
        except BaseException:
            routing.close()
            raise
        if plan is None:
            return None
        try:
            entry = await self._lookup(plan)
        except BaseException:  # the caller left while waiting: release what it held
            routing.close()
            await self._land(plan, None)
            raise
        if entry is not None:
            routing.close()
            return entry
        ctx.cache = "miss"
        self._count("miss", plan.call_type)
        return plan

    def _plan(self, ctx: RequestContext, facts: CallFacts, body: dict[str, Any]) -> _Plan | None:
        given = body.pop("cache", None)
        settings = self.settings
        call_type = CALL_TYPES.get(ctx.op)
        if call_type is None or call_type not in settings.call_types:
            return None
        if body.get("deltallm_store"):
            return None  # a stored response keeps its own id: it is never answered twice
        controls = parse_controls(given, ctx.headers, facts.identity)
        if settings.mode is CacheMode.DEFAULT_OFF and not controls.opt_in:
            return None
        if not controls.read and not controls.write:
            return None
        tenant = scope_of(settings.scope, facts.identity)
        digest = cache_key(ctx.op, facts.model_group, tenant, body)
        key = f"{controls.namespace or 'default'}/{digest}"
        return _Plan(ctx.op, call_type, key, facts.model_group, controls)

    def _hit(self, ctx: RequestContext, facts: CallFacts) -> None:
        ctx.cache = "hit"
        facts.cache_hit = True
        facts.charge_hit = self.settings.charge_hits
        self._count("hit", CALL_TYPES.get(ctx.op, ctx.op.value))

    # --- lookups and single flight ----------------------------------------------------

    async def _lookup(self, plan: _Plan) -> Entry | None:
        if plan.controls.read:
            entry = await self._read(plan)
            if entry is not None:
                return entry
        if plan.controls.write and self.flights.lead(plan.key):
            plan.leader = True
            return await self._elsewhere(plan) if plan.controls.read else None
        if not plan.controls.read:
            return None
        return await self.flights.follow(plan.key, _WAIT_SECONDS)

    async def _elsewhere(self, plan: _Plan) -> Entry | None:
        """Take the backend's lock, or wait for the instance that holds it."""
        if self.health.resting:
            return None
        try:
            if await self.backend.lock(plan.key, _WAIT_SECONDS):
                plan.locked = True
                return None
            self.flights.waiting += 1
            try:
                return await self._wait_elsewhere(plan)
            finally:
                self.flights.waiting -= 1
        except CacheBackendError as exc:
            self._failed(exc, plan.call_type)
        return None

    async def _wait_elsewhere(self, plan: _Plan) -> Entry | None:
        deadline, delay = time.monotonic() + _WAIT_SECONDS, 0.05
        while time.monotonic() < deadline:
            await asyncio.sleep(delay)
            delay = min(0.5, delay * 2)
            entry = await self._read(plan)
            if entry is not None:
                await self._land(plan, entry)
                return entry
            if not await self.backend.locked(plan.key):
                return None
        return None

    async def _read(self, plan: _Plan) -> Entry | None:
        if self.health.resting:
            return None
        try:
            data = await self.backend.get(plan.key)
        except CacheBackendError as exc:
            self._failed(exc, plan.call_type)
            return None
        self._recovered()
        entry = decode_entry(data) if data else None
        if entry is None:
            return None
        now = self.clock()
        if now >= entry.expires_at:
            await self._quietly(self.backend.delete(plan.key), plan.call_type)
            return None
        return entry if entry.fresh(now, plan.controls.max_age) else None

    async def _finish(
        self,
        plan: _Plan,
        content: bytes | None,
        media_type: str,
        usage: Usage | None,
        deployment_id: str | None,
    ) -> None:
        """Store a complete answer (within the size bound); release the waiting requests."""
        entry = None
        ttl = self.settings.ttl if plan.controls.ttl is None else plan.controls.ttl
        if content is not None and plan.controls.write and ttl > 0:
            entry = new_entry(content, media_type, usage, deployment_id, self.clock(), ttl)
            data = encode_entry(entry)
            if len(data) > self.settings.max_entry_bytes:
                entry = None
            elif await self._quietly(self.backend.set(plan.key, data, ttl), plan.call_type):
                self._count("store", plan.call_type)
        await self._land(plan, entry)

    async def _land(self, plan: _Plan, entry: Entry | None) -> None:
        if plan.leader:
            plan.leader = False
            self.flights.land(plan.key, entry)
        if plan.locked:
            plan.locked = False
            await self._quietly(self.backend.unlock(plan.key), plan.call_type)

    # --- failures and metrics ---------------------------------------------------------

    async def _quietly(self, work: Coroutine[Any, Any, None], call_type: str) -> bool:
        if self.health.resting:
            work.close()
            return False
        try:
            await work
        except CacheBackendError as exc:
            self._failed(exc, call_type)
            return False
        self._recovered()
        return True

    def _failed(self, exc: CacheBackendError, call_type: str) -> None:
        self.health.failed(self.backend.name, exc, call_type)

    def _recovered(self) -> None:
        self.health.recovered(self.backend.name)

    def _count(self, event: str, call_type: str) -> None:
        if self.metrics is not None:
            self.metrics.cache_event(event, self.backend.name, call_type)

    # --- administration ---------------------------------------------------------------

    async def flush(self) -> int:
        """Delete every entry of this cache (its namespace); raises CacheBackendError."""
        return await self.backend.flush()

    async def aclose(self) -> None:
        await self.backend.aclose()


def _deployment(router: Router, group: str, entry: Entry) -> Deployment:
    """The deployment that produced ``entry`` (for pricing hits), else the group's first."""
    _, deployments = router.resolve(group)
    return next((d for d in deployments if d.id == entry.deployment_id), deployments[0])
