"""The spend queue: settlement puts records in, a background task writes them in batches.

:class:`MemorySpendQueue` keeps records in this process (lost if it crashes, flushed on a
clean stop); :class:`~app.spend.redis_queue.RedisSpendQueue` keeps them in a Redis stream,
so they survive a crash of the instance that accepted them.

A batch the database refuses for its data (a value out of range, say) is split until the
offending records are found; those are logged in full and dropped, so one bad record never
blocks the rest. A batch that fails because the database is unreachable is kept and retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from app.db.outage import database_unreachable, warn_unreachable
from app.spend.records import SpendRecord, encode_record

__all__ = ["BATCH_SIZE", "MemorySpendQueue", "SpendQueue", "SpendSink", "deliver"]

log = logging.getLogger("deltallm.spend")

BATCH_SIZE = 500
"""Records per write: a flush starts early once this many are waiting."""


class SpendSink(Protocol):
    """Where batches go: :class:`~app.spend.writer.SpendWriter` in production."""

    async def write(self, records: Sequence[SpendRecord]) -> int: ...


class SpendQueue(Protocol):
    """Accepts spend records off the request path and writes them in the background."""

    async def put(self, record: SpendRecord) -> None:
        """Queue one record (call it from a background task, after the response)."""

    async def start(self) -> None:
        """Start the background writer."""

    async def stop(self) -> None:
        """Stop the background writer after writing what was accepted."""

    async def flush(self) -> bool:
        """Write what is queued now; False if the database failed (the records are kept)."""


def _is_bad_data(exc: BaseException) -> bool:
    """Whether the records themselves were refused (as opposed to the database failing)."""
    if isinstance(exc, DataError | IntegrityError | ValueError):
        return True
    return isinstance(exc, StatementError) and not isinstance(exc, DBAPIError)


async def deliver(writer: SpendSink, records: Sequence[SpendRecord]) -> bool:
    """Write ``records``; False when they should be retried later (the database failed).

    Records refused for their data are isolated by halving the batch, logged and dropped.
    Halves already written are harmless to write again: the writer ignores known requests.
    """
    try:
        await writer.write(records)
    except Exception as exc:
        if database_unreachable(exc):
            warn_unreachable(exc, f"writing {len(records)} spend records (they wait and retry)")
            return False
        if not _is_bad_data(exc):
            log.warning("could not write %d spend records; will retry", len(records), exc_info=exc)
            return False
        if len(records) == 1:
            dropped = encode_record(records[0]).decode()
            log.error("dropping a spend record the database refused: %s", dropped, exc_info=exc)
            return True
        half = len(records) // 2
        first = await deliver(writer, records[:half])
        second = await deliver(writer, records[half:])
        return first and second
    return True


class MemorySpendQueue:
    """An in-process buffer flushed every ``interval`` seconds (sooner when a batch is full)."""

    def __init__(
        self,
        writer: SpendSink,
        interval: float,
        *,
        batch_size: int = BATCH_SIZE,
        max_buffered: int = 200_000,
    ) -> None:
        self._writer = writer
        self._interval = interval
        self._batch_size = batch_size
        self._max_buffered = max_buffered
        self._buffer: deque[SpendRecord] = deque()
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.dropped = 0
        """Records discarded because the buffer was full (the database was away too long)."""

    def __len__(self) -> int:
        return len(self._buffer)

    async def put(self, record: SpendRecord) -> None:
        """Buffer one record; never waits on the database."""
        if len(self._buffer) >= self._max_buffered:
            self._buffer.popleft()
            self.dropped += 1
            if self.dropped % 1000 == 1:
                log.error("spend buffer full: %d records dropped so far", self.dropped)
        self._buffer.append(record)
        if len(self._buffer) >= self._batch_size:
            self._wake.set()

    async def start(self) -> None:
        """Start flushing in the background."""
        if self._task is None:
            self._stopping = False
            self._stopped.clear()
            self._task = asyncio.create_task(self._run(), name="deltallm-spend-queue")

    async def stop(self) -> None:
        """Stop the background task, then write everything still buffered."""
        if self._task is not None:
            self._stopping = True
            self._stopped.set()
            self._wake.set()
            await self._task
            self._task = None
        if not await self.flush():
            log.error("%d spend records could not be written at shutdown", len(self._buffer))

    async def flush(self) -> bool:
        """Write what is buffered now, batch by batch; False if the database failed."""
        async with self._lock:
            # Only what is here now: records arriving meanwhile wait for the next flush,
            # so a busy gateway writes full batches instead of a stream of tiny ones.
            pending = len(self._buffer)
            while pending > 0 and self._buffer:
                count = min(self._batch_size, pending, len(self._buffer))
                pending -= count
                batch = [self._buffer.popleft() for _ in range(count)]
                if not await deliver(self._writer, batch):
                    self._buffer.extendleft(reversed(batch))
                    return False
            return True

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            try:
                written = await self.flush()
            except Exception:
                log.exception("spend flush failed")
                written = False
            if not written:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped.wait(), self._interval)
