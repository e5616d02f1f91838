"""Background jobs that run once per cluster, not once per instance.

Every instance runs the same loop; a run needs the job's lease, taken for one ``interval``
and left to expire rather than released, so across the cluster the job starts at most once
per interval, on whichever instance takes the lease first. A run longer than its lease
renews it; a run whose lease cannot be renewed is cancelled, so two instances never run
the job at once. An instance that dies mid-run loses the lease when it expires; one that
stops mid-run releases it, so another runs the job at once.

Per-instance loops stay outside: broadcast and reload pollers (each instance must hear
every change), spend queues (each drains its own), and deployment health probes, whose
results steer only the probing instance's router (see :mod:`app.router.health`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from app.cluster.lease import LEASE_ERRORS, LeaseStore

__all__ = ["LeasedJob", "instance_id"]

log = logging.getLogger("deltallm.cluster")

_STOP_WAIT = 5.0
"""Seconds ``stop`` waits for the loop to end by itself."""
_RETRY = 5.0
"""Seconds before trying again after Redis or the database failed to answer."""


def instance_id() -> str:
    """A name for this process, unique across the cluster (host, pid and a random part)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class LeasedJob:
    """Runs ``work`` every ``interval`` seconds on one instance of the cluster at a time."""

    def __init__(
        self,
        name: str,
        work: Callable[[], Coroutine[Any, Any, object]],
        interval: float,
        leases: LeaseStore,
        holder: str | None = None,
    ) -> None:
        self.name = name
        self.holder = holder or instance_id()
        self.runs = 0
        """Runs this instance started (the cluster's are the sum over its instances)."""
        self.last_started: float | None = None
        """``time.monotonic()`` when this instance last started a run."""
        self._work = work
        self._interval = interval
        self._leases = leases
        self._task: asyncio.Task[None] | None = None
        self._run: asyncio.Task[object] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        """Start the loop; the first instance to take the lease runs the job at once."""
        if self._task is None:
            self._stopping = asyncio.Event()
            self._task = asyncio.create_task(self._loop(), name=f"deltallm-job-{self.name}")

    async def stop(self) -> None:
        """Stop the loop; a run in progress is cancelled and its lease released."""
        if self._task is None:
            return
        self._stopping.set()
        if self._run is not None:
            self._run.cancel()
        # The loop ends by itself (cancelling a Redis command can leave it hanging with
        # redis-py); one stuck on Redis or the database is cancelled and left behind.
        done, _ = await asyncio.wait({self._task}, timeout=_STOP_WAIT)
        if not done:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=_STOP_WAIT)
        self._task = None

    async def run_once(self) -> bool:
        """Run the job now if this instance can take its lease; True if it ran."""
        if not await self._leases.acquire(self.name, self.holder, self._interval):
            return False
        self.runs += 1
        self.last_started = time.monotonic()
        finished = asyncio.Event()
        work: asyncio.Task[object] = asyncio.create_task(self._work())
        keeper = asyncio.create_task(self._keep(finished))
        self._run = work
        try:
            await asyncio.wait({work, keeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._run = None
            finished.set()  # the keeper ends after the renewal it may be sending
            if not work.done():
                work.cancel()
            await asyncio.wait({work, keeper})
        if work.cancelled():
            if self._stopping.is_set():  # another instance may run it now
                with contextlib.suppress(*LEASE_ERRORS):
                    await self._leases.release(self.name, self.holder)
        elif (failure := work.exception()) is not None:
            log.error("job %s failed: %s", self.name, failure, exc_info=failure)
        return True

    async def _keep(self, finished: asyncio.Event) -> None:
        """Renew the lease until the run is ``finished``; returns early when it is lost."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), self._interval / 3)
            if finished.is_set():
                return
            try:
                if not await self._leases.renew(self.name, self.holder, self._interval):
                    log.warning("job %s lost its lease; the run is cancelled", self.name)
                    return
            except LEASE_ERRORS as exc:
                log.warning("job %s could not renew its lease (%s); cancelled", self.name, exc)
                return

    async def _loop(self) -> None:
        outage = False
        while not self._stopping.is_set():
            try:
                await self.run_once()
                wait = await self._leases.remaining(self.name)
            except LEASE_ERRORS as exc:
                if not outage:  # once per outage, not once per retry
                    log.warning(
                        "job %s: its lease cannot be reached (%s: %s); retrying",
                        self.name,
                        type(exc).__name__,
                        exc,
                    )
                outage = True
                wait = min(self._interval, _RETRY)
            else:
                if outage:
                    log.warning("job %s: its lease can be reached again", self.name)
                outage = False
            # The lease expires after ``wait``; whoever asks first then runs the job.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), min(max(wait, 0.01), self._interval))
