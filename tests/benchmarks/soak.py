"""``just bench --soak SECONDS``: constant load on one arm, RSS and p99 sampled per interval.

The load is closed-loop at ``--soak-concurrency``; every ``--soak-interval`` seconds the
requests completed in that interval give its p99 and req/s and the serving process's
resident set is read. The growth after warm-up compares the last interval's RSS with the
first one after ``--soak-warmup`` seconds (the target: at most 5 %).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from tests.benchmarks.load import _session, percentile

__all__ = ["GROWTH_TARGET_PCT", "rss_growth", "run_soak"]

GROWTH_TARGET_PCT = 5.0


def rss_growth(samples: list[dict[str, Any]], warmup_s: float) -> dict[str, Any]:
    """RSS at the end of the warm-up, at the end and at most after it, and the growth in %."""
    after = [s for s in samples if s["elapsed_s"] >= warmup_s and s["rss_mb"] is not None]
    if len(after) < 2:
        return {"start_mb": None, "end_mb": None, "max_mb": None, "growth_pct": None}
    start, end = after[0]["rss_mb"], after[-1]["rss_mb"]
    return {
        "start_mb": round(start, 1),
        "end_mb": round(end, 1),
        "max_mb": round(max(s["rss_mb"] for s in after), 1),
        "growth_pct": round(100.0 * (end - start) / start, 2) if start else None,
    }


async def run_soak(
    url: str,
    headers: dict[str, str],
    body: bytes,
    *,
    concurrency: int,
    seconds: float,
    interval: float,
    rss: Callable[[], float | None],
) -> list[dict[str, Any]]:
    """One sample per interval: elapsed seconds, req/s, p50/p99 (ms), errors, RSS (MB)."""
    latencies: list[float] = []
    errors = [0]
    running = [True]

    async def worker(session: aiohttp.ClientSession) -> None:
        while running[0]:
            start = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    data = await response.read()
                    ok = response.status == 200 and b'"choices"' in data
            except (aiohttp.ClientError, TimeoutError):
                ok = False
                await asyncio.sleep(0.05)
            if ok:
                latencies.append((time.perf_counter() - start) * 1000.0)
            else:
                errors[0] += 1

    samples: list[dict[str, Any]] = []
    began = time.perf_counter()
    async with _session(concurrency) as session:
        tasks = [asyncio.create_task(worker(session)) for _ in range(concurrency)]
        try:
            while time.perf_counter() - began < seconds:
                mark = time.perf_counter()
                await asyncio.sleep(min(interval, max(0.1, seconds - (mark - began))))
                window, failed = sorted(latencies), errors[0]
                latencies.clear()
                errors[0] = 0
                took = time.perf_counter() - mark
                sample = {
                    "elapsed_s": round(time.perf_counter() - began, 1),
                    "rps": round(len(window) / took, 1),
                    "p50_ms": round(percentile(window, 50), 3) if window else None,
                    "p99_ms": round(percentile(window, 99), 3) if window else None,
                    "errors": failed,
                    "rss_mb": rss(),
                }
                samples.append(sample)
                print(_progress(sample, seconds), flush=True)
        finally:
            running[0] = False
            await asyncio.gather(*tasks, return_exceptions=True)
    return samples


def _progress(sample: dict[str, Any], seconds: float) -> str:
    p99 = "-" if sample["p99_ms"] is None else f"{sample['p99_ms']:.3f}"
    rss = "-" if sample["rss_mb"] is None else f"{sample['rss_mb']:.1f}"
    return (
        f"[soak {sample['elapsed_s']:>6.0f}/{seconds:.0f}s] {sample['rps']:9,.1f} req/s  "
        f"p99 {p99} ms  RSS {rss} MB  errors {sample['errors']}"
    )
