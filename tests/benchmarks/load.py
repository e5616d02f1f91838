"""The load generator: closed-loop aiohttp workers, every latency recorded.

``run_point`` keeps ``concurrency`` requests in flight for ``warmup + duration`` seconds and
keeps the requests that completed inside the measurement window (after the warm-up); CPU
counters are sampled at the window's edges so that CPU per request covers exactly the
requests counted. ``time_to_first_chunk`` streams one request at a time and times the
arrival of the first ``data: `` line.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

__all__ = [
    "PointResult",
    "Sampler",
    "StreamResult",
    "chat_body",
    "percentile",
    "run_point",
    "time_to_first_chunk",
]

Sampler = Callable[[], dict[str, float]]
"""Returns cumulative CPU milliseconds per watched process (name -> ms)."""

_MAX_SAMPLES = 5
_TIMEOUT = aiohttp.ClientTimeout(total=30)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) of sorted ``values``, linearly interpolated; NaN if empty."""
    if not values:
        return math.nan
    rank = (len(values) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (rank - low)


@dataclass
class PointResult:
    target: str
    concurrency: int
    window_s: float
    latencies_ms: list[float]
    errors: int
    error_samples: list[str] = field(default_factory=list)
    cpu_ms: dict[str, float] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        return self.requests / self.window_s if self.window_s > 0 else math.nan

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)

    def cpu_per_request(self, name: str) -> float | None:
        if name not in self.cpu_ms or not self.requests:
            return None
        return self.cpu_ms[name] / self.requests

    def utilisation(self, name: str) -> float | None:
        """Share of one CPU the named process(es) used during the window, in percent."""
        if name not in self.cpu_ms or self.window_s <= 0:
            return None
        return 100.0 * self.cpu_ms[name] / (self.window_s * 1000.0)

    def background(self) -> float | None:
        """Percent of one CPU used by other processes on the machine during the window."""
        if "machine" not in self.cpu_ms or self.window_s <= 0:
            return None
        ours = sum(ms for name, ms in self.cpu_ms.items() if name != "machine")
        return max(0.0, 100.0 * (self.cpu_ms["machine"] - ours) / (self.window_s * 1000.0))


@dataclass
class StreamResult:
    target: str
    ttfc_ms: list[float]
    total_ms: list[float]
    errors: int
    error_samples: list[str] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return percentile(self.ttfc_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.ttfc_ms, 99)

    @property
    def total_p50(self) -> float:
        return percentile(self.total_ms, 50)


def chat_body(model: str, stream: bool) -> bytes:
    """A small chat completion request body."""
    payload: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": "Say hello in five words."}],
        "max_tokens": 16,
    }
    if stream:
        payload |= {"stream": True, "stream_options": {"include_usage": True}}
    return json.dumps(payload, separators=(",", ":")).encode()


def _session(concurrency: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(
        limit=concurrency, limit_per_host=concurrency, keepalive_timeout=120
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=_TIMEOUT,
        auto_decompress=False,
        skip_auto_headers=("User-Agent",),
    )


def _note(samples: list[str], message: str) -> None:
    if len(samples) < _MAX_SAMPLES:
        samples.append(message)


def _diff(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before[name] for name in after if name in before}


async def run_point(
    target: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    *,
    concurrency: int,
    warmup: float,
    duration: float,
    sampler: Sampler | None = None,
) -> PointResult:
    records: list[tuple[float, float, bool]] = []  # (end, latency s, ok)
    samples: list[str] = []
    running = [True]

    async def worker(session: aiohttp.ClientSession) -> None:
        clock = time.perf_counter
        while running[0]:
            start = clock()
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    data = await response.read()
                    ok = response.status == 200 and b'"choices"' in data
                    if not ok:
                        _note(samples, f"HTTP {response.status}: {data[:300]!r}")
            except (aiohttp.ClientError, TimeoutError) as exc:
                ok = False
                _note(samples, f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(0.05)  # do not spin on a refused connection
            end = clock()
            records.append((end, end - start, ok))

    async with _session(concurrency) as session:
        tasks = [asyncio.create_task(worker(session)) for _ in range(concurrency)]
        try:
            await asyncio.sleep(warmup)
            cpu_before = sampler() if sampler else {}
            window_start = time.perf_counter()
            await asyncio.sleep(duration)
            cpu_after = sampler() if sampler else {}
            window_end = time.perf_counter()
        finally:
            running[0] = False
            await asyncio.gather(*tasks, return_exceptions=True)

    inside = [r for r in records if window_start <= r[0] <= window_end]
    latencies = sorted(r[1] * 1000.0 for r in inside if r[2])
    return PointResult(
        target=target,
        concurrency=concurrency,
        window_s=window_end - window_start,
        latencies_ms=latencies,
        errors=sum(1 for r in records if not r[2]),
        error_samples=samples,
        cpu_ms=_diff(cpu_after, cpu_before),
    )


async def _one_stream(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str], body: bytes
) -> tuple[float, float] | str:
    """(time to first chunk, total) in ms, or an error description."""
    start = time.perf_counter()
    first = 0.0
    last = b""
    async with session.post(url, data=body, headers=headers) as response:
        if response.status != 200:
            return f"HTTP {response.status}: {(await response.read())[:300]!r}"
        while line := await response.content.readline():
            if line.startswith(b"data: "):
                if not first:
                    first = time.perf_counter()
                last = line
    end = time.perf_counter()
    if not first:
        return "the stream carried no data: line"
    if last.strip() != b"data: [DONE]":
        return f"the stream did not end with data: [DONE] (last: {last[:120]!r})"
    return (first - start) * 1000.0, (end - start) * 1000.0


async def time_to_first_chunk(
    target: str, url: str, headers: dict[str, str], body: bytes, *, count: int, warmup: int
) -> StreamResult:
    """Sequential streamed requests (concurrency 1); the first ``warmup`` are not kept."""
    ttfc: list[float] = []
    total: list[float] = []
    samples: list[str] = []
    errors = 0
    async with _session(1) as session:
        for index in range(warmup + count):
            try:
                outcome = await _one_stream(session, url, headers, body)
            except (aiohttp.ClientError, TimeoutError) as exc:
                outcome = f"{type(exc).__name__}: {exc}"
            if isinstance(outcome, str):
                errors += 1
                _note(samples, outcome)
            elif index >= warmup:
                ttfc.append(outcome[0])
                total.append(outcome[1])
    ttfc.sort()
    total.sort()
    return StreamResult(target, ttfc, total, errors, samples)
