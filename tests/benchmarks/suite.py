"""The all-arms run and the soak run: start the mock, each arm in turn, measure, report."""

from __future__ import annotations

import argparse
import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvloop

from tests.benchmarks import processes as procs
from tests.benchmarks.arms import ArmContext, arm_context, measure_target, start_arm, worker_rss_mb
from tests.benchmarks.arms_report import (
    arm_row,
    check_targets,
    median_rows,
    render_spread,
    render_table,
    render_targets,
)
from tests.benchmarks.load import chat_body
from tests.benchmarks.report import BACKGROUND_NOISY_PCT
from tests.benchmarks.soak import GROWTH_TARGET_PCT, rss_growth, run_soak
from tests.benchmarks.svg import soak_svg

__all__ = ["render_arms", "run_arms", "soak_arm"]

ROOT = Path(__file__).resolve().parents[2]


def _pinning(workers: int, notes: list[str]) -> tuple[set[int] | None, str]:
    """Gateway CPUs (None: not pinned) and a description; pins this process to the last CPU."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        notes.append(f"only {len(available)} CPU available: nothing is pinned")
        return None, "none"
    client = available[-1]
    procs.pin(0, {client})
    if workers + 1 <= len(available):
        cpus = set(available[:workers])
        return cpus, f"arm on CPU {sorted(cpus)}, mock + load generator on CPU {client}"
    notes.append(
        f"--workers {workers} on {len(available)} CPUs: the arms are not pinned and share "
        "a CPU with the mock and the load generator, so their figures are pessimistic"
    )
    return None, f"arms unpinned, mock + load generator on CPU {client}"


@contextmanager
def _mock(cpus: set[int] | None) -> Iterator[int]:
    proc, port = procs.start_mock(cpus)
    try:
        yield port
    finally:
        procs.stop(proc)


def _meta(args: argparse.Namespace, pinning: str, notes: list[str]) -> dict[str, Any]:
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": procs.git_commit(ROOT),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "pinning": pinning,
        "workers": args.workers,
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "concurrency": args.levels,
            "stream_requests": args.stream_requests,
            "rounds": args.rounds,
        },
        "notes": notes,
    }


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def run_arms(args: argparse.Namespace, tmp: Path, notes: list[str]) -> dict[str, Any]:
    """Direct baseline, then each arm alone, ``args.rounds`` times over: the JSON-ready
    results with each round's measurements, the median rows and the targets."""
    cpus, pinning = _pinning(args.workers, notes)
    client = {sorted(os.sched_getaffinity(0))[-1]} if cpus else None
    total = args.rounds * (len(args.arms) + 1) * (len(args.levels) + 1)
    step = [0]
    print(f"pinning: {pinning}; {len(args.arms)} arms + the direct baseline", flush=True)
    rounds: list[dict[str, Any]] = []
    with _mock(client) as mock_port, arm_context(args, tmp, mock_port, cpus) as ctx:
        for number in range(1, args.rounds + 1):
            if args.rounds > 1:
                print(f"round {number} of {args.rounds}", flush=True)
            rounds.append(_one_round(args, ctx, f"http://127.0.0.1:{mock_port}", (step, total)))
    rows = median_rows([_round_rows(r) for r in rounds])
    measured = [m for r in rounds for m in [r["direct"], *r["arms"]]]
    errors = sum(p["errors"] for m in measured for p in [*m["points"].values(), m["stream"]])
    return {
        **_meta(args, pinning, notes),
        "rounds": rounds,
        "rows": rows,
        "targets": check_targets(rows),
        "errors": errors,
    }


def _one_round(
    args: argparse.Namespace, ctx: ArmContext, root: str, progress: tuple[list[int], int]
) -> dict[str, Any]:
    direct = uvloop.run(measure_target("direct", root, "sk-mock", args, progress))
    measured = []
    for name in args.arms:
        with start_arm(name, ctx) as running:
            result = uvloop.run(
                measure_target(
                    name, running.root, running.api_key, args, progress, running.proc.pid
                )
            )
            result["rss_mb"] = _round(worker_rss_mb(running.proc.pid))
            measured.append(result)
    return {"direct": direct, "arms": measured}


def _round_rows(one: dict[str, Any]) -> list[dict[str, float | str | None]]:
    bare = next((m for m in one["arms"] if m["name"] == "bare"), None)
    bare_rps = bare["points"].get("16", {}).get("rps") if bare else None
    return [arm_row(m, one["direct"], bare_rps) for m in one["arms"]]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def render_arms(results: dict[str, Any]) -> str:
    lines = ["", f"All arms, --workers {results['workers']} ({results['pinning']}):", ""]
    lines.append(render_table(results["rows"]))
    if len(results.get("rounds", [])) > 1:
        lines += [
            "",
            f"Each figure is the median of {len(results['rounds'])} rounds.",
            render_spread(results["rows"]),
        ]
    lines += ["", "Targets:", render_targets(results["targets"])]
    if results["errors"]:
        lines.append(f"!!! {results['errors']} requests failed: these figures are NOT valid")
        for m in [one for r in results["rounds"] for one in [r["direct"], *r["arms"]]]:
            for p in [*m["points"].values(), m["stream"]]:
                lines += [f"!!!   {m['name']}: {s}" for s in p["error_samples"]]
    lines += [f"note: {note}" for note in [*results["notes"], *_busy(results)]]
    return "\n".join(lines)


def _busy(results: dict[str, Any]) -> list[str]:
    """A note when other processes used the machine during the points."""
    seen = [
        p["background_pct"] or 0.0
        for r in results["rounds"]
        for m in [r["direct"], *r["arms"]]
        for p in m["points"].values()
    ]
    worst = max(seen, default=0.0)
    if worst < BACKGROUND_NOISY_PCT:
        return []
    return [
        f"other processes used up to {worst:.0f}% of a CPU during the points: req/s and "
        "latencies are noisy (CPU ms/req and RSS much less so); rerun on an idle machine"
    ]


def soak_arm(args: argparse.Namespace, tmp: Path, notes: list[str]) -> dict[str, Any]:
    """Constant load on ``args.arms[0]`` for ``args.soak`` seconds; writes the SVG plot."""
    cpus, pinning = _pinning(args.workers, notes)
    client = {sorted(os.sched_getaffinity(0))[-1]} if cpus else None
    name = args.arms[0]
    with (
        _mock(client) as mock_port,
        arm_context(args, tmp, mock_port, cpus) as ctx,
        start_arm(name, ctx) as running,
    ):
        headers = {"Authorization": f"Bearer {running.api_key}"}
        pid = running.proc.pid
        samples = uvloop.run(
            run_soak(
                f"{running.root}/v1/chat/completions",
                headers | {"Content-Type": "application/json"},
                chat_body(args.model, False),
                concurrency=args.soak_concurrency,
                seconds=args.soak,
                interval=args.soak_interval,
                rss=lambda: worker_rss_mb(pid, "VmRSS"),
            )
        )
        peak = _round(worker_rss_mb(pid))
    growth = rss_growth(samples, args.soak_warmup)
    plot = args.output.with_suffix(".svg")
    title = (
        f"{name}: {args.soak:g}s at concurrency {args.soak_concurrency}, --workers {args.workers}"
    )
    plot.parent.mkdir(parents=True, exist_ok=True)
    plot.write_text(
        soak_svg(
            title,
            [s["elapsed_s"] for s in samples],
            [s["rss_mb"] or float("nan") for s in samples],
            [s["p99_ms"] if s["p99_ms"] is not None else float("nan") for s in samples],
            args.soak_warmup,
        ),
        encoding="utf-8",
    )
    return {
        **_meta(args, pinning, notes),
        "arm": name,
        "soak": {
            "seconds": args.soak,
            "interval_s": args.soak_interval,
            "warmup_s": args.soak_warmup,
        },
        "samples": samples,
        "rss_growth": growth,
        "peak_rss_mb": peak,
        "plot": str(plot),
        "errors": sum(s["errors"] for s in samples),
    }


def render_soak(results: dict[str, Any]) -> str:
    g = results["rss_growth"]
    p99s = sorted(s["p99_ms"] for s in results["samples"] if s["p99_ms"] is not None)
    verdict = "n/a"
    if g["growth_pct"] is not None:
        verdict = "PASS" if g["growth_pct"] <= GROWTH_TARGET_PCT else "FAIL"
    lines = [
        "",
        f"Soak of {results['arm']}: {len(results['samples'])} intervals, "
        f"{results['errors']} errors, peak RSS per worker {results['peak_rss_mb']} MB",
        f"RSS after warm-up: {g['start_mb']} MB -> {g['end_mb']} MB (max {g['max_mb']} MB), "
        f"growth {g['growth_pct']} % [{verdict}: target <= {GROWTH_TARGET_PCT:g} %]",
        f"p99 per interval: best {p99s[0] if p99s else '-'} ms, "
        f"worst {p99s[-1] if p99s else '-'} ms",
        f"plot: {results['plot']}",
    ]
    lines += [f"note: {note}" for note in results["notes"]]
    return "\n".join(lines)
