"""The bench's pure parts: argument checks, the all-arms table and targets, the soak's RSS
growth and its SVG plot (nothing is run or timed here)."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from tests.benchmarks.arms_report import (
    arm_row,
    check_targets,
    median_rows,
    render_spread,
    render_table,
)
from tests.benchmarks.run import parse_args
from tests.benchmarks.soak import rss_growth
from tests.benchmarks.svg import soak_svg

PG = ["--database-url", "postgresql://postgres@db/postgres", "--redis-url", "redis://r/0"]


def _arm(
    name: str, rps16: float, p50: float, p99: float, p99_16: float, ttfc: float
) -> dict[str, Any]:
    return {
        "name": name,
        "points": {
            "1": {"p50_ms": p50, "p99_ms": p99},
            "16": {"rps": rps16, "p99_ms": p99_16, "cpu_ms_per_request": {"gateway": 0.12}},
        },
        "stream": {"ttfc_p50_ms": ttfc},
        "rss_mb": 40.0 if name == "bare" else 151.0,
    }


DIRECT = _arm("direct", 20000.0, 0.2, 0.5, 1.0, 0.3)


def test_added_figures_are_the_arm_minus_the_direct_baseline() -> None:
    bare = arm_row(_arm("bare", 8000.0, 0.5, 1.3, 3.0, 0.7), DIRECT, 8000.0)
    production = arm_row(_arm("production", 2000.0, 1.0, 12.5, 30.0, 1.8), DIRECT, 8000.0)
    assert bare["share_pct"] == 100.0
    assert production["share_pct"] == 25.0
    assert (production["added_p50_1"], production["added_p99_1"]) == (0.8, 12.0)
    assert (production["added_p99_16"], production["added_ttfc_p50"]) == (29.0, 1.5)


def test_the_table_lists_every_arm_and_shows_missing_figures_as_a_dash() -> None:
    rows = [
        arm_row(_arm("bare", 8000.0, 0.5, 1.3, 3.0, 0.7), DIRECT, 8000.0),
        arm_row({"name": "embedded", "points": {}, "stream": {}, "rss_mb": None}, DIRECT, 8000.0),
    ]
    table = render_table(rows).splitlines()
    assert table[0].startswith("| arm | req/s at 16 | share of bare")
    assert table[2] == (
        "| bare aiohttp pass-through, no features | 8,000 | 100 % | +0.30 / +0.80 | +2.00 "
        "| +0.40 | 40 MB | 0.120 |"
    )
    assert table[3] == "| DeltaLLM, virtual key, embedded default | - | - | - / - | - | - | - | - |"


def test_production_targets_are_relative_to_the_bare_arm() -> None:
    rows = [
        arm_row(_arm("bare", 8000.0, 0.5, 1.3, 3.0, 0.7), DIRECT, 8000.0),
        arm_row(_arm("production", 3400.0, 0.8, 2.9, 4.5, 1.2), DIRECT, 8000.0),
    ]
    verdicts = {c["name"]: c["pass"] for c in check_targets(rows)}
    assert verdicts == {
        "production: share of bare at 16 (%)": True,  # 42.5 %
        "production: added p50 at 1 (ms)": True,  # 0.6 <= 2 x 0.3
        "production: added p99 at 1 (ms)": False,  # 2.4 > 2
        "production: p99 at 16 (ms, <= 2x bare's)": True,  # 4.5 <= 2 x 3.0
        "production: added TTFC p50 (ms)": True,  # 0.9
        "production: peak RSS per worker (MB)": False,  # 151
    }


def test_arm_options_are_checked() -> None:
    args = parse_args(["--arms", "all", *PG, "--workers", "2"])
    assert args.arms == ["bare", "master", "embedded", "guarded", "cached", "production"]
    assert args.levels == [1, 16]
    assert parse_args(["--arms", "all"]).arms == [
        "bare",
        "master",
        "embedded",
        "guarded",
        "cached",
    ]
    assert parse_args(["--soak", "600"]).arms == ["embedded"]
    soak = parse_args(["--soak", "100", *PG])
    assert (soak.arms, soak.soak_warmup) == (["production"], 20.0)
    for bad in (
        ["--arms", "bare,nonsense"],
        ["--arms", "production"],
        ["--database-url", "postgresql://db/x"],
        ["--arms", "all", "--workers", "2"],
        ["--arms", "bare", "--workers", "0", "--redis-url", "redis://r/0"],
        ["--soak", "60", "--arms", "bare,master"],
        ["--soak", "60", "--soak-warmup", "60"],
        ["--arms", "bare", "--gateway-url", "http://127.0.0.1:4000"],
        ["--arms", "bare", "--rounds", "0"],
        ["--soak", "60", "--rounds", "3"],
        ["--rounds", "3"],
    ):
        with pytest.raises(SystemExit):
            parse_args(bad)


def test_rounds_report_each_figure_as_the_median_of_the_rounds() -> None:
    assert parse_args(["--arms", "bare,master", "--rounds", "3"]).rounds == 3
    rounds = [
        [
            arm_row(_arm("bare", rps, 0.5, 1.3, 3.0, 0.7), DIRECT, rps),
            arm_row(_arm("master", master, 0.9, p99, 9.0, 1.1), DIRECT, rps),
        ]
        for rps, master, p99 in (
            (8000.0, 2000.0, 4.5),
            (6000.0, 3000.0, 2.5),
            (7000.0, 2600.0, 9.5),
        )
    ]
    rounds[1][1]["rss_mb"] = None  # a round without a figure leaves it out of the median
    rows = median_rows(rounds)
    assert [row["arm"] for row in rows] == ["bare", "master"]
    bare, master = rows
    assert (bare["rps_16"], bare["rps_16_min"], bare["rps_16_max"]) == (7000.0, 6000.0, 8000.0)
    # medians are taken per figure: master's share is the median of its per-round shares
    assert (master["rps_16"], master["share_pct"]) == (2600.0, 37.1)
    assert (master["added_p99_1"], master["rss_mb"], master["rounds"]) == (4.0, 151.0, 3)
    assert render_spread(rows) == (
        "req/s at 16, lowest-highest round: bare 6,000-8,000, master 2,000-3,000"
    )


def test_rss_growth_counts_from_the_end_of_the_warm_up() -> None:
    samples = [
        {"elapsed_s": 10.0, "rss_mb": 90.0},
        {"elapsed_s": 20.0, "rss_mb": 120.0},
        {"elapsed_s": 30.0, "rss_mb": 126.0},
        {"elapsed_s": 40.0, "rss_mb": 123.0},
    ]
    assert rss_growth(samples, 20.0) == {
        "start_mb": 120.0,
        "end_mb": 123.0,
        "max_mb": 126.0,
        "growth_pct": 2.5,
    }
    assert rss_growth(samples[:1], 0.0)["growth_pct"] is None


def test_the_soak_plot_is_an_svg_with_both_series_and_the_warm_up_mark() -> None:
    svg = soak_svg(
        "soak <embedded>", [10.0, 20.0, 30.0], [100.0, 101.0, 101.5], [2.0, math.nan, 3.0], 15.0
    )
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    lines = root.findall(f"{ns}polyline")
    assert len(lines) == 2
    assert len(lines[1].attrib["points"].split()) == 2  # the NaN interval is left out
    assert root.findall(f"{ns}line")  # the end of the warm-up
    assert "soak &lt;embedded&gt;" in svg


def test_the_guardrail_arm_is_not_held_to_the_memory_target() -> None:
    rows = [
        arm_row(_arm("bare", 8000.0, 0.5, 1.3, 3.0, 0.7), DIRECT, 8000.0),
        arm_row(_arm("guarded", 2000.0, 1.0, 3.0, 6.0, 0.9), DIRECT, 8000.0),
        arm_row(_arm("cached", 3000.0, 0.6, 2.0, 5.0, 0.5), DIRECT, 8000.0),
    ]
    names = [c["name"] for c in check_targets(rows)]
    assert "guarded: peak RSS per worker (MB)" not in names
    assert "cached: peak RSS per worker (MB)" in names
    assert "guarded: added TTFC p50 (ms)" in names
    table = render_table(rows)
    assert "Presidio guardrail on every call" in table and "response cache" in table
