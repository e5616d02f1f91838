"""``just bench-admin``: latency and throughput of the GraphQL admin API on seeded data.

Seeds a fresh database through the app's migrations (``admin_data.py``: SQLite in a temporary
directory, or a new ``deltallm_bench_*`` database on the server of ``--database-url``),
starts ``deltallm serve --workers 1`` on it pinned to CPU 0 (this load generator on CPU 1),
sends every query once and stops on any GraphQL ``errors``, then runs each query closed-loop
with the master key at each concurrency, times the refusal of each request shape that
once stalled the event loop (``attacks.py``), prints a table and writes
``bench-results/admin-latest.json``. Any failed request aborts the run: no figures are kept.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import aiohttp
import uvloop
from sqlalchemy.engine import make_url

from tests.benchmarks import admin_data as seeding
from tests.benchmarks import processes as procs
from tests.benchmarks.attacks import ATTACKS
from tests.benchmarks.load import PointResult, Sampler
from tests.benchmarks.report import point_summary, progress_line, write_json
from tests.support.db import scratch_postgres

__all__ = ["QUERIES", "main"]

ROOT = Path(__file__).resolve().parents[2]
MASTER_KEY = "sk-bench-admin"
_LOGS = "totalCount edges { node { requestId modelGroup keyId status cost startedAt } }"
_SUMS = "label cost requests promptTokens completionTokens"
_DAYS = "query($start: Date!, $end: Date!)"
_IN_WINDOW = "start: $start, end: $end"
# $start/$end: the last 30 UTC days; $key: the busiest key; $since: midnight 6 days ago.
QUERIES: dict[str, str] = {
    "me": "{ me { kind platformRole orgIds } }",
    "keys page": "{ keys(first: 50) { totalCount edges { node { alias spend team { name } "
    "organization { name } } } } }",
    "orgs + teams": "{ organizations(first: 50) { totalCount edges { node { name spend "
    "teams { name spend } } } } }",
    "requestLogs": f"{{ requestLogs(first: 50) {{ {_LOGS} }} }}",
    "requestLogs key+7d": "query($key: ID!, $since: DateTime!) { requestLogs(first: 50, "
    f"filter: {{keyId: $key, start: $since}}) {{ {_LOGS} }} }}",
    "totals+daily 30d": f"{_DAYS} {{ spendTotals({_IN_WINDOW}) {{ {_SUMS} }} "
    f"dailySpend({_IN_WINDOW}) {{ {_SUMS} }} }}",
    "breakdown MODEL 30d": f"{_DAYS} {{ spendBreakdown({_IN_WINDOW}, by: MODEL) {{ {_SUMS} }} }}",
    "breakdown KEY 30d": f"{_DAYS} {{ spendBreakdown({_IN_WINDOW}, by: KEY) {{ {_SUMS} }} }}",
    "auditLog": "{ auditLog(first: 50) { totalCount edges { node { action targetType "
    "targetId actorType createdAt } } } }",
}
_COUNTED = {"keys page": ("keys", "virtual_keys"), "requestLogs": ("requestLogs", "spend_logs")}


def problem(status: int, raw: bytes) -> tuple[str | None, Any]:
    """(what is wrong, or None; the ``data``) of a GraphQL response."""
    try:
        payload = json.loads(raw)
    except ValueError:
        payload = None
    if status != 200 or not isinstance(payload, dict) or payload.get("errors"):
        return f"HTTP {status}: {raw[:500]!r}", None
    return (None, payload["data"]) if payload.get("data") else ("no data", None)


def cpu_sampler(gateway_pid: int, database: str | None) -> Sampler:
    """CPU ms of this client, the gateway and (``pg:*``) the local database's backends."""
    base = procs.sampler({"client": os.getpid(), "gateway": gateway_pid})
    return base if database is None else lambda: base() | seeding.postgres_cpu_ms(database)


async def measure(
    session: aiohttp.ClientSession, url: str, body: bytes, label: str, level: int, args: Any
) -> PointResult:
    """Closed loop: ``level`` requests in flight for ``args.warmup + args.duration``
    seconds; keeps those that end inside the window, CPU sampled at its edges."""
    records: list[tuple[float, float, bool]] = []
    samples: list[str] = []
    running = True

    async def worker() -> None:
        while running:
            start = time.perf_counter()
            try:
                async with session.post(url, data=body) as response:
                    wrong, _ = problem(response.status, await response.read())
            except (aiohttp.ClientError, TimeoutError) as exc:
                wrong = f"{type(exc).__name__}: {exc}"
            end = time.perf_counter()
            if wrong is not None and len(samples) < 5:
                samples.append(wrong)
            records.append((end, end - start, wrong is None))

    sampler: Sampler = args.sampler
    tasks = [asyncio.create_task(worker()) for _ in range(level)]
    try:
        await asyncio.sleep(args.warmup)
        cpu_before, window_start = sampler(), time.perf_counter()
        await asyncio.sleep(args.duration)
        cpu_after, window_end = sampler(), time.perf_counter()
    finally:
        running = False
        await asyncio.gather(*tasks, return_exceptions=True)
    inside = [r for r in records if window_start <= r[0] <= window_end]
    cpu = {k: v - cpu_before.get(k, 0.0) for k, v in cpu_after.items()}  # new backends: all
    database = [cpu.pop(k) for k in list(cpu) if k.startswith("pg:")]
    cpu |= {"database": sum(database)} if database else {}
    return PointResult(
        target=label,
        concurrency=level,
        window_s=window_end - window_start,
        latencies_ms=sorted(r[1] * 1000.0 for r in inside if r[2]),
        errors=sum(1 for r in records if not r[2]),
        error_samples=samples,
        cpu_ms=cpu,
    )


async def bench(
    args: argparse.Namespace, root: str, seeded: seeding.SeedResult
) -> list[dict[str, Any]]:
    """Send every query once (GraphQL errors, or counts other than the seed's, stop the
    run), then measure each at each concurrency; any failed request stops the run too."""
    today = datetime.now(UTC).date()
    since = datetime.combine(today - timedelta(days=6), datetime.min.time(), UTC)
    values = {"start": str(today - timedelta(days=29)), "end": str(today)}
    values |= {"key": seeded.busiest_key_id, "since": since.isoformat()}
    url = f"{root}/graphql"
    headers = {"Authorization": f"Bearer {MASTER_KEY}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=max(args.levels), keepalive_timeout=120)
    timeout = aiohttp.ClientTimeout(total=60)
    results = []
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers) as s:
        posts = {}
        for name, query in QUERIES.items():
            variables = {k: v for k, v in values.items() if f"${k}" in query}
            posts[name] = json.dumps({"query": query, "variables": variables}).encode()
            async with s.post(url, data=posts[name]) as response:
                wrong, data = problem(response.status, await response.read())
            if wrong is not None:
                raise RuntimeError(f"{name}: {wrong}\n{query}")
            field, table = _COUNTED.get(name, ("", ""))
            if field and data[field]["totalCount"] != seeded.rows[table]:
                seen = data[field]["totalCount"]
                raise RuntimeError(f"{name} counts {seen} rows, not {seeded.rows[table]}")
        step, total = 0, len(posts) * len(args.levels)
        for name, body in posts.items():
            points = []
            for level in args.levels:
                p = await measure(s, url, body, f"{name:<20}", level, args)
                step += 1
                print(progress_line(step, total, p), flush=True)
                if p.errors:
                    samples = "\n".join(p.error_samples)
                    raise RuntimeError(f"{name} c={level}: {p.errors} failed:\n{samples}")
                points.append(point_summary(p))
            results.append({"name": name, "query": QUERIES[name], "points": points})
    return results


async def _poll_liveliness(
    s: aiohttp.ClientSession, root: str, probes: list[float], done: asyncio.Event
) -> None:
    while not done.is_set():
        start = time.perf_counter()
        async with s.get(f"{root}/health/liveliness") as response:
            await response.read()
        probes.append((time.perf_counter() - start) * 1000)
        await asyncio.sleep(0.005)


async def bench_attacks(root: str, repeats: int = 20) -> list[dict[str, Any]]:
    """Each attack of ``attacks.py`` ``repeats`` times in a row, while liveliness is polled:
    how long a refusal takes and the slowest liveliness answer meanwhile. A wrong status
    stops the run."""
    results = []
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as s:
        for attack in ATTACKS:
            headers = dict(attack.headers)
            if attack.path.startswith("/v1/"):
                headers["Authorization"] = f"Bearer {MASTER_KEY}"
            probes: list[float] = []
            done = asyncio.Event()
            prober = asyncio.create_task(_poll_liveliness(s, root, probes, done))
            took = []
            try:
                for _ in range(repeats):
                    start = time.perf_counter()
                    url = f"{root}{attack.path}"
                    async with s.request(
                        attack.method, url, data=attack.body, headers=headers
                    ) as response:
                        await response.read()
                    took.append((time.perf_counter() - start) * 1000)
                    if response.status != attack.status:
                        raise RuntimeError(f"attack {attack.name}: HTTP {response.status}")
            finally:
                done.set()
                await prober
            took.sort()
            results.append(
                {
                    "name": attack.name,
                    "bytes": len(attack.body),
                    "p50_ms": round(took[len(took) // 2], 2),
                    "max_ms": round(took[-1], 2),
                    "liveliness_max_ms": round(max(probes, default=0.0), 2),
                }
            )
    return results


def render(results: dict[str, Any]) -> str:
    """The table: per concurrency, req/s, p50, p99 and CPU ms per request (gateway, database)."""
    levels, db = results["settings"]["concurrency"], results["database"] == "postgresql"
    cpu_names = {"gateway": "gw CPU", "database": "db CPU"} if db else {"gateway": "gw CPU"}
    cpu_head = "".join(f" {label:>6}" for label in cpu_names.values())
    head = "".join(f" | {f'c={c} req/s':>10} {'p50 ms':>7} {'p99 ms':>7}{cpu_head}" for c in levels)
    rows = results["seed"]["rows"]
    lines = [
        f"Admin API (GraphQL, master key) on {results['database']}, {rows['spend_logs']:,} "
        f"request logs, {rows['daily_spend']:,} daily totals, {rows['virtual_keys']:,} keys:",
        f"{'query':<20}{head} | other",
    ]
    for q in results["queries"]:
        cells = ""
        for p in q["points"]:
            cpu = "".join(f" {p['cpu_ms_per_request'].get(n) or 0:>6.2f}" for n in cpu_names)
            cells += f" | {p['rps']:>10,.1f} {p['p50_ms']:>7.2f} {p['p99_ms']:>7.2f}{cpu}"
        other = max(p["background_pct"] or 0 for p in q["points"])
        lines.append(f"{q['name']:<20}{cells} | {other:4.0f}%")
    lines.append("gw/db CPU: ms of CPU per request, gateway / PostgreSQL backends (SQLite runs")
    lines.append("in the gateway); other: other processes, max % of one CPU during the points")
    lines.append(f"gateway peak RSS: {results['rss_mb']} MB")
    lines.append("")
    lines.append("Attacks (anonymous on /graphql), each sent 20 times while liveliness is polled:")
    lines.append(f"{'attack':<30} {'bytes':>9} {'p50 ms':>8} {'max ms':>8} {'liveliness max':>15}")
    for a in results["attacks"]:
        lines.append(
            f"{a['name']:<30} {a['bytes']:>9,} {a['p50_ms']:>8.2f} {a['max_ms']:>8.2f} "
            f"{a['liveliness_max_ms']:>12.2f} ms"
        )
    return "\n".join(lines + [f"note: {n}" for n in results["notes"]])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="just bench-admin", description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--duration", type=float, default=None, help="Seconds per point (3; --quick: 1).")
    add("--warmup", type=float, default=None, help="Warm-up seconds per point (0.5; 0.3).")
    add("--quick", action="store_true", help="Shorter points on the same data.")
    add("--concurrency", default="1,8", help="Comma-separated levels (1,8).")
    add("--database-url", help="postgresql://... : seed a new database on that server")
    add("--logs", type=int, default=seeding.Counts().logs, help="Request logs to seed (100000).")
    output = ROOT / "bench-results" / "admin-latest.json"
    add("--output", type=Path, default=output, help="The JSON results (bench-results/...).")
    args = parser.parse_args(argv)
    args.duration = args.duration or (1.0 if args.quick else 3.0)
    args.warmup = (0.3 if args.quick else 0.5) if args.warmup is None else args.warmup
    levels = [c.strip() for c in args.concurrency.split(",") if c.strip()]
    args.levels = [int(c) for c in levels if c.isdigit() and int(c) > 0]
    if not levels or len(args.levels) != len(levels) or args.duration <= 0 or args.warmup < 0:
        parser.error("--concurrency takes levels >= 1; --duration > 0; --warmup >= 0")
    if args.logs < 1:
        parser.error("--logs must be >= 1")
    if args.database_url and make_url(args.database_url).get_backend_name() != "postgresql":
        parser.error("--database-url must be a postgresql:// URL (SQLite is the default)")
    return args


async def run(args: argparse.Namespace, tmp: Path, notes: list[str]) -> dict[str, Any]:
    """Seed, start the gateway, measure; the gateway stops before the database is dropped."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    cpus = sorted(os.sched_getaffinity(0))
    gateway_cpus, pinning = None, "none (fewer than 2 CPUs)"
    if len(cpus) >= 2:
        gateway_cpus, pinning = {cpus[0]}, f"gateway on CPU {cpus[0]}, this client on CPU {cpus[1]}"
        procs.pin(0, {cpus[1]})
    async with contextlib.AsyncExitStack() as stack:
        url = f"sqlite+aiosqlite:///{tmp / 'deltallm.db'}"
        if args.database_url:
            url = await stack.enter_async_context(
                scratch_postgres(args.database_url, prefix="deltallm_bench")
            )
        backend, database = make_url(url).get_backend_name(), make_url(url).database
        print(f"database: {make_url(url).render_as_string(hide_password=True)}", flush=True)
        seeded = await seeding.seed(url, seeding.Counts(logs=args.logs))
        stack.enter_context(mock.patch.dict(os.environ, {"DATABASE_URL": url}))
        os.environ.pop("REDIS_URL", None)  # the embedded default; restored on exit
        gateway, root, took = await asyncio.to_thread(
            procs.start_gateway, tmp, procs.free_port(), "bench", MASTER_KEY, gateway_cpus
        )
        stack.callback(procs.stop, gateway)
        print(f"gateway ready in {took:.1f}s at {root} (pid {gateway.pid}); pinning: {pinning}")
        background = procs.background_pct([os.getpid(), gateway.pid])
        print(f"other processes on this machine use {background:.0f}% of a CPU", flush=True)
        if background >= 15.0:
            notes.append(f"other processes used {background:.0f}% of a CPU before the run")
        local_db = backend == "postgresql" and bool(seeding.postgres_cpu_ms(str(database)))
        if backend == "postgresql" and not local_db:
            notes.append("PostgreSQL is on another machine: its CPU is not measured")
        args.sampler = cpu_sampler(gateway.pid, str(database) if local_db else None)
        queries = await bench(args, root, seeded)
        attacks = await bench_attacks(root)
        rss = procs.peak_rss_mb(gateway.pid)
    if any(max(p["background_pct"] or 0 for p in q["points"]) >= 15 for q in queries):
        notes.append("other processes used >= 15% of a CPU during a point: noisy figures")
    settings = {"duration_s": args.duration, "warmup_s": args.warmup, "concurrency": args.levels}
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": procs.git_commit(ROOT),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "pinning": pinning,
        "database": backend,
        "seed": {"rows": seeded.rows, "seconds": round(seeded.seconds, 1)},
        "settings": settings,
        "rss_mb": None if rss is None else round(rss, 1),
        "queries": queries,
        "attacks": attacks,
        "notes": notes,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started, notes = time.monotonic(), list[str]()
    try:
        with tempfile.TemporaryDirectory(prefix="deltallm-bench-admin-") as tmp:
            results = uvloop.run(run(args, Path(tmp), notes))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("\ninterrupted: the gateway was stopped", file=sys.stderr)
        return 130
    except (procs.GatewayNotReadyError, RuntimeError, OSError) as exc:
        print(
            f"\nerror: {exc}\nno figures written: a run with errors is not valid", file=sys.stderr
        )
        return 2
    print("\n" + render(results))
    write_json(results, args.output)
    print(f"\nwrote {args.output} ({time.monotonic() - started:.0f}s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
