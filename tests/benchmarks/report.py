"""Results: one JSON-ready dict, rendered as the printed report and written as JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.benchmarks.load import PointResult, StreamResult

__all__ = ["build", "point_summary", "progress_line", "render", "stream_summary", "write_json"]

TARGET_RPS_C16 = 2000.0
TARGET_ADDED_P50_MS = 1.0
TARGET_ADDED_TTFC_MS = 1.0
TARGET_RSS_MB = 150.0
CLIENT_SATURATED_PCT = 90.0
BACKGROUND_NOISY_PCT = 15.0


def _num(value: float | None, digits: int = 3) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


def point_summary(p: PointResult) -> dict[str, Any]:
    return {
        "concurrency": p.concurrency,
        "window_s": _num(p.window_s),
        "requests": p.requests,
        "rps": _num(p.rps, 1),
        "p50_ms": _num(p.p50),
        "p99_ms": _num(p.p99),
        "errors": p.errors,
        "error_samples": p.error_samples,
        "cpu_ms_per_request": {
            k: _num(p.cpu_per_request(k), 4) for k in p.cpu_ms if k != "machine"
        },
        "cpu_utilisation_pct": {k: _num(p.utilisation(k), 1) for k in p.cpu_ms if k != "machine"},
        "background_pct": _num(p.background(), 1),
    }


def stream_summary(s: StreamResult) -> dict[str, Any]:
    return {
        "requests": len(s.ttfc_ms),
        "ttfc_p50_ms": _num(s.p50),
        "ttfc_p99_ms": _num(s.p99),
        "total_p50_ms": _num(s.total_p50),
        "errors": s.errors,
        "error_samples": s.error_samples,
    }


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a - b, 3)


def _target(
    name: str, measured: float | None, limit: float, unit: str, at_least: bool
) -> dict[str, Any]:
    goal = f"{'>=' if at_least else '<='} {limit:,g} {unit}"
    ok = None if measured is None else (measured >= limit if at_least else measured <= limit)
    shown = "n/a" if measured is None else f"{measured:,.2f} {unit}"
    return {"name": name, "target": goal, "measured": measured, "shown": shown, "pass": ok}


def _notes(points: list[dict[str, Any]]) -> list[str]:
    notes = []
    noisy = []
    for p in points:
        where = f"c={p['concurrency']}"
        load = _client_load(p["gateway"])
        if load is not None and load >= CLIENT_SATURATED_PCT:
            notes.append(
                f"the load generator + mock used {load:.0f}% of their CPU at {where}: that "
                "gateway figure may be limited by the client, not by the gateway"
            )
        background = max(p["direct"]["background_pct"] or 0, p["gateway"]["background_pct"] or 0)
        if background >= BACKGROUND_NOISY_PCT:
            noisy.append(f"{background:.0f}% at {where}")
    if noisy:
        notes.append(
            f"other processes on this machine used CPU during the points ({', '.join(noisy)} "
            "of a CPU): the figures are noisy; rerun on an idle machine"
        )
    return notes


def build(
    meta: dict[str, Any],
    pairs: list[tuple[PointResult, PointResult]],
    streams: tuple[StreamResult, StreamResult] | None,
    rss_mb: float | None,
) -> dict[str, Any]:
    points: list[dict[str, Any]] = []
    for direct, gateway in pairs:
        d, g = point_summary(direct), point_summary(gateway)
        added = _diff(g["p50_ms"], d["p50_ms"])
        points.append(
            {"concurrency": direct.concurrency, "direct": d, "gateway": g, "added_p50_ms": added}
        )
    streaming: dict[str, Any] | None = None
    if streams is not None:
        sd, sg = stream_summary(streams[0]), stream_summary(streams[1])
        added_ttfc = _diff(sg["ttfc_p50_ms"], sd["ttfc_p50_ms"])
        streaming = {"direct": sd, "gateway": sg, "added_ttfc_p50_ms": added_ttfc}
    by_c = {p["concurrency"]: p for p in points}
    rss = _num(rss_mb, 1)
    targets = [
        _target(
            "Gateway throughput, concurrency 16",
            by_c[16]["gateway"]["rps"] if 16 in by_c else None,
            TARGET_RPS_C16,
            "req/s",
            at_least=True,
        ),
        _target(
            "Added latency p50, concurrency 1",
            by_c[1]["added_p50_ms"] if 1 in by_c else None,
            TARGET_ADDED_P50_MS,
            "ms",
            at_least=False,
        ),
        _target(
            "Added time to first chunk p50",
            streaming["added_ttfc_p50_ms"] if streaming else None,
            TARGET_ADDED_TTFC_MS,
            "ms",
            at_least=False,
        ),
        _target("Gateway peak RSS", rss, TARGET_RSS_MB, "MB", at_least=False),
    ]
    errors = sum(p["direct"]["errors"] + p["gateway"]["errors"] for p in points)
    if streaming:
        errors += streaming["direct"]["errors"] + streaming["gateway"]["errors"]
    return {
        **meta,
        "notes": [*meta.get("notes", []), *_notes(points)],
        "points": points,
        "streaming": streaming,
        "gateway_peak_rss_mb": rss,
        "targets": targets,
        "errors": errors,
    }


def _f(value: float | None, fmt: str = ",.2f") -> str:
    return "-" if value is None else format(value, fmt)


def progress_line(step: int, total: int, p: PointResult | StreamResult) -> str:
    head = f"[{step:>2}/{total}] {p.target:<8}"
    if isinstance(p, StreamResult):
        return (
            f"{head} stream c=1  {len(p.ttfc_ms):>6} req   TTFC p50 {p.p50:7.3f} ms  "
            f"p99 {p.p99:7.3f} ms  errors {p.errors}"
        )
    cpu = p.cpu_per_request("gateway")
    extra = f"  gw CPU {cpu:.3f} ms/req" if cpu is not None else ""
    background = p.background()
    extra += f"  other procs {background:.0f}%" if background is not None else ""
    return (
        f"{head} c={p.concurrency:<3} {p.requests:>7,} req  {p.rps:9,.1f} req/s  "
        f"p50 {p.p50:7.3f} ms  p99 {p.p99:7.3f} ms  errors {p.errors}{extra}"
    )


def _error_banner(results: dict[str, Any]) -> list[str]:
    if not results["errors"]:
        return []
    lines = [
        "!" * 78,
        f"!!! {results['errors']} REQUESTS FAILED: these figures are NOT valid",
        "!" * 78,
    ]
    sources = [
        (f"c={p['concurrency']} {k}", p[k])
        for p in results["points"]
        for k in ("direct", "gateway")
    ]
    if results["streaming"]:
        sources += [(f"stream {k}", results["streaming"][k]) for k in ("direct", "gateway")]
    for label, summary in sources:
        if summary["errors"]:
            lines.append(f"!!! {label}: {summary['errors']} errors")
            lines += [f"!!!     {sample}" for sample in summary["error_samples"]]
    return [*lines, "!" * 78]


_COLUMNS: list[tuple[str, int, Callable[[dict[str, Any]], str]]] = [
    ("conc", 4, lambda p: str(p["concurrency"])),
    ("direct rps", 10, lambda p: _f(p["direct"]["rps"], ",.0f")),
    ("gw rps", 7, lambda p: _f(p["gateway"]["rps"], ",.0f")),
    ("direct p50", 10, lambda p: _f(p["direct"]["p50_ms"], ".3f")),
    ("direct p99", 10, lambda p: _f(p["direct"]["p99_ms"], ".3f")),
    ("gw p50", 8, lambda p: _f(p["gateway"]["p50_ms"], ".3f")),
    ("gw p99", 8, lambda p: _f(p["gateway"]["p99_ms"], ".3f")),
    ("added p50", 9, lambda p: _f(p["added_p50_ms"], "+.3f")),
    ("gw CPU ms/req", 13, lambda p: _f(p["gateway"]["cpu_ms_per_request"].get("gateway"), ".3f")),
    ("gw CPU", 6, lambda p: _pct(p["gateway"]["cpu_utilisation_pct"].get("gateway"))),
    ("gen+mock", 8, lambda p: _pct(_client_load(p["gateway"]))),
    ("other", 5, lambda p: _pct(p["gateway"]["background_pct"])),
]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def _client_load(summary: dict[str, Any]) -> float | None:
    parts = [summary["cpu_utilisation_pct"].get(k) for k in ("client", "mock")]
    return None if None in parts else sum(v or 0.0 for v in parts)


def _row(cells: list[str]) -> str:
    return "  ".join(c.rjust(w) for c, (_, w, _) in zip(cells, _COLUMNS, strict=True))


def render(results: dict[str, Any]) -> str:
    out = [
        *_error_banner(results),
        "",
        "Chat completions, direct vs through the gateway "
        "(latencies in ms; CPU % of one core during the gateway window):",
    ]
    out.append(_row([name for name, _, _ in _COLUMNS]))
    out += [_row([cell(p) for _, _, cell in _COLUMNS]) for p in results["points"]]
    s = results["streaming"]
    if s:
        d, g = s["direct"], s["gateway"]
        out += [
            "",
            f"Streaming, concurrency 1, {g['requests']} requests: time to first chunk "
            f"p50 direct {_f(d['ttfc_p50_ms'], '.3f')} ms, gateway "
            f"{_f(g['ttfc_p50_ms'], '.3f')} ms, added {_f(s['added_ttfc_p50_ms'], '+.3f')} "
            f"ms (p99 direct {_f(d['ttfc_p99_ms'], '.3f')}, gateway "
            f"{_f(g['ttfc_p99_ms'], '.3f')} ms)",
        ]
    rss = results["gateway_peak_rss_mb"]
    out.append("Gateway peak RSS (VmHWM): " + ("n/a" if rss is None else f"{rss:.1f} MB"))
    out += ["", "Targets:"]
    for t in results["targets"]:
        mark = {True: "PASS", False: "FAIL", None: "n/a "}[t["pass"]]
        out.append(f"  [{mark}] {t['name']:<38} target {t['target']:<14} measured {t['shown']}")
    out += [f"note: {note}" for note in results["notes"]]
    out += _error_banner(results)
    return "\n".join(out)


def write_json(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
