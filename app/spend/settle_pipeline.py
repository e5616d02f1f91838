"""Settlement in one Redis round trip: the counters' settle script and the spend stream's
XADD go out together in a pipeline (not a transaction) instead of one after the other.

Either command failing falls back to what it does alone: the settle script is idempotent
per request id (``NOSCRIPT`` or an outage: :meth:`OutageTolerantCounters.settle`), and a
spend record the stream did not take is held in memory by the queue (written twice at
worst, which the writer ignores).
"""

from __future__ import annotations

from decimal import Decimal

from redis.exceptions import RedisError

from app.limits.counters import CounterStore, Reservation
from app.limits.outage import OutageTolerantCounters
from app.limits.redis_store import RedisCounterStore
from app.spend.queue import SpendQueue
from app.spend.records import SpendRecord
from app.spend.redis_queue import RedisSpendQueue

__all__ = ["PipelinedSettlement"]


class PipelinedSettlement:
    """``await settle(reservation, cost=..., tokens=..., now=..., record=...)``."""

    def __init__(
        self, counters: CounterStore, store: RedisCounterStore, queue: RedisSpendQueue
    ) -> None:
        self._counters = counters
        self._store = store
        self._queue = queue

    @classmethod
    def build(cls, counters: CounterStore, queue: SpendQueue) -> PipelinedSettlement | None:
        """The pipelined path when counters and spend stream share one Redis client."""
        store = counters.inner if isinstance(counters, OutageTolerantCounters) else counters
        if not isinstance(store, RedisCounterStore) or not isinstance(queue, RedisSpendQueue):
            return None
        if store.client is not queue.client:
            return None
        return cls(counters, store, queue)

    async def __call__(
        self,
        reservation: Reservation | None,
        *,
        cost: Decimal,
        tokens: int,
        now: float,
        record: SpendRecord,
    ) -> None:
        commands = []
        if reservation is not None:
            commands.append(
                self._store.settle_command(reservation, cost=cost, tokens=tokens, now=now)
            )
        commands.append(self._queue.add_command(record))
        results: list[object] | None
        try:
            async with self._queue.client.pipeline(transaction=False) as pipe:
                for command in commands:
                    if command[0] == "XADD":
                        pipe.execute_command(*command)
                    else:
                        pipe.execute_command("EVALSHA", *command)
                results = await pipe.execute(raise_on_error=False)
        except (RedisError, OSError):
            results = None
        if reservation is not None and (results is None or isinstance(results[0], Exception)):
            await self._counters.settle(reservation, cost=cost, tokens=tokens, now=now)
        if results is None:
            await self._queue.put(record)
        elif isinstance(results[-1], Exception):
            self._queue.hold(record, results[-1])
