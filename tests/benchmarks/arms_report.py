"""The all-arms table: each arm's figures next to the bare pass-through ceiling.

Pure functions over plain dicts (what ``arms.py`` measures and ``--output`` stores), so that
the table and the target checks are tested without running anything.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

__all__ = ["ARM_TITLES", "arm_row", "check_targets", "median_rows", "render_spread", "render_table"]

ARM_TITLES = {
    "bare": "bare aiohttp pass-through, no features",
    "master": "DeltaLLM, master key",
    "embedded": "DeltaLLM, virtual key, embedded default",
    "guarded": "DeltaLLM, virtual key, embedded, Presidio guardrail on every call",
    "cached": "DeltaLLM, virtual key, embedded, response cache (every call a hit)",
    "production": "DeltaLLM, virtual key, PostgreSQL + Redis",
}
SHARE_TARGET_PCT = 40.0
ADDED_P99_C1_MS = 2.0
ADDED_TTFC_MS = 1.0
RSS_MB = 150.0

_HEADER = (
    "| arm | req/s at 16 | share of bare | added p50 / p99 at 1 (ms) | added p99 at 16 (ms) "
    "| added TTFC p50 (ms) | peak RSS per worker | CPU ms/req at 16 |"
)


def _get(summary: dict[str, Any] | None, key: str) -> float | None:
    value = None if summary is None else summary.get(key)
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a - b, 3)


def arm_row(
    arm: dict[str, Any], direct: dict[str, Any], bare_rps: float | None
) -> dict[str, float | str | None]:
    """One arm's derived figures: added latencies are the arm's minus the direct baseline's.

    ``arm`` and ``direct`` hold ``points`` (concurrency as a string -> point summary) and
    ``stream`` (a stream summary); ``bare_rps`` is the ceiling at concurrency 16.
    """
    points, base = arm.get("points", {}), direct.get("points", {})
    one, sixteen = points.get("1"), points.get("16")
    rps = _get(sixteen, "rps")
    share = None if rps is None or not bare_rps else round(100.0 * rps / bare_rps, 1)
    return {
        "arm": arm["name"],
        "rps_16": rps,
        "share_pct": share,
        "added_p50_1": _minus(_get(one, "p50_ms"), _get(base.get("1"), "p50_ms")),
        "added_p99_1": _minus(_get(one, "p99_ms"), _get(base.get("1"), "p99_ms")),
        "added_p99_16": _minus(_get(sixteen, "p99_ms"), _get(base.get("16"), "p99_ms")),
        "p99_16": _get(sixteen, "p99_ms"),
        "added_ttfc_p50": _minus(
            _get(arm.get("stream"), "ttfc_p50_ms"), _get(direct.get("stream"), "ttfc_p50_ms")
        ),
        "rss_mb": arm.get("rss_mb"),
        "cpu_ms_16": (sixteen or {}).get("cpu_ms_per_request", {}).get("gateway"),
    }


def median_rows(
    rounds: list[list[dict[str, float | str | None]]],
) -> list[dict[str, float | str | None]]:
    """One row per arm, each figure the median of that arm's rounds (rounds missing a figure
    are left out of its median); ``rps_16_min`` / ``rps_16_max`` keep the spread."""
    names = list(dict.fromkeys(str(row["arm"]) for rows in rounds for row in rows))
    merged = []
    for name in names:
        seen = [row for rows in rounds for row in rows if row["arm"] == name]
        row: dict[str, float | str | None] = {"arm": name}
        for key in seen[0]:
            if key == "arm":
                continue
            values = [v for r in seen if isinstance(v := r.get(key), int | float)]
            row[key] = round(statistics.median(values), 3) if values else None
        rps = [v for r in seen if isinstance(v := r.get("rps_16"), int | float)]
        row["rps_16_min"] = min(rps) if rps else None
        row["rps_16_max"] = max(rps) if rps else None
        row["rounds"] = len(seen)
        merged.append(row)
    return merged


def render_spread(rows: list[dict[str, float | str | None]]) -> str:
    """Each arm's lowest and highest req/s at 16 over its rounds."""
    parts = [
        f"{row['arm']} {_fmt(row.get('rps_16_min'), ',.0f')}-{_fmt(row.get('rps_16_max'), ',.0f')}"
        for row in rows
    ]
    return "req/s at 16, lowest-highest round: " + ", ".join(parts)


def _fmt(value: float | str | None, spec: str) -> str:
    return "-" if value is None or isinstance(value, str) else format(value, spec)


def render_table(rows: list[dict[str, float | str | None]]) -> str:
    """The Markdown table of every arm (the README's table)."""
    lines = [_HEADER, "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        title = ARM_TITLES.get(str(row["arm"]), str(row["arm"]))
        share = "-" if row["share_pct"] is None else f"{_fmt(row['share_pct'], '.0f')} %"
        rss = "-" if row["rss_mb"] is None else f"{_fmt(row['rss_mb'], '.0f')} MB"
        lines.append(
            f"| {title} | {_fmt(row['rps_16'], ',.0f')} | {share} "
            f"| {_fmt(row['added_p50_1'], '+.2f')} / {_fmt(row['added_p99_1'], '+.2f')} "
            f"| {_fmt(row['added_p99_16'], '+.2f')} | {_fmt(row['added_ttfc_p50'], '+.2f')} "
            f"| {rss} | {_fmt(row['cpu_ms_16'], '.3f')} |"
        )
    return "\n".join(lines)


def _check(
    name: str, measured: float | str | None, limit: float | None, at_least: bool
) -> dict[str, Any]:
    value = None if isinstance(measured, str) else measured
    ok = None
    if value is not None and limit is not None:
        ok = value >= limit if at_least else value <= limit
    goal = "n/a" if limit is None else f"{'>=' if at_least else '<='} {limit:,.2f}"
    return {"name": name, "target": goal, "measured": value, "pass": ok}


def check_targets(rows: list[dict[str, float | str | None]]) -> list[dict[str, Any]]:
    """The issue's targets for every DeltaLLM arm, relative to the bare arm where it says so."""
    bare = next((r for r in rows if r["arm"] == "bare"), None)

    def twice(key: str) -> float | None:
        value = None if bare is None else bare[key]
        return None if value is None or isinstance(value, str) else 2.0 * max(value, 0.0)

    checks: list[dict[str, Any]] = []
    for row in rows:
        if row["arm"] == "bare":
            continue
        arm = str(row["arm"])
        if arm == "production":
            checks.append(
                _check(f"{arm}: share of bare at 16 (%)", row["share_pct"], SHARE_TARGET_PCT, True)
            )
            checks.append(
                _check(
                    f"{arm}: added p50 at 1 (ms)", row["added_p50_1"], twice("added_p50_1"), False
                )
            )
            checks.append(
                _check(f"{arm}: added p99 at 1 (ms)", row["added_p99_1"], ADDED_P99_C1_MS, False)
            )
            checks.append(
                _check(
                    f"{arm}: p99 at 16 (ms, <= 2x bare's)",
                    row["p99_16"],
                    twice("p99_16"),
                    False,
                )
            )
        checks.append(
            _check(f"{arm}: added TTFC p50 (ms)", row["added_ttfc_p50"], ADDED_TTFC_MS, False)
        )
        if arm != "guarded":  # the RSS target excludes Presidio (its import alone is ~100 MB)
            checks.append(_check(f"{arm}: peak RSS per worker (MB)", row["rss_mb"], RSS_MB, False))
    return checks


def render_targets(checks: list[dict[str, Any]]) -> str:
    """One line per target: PASS / FAIL / n/a, the goal and the measurement."""
    out = []
    for check in checks:
        mark = {True: "PASS", False: "FAIL", None: "n/a "}[check["pass"]]
        shown = "n/a" if check["measured"] is None else f"{check['measured']:,.2f}"
        out.append(f"  [{mark}] {check['name']:<44} target {check['target']:<12} measured {shown}")
    return "\n".join(out)
