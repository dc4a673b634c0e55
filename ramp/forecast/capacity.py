"""Capacity for workforce management: the effective FTE each cohort and planned class adds,
by placement and calendar week, in the long format WFM tools import (docs/forecasts.md,
"Capacity").

Plain values in, plain values out; ramp.forecast.workforce reads the figures and curves.

- A hire counts as one head in every calendar week (from Monday) from its first week (the
  tenure week the calendar week's Thursday falls in) until the week it leaves: from its
  leaving week on it is 0 heads.
- Its productivity factor in a week is AHT-based: the tenured AHT ÷ the hire's AHT in the
  tenure week that calendar week falls in, capped at 1; measured where the hire has a weekly
  figure, else projected (the hire's line: its placement's curve shifted by its own offset).
  Tenure weeks before the curve's first week with figures are the classroom: factor 0.
- A planned class is `heads` hires who have not started: its heads in tenure week t are
  heads × S(t), S the share of the team's hires still there in week t (a life table of the
  observed leavers), and its factor the placement's curve alone.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from ramp.csvsafe import SafeDictWriter

COLUMNS = (
    "placement",
    "week",
    "heads",
    "effective_fte",
    "productivity_factor",
    "cohort",
    "source",
    "curve",
)


def monday(day: date) -> date:
    """The Monday of the calendar week a day is in."""
    return day - timedelta(days=day.weekday())


def tenure_week_in(start: date, week: date) -> int | None:
    """The tenure week a hire who started on `start` is in during the calendar week beginning
    on the Monday `week`: the one its Thursday falls in (as ISO weeks are dated by their
    Thursday), so each calendar week is one tenure week; None before the hire's first (a hire
    starting on a Friday to Sunday counts from the next week)."""
    thursday = week + timedelta(days=3)
    if thursday < start:
        return None
    return (thursday - start).days // 7 + 1


def aht_factor(tenured: float, aht: float) -> float:
    """Tenured AHT ÷ the hire's AHT, capped at 1 (0 when there is no handle time)."""
    if not (math.isfinite(aht) and aht > 0 and tenured > 0):
        return 0.0
    return min(1.0, tenured / aht)


@dataclass(frozen=True)
class Productivity:
    """How productive hires of one placement are by tenure week, as capacity reads it."""

    tenured: float  # the tenured AHT the factor is taken against (seconds)
    curve: Callable[[int], float]  # AHT at a tenure week (the hire's line, or the curve)
    first_week: int  # weeks before it are the classroom: no production
    default: bool  # the default curve from published figures (too little data)

    def factor(self, week: int, measured: Mapping[int, float] | None = None) -> tuple[float, str]:
        """The factor in a tenure week and where it came from (measured or projected)."""
        if measured and week in measured:
            return aht_factor(self.tenured, measured[week]), "measured"
        if week < self.first_week:
            return 0.0, "projected"
        return aht_factor(self.tenured, self.curve(week)), "projected"


@dataclass(frozen=True)
class HireInput:
    cohort: str
    placement: str
    start: date
    left_on: date | None
    measured: Mapping[int, float]  # tenure week -> AHT (weeks with enough records)
    productivity: Productivity


@dataclass(frozen=True)
class PlannedInput:
    name: str
    placement: str
    start: date
    heads: int
    productivity: Productivity


@dataclass(frozen=True)
class Row:
    placement: str
    week: date
    heads: float
    effective_fte: float
    productivity_factor: float
    cohort: str
    source: str  # measured, projected, or planned
    curve: str  # fitted, or default

    def values(self) -> dict:
        """The row as the export writes it (heads and FTE to 2 places, the factor to 3)."""
        return {
            "placement": self.placement,
            "week": self.week.isoformat(),
            "heads": round(self.heads, 2),
            "effective_fte": round(self.effective_fte, 2),
            "productivity_factor": round(self.productivity_factor, 3),
            "cohort": self.cohort,
            "source": self.source,
            "curve": self.curve,
        }


def survival(tenures: Iterable[tuple[date, date | None]], today: date) -> Callable[[int], float]:
    """S(t): the share of hires still there in tenure week t, from observed (start, left on)
    pairs: a life table where the hazard of week k is the hires who left in week k over the
    hires whose week k has begun and who had not left before it."""
    leavers: dict[int, int] = {}
    at_risk: dict[int, int] = {}
    pairs = [(s, left) for s, left in tenures if s <= today]
    for start, left in pairs:
        last = (today - start).days // 7 + 1  # the tenure week today is in
        if left is not None:
            week = (left - start).days // 7 + 1
            leavers[week] = leavers.get(week, 0) + 1
            last = min(last, week)
        for k in range(1, last + 1):
            at_risk[k] = at_risk.get(k, 0) + 1

    def share(t: int) -> float:
        s = 1.0
        for k in range(1, t + 1):
            if at_risk.get(k):
                s *= 1 - leavers.get(k, 0) / at_risk[k]
        return s

    return share


def capacity(
    hires: Sequence[HireInput],
    planned: Sequence[PlannedInput],
    weeks: Sequence[date],
    survive: Callable[[int], float] = lambda t: 1.0,
) -> list[Row]:
    """One row per cohort (or planned class), placement and calendar week (a Monday) from the
    week its first hire starts: heads after attrition, effective FTE (the sum of each head's
    factor) and the productivity factor (FTE ÷ heads)."""
    groups: dict[tuple[str, str, date], list] = {}
    for h in hires:
        for week in weeks:
            t = tenure_week_in(h.start, week)
            if t is None:
                continue
            gone = h.left_on is not None and monday(h.left_on) <= week
            factor, source = h.productivity.factor(t, h.measured)
            heads = 0.0 if gone else 1.0
            groups.setdefault((h.cohort, h.placement, week), []).append(
                (heads, heads * factor, source, h.productivity.default)
            )
    rows = []
    for (cohort, placement, week), parts in groups.items():
        heads = sum(p[0] for p in parts)
        fte = sum(p[1] for p in parts)
        counted = [p for p in parts if p[0]]
        source = "measured" if counted and all(p[2] == "measured" for p in counted) else "projected"
        default = any(p[3] for p in parts)
        rows.append(
            Row(
                placement,
                week,
                heads,
                fte,
                fte / heads if heads else 0.0,
                cohort,
                source,
                "default" if default else "fitted",
            )
        )
    for c in planned:
        for week in weeks:
            t = tenure_week_in(c.start, week)
            if t is None:
                continue
            factor, _ = c.productivity.factor(t)
            heads = c.heads * survive(t)
            rows.append(
                Row(
                    c.placement,
                    week,
                    heads,
                    heads * factor,
                    factor,
                    c.name,
                    "planned",
                    "default" if c.productivity.default else "fitted",
                )
            )
    rows.sort(key=lambda r: (r.week, r.placement, r.source == "planned", r.cohort))
    return rows


@dataclass(frozen=True)
class Total:
    """Every chosen cohort's and planned class's rows of one placement in one week, added up:
    what the comparison page shows (each row stays in the CSV)."""

    week: date
    placement: str
    heads: float
    effective_fte: float
    sources: tuple[str, ...]  # measured, projected, planned: those among its rows, in order
    default_curve: bool  # a row used the default curve
    parts: int  # how many cohorts and planned classes

    @property
    def productivity_factor(self) -> float:
        """The heads' mean factor (FTE ÷ heads)."""
        return self.effective_fte / self.heads if self.heads else 0.0


SOURCES = ("measured", "projected", "planned")


def totals(rows: Iterable[Row]) -> list[Total]:
    """The rows added up by week and placement, in the rows' order (week, then placement)."""
    groups: dict[tuple[date, str], list[Row]] = {}
    for row in rows:
        groups.setdefault((row.week, row.placement), []).append(row)
    return [
        Total(
            week,
            placement,
            math.fsum(r.heads for r in group),
            math.fsum(r.effective_fte for r in group),
            tuple(s for s in SOURCES if any(r.source == s for r in group)),
            any(r.curve == "default" for r in group),
            len(group),
        )
        for (week, placement), group in sorted(groups.items())
    ]


def capacity_csv(rows: Iterable[Row]) -> str:
    """The rows in the documented long format (headers only when there are none)."""
    out = io.StringIO()
    # Names typed by people are made safe: no spreadsheet reads them as formulas.
    writer = SafeDictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.values())
    return out.getvalue()
