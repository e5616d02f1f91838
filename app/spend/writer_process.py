"""The spend writer of an instance, and the process of its own it runs in under Redis.

With Redis, ``deltallm serve`` starts one writer process beside its workers. The workers only
append spend records to the Redis stream (one ``XADD``, pipelined with the settlement); the
writer reads the stream as the instance's consumer and writes the batches to the database.
Writing a batch (decoding, binding rows, three statements and the budget locks) then costs
the serving event loops nothing: under load it was about a sixth of a worker's CPU, and its
pauses were most of the tail latency.

While Redis is unreachable the workers hold records and write them to the database
themselves, as before. The writer stops when ``serve`` tells it to (SIGTERM, sent once the
workers have drained, so it writes what they added last) or when ``serve`` is gone
(SIGKILL included): then it writes what it read and exits; anything left in the stream is
claimed by the instance's next writer or another instance's.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence

import httpx
import redis.asyncio as aioredis
import uvloop
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.observability.metrics import Metrics
from app.settings import WRITER_CONNECTIONS, Settings
from app.spend.alerts import BudgetAlerts
from app.spend.queue import MemorySpendQueue, SpendQueue, SpendSink
from app.spend.records import SpendRecord
from app.spend.redis_queue import RedisSpendQueue
from app.spend.writer import SpendWriter

__all__ = [
    "LagObservingSink",
    "SpendWriterProcess",
    "build_spend_queue",
]

log = logging.getLogger("deltallm.spend")

PROCESS_NAME = "deltallm-spend"
"""The writer's process name (``ps``, ``top``; ``/proc/<pid>/comm``)."""

NICENESS = 5
"""The writer's scheduling priority below the workers'. Where they share a core, a worker
that wakes for a call runs before a batch write, while the writer still gets about a
quarter of the core when both are busy (it needs about a sixth at a worker's full load),
so it keeps up. Pairwise on one core, p99 at 16 concurrent calls fell from 33-45 ms with
equal priority to 19-32 ms."""

_RESTART_DELAY = 1.0
_RESTART_MAX = 30.0
"""Pause before starting a writer that exited again: from 1 s, doubled up to 30 s while it
keeps exiting within 30 s of its start."""
_STOP_GRACE = 30.0
"""How long ``serve`` waits for the writer to finish writing before it kills it (what it
had not acknowledged stays in the stream and is claimed later)."""
_PR_SET_NAME = 15
_PR_SET_PDEATHSIG = 1


class LagObservingSink:
    """A :class:`SpendSink` that times each record from its request's end to its write."""

    def __init__(self, inner: SpendSink, metrics: Metrics) -> None:
        self.inner = inner
        self._metrics = metrics

    async def write(self, records: Sequence[SpendRecord]) -> int:
        written = await self.inner.write(records)
        self._metrics.spend_written([r.ended_at.timestamp() for r in records])
        return written


def build_spend_queue(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    redis: aioredis.Redis | None,
    alerts: BudgetAlerts | None,
    metrics: Metrics,
    *,
    consume: bool,
) -> SpendQueue:
    """The process's spend queue: in memory without Redis, else on the Redis stream, read
    and written here with ``consume`` (otherwise the instance's writer process does)."""
    general = settings.config.general_settings
    writer = LagObservingSink(SpendWriter(sessions, alerts), metrics)
    interval = general.proxy_batch_write_at
    if redis is None:
        return MemorySpendQueue(writer, interval)
    return RedisSpendQueue(
        redis,
        writer,
        interval,
        consumer=f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}",
        stream=f"{general.redis_namespace}:spend",
        claim_idle=general.spend_claim_idle,
        consume=consume,
    )


class SpendWriterProcess:
    """``serve``'s handle on the writer process (``python -m app.spend.writer_process``,
    which reads its settings from the environment ``serve`` exported). A writer that exits
    before :meth:`stop` (a crash, the OOM killer) is started again, after a pause that
    grows while it keeps failing; meanwhile the stream keeps what the workers append."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def start(self) -> None:
        self._process = self._spawn()
        threading.Thread(target=self._supervise, name="deltallm-spend-watch", daemon=True).start()

    @staticmethod
    def _spawn() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", __name__])

    def _supervise(self) -> None:
        delay = _RESTART_DELAY
        while (process := self._process) is not None:
            started = time.monotonic()
            code = process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started > _RESTART_MAX:
                delay = _RESTART_DELAY  # it ran a while: not a crash loop
            log.error(
                "the spend writer (pid %d) exited with status %s; starting another in %.0f s",
                process.pid,
                code,
                delay,
            )
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, _RESTART_MAX)
            with self._lock:
                if self._stopping.is_set():
                    return
                self._process = self._spawn()

    def stop(self, timeout: float = _STOP_GRACE) -> None:
        """Ask it to write what is queued and exit; kill it after ``timeout`` seconds."""
        with self._lock:
            self._stopping.set()
            process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.error("the spend writer did not stop within %.0f s; killing it", timeout)
            process.kill()
            process.wait()


def _libc_prctl(option: int, value: int | bytes) -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def _main() -> None:
    """The writer process: consume the instance's spend stream until told to stop."""
    from app.settings import load_settings

    parent = os.getppid()
    _libc_prctl(_PR_SET_NAME, PROCESS_NAME.encode())
    _libc_prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)  # Linux: serve died, SIGKILL included
    # Ctrl-C reaches the whole process group: the writer waits for serve's SIGTERM, sent
    # after the workers drained, so that it also writes the records they add last.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    settings = load_settings()
    _configure_logging(settings)
    uvloop.run(_consume(settings, parent))  # the loop serve's workers run on too


def _configure_logging(settings: Settings) -> None:
    from app.observability.logs import JsonFormatter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if settings.json_logs
        else logging.Formatter("%(levelname)s:     %(name)s: %(message)s")
    )
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler], force=True)


async def _consume(settings: Settings, parent: int) -> None:
    from app.db.engine import create_engine, session_factory
    from app.shared_state import redis_client

    assert settings.redis_url is not None, "the writer process runs only with Redis"
    general = settings.config.general_settings
    engine = create_engine(
        settings.database_url.get_secret_value(),
        pool_size=WRITER_CONNECTIONS,
        pool_timeout=general.database_connection_timeout,
        query_timeout=general.database_query_timeout,
    )
    sessions = session_factory(engine)
    redis = redis_client(settings.redis_url.get_secret_value())
    http = httpx.AsyncClient(timeout=general.budget_alerts.timeout)
    alerts = BudgetAlerts.configured(general.budget_alerts, sessions, http)
    metrics = Metrics(general.metrics, settings.metrics_dir)
    queue = build_spend_queue(settings, sessions, redis, alerts, metrics, consume=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    watch = asyncio.create_task(_watch_parent(parent, stop))
    try:
        await _start_when_reachable(queue, stop, general.proxy_batch_write_at)
        await stop.wait()
    finally:
        watch.cancel()
        await queue.stop()
        if alerts is not None:
            await alerts.drain()
        metrics.close()
        await http.aclose()
        await redis.aclose(close_connection_pool=True)
        await engine.dispose()


async def _start_when_reachable(queue: SpendQueue, stop: asyncio.Event, interval: float) -> None:
    """Join the consumer group, retrying while Redis is away (the workers hold records and
    write them themselves meanwhile)."""
    from redis.exceptions import RedisError

    warned = False
    while not stop.is_set():
        try:
            await queue.start()
            return
        except (RedisError, OSError) as exc:
            if not warned:
                log.warning("spend writer waiting for Redis (%s: %s)", type(exc).__name__, exc)
                warned = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(interval, 1.0))


async def _watch_parent(parent: int, stop: asyncio.Event) -> None:
    """Stop when serve is gone, where the death signal is not available (not Linux)."""
    while not stop.is_set():
        if os.getppid() != parent:
            log.warning("the serving process is gone; the spend writer writes and stops")
            stop.set()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


if __name__ == "__main__":
    _main()
