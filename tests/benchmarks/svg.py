"""A dependency-free SVG line chart for the soak: RSS and p99 over time, one panel each."""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

__all__ = ["soak_svg"]

_W, _PANEL_H, _LEFT, _RIGHT, _TOP, _GAP = 720, 200, 70, 20, 40, 60


def _nice_max(value: float) -> float:
    """The smallest 1/2/5 x 10^n at or above ``value`` (1 for nothing to show)."""
    if value <= 0 or math.isnan(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _panel(
    top: float, title: str, unit: str, xs: Sequence[float], ys: Sequence[float], x_max: float
) -> list[str]:
    width = _W - _LEFT - _RIGHT
    y_max = _nice_max(max((y for y in ys if not math.isnan(y)), default=0.0))
    parts = [
        f'<text x="{_LEFT}" y="{top - 8}" font-size="13">{escape(title)}</text>',
        f'<rect x="{_LEFT}" y="{top}" width="{width}" height="{_PANEL_H}" '
        'fill="none" stroke="#999"/>',
    ]
    for i in range(5):
        value = y_max * i / 4
        y = top + _PANEL_H - _PANEL_H * i / 4
        parts.append(
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">'
            f"{value:g} {escape(unit)}</text>"
        )
    points = [
        f"{_LEFT + width * x / x_max:.1f},{top + _PANEL_H - _PANEL_H * y / y_max:.1f}"
        for x, y in zip(xs, ys, strict=True)
        if not math.isnan(y)
    ]
    if points:
        parts.append(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="#1f77b4" stroke-width="2"/>'
        )
    return parts


def soak_svg(
    title: str,
    elapsed_s: Sequence[float],
    rss_mb: Sequence[float],
    p99_ms: Sequence[float],
    warmup_s: float | None = None,
) -> str:
    """The SVG document: RSS (MB) above, p99 (ms) below, over elapsed seconds; a dashed line
    marks the end of the warm-up."""
    x_max = max(max(elapsed_s, default=0.0), 1.0)
    height = _TOP + 2 * _PANEL_H + _GAP + 40
    bottom_top = _TOP + _PANEL_H + _GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{height}" '
        'font-family="sans-serif">',
        f'<rect width="{_W}" height="{height}" fill="white"/>',
        f'<text x="{_LEFT}" y="18" font-size="15">{escape(title)}</text>',
        *_panel(_TOP, "Resident set size (per worker, largest)", "MB", elapsed_s, rss_mb, x_max),
        *_panel(bottom_top, "p99 latency per interval", "ms", elapsed_s, p99_ms, x_max),
    ]
    axis_y = bottom_top + _PANEL_H + 16
    width = _W - _LEFT - _RIGHT
    for i in range(5):
        seconds = x_max * i / 4
        parts.append(
            f'<text x="{_LEFT + width * i / 4:.1f}" y="{axis_y}" font-size="11" '
            f'text-anchor="middle">{seconds:.0f} s</text>'
        )
    if warmup_s is not None and 0 < warmup_s < x_max:
        x = _LEFT + width * warmup_s / x_max
        parts.append(
            f'<line x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{bottom_top + _PANEL_H}" '
            'stroke="#d62728" stroke-dasharray="4 4"/>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
