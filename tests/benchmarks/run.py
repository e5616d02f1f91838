"""``just bench``: throughput and latency straight to a mock upstream vs through the gateway.

Starts the mock upstream (``mock_upstream.py``) and ``deltallm serve --workers 1`` in front
of it, pins the gateway to CPU 0 and the mock and this load generator to CPU 1, then runs
closed-loop load at each concurrency (direct, then through the gateway), times the first
streamed chunk, reads the gateway's CPU time and peak RSS from /proc, prints a table with
the targets and writes ``bench-results/latest.json``. ``--gateway-url`` measures a gateway
that is already running instead (no CPU or RSS figures then).

``--arms`` runs several arms in one run and prints one table (``arms.py``: the bare aiohttp
pass-through as the ceiling, master key, virtual key embedded, virtual key on PostgreSQL +
Redis with ``--database-url``/``--redis-url``), with ``--workers N``; ``--soak SECONDS``
keeps one arm under constant load and plots RSS and p99 over time (``soak.py``).
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import uvloop

from tests.benchmarks import processes as procs
from tests.benchmarks import suite
from tests.benchmarks.arms import add_arm_options, check_arm_options
from tests.benchmarks.load import (
    PointResult,
    StreamResult,
    chat_body,
    run_point,
    time_to_first_chunk,
)
from tests.benchmarks.report import build, progress_line, render, write_json

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "sk-bench"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="just bench", description=__doc__.splitlines()[0])
    add_arm_options(parser)
    parser.add_argument("--duration", type=float, default=None, help="Seconds per point (8).")
    parser.add_argument("--warmup", type=float, default=1.0, help="Warm-up seconds per point.")
    parser.add_argument("--quick", action="store_true", help="2 s points, 100 streamed requests.")
    parser.add_argument(
        "--concurrency", default=None, help="Comma-separated levels (1,16,64; arms: 1,16)."
    )
    parser.add_argument(
        "--stream-requests", type=int, default=None, help="Streamed requests (300)."
    )
    parser.add_argument("--gateway-url", default=None, help="Benchmark this running gateway.")
    parser.add_argument(
        "--master-key",
        action="store_true",
        help="Call with the master key (no limits, no budget) instead of a virtual key.",
    )
    parser.add_argument("--api-key", default=API_KEY, help="Key for --gateway-url.")
    parser.add_argument("--model", default="bench", help="Model name to request.")
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "bench-results" / "latest.json",
        help="Where to write the JSON results (bench-results/latest.json).",
    )
    args = parser.parse_args(argv)
    if args.duration is None:
        args.duration = 2.0 if args.quick else 8.0
    if args.stream_requests is None:
        args.stream_requests = 100 if args.quick else 300
    check_arm_options(args, parser)
    if args.concurrency is None:
        args.concurrency = "1,16" if args.arms else "1,16,64"
    try:
        args.levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    except ValueError:
        args.levels = []
    if args.duration <= 0 or args.warmup < 0 or args.stream_requests < 1:
        parser.error("--duration must be > 0, --warmup >= 0 and --stream-requests >= 1")
    if not args.levels or min(args.levels) < 1:
        parser.error("--concurrency takes levels >= 1, e.g. 1,16,64")
    return args


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # run the finally blocks: stop every child process


async def measure(
    args: argparse.Namespace,
    direct_root: str,
    gateway_root: str,
    mock_pid: int,
    gateway_pid: int | None,
    check_alive: Callable[[], None],
) -> tuple[list[tuple[PointResult, PointResult]], tuple[StreamResult, StreamResult], float | None]:
    headers = {"Authorization": f"Bearer {args.api_key}", "Content-Type": "application/json"}
    plain, streamed = chat_body(args.model, False), chat_body(args.model, True)
    client = {"client": os.getpid(), "mock": mock_pid}
    direct_sampler = procs.sampler(client)
    gateway_sampler = (  # an external gateway is one of the "other" processes: not counted
        procs.sampler({**client, "gateway": gateway_pid})
        if gateway_pid
        else procs.sampler(client, machine=False)
    )
    total = 2 * len(args.levels) + 2
    step = 0
    pairs: list[tuple[PointResult, PointResult]] = []
    for level in args.levels:
        results = []
        for target, root, sampler in (
            ("direct", direct_root, direct_sampler),
            ("gateway", gateway_root, gateway_sampler),
        ):
            result = await run_point(
                target,
                f"{root}/v1/chat/completions",
                headers,
                plain,
                concurrency=level,
                warmup=args.warmup,
                duration=args.duration,
                sampler=sampler,
            )
            step += 1
            print(progress_line(step, total, result), flush=True)
            check_alive()
            results.append(result)
        pairs.append((results[0], results[1]))
    streams = []
    warm = max(5, args.stream_requests // 20)
    for target, root in (("direct", direct_root), ("gateway", gateway_root)):
        stream = await time_to_first_chunk(
            target,
            f"{root}/v1/chat/completions",
            headers,
            streamed,
            count=args.stream_requests,
            warmup=warm,
        )
        step += 1
        print(progress_line(step, total, stream), flush=True)
        check_alive()
        streams.append(stream)
    rss = procs.peak_rss_mb(gateway_pid) if gateway_pid else None
    return pairs, (streams[0], streams[1]), rss


def _run(args: argparse.Namespace, tmp: Path, notes: list[str]) -> dict[str, Any]:
    available = sorted(os.sched_getaffinity(0))
    gateway_cpus = client_cpus = None
    if len(available) >= 2:
        gateway_cpus, client_cpus = {available[0]}, {available[1]}
        procs.pin(0, client_cpus)
    else:
        notes.append(
            f"only {len(available)} CPU available (os.cpu_count() = {os.cpu_count()}): "
            "nothing is pinned and the gateway shares its CPU with the load generator, "
            "so its figures are pessimistic"
        )
    pinning = "none"
    if gateway_cpus and args.gateway_url:
        pinning = f"mock + load generator on CPU {available[1]}; the external gateway: as is"
    elif gateway_cpus:
        pinning = f"gateway on CPU {available[0]}, mock + load generator on CPU {available[1]}"
    mock: subprocess.Popen[bytes] | None = None
    gateway: subprocess.Popen[bytes] | None = None
    try:
        mock, mock_port = procs.start_mock(client_cpus)
        direct_root = f"http://127.0.0.1:{mock_port}"
        if args.gateway_url:
            gateway_root = args.gateway_url.rstrip("/").removesuffix("/v1")
            notes.append(
                "external gateway: no CPU or RSS figures; the added latency is only "
                "meaningful if it forwards to an equally fast upstream"
            )
            procs.wait_healthy(f"{gateway_root}/health/liveliness", None, 10.0)
        else:
            gateway, gateway_root, took = procs.start_gateway(
                tmp, mock_port, args.model, API_KEY, gateway_cpus
            )
            print(f"gateway ready in {took:.1f}s at {gateway_root} (pid {gateway.pid})", flush=True)
            if not args.master_key:
                args.api_key = procs.create_virtual_key(tmp, API_KEY)
                print("calling with a virtual key (rate limits, budget, spend log)", flush=True)
        print(f"mock upstream at {direct_root} (pid {mock.pid})", flush=True)
        points = len(args.levels) * 2
        eta = points * (args.duration + args.warmup)
        print(
            f"pinning: {pinning}; {points} points of {args.duration:g}s (+{args.warmup:g}s "
            f"warm-up) and 2 x {args.stream_requests} streamed requests, about {eta:.0f}s",
            flush=True,
        )
        pids = [os.getpid(), mock.pid, *([gateway.pid] if gateway else [])]
        background = procs.background_pct(pids)
        print(f"other processes on this machine use {background:.0f}% of a CPU", flush=True)
        if background >= 15.0:
            notes.append(
                f"before the run other processes used {background:.0f}% of a CPU: "
                "the machine is not idle and the figures will be noisy"
            )

        def check_alive() -> None:
            if gateway is not None and gateway.poll() is not None:
                raise procs.GatewayNotReadyError(
                    f"the gateway exited during the run (code {gateway.returncode})\n"
                    f"--- gateway log ---\n{procs.tail(tmp / 'gateway.log')}"
                )

        pairs, streams, rss = uvloop.run(
            measure(
                args,
                direct_root,
                gateway_root,
                mock.pid,
                gateway.pid if gateway else None,
                check_alive,
            )
        )
    finally:
        procs.stop(gateway)
        procs.stop(mock)
    meta = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": procs.git_commit(ROOT),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "pinning": pinning,
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "concurrency": args.levels,
            "stream_requests": args.stream_requests,
            "gateway_url": args.gateway_url or gateway_root,
            "external_gateway": bool(args.gateway_url),
        },
        "notes": notes,
    }
    return build(meta, pairs, streams, rss)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    started = time.monotonic()
    notes: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="deltallm-bench-") as tmp:
            if args.soak is not None:
                results = suite.soak_arm(args, Path(tmp), notes)
            elif args.arms:
                results = suite.run_arms(args, Path(tmp), notes)
            else:
                results = _run(args, Path(tmp), notes)
    except KeyboardInterrupt:
        print("\ninterrupted: every child process was stopped", file=sys.stderr)
        return 130
    except (procs.GatewayNotReadyError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.soak is not None:
        print(suite.render_soak(results))
    elif args.arms:
        print(suite.render_arms(results))
    else:
        print(render(results))
    write_json(results, args.output)
    print(f"\nwrote {args.output} ({time.monotonic() - started:.0f}s in all)")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
