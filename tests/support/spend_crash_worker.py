"""A gateway instance that dies in the middle of a spend batch (killed by the test).

    python -m tests.support.spend_crash_worker REDIS_URL STREAM GROUP DATABASE_URL N MODE

Puts the N records of :func:`crash_records` on the stream, then consumes them with a
writer that never returns: MODE ``before-write`` hangs before touching the database,
``after-commit`` writes and commits its batch first (a crash between the commit and the
XACK). It prints ``HANG <count>`` when it hangs, so the test knows when to SIGKILL it.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from redis.asyncio import Redis

from app.db.engine import create_engine, session_factory
from app.spend.records import SpendRecord
from app.spend.redis_queue import RedisSpendQueue
from app.spend.writer import SpendWriter

BATCH = 7
"""Records the crashing consumer reads at once: the rest stay unread in the stream."""


def crash_records(n: int, prefix: str) -> list[SpendRecord]:
    """N distinct records over two UTC days, with costs that only add up exactly as Decimals."""
    start = datetime(2026, 5, 1, 22, 0, tzinfo=UTC)
    return [
        SpendRecord(
            request_id=f"{prefix}-{i}",
            model_group="gpt-4o" if i % 2 else "claude-3-5-haiku",
            cost=Decimal(i + 1) / 1000 + Decimal("0.0000000001"),
            started_at=start + timedelta(minutes=15 * i),
            ended_at=start + timedelta(minutes=15 * i, seconds=2),
            prompt_tokens=100 + i,
            completion_tokens=10,
            end_user=f"customer-{i % 3}",
        )
        for i in range(n)
    ]


class HangingWriter:
    """Never finishes a batch; with a real writer, commits the batch first."""

    def __init__(self, writer: SpendWriter | None) -> None:
        self._writer = writer

    async def write(self, records: Sequence[SpendRecord]) -> int:
        if self._writer is not None:
            await self._writer.write(records)
        print(f"HANG {len(records)}", flush=True)
        await asyncio.Event().wait()
        return 0


async def main(redis_url: str, stream: str, group: str, db_url: str, n: int, mode: str) -> None:
    client = Redis.from_url(redis_url)
    engine = create_engine(db_url) if mode == "after-commit" else None
    writer = SpendWriter(session_factory(engine)) if engine is not None else None
    queue = RedisSpendQueue(
        client,
        HangingWriter(writer),
        interval=0.1,
        consumer=f"doomed-{os.getpid()}",
        stream=stream,
        group=group,
        batch_size=BATCH,
    )
    for record in crash_records(n, stream):
        await queue.put(record)
    await queue.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    redis_url, stream, group, db_url, n, mode = sys.argv[1:7]
    asyncio.run(main(redis_url, stream, group, db_url, int(n), mode))
