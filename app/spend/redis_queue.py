"""The durable spend queue: a Redis stream read by a consumer group of every instance.

``put`` is one XADD. Each instance's consumer reads batches (XREADGROUP), writes them,
then acknowledges and deletes them (XACK + XDEL). Entries left unacknowledged for
``claim_idle`` seconds (their reader crashed, or the database failed) are taken over with
XAUTOCLAIM by any live consumer, so a record survives the instance that accepted it. A
batch may thus be written twice; the writer makes the second write change nothing.

While Redis cannot be reached, ``put`` holds records in memory (bounded by ``HELD_MAX``) and
the consumer task writes them to the database directly, so an answer already given is
neither refused nor lost for want of the stream.

With ``consume=False`` (a worker of ``deltallm serve`` whose instance has a spend writer
process, :mod:`app.spend.writer_process`) the queue only appends; its task writes no more
than the records it held while Redis was away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from app.spend.queue import BATCH_SIZE, SpendSink, deliver
from app.spend.records import SpendRecord, decode_record, encode_record

__all__ = ["HELD_MAX", "RedisSpendQueue"]

log = logging.getLogger("deltallm.spend")
_BLOCK_MS = 250
"""Longest wait for new entries in one XREADGROUP: ``stop`` cannot interrupt a blocked read
(cancelling a redis-py command mid-read is unsafe), so this bounds how long it waits."""

_FIELD = "r"
HELD_MAX = 100_000
"""Spend records held in memory while Redis is unreachable; beyond it the oldest go."""
_Entry = tuple[Any, Any]


def _entries(reply: Any) -> list[_Entry]:
    """The (id, fields) pairs of an XREADGROUP reply (RESP2 list or RESP3 map)."""
    if not reply:
        return []
    streams = reply.items() if isinstance(reply, dict) else reply
    return [(entry[0], entry[1]) for _, entries in streams for entry in entries]


def _decode(entry_id: Any, fields: Any) -> SpendRecord | None:
    raw = None if fields is None else fields.get(_FIELD.encode(), fields.get(_FIELD))
    if raw is None:
        return None
    try:
        return decode_record(raw)
    except msgspec.DecodeError:
        log.error("dropping unreadable spend entry %s: %r", entry_id, raw)
        return None


class RedisSpendQueue:
    """A spend queue on a Redis stream; ``consumer`` must be unique to this instance."""

    def __init__(
        self,
        client: Redis,
        writer: SpendSink,
        interval: float,
        consumer: str,
        stream: str = "deltallm:spend",
        group: str = "writers",
        *,
        batch_size: int = BATCH_SIZE,
        claim_idle: float = 30.0,
        consume: bool = True,
    ) -> None:
        self._redis = client
        self._writer = writer
        self._interval = interval
        self._consumer = consumer
        self._stream = stream
        self._group = group
        self._batch_size = batch_size
        self._claim_idle = claim_idle
        self.consumes = consume
        """Whether this queue reads the stream (False: another process of the instance does)."""
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._held: deque[SpendRecord] = deque()

    @property
    def held(self) -> int:
        """Records waiting in memory for the database because Redis was unreachable."""
        return len(self._held)

    @property
    def client(self) -> Redis:
        return self._redis

    def add_command(self, record: SpendRecord) -> tuple[Any, ...]:
        """The ``XADD`` of :meth:`put`, for a caller that pipelines it with other commands
        (and calls :meth:`hold` if it fails)."""
        return ("XADD", self._stream, "*", _FIELD, encode_record(record))

    async def put(self, record: SpendRecord) -> None:
        """Append the record to the stream (one XADD); hold it in memory if Redis is down."""
        try:
            await self._redis.xadd(self._stream, {_FIELD: encode_record(record)})
        except (RedisError, OSError) as exc:
            self.hold(record, exc)

    def hold(self, record: SpendRecord, exc: BaseException) -> None:
        """Keep a record the stream did not take in memory; the consumer writes it to the
        database directly."""
        if not self._held:
            log.warning(
                "spend stream unavailable (%s: %s); records are written to the database "
                "directly until Redis answers again",
                type(exc).__name__,
                exc,
            )
        elif len(self._held) >= HELD_MAX:
            dropped = self._held.popleft()
            log.error(
                "%d spend records held while Redis is down: dropped the oldest (%s)",
                HELD_MAX,
                dropped.request_id,
            )
        self._held.append(record)
        self._wake.set()

    async def _write_held(self) -> None:
        """Write the records held while Redis was down, a batch at a time, straight to the
        database; what the database refuses to take now stays held for the next round."""
        while self._held:
            batch = [self._held.popleft() for _ in range(min(len(self._held), self._batch_size))]
            async with self._lock:
                written = await deliver(self._writer, batch)
            if not written:
                self._held.extendleft(reversed(batch))
                return

    async def start(self) -> None:
        """Join the consumer group and start consuming; pending entries are claimed first.
        Appending only, start the task that writes held records."""
        if self._task is None:
            self._stopping = False
            if not self.consumes:
                self._task = asyncio.create_task(self._hold_run(), name="deltallm-spend-held")
                return
            await self._ensure_group()
            self._task = asyncio.create_task(self._run(), name="deltallm-spend-stream")

    async def stop(self) -> None:
        """Finish the batch in hand, then write what is waiting in the stream, and stop."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        await self._task
        self._task = None
        await self._write_held()
        if self._held:
            log.error("%d spend records could not be written at shutdown", len(self._held))
        if not self.consumes:
            return
        try:
            if not await self.flush():
                log.error("spend records not written at shutdown stay queued in Redis")
        except (RedisError, OSError):
            log.warning("spend stream not drained at shutdown; it stays queued", exc_info=True)

    async def flush(self) -> bool:
        """Write every new entry, then this consumer's unacknowledged ones; False if the
        database failed. Entries the background task holds are written too (harmlessly twice).
        Appending only, write the held records (the writer process reads the stream).
        """
        if not self.consumes:
            await self._write_held()
            return not self._held
        while entries := await self._read(">", block=False):
            if not await self._process(entries):
                return False
        return await self._write_own_pending()

    async def _write_own_pending(self) -> bool:
        """Write the entries this consumer read but could not write; False if the database
        failed again."""
        cursor: Any = "0"
        while entries := await self._read(cursor, block=False):
            if not await self._process(entries):
                return False
            cursor = entries[-1][0]
        return True

    async def _ensure_group(self) -> None:
        try:
            await self._redis.xgroup_create(self._stream, self._group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def _hold_run(self) -> None:
        """Appending only: write what is held while Redis is away, woken by ``hold``."""
        while not self._stopping:
            await self._write_held()
            await self._pause()

    async def _run(self) -> None:
        next_claim = 0.0
        outage = False
        failed = False  # a batch this consumer read could not be written
        while not self._stopping:
            await self._write_held()
            try:
                if time.monotonic() >= next_claim:
                    next_claim = time.monotonic() + self._claim_idle / 2
                    await self._claim()
                if failed and not await self._write_own_pending():
                    # The database is still away: what was read stays pending until then.
                    await self._pause()
                    continue
                failed = False
                entries = await self._read(">", block=True)
                if entries and not await self._process(entries):
                    failed = True
                    await self._pause()
                elif 0 < len(entries) < self._batch_size:
                    # Let the next batch fill for an interval rather than writing a
                    # stream of tiny ones while the gateway is busy.
                    await self._pause()
            except (RedisError, OSError) as exc:
                if not outage:
                    log.warning(
                        "spend stream unavailable (%s: %s); retrying", type(exc).__name__, exc
                    )
                outage = True
                if isinstance(exc, ResponseError) and "NOGROUP" in str(exc):
                    with contextlib.suppress(RedisError, OSError):
                        await self._ensure_group()
                await self._pause()
            else:
                if outage:
                    log.warning("spend stream available again")
                outage = False

    async def _pause(self) -> None:
        """Wait one interval, or less when stopping or when records are held for writing."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._interval)
        if not self._stopping:
            self._wake.clear()

    async def _claim(self) -> None:
        """Take over entries another (or this) consumer left unacknowledged too long."""
        cursor: Any = "0-0"
        while True:
            reply = await self._redis.xautoclaim(
                self._stream,
                self._group,
                self._consumer,
                min_idle_time=int(self._claim_idle * 1000),
                start_id=cursor,
                count=self._batch_size,
            )
            cursor, entries = reply[0], reply[1]
            if entries and not await self._process([(e[0], e[1]) for e in entries]):
                await asyncio.sleep(self._interval)
            if cursor in (b"0-0", "0-0") or self._stopping:
                return

    async def _read(self, start: Any, *, block: bool) -> list[_Entry]:
        """One XREADGROUP: new entries (``>``), or this consumer's pending ones after an id."""
        reply = await self._redis.xreadgroup(
            self._group,
            self._consumer,
            {self._stream: start},
            count=self._batch_size,
            block=min(max(1, int(self._interval * 1000)), _BLOCK_MS) if block else None,
        )
        return _entries(reply)

    async def _process(self, entries: Sequence[_Entry]) -> bool:
        """Write the entries, then XACK + XDEL them; False (left pending) if the write failed."""
        records = [r for r in (_decode(i, f) for i, f in entries) if r is not None]
        async with self._lock:
            if records and not await deliver(self._writer, records):
                return False
        ids = [entry_id for entry_id, _ in entries]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xack(self._stream, self._group, *ids)
            pipe.xdel(self._stream, *ids)
            await pipe.execute()
        return True
