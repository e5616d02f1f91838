"""``just bench --arms ...``: every arm in one run, one table, the bare pass-through as ceiling.

Arms: ``bare`` (``passthrough.py``), ``master`` (DeltaLLM, master key), ``embedded``
(virtual key with limits and a budget, SQLite + in-process counters), ``production`` (the
same key on PostgreSQL + Redis: ``--database-url`` / ``--redis-url``; the bench creates its
own database and Redis namespace and removes both). Each arm runs alone, pinned to CPU 0
(``--workers 1``), while the mock upstream and this load generator share CPU 1; the direct
baseline (straight to the mock) is measured once first.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.spend.writer_process import PROCESS_NAME as WRITER_PROCESS
from tests.benchmarks import processes as procs
from tests.benchmarks.backends import Backends, scratch_backends
from tests.benchmarks.load import chat_body, run_point, time_to_first_chunk
from tests.benchmarks.report import point_summary, progress_line, stream_summary

__all__ = [
    "ARMS",
    "ArmContext",
    "Running",
    "add_arm_options",
    "check_arm_options",
    "measure_target",
    "start_arm",
    "worker_rss_mb",
]

ARMS = ("bare", "master", "embedded", "guarded", "cached", "production")

_PII = {"EMAIL_ADDRESS": "MASK", "PHONE_NUMBER": "MASK", "CREDIT_CARD": "BLOCK", "US_SSN": "BLOCK"}
ARM_CONFIG: dict[str, dict[str, object]] = {
    "guarded": {
        "guardrails": [
            {
                "guardrail_name": "pii",
                "litellm_params": {
                    "guardrail": "presidio",
                    "mode": "pre_call",
                    "default_on": True,
                    "pii_entities_config": _PII,
                },
            }
        ]
    },
    "cached": {"litellm_settings": {"cache": True, "cache_params": {"type": "local"}}},
}
"""What the feature arms add to the embedded arm's config: a Presidio guardrail on every
call, or the response cache (the bench repeats one request, so all but the first are hits)."""
BENCH_KEY = "sk-bench"


def add_arm_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--arms",
        default=None,
        help="Comma-separated arms in one run and one table: bare, master, embedded, guarded "
        "(a Presidio guardrail), cached (the response cache), production, or all (production "
        "needs --database-url and --redis-url).",
    )
    parser.add_argument("--database-url", default=None, help="PostgreSQL server (production).")
    parser.add_argument("--redis-url", default=None, help="Redis server (production, workers).")
    parser.add_argument("--workers", type=int, default=1, help="Gateway worker processes (1).")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="Measure every arm this many times, in turn, and report medians (1).",
    )
    parser.add_argument("--soak", type=float, default=None, help="Soak SECONDS on one arm.")
    parser.add_argument("--soak-interval", type=float, default=10.0, help="Seconds per sample.")
    parser.add_argument("--soak-warmup", type=float, default=None, help="Warm-up seconds (60).")
    parser.add_argument("--soak-concurrency", type=int, default=16, help="Soak load (16).")


def check_arm_options(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Arms, workers and soak settings make sense together (``parser.error`` if not)."""
    production = bool(args.database_url and args.redis_url)
    if bool(args.database_url) != bool(args.redis_url):
        parser.error("the production arm needs both --database-url and --redis-url")
    if args.arms is None and args.soak is not None:
        args.arms = "production" if production else "embedded"
    elif args.arms is None and (production or args.workers != 1):
        args.arms = "all"  # the two-target comparison knows one embedded worker only
    if args.arms is not None:
        names = [a.strip() for a in args.arms.split(",") if a.strip()]
        if names == ["all"]:
            names = [a for a in ARMS if a != "production" or production]
        unknown = sorted(set(names) - set(ARMS))
        if not names or unknown:
            parser.error(f"--arms takes {', '.join(ARMS)} or all (not {', '.join(unknown)})")
        if "production" in names and not production:
            parser.error("the production arm needs --database-url and --redis-url")
        args.arms = list(dict.fromkeys(names))
    if args.workers < 1:
        parser.error("--workers must be >= 1")
    if args.rounds < 1:
        parser.error("--rounds must be >= 1")
    if args.workers > 1 and not args.redis_url:
        parser.error("--workers > 1 needs --redis-url: workers share their counters in Redis")
    if args.soak is not None:
        if args.soak <= 0 or args.soak_interval <= 0 or args.soak_concurrency < 1:
            parser.error("--soak and --soak-interval must be > 0, --soak-concurrency >= 1")
        if len(args.arms) != 1:
            parser.error("--soak runs one arm: name it with --arms")
        if args.soak_warmup is None:
            args.soak_warmup = min(60.0, args.soak / 5)
        if not 0 <= args.soak_warmup < args.soak:
            parser.error("--soak-warmup must be >= 0 and shorter than --soak")
    if args.rounds > 1 and (args.soak is not None or args.arms is None):
        parser.error("--rounds repeats the arms' table: use it with --arms, not --soak")
    if args.arms is not None and args.gateway_url:
        parser.error("--arms and --soak start their own servers: drop --gateway-url")


@dataclass
class ArmContext:
    tmp: Path
    mock_port: int
    model: str
    gateway_cpus: set[int] | None
    workers: int
    backends: Backends | None
    redis_url: str | None


@dataclass
class Running:
    name: str
    proc: subprocess.Popen[bytes]
    root: str
    api_key: str


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{tid}/children").read_text()
            kids += [int(k) for k in text.split()]
    except OSError:
        return []
    return kids


def _status_mb(pid: int, field: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def worker_rss_mb(pid: int, field: str = "VmHWM") -> float | None:
    """The largest ``field`` (VmHWM: peak, VmRSS: now) among the serving processes: the
    process itself with one worker, its largest child with several (the spend writer
    process is not a serving one)."""
    pids = [
        p
        for p in _children(pid)
        if (_status_mb(p, "VmRSS") or 0) > 20 and _name(p) != WRITER_PROCESS
    ] or [pid]
    values = [v for v in (_status_mb(p, field) for p in pids) if v is not None]
    return max(values) if values else None


def _start_bare(ctx: ArmContext) -> Running:
    cmd = [
        sys.executable,
        "-m",
        "tests.benchmarks.passthrough",
        "--upstream",
        f"http://127.0.0.1:{ctx.mock_port}",
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, preexec_fn=procs._child_setup(ctx.gateway_cpus)
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode().strip()
    if not line.startswith("PORT "):
        procs.stop(proc)
        raise RuntimeError(f"the pass-through did not start (said {line!r})")
    return Running("bare", proc, f"http://127.0.0.1:{line.split()[1]}", BENCH_KEY)


def _gateway_env(name: str, ctx: ArmContext) -> tuple[dict[str, str], dict[str, object]]:
    env: dict[str, str] = {}
    general: dict[str, object] = {}
    if name == "production":
        assert ctx.backends is not None
        env["DATABASE_URL"] = ctx.backends.database_url
        env["REDIS_URL"] = ctx.backends.redis_url
        general["redis_namespace"] = ctx.backends.namespace
    elif ctx.workers > 1 and ctx.redis_url:
        # several workers must share their counters: Redis, under a namespace of its own
        env["REDIS_URL"] = ctx.redis_url
        general["redis_namespace"] = f"{ctx.backends.namespace}_{name}" if ctx.backends else name
    return env, general


@contextmanager
def start_arm(name: str, ctx: ArmContext) -> Iterator[Running]:
    """The arm's server, live, stopped when the block ends."""
    if name == "bare":
        running = _start_bare(ctx)
    else:
        tmp = ctx.tmp / name
        tmp.mkdir(parents=True, exist_ok=True)
        env, general = _gateway_env(name, ctx)
        proc, root, took = procs.start_gateway(
            tmp,
            ctx.mock_port,
            ctx.model,
            BENCH_KEY,
            ctx.gateway_cpus,
            workers=ctx.workers,
            extra_env=env,
            general=general,
            extra=ARM_CONFIG.get(name),
        )
        key = BENCH_KEY
        if name != "master":
            try:
                key = procs.create_virtual_key(tmp, BENCH_KEY, env)
            except subprocess.CalledProcessError as exc:
                procs.stop(proc)
                raise RuntimeError(
                    f"creating the bench's virtual key failed: {exc.stderr}"
                ) from None
        print(f"{name}: ready in {took:.1f}s at {root} (pid {proc.pid})", flush=True)
        running = Running(name, proc, root, key)
    try:
        yield running
    finally:
        procs.stop(running.proc)


def arm_sampler(pid: int | None) -> procs.Sampler:
    """CPU ms of this load generator, the machine and (``pid``) the arm with its workers."""
    base = procs.sampler({"client": os.getpid()})
    if pid is None:
        return base

    def sample() -> dict[str, float]:
        serving = 0.0
        for one in [pid, *_children(pid)]:
            with suppress(OSError):
                serving += procs.cpu_ms(one)
        return base() | {"gateway": serving}

    return sample


async def measure_target(
    name: str,
    root: str,
    api_key: str,
    args: argparse.Namespace,
    progress: tuple[list[int], int],
    pid: int | None = None,
) -> dict[str, Any]:
    """Closed-loop points at each level and the streamed time to first chunk: summaries."""
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    url = f"{root}/v1/chat/completions"
    step, total = progress
    sampler = arm_sampler(pid)
    points: dict[str, Any] = {}
    for level in args.levels:
        result = await run_point(
            name,
            url,
            headers,
            chat_body(args.model, False),
            concurrency=level,
            warmup=args.warmup,
            duration=args.duration,
            sampler=sampler,
        )
        step[0] += 1
        print(progress_line(step[0], total, result), flush=True)
        points[str(level)] = point_summary(result)
    stream = await time_to_first_chunk(
        name,
        url,
        headers,
        chat_body(args.model, True),
        count=args.stream_requests,
        warmup=max(5, args.stream_requests // 20),
    )
    step[0] += 1
    print(progress_line(step[0], total, stream), flush=True)
    return {"name": name, "points": points, "stream": stream_summary(stream)}


@contextmanager
def arm_context(
    args: argparse.Namespace, tmp: Path, mock_port: int, cpus: set[int] | None
) -> Iterator[ArmContext]:
    """The shared context; the production backends exist while it is open."""
    with ExitStack() as stack:
        backends = None
        if args.database_url and args.redis_url:
            backends = stack.enter_context(scratch_backends(args.database_url, args.redis_url))
            print(f"production arm: database and Redis namespace {backends.namespace}", flush=True)
        yield ArmContext(tmp, mock_port, args.model, cpus, args.workers, backends, args.redis_url)
