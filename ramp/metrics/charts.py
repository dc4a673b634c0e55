"""Small, legible SVG charts drawn on the server: no JavaScript, readable in print and PDF.

A chart's value axis stays inside the metric's domain (0–100 % for a percentage, from zero for
a duration or a count) with round ticks that carry the unit; both axes have a title. Series
differ by marker shape as well as colour, and the target is the one dashed line, labelled
"target", over a hatched band where a figure meets it, so the chart reads in grey print. The
legend sits below the plot and wraps: a name is never cut. Every chart carries a title and a
description for screen readers, and its numbers as rows for the table the page puts beside it.
Each chart comes in two sizes, one for wide layouts and print and one for phones, so that its
text is never scaled down to a few pixels.

No Flask app and no database needed: the words go through gettext, in the request's language
within a request and in English outside one.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from flask_babel import gettext as _

from ramp import formatting

PALETTE = ("#0b5cad", "#b4530a", "#17663a", "#7a4bab", "#a4161a", "#00707a", "#5b6270")
TARGET_COLOR = "#1d2330"
INK, MUTED, GRID, AXIS = "#1d2330", "#4f5868", "#e3e7ee", "#8a93a3"
FONT = "Inter, DejaVu Sans, sans-serif"
TARGET_DASH = "7 4"

PERCENT, DURATION, COUNT = "percent", "duration", "count"
# Marker shapes in series order, and the character that stands for each in a table heading.
MARKERS = ("circle", "square", "triangle", "diamond", "down", "plus", "cross")
MARKER_KEYS = {
    "circle": "●",
    "square": "■",
    "triangle": "▲",
    "diamond": "◆",
    "down": "▼",
    "plus": "✚",
    "cross": "✖",
}

# Advance widths (per mille of the font size) of printable ASCII: the wider of DejaVu Sans and
# Inter, so a measured legend never runs past its room whichever of them draws it.
_WIDTHS_TEXT = (
    "317 400 465 837 641 981 779 299 390 390 500 837 317 459 317 360 636 636 636 636 "
    "645 636 636 636 636 636 336 336 837 837 837 530 1000 689 686 730 770 631 590 774 "
    "751 294 570 671 565 903 753 787 638 787 694 641 645 744 689 988 685 678 685 390 "
    "360 390 837 500 500 612 634 571 634 615 370 634 633 277 277 579 277 974 633 611 "
    "634 634 411 527 392 633 591 818 591 591 552 636 336 636 837"
)
_ASCII_WIDTHS = tuple(int(w) for w in _WIDTHS_TEXT.split())


def text_width(text: str, size: float) -> float:
    """A safe estimate of the drawn width of `text` at font `size` (never less than the real)."""
    total = 0
    for ch in text:
        code = ord(ch)
        if 0x20 <= code < 0x7F:
            total += _ASCII_WIDTHS[code - 0x20]
            continue
        base = unicodedata.normalize("NFD", ch)[0]
        if 0x20 <= ord(base) < 0x7F:
            total += _ASCII_WIDTHS[ord(base) - 0x20]  # an accented letter: its base letter
        elif unicodedata.east_asian_width(ch) in "WF":
            total += 1000
        else:
            total += 1000 if ch in "—…@" else 800
    return total * size / 1000


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[int, float | None]]  # (week, value); None leaves a gap


@dataclass(frozen=True)
class Column:
    name: str
    key: str  # the marker's character ("●", "■", ...), or "" for the target
    swatch: str  # a small SVG of the line and marker, for the column's heading


@dataclass(frozen=True)
class Chart:
    """One chart: its SVG in two sizes, what it shows in words, and its numbers as a table."""

    key: str  # the chart's element id, unique on its page
    title: str
    summary: str
    svg: str  # wide layouts and print
    svg_compact: str  # phones
    columns: list[Column]
    rows: list[tuple[int, list[str]]]  # (week, one formatted figure per column)


@dataclass(frozen=True)
class _Size:
    width: int
    plot_height: int
    font: float
    left: int
    right_room: int  # beside the plot, for the "target" label


WIDE = _Size(width=720, plot_height=250, font=14, left=64, right_room=58)
COMPACT = _Size(width=320, plot_height=190, font=13, left=52, right_room=50)


# --- axes --------------------------------------------------------------------------------


def axis_unit(kind: str, hi: float = 0.0) -> str:
    """The unit an axis of this kind is titled with."""
    if kind == PERCENT:
        return "%"
    if kind == DURATION:
        return _("hours") if hi >= 3 * 3600 else _("minutes") if hi >= 120 else _("seconds")
    return _("count")


def format_tick(value: float, kind: str) -> str:
    """A tick label with its unit: "75%", "0", "30s", "12m", "1h 30m", "2h", "1,200"; numbers
    in the reader's locale ("75 %", "12,5 %", "1.200" in Spanish)."""
    if kind == PERCENT:
        return formatting.percent(value, _decimals(value))
    if kind == DURATION:
        total = round(value)
        if total == 0:
            return "0"
        hours, rest = divmod(total, 3600)
        minutes, seconds = divmod(rest, 60)
        if hours:
            return f"{hours}h {minutes}m" if minutes else f"{hours}h"
        if minutes:
            return f"{minutes}m {seconds}s" if seconds else f"{minutes}m"
        return f"{seconds}s"
    if value == int(value):
        return formatting.count(value)
    return formatting.decimal(value, _decimals(value))


def _decimals(value: float) -> int:
    """How many decimals `value` shows written shortest ("12.5" has one)."""
    written = f"{value:g}"
    return len(written.split(".")[1]) if "." in written and "e" not in written else 0


# Round durations for ticks: seconds, minutes, hours.
_DURATION_STEPS = tuple(
    unit * n
    for unit, counts in (
        (1, (1, 2, 5, 10, 15, 20, 30)),
        (60, (1, 2, 5, 10, 15, 20, 30)),
        (3600, (1, 2, 3, 4, 6, 12, 24, 48, 96, 168)),
    )
    for n in counts
)


def _decimal_steps(span: float) -> list[float]:
    exponent = math.floor(math.log10(span)) if span > 0 else 0
    return [m * 10.0**e for e in range(exponent - 2, exponent + 2) for m in (1, 2, 5)]


def nice_axis(values: Sequence[float], kind: str, most_ticks: int = 6) -> list[float]:
    """Round ticks for these values, inside the kind's domain: 0–100 for a percentage,
    from zero for a duration or a count. The first and last tick are the axis ends."""
    lo_v, hi_v = min(values), max(values)
    if kind == PERCENT:
        # A little room under the lowest figure, so that it does not sit on the axis.
        lo_v -= max((hi_v - lo_v) * 0.06, 1.0)
        lo_v, hi_v = max(0.0, min(lo_v, 100.0)), min(100.0, max(hi_v, 0.0))
    else:
        lo_v, hi_v = 0.0, max(hi_v, 0.0)  # durations and counts are read from zero
    if kind == DURATION and hi_v <= _DURATION_STEPS[-1] * most_ticks:
        steps: list[float] = [float(s) for s in _DURATION_STEPS]
    else:
        steps = _decimal_steps(max(hi_v - lo_v, 1.0))
        if kind == COUNT:
            steps = [s for s in steps if s >= 1 and s == int(s)] or [1.0]
    for step in steps:
        lo = math.floor(lo_v / step) * step
        hi = math.ceil(hi_v / step) * step
        if hi == lo:
            hi = lo + step
        if kind == PERCENT and hi > 100:
            hi, lo = 100.0, max(0.0, min(lo, 100.0 - step))
        if (hi - lo) / step <= most_ticks - 1 + 1e-9:
            count = round((hi - lo) / step)
            return [lo + i * step for i in range(count + 1)]
    return [lo_v, hi_v]


# --- drawing -----------------------------------------------------------------------------


def _marker(shape: str, x: float, y: float, color: str, r: float = 4.2) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{color}"/>'
    if shape == "square":
        s = r * 0.9
        return f'<rect x="{x - s:.1f}" y="{y - s:.1f}" width="{2 * s:.1f}" height="{2 * s:.1f}" fill="{color}"/>'
    pts = {
        "triangle": [(0, -1.25), (1.1, 0.8), (-1.1, 0.8)],
        "down": [(0, 1.25), (1.1, -0.8), (-1.1, -0.8)],
        "diamond": [(0, -1.3), (1.1, 0), (0, 1.3), (-1.1, 0)],
    }.get(shape)
    if pts:
        path = " ".join(f"{x + dx * r:.1f},{y + dy * r:.1f}" for dx, dy in pts)
        return f'<polygon points="{path}" fill="{color}"/>'
    a = r * 1.05
    if shape == "plus":
        d = f"M{x - a:.1f} {y:.1f}H{x + a:.1f}M{x:.1f} {y - a:.1f}V{y + a:.1f}"
    else:
        d = f"M{x - a:.1f} {y - a:.1f}L{x + a:.1f} {y + a:.1f}M{x - a:.1f} {y + a:.1f}L{x + a:.1f} {y - a:.1f}"
    return f'<path d="{d}" stroke="{color}" stroke-width="2.4" fill="none"/>'


def _series_swatch(i: int) -> Callable[[float, float], str]:
    color, shape = PALETTE[i % len(PALETTE)], MARKERS[i % len(MARKERS)]

    def swatch(x: float, y: float) -> str:
        return (
            f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + 26:.1f}" y2="{y:.1f}" stroke="{color}" '
            f'stroke-width="2.2"/>' + _marker(shape, x + 13, y, color)
        )

    return swatch


def _target_swatch(x: float, y: float) -> str:
    return (
        f'<line class="legend-target" x1="{x:.1f}" y1="{y:.1f}" x2="{x + 26:.1f}" y2="{y:.1f}" '
        f'stroke="{TARGET_COLOR}" stroke-width="2.2" stroke-dasharray="{TARGET_DASH}"/>'
    )


def _key_svg(swatch: Callable[[float, float], str]) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart-key" aria-hidden="true" '
        f'viewBox="0 0 26 12" width="26" height="12">{swatch(0, 6)}</svg>'
    )


def _wrap(text: str, size: float, room: float) -> list[str]:
    """`text` in lines no wider than `room`, broken between words (a word too long for a line
    of its own is broken between characters): all of it, never cut short."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, size) <= room:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for ch in word:
            if line and text_width(line + ch, size) > room:
                lines.append(line)
                line = ""
            line += ch
    if line or not lines:
        lines.append(line)
    return lines


@dataclass(frozen=True)
class _Entry:
    label: str
    swatch: Callable[[float, float], str]  # (x, middle y) -> SVG of a 26-wide swatch


def _legend(entries: list[_Entry], x0: float, top: float, room: float, size: float):
    """The legend's SVG and height: entries left to right, wrapping to new rows, each
    label whole (a label longer than a row wraps onto lines of its own)."""
    line_h = size * 1.35
    swatch_w, gap = 26, size * 1.3
    parts, x, y, row_h = [], x0, top, line_h
    for e in entries:
        label_room = room - swatch_w - 6
        lines = _wrap(e.label, size, label_room)
        w = swatch_w + 6 + max(text_width(line, size) for line in lines)
        if x > x0 and x + w > x0 + room:
            x, y, row_h = x0, y + row_h + size * 0.45, line_h
        mid = y + line_h / 2
        parts.append(e.swatch(x, mid))
        tspans = "".join(
            f'<tspan x="{x + swatch_w + 6:.1f}" dy="{0 if i == 0 else line_h:.1f}">{escape(t)}</tspan>'
            for i, t in enumerate(lines)
        )
        parts.append(
            f'<text class="legend-label" y="{mid + size * 0.36:.1f}" fill="{INK}">{tspans}</text>'
        )
        row_h = max(row_h, line_h * len(lines))
        x += w + gap
    return "".join(parts), y + row_h - top


def _svg(
    size: _Size,
    uid: str,
    title: str,
    summary: str,
    series: Sequence[Series],
    target: Sequence[tuple[int, float | None]],
    weeks: int,
    kind: str,
    axis_title: str,
    higher_is_better: bool,
) -> str:
    f = size.font
    values = [v for s in series for _, v in s.points if v is not None]
    values += [v for _, v in target if v is not None]
    ticks = nice_axis(values, kind, 6 if size is WIDE else 5)
    lo, hi = ticks[0], ticks[-1]
    unit = axis_unit(kind, hi)
    left = size.left
    right = size.width - size.right_room
    top = f * 2.2  # the value axis title sits above the plot
    bottom = top + size.plot_height
    weeks = max(weeks, 1)

    def x(week: float) -> float:
        return (
            left + (week - 1) / max(weeks - 1, 1) * (right - left)
            if weeks > 1
            else (left + right) / 2
        )

    def y(value: float) -> float:
        clamped = min(max(value, lo), hi)
        return bottom - (clamped - lo) / ((hi - lo) or 1) * (bottom - top)

    hatch = f"{uid}-hatch"
    value_title = _("%(title)s (%(unit)s)", title=axis_title, unit=unit)
    week_title = _("Tenure week")
    target_word = _("target")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size.width} {{HEIGHT}}" role="img" '
        f'aria-labelledby="{uid}-title {uid}-desc" class="ramp-chart ramp-chart--'
        f'{"wide" if size is WIDE else "compact"}" font-family="{FONT}" font-size="{f}">'
        f'<title id="{uid}-title">{escape(title)}</title><desc id="{uid}-desc">{escape(summary)}</desc>'
        f'<defs><pattern id="{hatch}" patternUnits="userSpaceOnUse" width="7" height="7" '
        f'patternTransform="rotate(45)"><rect width="7" height="7" fill="#f1f3f7"/>'
        f'<line x1="0" y1="0" x2="0" y2="7" stroke="#9aa3b2" stroke-width="2"/></pattern></defs>',
        f'<text x="{left - 8}" y="{f * 1.1:.1f}" fill="{INK}" font-weight="600">'
        f"{escape(value_title)}</text>",
    ]
    # The band where a figure meets the target: above the target line, or below it when
    # lower is better.
    steps = [(w, v) for w, v in target if v is not None and 1 <= w <= weeks]
    for w, v in steps:
        x0 = x(w - 0.5) if w > 1 else x(1)
        x1 = x(w + 0.5) if w < weeks else x(weeks)
        if weeks == 1:
            x0, x1 = left, right
        y0, y1 = (top, y(v)) if higher_is_better else (y(v), bottom)
        if y1 - y0 > 0.2:
            out.append(
                f'<rect class="target-band" x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" '
                f'height="{y1 - y0:.1f}" fill="url(#{hatch})" fill-opacity="0.55"/>'
            )
    for t in ticks:
        out.append(
            f'<line x1="{left}" y1="{y(t):.1f}" x2="{right}" y2="{y(t):.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 8}" y="{y(t) + f * 0.35:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{escape(format_tick(t, kind))}</text>"
        )
    out.append(
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{AXIS}"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="{AXIS}"/>'
    )
    room_per_tick = text_width("00", f) + 10
    every = max(1, math.ceil(weeks / max(1, (right - left) // room_per_tick)))
    for w in range(1, weeks + 1):
        if (w - 1) % every == 0:
            out.append(
                f'<line x1="{x(w):.1f}" y1="{bottom}" x2="{x(w):.1f}" y2="{bottom + 4}" stroke="{AXIS}"/>'
                f'<text x="{x(w):.1f}" y="{bottom + f * 1.25:.1f}" text-anchor="middle" fill="{MUTED}">{w}</text>'
            )
    out.append(
        f'<text x="{(left + right) / 2:.1f}" y="{bottom + f * 2.6:.1f}" text-anchor="middle" '
        f'fill="{INK}" font-weight="600">{escape(week_title)}</text>'
    )
    # The target: a dashed step line, labelled at its end.
    if steps:
        d, prev = [], None
        for w, v in target:
            if v is None or not 1 <= w <= weeks:
                prev = None
                continue
            x0 = x(w - 0.5) if w > 1 else x(1)
            x1 = x(w + 0.5) if w < weeks else x(weeks)
            if weeks == 1:
                x0, x1 = left, right
            d.append(f"{'L' if prev is not None else 'M'}{x0:.1f} {y(v):.1f}H{x1:.1f}")
            prev = v
        out.append(
            f'<path class="target-line" d="{"".join(d)}" fill="none" stroke="{TARGET_COLOR}" '
            f'stroke-width="2.2" stroke-dasharray="{TARGET_DASH}"/>'
        )
        last_w, last_v = steps[-1]
        out.append(
            f'<text x="{x(min(last_w + 0.5, weeks)) + 5:.1f}" y="{y(last_v) + f * 0.35:.1f}" '
            f'fill="{INK}" font-size="{f * 0.92:.1f}">{escape(target_word)}</text>'
        )
    for i, s in enumerate(series):
        color, shape = PALETTE[i % len(PALETTE)], MARKERS[i % len(MARKERS)]
        runs: list[list[tuple[float, float]]] = [[]]
        for w, v in s.points:
            if v is None or not 1 <= w <= weeks:
                runs.append([])
                continue
            runs[-1].append((x(w), y(v)))
        for run in runs:
            if len(run) > 1:
                pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in run)
                out.append(
                    f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2.2"/>'
                )
            out.extend(_marker(shape, a, b, color) for a, b in run)
    # The legend, below the plot.
    entries = [_Entry(s.name, _series_swatch(i)) for i, s in enumerate(series)]
    if steps:
        entries.append(_Entry(target_word, _target_swatch))
        entries.append(
            _Entry(
                _("hatched: at or above target")
                if higher_is_better
                else _("hatched: at or below target"),
                lambda lx, ly: (
                    f'<rect x="{lx + 2:.1f}" y="{ly - 7:.1f}" width="22" height="14" '
                    f'fill="url(#{hatch})" stroke="{AXIS}"/>'
                ),
            )
        )
    legend_top = bottom + f * 3.4
    legend, legend_h = _legend(entries, 8, legend_top, size.width - 16, f)
    out.append(legend)
    out.append("</svg>")
    height = math.ceil(legend_top + legend_h + f * 0.6)
    return "".join(out).replace("{HEIGHT}", str(height), 1)


def _summary(
    title: str,
    series: Sequence[Series],
    target: Sequence[tuple[int, float | None]],
    weeks: int,
    fmt: Callable[[float], str],
) -> str:
    parts = [_("%(title)s, by tenure week, weeks 1 to %(weeks)s.", title=title, weeks=weeks)]
    for s in series:
        known = [(w, v) for w, v in s.points if v is not None]
        if not known:
            parts.append(_("%(series)s: no figures.", series=s.name))
            continue
        (w0, v0), (w1, v1) = known[0], known[-1]
        lo = min(known, key=lambda p: p[1])
        hi = max(known, key=lambda p: p[1])
        if len(known) > 1:
            text = _(
                "%(series)s: %(first)s in week %(first_week)s, %(last)s in week %(last_week)s;"
                " lowest %(lowest)s (week %(lowest_week)s), highest %(highest)s"
                " (week %(highest_week)s).",
                series=s.name,
                first=fmt(v0),
                first_week=w0,
                last=fmt(v1),
                last_week=w1,
                lowest=fmt(lo[1]),
                lowest_week=lo[0],
                highest=fmt(hi[1]),
                highest_week=hi[0],
            )
        else:
            text = _(
                "%(series)s: %(first)s in week %(first_week)s.",
                series=s.name,
                first=fmt(v0),
                first_week=w0,
            )
        parts.append(text)
    steps = [(w, v) for w, v in target if v is not None]
    if steps:
        changes = [steps[0]] + [b for a, b in itertools.pairwise(steps) if b[1] != a[1]]
        steps_text = ", ".join(
            _("%(figure)s from week %(week)s", figure=fmt(v), week=w)
            if i
            else _("%(figure)s in week %(week)s", figure=fmt(v), week=w)
            for i, (w, v) in enumerate(changes)
        )
        parts.append(_("Target: %(steps)s.", steps=steps_text))
    return " ".join(parts)


def line_chart(
    key: str,
    title: str,
    series: Sequence[Series],
    weeks: int,
    kind: str = PERCENT,
    target: Sequence[tuple[int, float | None]] = (),
    higher_is_better: bool = True,
    fmt: Callable[[float], str] | None = None,
    axis_title: str | None = None,
) -> Chart:
    """A line chart of values by tenure week, with the target's step line and band.

    `key` makes the chart's element ids unique on a page; `fmt` writes a figure as the
    description and the table show it; `axis_title` names the value axis (default: `title`).
    """
    fmt = fmt or (lambda v: format_tick(v, kind) if kind != PERCENT else f"{v:.1f}%")
    uid = "chart-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in key)
    columns = [
        Column(s.name, MARKER_KEYS[MARKERS[i % len(MARKERS)]], _key_svg(_series_swatch(i)))
        for i, s in enumerate(series)
    ]
    if any(v is not None for _, v in target):
        columns.append(Column(_("Target"), "", _key_svg(_target_swatch)))
    by_week = [dict(s.points) for s in series]
    targets = dict(target)
    shown = sorted({w for s in series for w, v in s.points if v is not None})
    rows = [
        (
            w,
            [fmt(v) if (v := b.get(w)) is not None else "—" for b in by_week]
            + (
                [fmt(t) if (t := targets.get(w)) is not None else "—"]
                if len(columns) > len(series)
                else []
            ),
        )
        for w in shown
    ]
    values = [v for s in series for _, v in s.points if v is not None]
    if not values or weeks < 1:
        no_data_title = _("%(title)s: no data yet", title=title)
        no_data = _("No data yet")
        empty = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {{w}} 60" role="img" '
            f'aria-labelledby="{uid}-{{v}}-title" class="ramp-chart ramp-chart--{{v}}" font-family="{FONT}">'
            f'<title id="{uid}-{{v}}-title">{escape(no_data_title)}</title>'
            f'<text x="8" y="34" font-size="14" fill="{MUTED}">{escape(no_data)}</text></svg>'
        )
        return Chart(
            uid,
            title,
            _("%(title)s: no data yet.", title=title),
            empty.replace("{w}", str(WIDE.width)).replace("{v}", "wide"),
            empty.replace("{w}", str(COMPACT.width)).replace("{v}", "compact"),
            columns,
            [],
        )
    summary = _summary(title, series, target, weeks, fmt)
    draw = dict(
        title=title,
        summary=summary,
        series=series,
        target=target,
        weeks=weeks,
        kind=kind,
        axis_title=axis_title or title,
        higher_is_better=higher_is_better,
    )
    return Chart(
        uid,
        title,
        summary,
        _svg(WIDE, f"{uid}-wide", **draw),
        _svg(COMPACT, f"{uid}-compact", **draw),
        columns,
        rows,
    )


def kind_of(unit: str) -> str:
    """The axis kind of a metric's unit: "%" a percentage, "s" a duration, else a count."""
    return {"%": PERCENT, "s": DURATION}.get(unit, COUNT)


def sparkline(
    values: Sequence[float | None], target: float | None = None, width: int = 96, height: int = 24
) -> str:
    """A tiny trend line for a board card (the card also prints the figure)."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return ""
    pool = known + ([target] if target is not None else [])
    lo, hi = min(pool), max(pool)
    span = (hi - lo) or 1.0

    def x(i: int) -> float:
        return 2 + i / max(len(values) - 1, 1) * (width - 4)

    def y(v: float) -> float:
        return height - 3 - (v - lo) / span * (height - 6)

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
