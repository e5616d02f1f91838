"""Settlement: the actual cost replaces the reservation, and a spend record is queued.

Runs in tasks of its own, after the answer is on its way: nothing here delays a
response, and a client that goes away cannot cancel it. ``drain`` waits for what is
still running at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from app.keys.identity import KeyIdentity
from app.limits.counters import CounterStore, Reservation
from app.observability.metrics import Metrics
from app.providers.base import Operation, Usage
from app.router.deployment import Deployment
from app.spend.models import SpendStatus
from app.spend.pricing import ModelPrice, cost_of, price_for
from app.spend.queue import SpendQueue
from app.spend.records import SpendRecord

__all__ = ["CallFacts", "CombinedSettle", "Settler"]

log = logging.getLogger("deltallm.spend")


class CombinedSettle(Protocol):
    """Settles a reservation and queues its spend record together (one round trip)."""

    async def __call__(
        self,
        reservation: Reservation | None,
        *,
        cost: Decimal,
        tokens: int,
        now: float,
        record: SpendRecord,
    ) -> None: ...


@dataclass(slots=True)
class CallFacts:
    """What settlement needs to know about one call."""

    request_id: str
    op: Operation
    identity: KeyIdentity | None
    model_group: str
    end_user: str | None
    tags: list[str]
    started_at: datetime
    started: float = field(default_factory=time.perf_counter)
    reservation: Reservation | None = None
    key_model: str | None = None
    routing_started: float | None = None
    """When the router was first asked (None: the call was refused before routing)."""
    upstream_seconds: float = 0.0
    """Time spent in the router until it answered (for a stream: until it opened)."""
    stream: bool = False
    cache_hit: bool = False
    """Answered from the response cache: free unless ``charge_hit``."""
    charge_hit: bool = False
    guardrails: list[str] = field(default_factory=list)
    """Names of the guardrails that ran on the call, for the request log."""
    guardrail_note: str | None = None
    """What a guardrail found in a streamed answer too late to stop it."""
    redact: Callable[[str], str] | None = None
    """Masks an error message as the call's ``logging_only`` guardrails would."""


def _recorded(message: str | None, facts: CallFacts) -> str | None:
    return facts.redact(message) if message and facts.redact is not None else message


class Settler:
    def __init__(
        self,
        counters: CounterStore,
        queue: SpendQueue,
        clock: Callable[[], float] = time.time,
        metrics: Metrics | None = None,
        combined: CombinedSettle | None = None,
    ) -> None:
        self._counters = counters
        self._queue = queue
        self._combined = combined
        """Settles the counters and queues the record in one round trip, when possible."""
        self.metrics = metrics
        self.clock = clock
        self._tasks: set[asyncio.Task[None]] = set()
        self._prices: dict[tuple[str, str], ModelPrice | None] = {}

    def price(self, deployment: Deployment, model_group: str) -> ModelPrice | None:
        upstream = deployment.upstream_model(model_group)
        cache_key = (deployment.id, upstream)
        if cache_key not in self._prices:
            self._prices[cache_key] = price_for(deployment.params, deployment.info, upstream)
        return self._prices[cache_key]

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("settlement failed", exc_info=task.exception())

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def settle(
        self,
        facts: CallFacts,
        *,
        deployment: Deployment | None,
        usage: Usage | None,
        status: SpendStatus,
        status_code: int,
        first_chunk_at: float | None = None,
        error_message: str | None = None,
    ) -> None:
        price = self.price(deployment, facts.model_group) if deployment else None
        usage = usage or Usage()
        cost = cost_of(usage, price) if not facts.cache_hit or facts.charge_hit else Decimal(0)
        ended = time.perf_counter()
        now = self.clock()
        outcome = (status.value, status_code, error_message)
        record = _record(facts, deployment, usage, cost, (ended, now, first_chunk_at), outcome)
        if self.metrics is not None:
            self._observe(facts, deployment, usage, cost, status_code, ended, first_chunk_at)
        tokens = usage.total_tokens
        if self._combined is not None:
            await self._combined(
                facts.reservation, cost=cost, tokens=tokens, now=now, record=record
            )
            return
        if facts.reservation is not None:
            await self._counters.settle(facts.reservation, cost=cost, tokens=tokens, now=now)
        await self._queue.put(record)

    def _observe(
        self,
        facts: CallFacts,
        deployment: Deployment | None,
        usage: Usage,
        cost: Decimal,
        status_code: int,
        ended: float,
        first_chunk_at: float | None,
    ) -> None:
        assert self.metrics is not None
        durations = None
        if facts.routing_started is not None:
            total = ended - facts.started
            if facts.stream:
                # A stream's body comes from upstream: the gateway's part is what came before.
                overhead = facts.routing_started - facts.started
                durations = (total, max(0.0, total - overhead), overhead)
            else:
                upstream = facts.upstream_seconds
                durations = (total, upstream, max(0.0, total - upstream))
        self.metrics.settled(
            model_group=facts.model_group,
            deployment=deployment.id if deployment else None,
            status_code=status_code,
            identity=facts.identity,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost=cost,
            durations=durations,
            ttft=first_chunk_at - facts.started if first_chunk_at else None,
        )


def _record(
    facts: CallFacts,
    deployment: Deployment | None,
    usage: Usage,
    cost: Decimal,
    times: tuple[float, float, float | None],
    outcome: tuple[str, int, str | None],
) -> SpendRecord:
    """The spend record of a settled call; ``times`` is (ended, now, first chunk at) and
    ``outcome`` (status, status code, error message)."""
    ended, now, first_chunk_at = times
    status, status_code, error_message = outcome
    identity = facts.identity
    return SpendRecord(
        request_id=facts.request_id,
        key_id=identity.key_id if identity else None,
        user_id=identity.user_id if identity else None,
        team_id=identity.team_id if identity else None,
        org_id=identity.org_id if identity else None,
        end_user=facts.end_user,
        model_group=facts.model_group,
        deployment_id=deployment.id if deployment else None,
        provider=deployment.params.provider if deployment else None,
        call_type=facts.op.value,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        cached_tokens=usage.cached_tokens,
        cost=cost,
        latency_ms=int((ended - facts.started) * 1000),
        ttft_ms=(int((first_chunk_at - facts.started) * 1000) if first_chunk_at else None),
        status=status,
        status_code=status_code,
        cache_hit=facts.cache_hit,
        tags=facts.tags,
        guardrails=facts.guardrails,
        started_at=facts.started_at,
        ended_at=datetime.fromtimestamp(now, UTC),
        key_model=facts.key_model,
        error_message=_recorded(error_message or facts.guardrail_note, facts),
    )
