"""``just bench-console``: the web console's first load, measured in Chromium.

Seeds a fresh SQLite database with the ``just bench-admin`` data set (``admin_data.py``:
2,000 keys, 100,000 request logs over 30 days), starts ``deltallm serve --workers 1`` on the
embedded default, then signs in with the master key in Debian's Chromium, each run in a new
profile (``frontend/bench/console.mjs``), and reports the median and worst of:

- the time from the sign-in click to the dashboard rendered (totals, chart, nothing loading);
- the JavaScript loaded before that, gzip-compressed, against the 250 KB budget;
- then, from a click in the nav, the keys page's and the usage page's first rows.

Prints a table and writes ``bench-results/console-latest.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

from tests.benchmarks import admin_data as seeding
from tests.benchmarks import processes as procs
from tests.benchmarks.report import write_json

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
MASTER_KEY = "sk-bench-console"
BUDGET_JS_GZIP_KB = 250.0
BUDGET_RENDER_MS = 1000.0


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median and worst of each figure over the runs."""

    def both(name: str) -> dict[str, float]:
        values = [float(r[name]) for r in runs]
        return {"median": round(statistics.median(values), 1), "max": round(max(values), 1)}

    return {
        "rendered_ms": both("rendered_ms"),
        "totals_ms": both("totals_ms"),
        "keys_page_ms": both("keys_page_ms"),
        "usage_page_ms": both("usage_page_ms"),
        "js_gzip_kb": {k: round(v / 1024, 1) for k, v in both("js_gzip_bytes").items()},
        "js_gzip_kb_before_totals": {
            k: round(v / 1024, 1) for k, v in both("js_gzip_bytes_before_totals").items()
        },
        "js_raw_kb": {k: round(v / 1024, 1) for k, v in both("js_raw_bytes").items()},
        "scripts": int(max(r["scripts"] for r in runs)),
    }


def render(results: dict[str, Any]) -> str:
    s, rows = results["summary"], results["seed"]["rows"]
    js, shown = s["js_gzip_kb"], s["rendered_ms"]
    js_ok = "within" if js["max"] <= BUDGET_JS_GZIP_KB else "OVER"
    render_ok = "within" if shown["median"] <= BUDGET_RENDER_MS else "OVER"
    return "\n".join(
        [
            f"Console first load in Chromium {results['chromium']}, {len(results['runs'])} runs in "
            f"new profiles, {rows['virtual_keys']:,} keys and {rows['spend_logs']:,} request logs "
            "(SQLite):",
            f"{'figure':<46} {'median':>9} {'worst':>9}   budget",
            f"{'sign-in click to dashboard rendered, ms':<46} {shown['median']:>9.0f} "
            f"{shown['max']:>9.0f}   {BUDGET_RENDER_MS:.0f} ms ({render_ok})",
            f"{'sign-in click to totals shown, ms':<46} {s['totals_ms']['median']:>9.0f} "
            f"{s['totals_ms']['max']:>9.0f}",
            f"{'keys page (2,000 keys): nav click to rows, ms':<46} "
            f"{s['keys_page_ms']['median']:>9.0f} {s['keys_page_ms']['max']:>9.0f}",
            f"{'usage page: nav click to request log, ms':<46} "
            f"{s['usage_page_ms']['median']:>9.0f} {s['usage_page_ms']['max']:>9.0f}",
            f"{'JavaScript before it, gzipped, KB':<46} {js['median']:>9.1f} {js['max']:>9.1f}   "
            f"{BUDGET_JS_GZIP_KB:.0f} KB ({js_ok})",
            f"{'JavaScript before the totals, gzipped, KB':<46} "
            f"{s['js_gzip_kb_before_totals']['median']:>9.1f} "
            f"{s['js_gzip_kb_before_totals']['max']:>9.1f}",
            f"{'JavaScript before it, uncompressed, KB':<46} {s['js_raw_kb']['median']:>9.1f} "
            f"{s['js_raw_kb']['max']:>9.1f}",
            f"{'script files':<46} {s['scripts']:>9}",
            "GraphQL before it (last run, ms): "
            + ", ".join(f"{q['name']} {q['ms']:.0f}" for q in results["runs"][-1]["graphql"]),
            "largest files: "
            + ", ".join(
                f"{f['file']} {f['gzip'] / 1024:.0f} KB" for f in results["runs"][0]["files"][:4]
            ),
        ]
        + [f"note: {n}" for n in results["notes"]]
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="just bench-console", description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--runs", type=int, default=7, help="Sign-ins to measure, each in a new profile (7).")
    add("--logs", type=int, default=seeding.Counts().logs, help="Request logs to seed (100000).")
    output = ROOT / "bench-results" / "console-latest.json"
    add("--output", type=Path, default=output, help="The JSON results (bench-results/...).")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.logs < 1:
        parser.error("--runs and --logs must be >= 1")
    return args


def browser_runs(root: str, runs: int) -> dict[str, Any]:
    """Run the Chromium half; its progress lines pass through to this terminal."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed: the console benchmark drives Chromium with it")
    if not (FRONTEND / "dist" / "ui" / "index.html").exists():
        raise RuntimeError("the console is not built: run `just setup` first")
    done = subprocess.run(
        [node, "bench/console.mjs", root, MASTER_KEY, str(runs)],
        cwd=FRONTEND,
        stdout=subprocess.PIPE,
        text=True,
        timeout=120 + 60 * runs,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the browser runs failed (exit {done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def seed(url: str, logs: int) -> seeding.SeedResult:
    return await seeding.seed(url, seeding.Counts(logs=logs))


def run(args: argparse.Namespace, tmp: Path, notes: list[str]) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{tmp / 'deltallm.db'}"
    seeded = asyncio.run(seed(url, args.logs))
    with mock.patch.dict(os.environ, {"DATABASE_URL": url}):
        os.environ.pop("REDIS_URL", None)  # the embedded default; restored on exit
        gateway, root, took = procs.start_gateway(tmp, procs.free_port(), "bench", MASTER_KEY, None)
    try:
        print(f"gateway ready in {took:.1f}s at {root} (pid {gateway.pid})", flush=True)
        background = procs.background_pct([os.getpid(), gateway.pid])
        if background >= 15.0:
            notes.append(f"other processes used {background:.0f}% of a CPU before the run")
        browser = browser_runs(root, args.runs)
    finally:
        procs.stop(gateway)
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": procs.git_commit(ROOT),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "chromium": browser["chromium"],
        "seed": {"rows": seeded.rows, "seconds": round(seeded.seconds, 1)},
        "budgets": {"js_gzip_kb": BUDGET_JS_GZIP_KB, "rendered_ms": BUDGET_RENDER_MS},
        "runs": browser["runs"],
        "summary": summarise(browser["runs"]),
        "notes": notes,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started, notes = time.monotonic(), list[str]()
    try:
        with tempfile.TemporaryDirectory(prefix="deltallm-bench-console-") as tmp:
            results = run(args, Path(tmp), notes)
    except KeyboardInterrupt:
        print("\ninterrupted: the gateway was stopped", file=sys.stderr)
        return 130
    except (procs.GatewayNotReadyError, RuntimeError, OSError, subprocess.SubprocessError) as exc:
        print(f"\nerror: {exc}\nno figures written", file=sys.stderr)
        return 2
    print("\n" + render(results))
    write_json(results, args.output)
    print(f"\nwrote {args.output} ({time.monotonic() - started:.0f}s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
