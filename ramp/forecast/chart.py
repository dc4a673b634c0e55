"""The projection chart of one metric on the hire page, as server-rendered SVG: the glide
path (dashed steps), the hire's weekly figures (solid line), the projected line after the
last full week (dashed) with its band, and the projected week (a vertical mark).

Plain values in, a string out; every text is escaped. The figures are also in the table the
page shows beside it, so the SVG is a picture of them, not their only record.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from ramp.forecast.projection import MetricProjection

WIDTH, HEIGHT = 420, 200
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 12, 30
LABEL = 32  # the width of a week's label ("11-02") at 11 px, in the chart's units
HIRE, PROJECTED, BAND, PATH, MARK = "#0b5cad", "#0b5cad", "#cfe0f5", "#1d2330", "#b4530a"
FONT = "Inter, DejaVu Sans, sans-serif"


def projection_svg(
    key: str,
    title: str,
    part: MetricProjection,
    glide: Sequence[tuple[int, float | None]],
    last_week: int,
    fmt: Callable[[float], str],
    limits: tuple[float, float] = (-math.inf, math.inf),
) -> str:
    """The SVG of one metric's projection up to `last_week`; the band is cut at `limits`
    (0-100 for a percentage)."""

    def cut(value: float) -> float:
        return min(max(value, limits[0]), limits[1])

    weeks = range(1, last_week + 1)
    observed = [(w, v) for w, v in sorted(part.observed.items()) if w <= last_week]
    line = part.line
    first = line.curve.first_week if line is not None else 1
    future = [w for w in weeks if w > max(part.observed, default=0) and w >= first]
    if line is not None:
        projected = [(w, cut(line.value(w))) for w in future]
        band = [(w, cut(line.value(w, 1)), cut(line.value(w, -1))) for w in future]
    else:
        projected, band = [], []
    values = [v for _, v in observed] + [v for _, v in projected]
    values += [v for _, a, b in band for v in (a, b)] + [v for _, v in glide if v is not None]
    values.append(part.threshold)
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
    lo, hi = lo - pad, hi + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(week: float) -> float:
        return LEFT + (week - 1) / max(last_week - 1, 1) * plot_w

    def y(value: float) -> float:
        return TOP + (hi - value) / (hi - lo) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{key}-title" class="ramp-chart projection-chart" font-family="{FONT}">',
        f'<title id="{key}-title">{escape(title)}</title>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#c9ced6"/>',
    ]
    for value in (lo + pad, (lo + hi) / 2, hi - pad):
        out.append(
            f'<text x="{LEFT - 4}" y="{y(value) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#4a5263">{escape(fmt(value))}</text>'
        )
    step = max(1, last_week // 8)
    for w in range(1, last_week + 1, step):
        out.append(
            f'<text x="{x(w):.1f}" y="{HEIGHT - 12}" font-size="11" text-anchor="middle" '
            f'fill="#4a5263">{w}</text>'
        )
    if band:
        upper = " ".join(f"{x(w):.1f},{y(a):.1f}" for w, a, _ in band)
        lower = " ".join(f"{x(w):.1f},{y(b):.1f}" for w, _, b in reversed(band))
        out.append(f'<polygon points="{upper} {lower}" fill="{BAND}" stroke="none"/>')
    path = []
    for w, v in glide:
        if v is None:
            continue
        path += [
            f"{x(w - 0.5 if w > 1 else 1):.1f},{y(v):.1f}",
            f"{x(min(w + 0.5, last_week)):.1f},{y(v):.1f}",
        ]
    if path:
        out.append(
            f'<polyline points="{" ".join(path)}" fill="none" stroke="{PATH}" '
            f'stroke-width="1.5" stroke-dasharray="7 4"/>'
        )
    if observed:
        pts = " ".join(f"{x(w):.1f},{y(v):.1f}" for w, v in observed)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{HIRE}" stroke-width="2.2"/>')
        out += [
            f'<circle cx="{x(w):.1f}" cy="{y(v):.1f}" r="3" fill="{HIRE}"/>' for w, v in observed
        ]
    if projected:
        start = observed[-1:] if observed else []
        pts = " ".join(f"{x(w):.1f},{y(v):.1f}" for w, v in [*start, *projected])
        out.append(
            f'<polyline points="{pts}" fill="none" stroke="{PROJECTED}" stroke-width="2" '
            f'stroke-dasharray="4 3"/>'
        )
    week = part.estimate.week
    if week is not None and week <= last_week:
        out.append(
            f'<line x1="{x(week):.1f}" x2="{x(week):.1f}" y1="{TOP}" y2="{TOP + plot_h}" '
            f'stroke="{MARK}" stroke-width="1.5"/>'
        )
    out.append("</svg>")
    return "".join(out)


# Lines of the capacity chart, one per placement (then repeated).
SERIES = ("#0b5cad", "#b4530a", "#2e7d32", "#6a1b9a", "#00838f", "#8d6e63")


def capacity_svg(
    key: str,
    title: str,
    weeks: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    heads: Sequence[float],
    heads_label: str = "heads",
) -> str:
    """The capacity chart: per placement, its effective FTE by calendar week (solid lines, in
    the colours of the legend), and the heads of every placement together (grey, dashed)."""
    values = [v for _, line in series for v in line] + list(heads) + [0.0]
    ticks = _round_ticks(max(values))
    hi = ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    legend = 16 * len(series) + 16
    height = HEIGHT + legend
    n = max(len(weeks), 1)

    def x(i: int) -> float:
        return LEFT + i / max(n - 1, 1) * plot_w

    def y(value: float) -> float:
        return TOP + (hi - value) / hi * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{key}-title" class="ramp-chart capacity-chart" font-family="{FONT}">',
        f'<title id="{key}-title">{escape(title)}</title>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#c9ced6"/>',
    ]
    for value in ticks:
        if value > 0:
            out.append(
                f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                f'stroke="#eceef2"/>'
            )
        out.append(
            f'<text x="{LEFT - 4}" y="{y(value) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#4a5263">{value:g}</text>'
        )
    step = max(1, n // 6)
    shown = list(range(0, n, step))
    # The last week's label ends at the plot's edge, so it reaches a whole label's width
    # back: the label before it gives way when the two would overlap.
    if len(shown) > 1 and shown[-1] == n - 1 and x(shown[-1]) - x(shown[-2]) < 1.5 * LABEL + 4:
        del shown[-2]
    for i in shown:
        anchor = "end" if i == n - 1 and n > 1 else "middle"  # the last one stays inside
        out.append(
            f'<text x="{x(i):.1f}" y="{HEIGHT - 12}" font-size="11" text-anchor="{anchor}" '
            f'fill="#4a5263">{escape(weeks[i][5:])}</text>'
        )
    if heads:
        pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(heads))
        out.append(
            f'<polyline points="{pts}" fill="none" stroke="#7a808c" stroke-width="1.5" '
            f'stroke-dasharray="5 4"/>'
        )
    for k, (label, line) in enumerate(series):
        colour = SERIES[k % len(SERIES)]
        pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(line))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2.2"/>')
        ly = HEIGHT + 4 + 16 * k
        out.append(
            f'<line x1="{LEFT}" x2="{LEFT + 18}" y1="{ly:.1f}" y2="{ly:.1f}" stroke="{colour}" '
            f'stroke-width="3"/><text x="{LEFT + 24}" y="{ly + 4:.1f}" font-size="11" '
            f'fill="#1d2330">{escape(label)}</text>'
        )
    ly = HEIGHT + 4 + 16 * len(series)
    out.append(
        f'<line x1="{LEFT}" x2="{LEFT + 18}" y1="{ly:.1f}" y2="{ly:.1f}" stroke="#7a808c" '
        f'stroke-width="2" stroke-dasharray="5 4"/><text x="{LEFT + 24}" y="{ly + 4:.1f}" '
        f'font-size="11" fill="#1d2330">{escape(heads_label)}</text>'
    )
    out.append("</svg>")
    return "".join(out)


def _round_ticks(top: float) -> list[float]:
    """0 and round steps (1, 2 or 5 times a power of ten) up to at least `top`: at most six."""
    if top <= 0:
        return [0.0, 1.0]
    base = 10 ** math.floor(math.log10(top)) / 10
    for factor in (1, 2, 5, 10, 20, 50):
        step = base * factor
        if top / step <= 5:
            break
    count = math.ceil(top / step - 1e-9)
    return [round(step * k, 10) for k in range(count + 1)]
