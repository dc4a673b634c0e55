"""Small, legible SVG charts drawn on the server: no JavaScript, readable in print and PDF.

Every chart carries a title and a description for screen readers; pages put the numbers in a
table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#0b5cad", "#b4530a", "#17663a", "#7a4bab", "#a4161a", "#00707a", "#5b6270")
TARGET_COLOR = "#1d2330"


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[int, float | None]]  # (week, value); None leaves a gap
    dashed: bool = False
    step: bool = False  # targets: a step line


def _scale(lo: float, hi: float, a: float, b: float):
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


def _nice_range(values: list[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.1 or max(abs(hi) * 0.1, 1.0)
    return lo - pad, hi + pad


def line_chart(
    title: str,
    series: Sequence[Series],
    weeks: int,
    unit: str = "",
    width: int = 640,
    height: int = 260,
) -> str:
    """A line chart of values by tenure week, with an optional step line for targets."""
    values = [v for s in series for _, v in s.points if v is not None]
    left, right, top, bottom = 56, width - 190, 16, height - 34
    desc = escape(f"{title} by tenure week, weeks 1 to {weeks}")
    if not values or weeks < 1:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 60" role="img" class="chart">'
            f'<title>{escape(title)}</title><text x="8" y="34" font-size="14" fill="#555e6e">No data yet</text></svg>'
        )
    lo, hi = _nice_range(values)
    x = _scale(1, max(weeks, 2), left, right)
    y = _scale(lo, hi, bottom, top)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" class="chart" '
        f'font-family="DejaVu Sans, sans-serif" font-size="14"><title>{escape(title)}</title><desc>{desc}</desc>',
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#8a93a3"/>',
    ]
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        parts.append(
            f'<line x1="{left}" y1="{y(v):.1f}" x2="{right}" y2="{y(v):.1f}" stroke="#e3e7ee"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" fill="#555e6e">{v:.0f}{escape(unit)}</text>'
        )
    step = max(1, weeks // 12)
    for w in range(1, weeks + 1, step):
        parts.append(
            f'<text x="{x(w):.1f}" y="{bottom + 16}" text-anchor="middle" fill="#555e6e">{w}</text>'
        )
    parts.append(
        f'<text x="{(left + right) / 2:.0f}" y="{height - 4}" text-anchor="middle" fill="#555e6e">tenure week</text>'
    )
    for i, s in enumerate(series):
        color = TARGET_COLOR if s.step else PALETTE[i % len(PALETTE)]
        dash = ' stroke-dasharray="6 4"' if s.dashed or s.step else ""
        runs: list[list[tuple[float, float]]] = [[]]
        prev = None
        for w, v in s.points:
            if v is None:
                runs.append([])
                prev = None
                continue
            if s.step and prev is not None:
                runs[-1].append((x(w) - (x(w) - x(w - 1)) / 2, y(prev)))
                runs[-1].append((x(w) - (x(w) - x(w - 1)) / 2, y(v)))
            runs[-1].append((x(w), y(v)))
            prev = v
        for run in runs:
            if len(run) > 1:
                pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in run)
                parts.append(
                    f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2.2"{dash}/>'
                )
            if not s.step:
                parts.extend(
                    f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{color}"/>' for a, b in run
                )
        ly = top + 14 + 18 * i
        parts.append(
            f'<line x1="{right + 12}" y1="{ly - 4}" x2="{right + 32}" y2="{ly - 4}" stroke="{color}" stroke-width="2.2"{dash}/>'
            f'<text x="{right + 38}" y="{ly}" fill="#1d2330">{escape(s.name[:24])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def sparkline(
    values: Sequence[float | None], target: float | None = None, width: int = 96, height: int = 24
) -> str:
    """A tiny trend line for a board card (the card also prints the figure)."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return ""
    pool = known + ([target] if target is not None else [])
    lo, hi = min(pool), max(pool)
    x = _scale(0, max(len(values) - 1, 1), 2, width - 2)
    y = _scale(lo, hi, height - 3, 3)
    pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values) if v is not None)
    target_line = (
        f'<line x1="2" x2="{width - 2}" y1="{y(target):.1f}" y2="{y(target):.1f}" stroke="#8a93a3" stroke-dasharray="3 2"/>'
        if target is not None
        else ""
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-hidden="true" class="sparkline">{target_line}'
        f'<polyline points="{pts}" fill="none" stroke="#0b5cad" stroke-width="1.8"/></svg>'
    )
