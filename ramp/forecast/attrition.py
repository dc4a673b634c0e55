"""Early attrition: who left by tenure week, the 30/60/90-day attrition of a cohort, and the
signals that preceded past leavers, for the manager to look at among active hires.

Plain values in, plain values out. A signal is a flag for the manager ("signals, not a
decision"): nothing here changes a hire.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

WINDOWS = (30, 60, 90)
# What preceded past leavers, in the order pages list them.
SIGNALS = ("missed_milestone", "below_curve", "overdue_refresher")


@dataclass(frozen=True)
class Tenure:
    hire_id: int
    name: str
    start: date
    left_on: date | None = None
    reason: str | None = None

    @property
    def left_week(self) -> int | None:
        """The tenure week the hire left in (week 1: its first 7 days)."""
        return None if self.left_on is None else (self.left_on - self.start).days // 7 + 1


@dataclass(frozen=True)
class Window:
    """N-day attrition: of the hires at least N days in, the share who left within N days."""

    days: int
    eligible: int
    left: int

    @property
    def share(self) -> float | None:
        return self.left / self.eligible if self.eligible else None


def windows(tenures: Iterable[Tenure], today: date, days: Sequence[int] = WINDOWS) -> list[Window]:
    """The N-day attrition for each N: hires whose start is at least N days before today are
    counted; those among them who left less than N days after their start have left within
    N days (the start day is day 0)."""
    tenures = list(tenures)
    out = []
    for n in days:
        eligible = [t for t in tenures if (today - t.start).days >= n]
        left = [t for t in eligible if t.left_on is not None and (t.left_on - t.start).days < n]
        out.append(Window(n, len(eligible), len(left)))
    return out


def leavers_by_week(tenures: Iterable[Tenure]) -> list[tuple[int, list[Tenure]]]:
    """Who left, grouped by the tenure week they left in, earliest first."""
    weeks: dict[int, list[Tenure]] = {}
    for t in tenures:
        if t.left_week is not None:
            weeks.setdefault(t.left_week, []).append(t)
    return [(w, sorted(weeks[w], key=lambda t: (t.left_on, t.name))) for w in sorted(weeks)]


@dataclass(frozen=True)
class Flagged:
    """An active hire with signals that preceded past leavers."""

    hire_id: int
    name: str
    cohort: str
    signals: tuple[str, ...]


def signal_counts(leavers: Mapping[int, Iterable[str]]) -> dict[str, int]:
    """How many past leavers had each signal before they left."""
    counts = dict.fromkeys(SIGNALS, 0)
    for signals in leavers.values():
        for s in set(signals):
            if s in counts:
                counts[s] += 1
    return counts


def flagged(
    active: Iterable[tuple[int, str, str]], signals: Mapping[int, Iterable[str]]
) -> list[Flagged]:
    """The active hires (id, name, cohort) with at least one signal, most signals first."""
    out = []
    for hire_id, name, cohort in active:
        mine = tuple(s for s in SIGNALS if s in set(signals.get(hire_id, ())))
        if mine:
            out.append(Flagged(hire_id, name, cohort, mine))
    return sorted(out, key=lambda f: (-len(f.signals), f.cohort, f.name))
