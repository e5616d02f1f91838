"""Finds the request that blocks the event loop.

The loop stamps a heartbeat every few milliseconds; a thread of our own watches it. When
the heartbeat is older than the threshold, the loop is stuck in synchronous work: the
watchdog logs it once per stall, with the request the running task serves (its request
id, method and path) and the line the loop's thread is executing, and counts it.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import sysconfig
import threading
import time
import traceback
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

__all__ = ["LoopStalls", "LoopWatchdog"]

log = logging.getLogger("deltallm.watchdog")

Scope = MutableMapping[str, Any]

_LIBRARIES = tuple(
    {sysconfig.get_path(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")}
)


@dataclass(frozen=True, slots=True)
class LoopStalls:
    """What the watchdog has seen since start."""

    count: int
    longest_seconds: float
    total_seconds: float


class LoopWatchdog:
    def __init__(self, threshold: float = 0.5, beat: float = 0.05) -> None:
        self.threshold = threshold
        self._beat_every = beat
        self._last_beat = time.monotonic()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._handle: asyncio.TimerHandle | None = None
        self._serving: dict[asyncio.Task[Any], Scope] = {}
        self._count = 0
        self._longest = 0.0
        self._total = 0.0

    @property
    def stalls(self) -> LoopStalls:
        return LoopStalls(self._count, self._longest, self._total)

    def serving(self, scope: Scope) -> asyncio.Task[Any] | None:
        """Note that the running task serves the request ``scope`` (an ASGI scope) until
        :meth:`served`; returns that task."""
        task = asyncio.current_task()
        if task is not None:
            self._serving[task] = scope
        return task

    def served(self, task: asyncio.Task[Any] | None) -> None:
        if task is not None:
            self._serving.pop(task, None)

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._stop.clear()
        self._beat()
        self._thread = threading.Thread(target=self._watch, name="loop-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._handle is not None:
            self._handle.cancel()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _beat(self) -> None:
        self._last_beat = time.monotonic()
        assert self._loop is not None
        self._handle = self._loop.call_later(self._beat_every, self._beat)

    def _watch(self) -> None:
        reported_beat = None
        while not self._stop.wait(self._beat_every):
            beat = self._last_beat
            blocked = time.monotonic() - beat
            if blocked >= self.threshold and reported_beat != beat:
                reported_beat = beat
                self._report(blocked)
            elif reported_beat is not None and reported_beat != beat:
                self._settle(beat - reported_beat - self._beat_every)
                reported_beat = None

    def _report(self, blocked: float) -> None:
        self._count += 1
        log.warning(
            "event loop blocked for %.2f s so far by %s at %s",
            blocked,
            self._culprit(),
            self._where(),
        )

    def _settle(self, stalled: float) -> None:
        self._longest = max(self._longest, stalled)
        self._total += stalled
        log.warning("event loop free again after %.2f s", stalled)

    def _culprit(self) -> str:
        task = asyncio.current_task(self._loop) if self._loop is not None else None
        if task is None:
            return "no task (a callback)"
        scope = self._serving.get(task)
        if scope is None:
            return f"task {task.get_name()}"
        state = scope.get("state") or {}
        request_id = state.get("request_id", "-") if isinstance(state, dict) else "-"
        return f"request {request_id} ({scope.get('method')} {scope.get('path')})"

    def _where(self) -> str:
        frame = sys._current_frames().get(self._loop_thread)
        if frame is None:
            return "an unknown place"
        stack = traceback.extract_stack(frame)
        top = stack[-1]
        ours = [f for f in stack if not f.filename.startswith(_LIBRARIES)]
        where = f"{top.filename}:{top.lineno} in {top.name}"
        if ours and ours[-1] is not top:
            where += f" (called from {ours[-1].filename}:{ours[-1].lineno} in {ours[-1].name})"
        return where
