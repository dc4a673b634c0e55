"""Whether refreshers worked: each assignment's measure before it fired and after it was
completed, and per rule and per refresher the share that improved and the mean change with
a 95 % Student-t interval.

Before is the assignment's baseline (the measure over the `measure_over` evaluations up to
the firing, kept when it fired); after is the same measure over as many evaluations dated
after the completion day (weeks starting after it, for a metric). A category is its
`qa_category_scores.percent`, overall the evaluation's percent, critical the share of
evaluations that failed critically, a metric the hire's weekly figure. The figures are read
set-based, in one statement per kind of measure, however many assignments there are.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Float, case, cast, func, select

from ramp.coaching.models import COMPLETED, CoachingAssignment
from ramp.extensions import db
from ramp.metrics.definitions import METRICS
from ramp.metrics.models import HireWeekMetric, QACategoryScore, QAEvaluation
from ramp.milestones.models import Hire

# Below this many measured assignments a rule's or a refresher's effect is not shown.
MIN_MEASURED = 3

# Two-sided 95 % quantiles of Student's t (0.975) by degrees of freedom; between rows the
# smaller degrees of freedom are used (a slightly wider, never narrower, interval).
T_975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
    9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120,
    17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064,
    25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042, 40: 2.021, 50: 2.009,
    60: 2.000, 80: 1.990, 100: 1.984, 120: 1.980,
}  # fmt: skip
Z_975 = 1.960


def t_quantile(df: int) -> float:
    """The 0.975 quantile of Student's t with `df` degrees of freedom (df >= 1)."""
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if df > 1000:
        return Z_975
    return T_975[max(k for k in T_975 if k <= df)]


def higher_is_better(kind: str, key: str | None) -> bool:
    """Whether a rise of the measure is an improvement (critical fails and some metrics: no)."""
    if kind == "critical":
        return False
    if kind == "metric":
        definition = METRICS.get(key or "")
        return definition.higher_is_better if definition else True
    return True


def unit_of(kind: str, key: str | None) -> str:
    """The measure's unit: "%" (categories, overall, critical share, percent metrics) or "s"."""
    if kind == "metric" and key in METRICS:
        return METRICS[key].unit
    return "%"


@dataclass(frozen=True)
class AssignmentEffect:
    """One assignment's before and after, and the change once enough is known after."""

    assignment_id: int
    kind: str
    key: str | None
    label: str
    before: float | None
    before_count: int
    after: float | None
    after_count: int
    needed: int

    @property
    def enough(self) -> bool:
        """Whether both sides are known: a baseline, and `needed` figures after completion."""
        return self.before is not None and self.after_count >= self.needed

    @property
    def change(self) -> float | None:
        """After minus before, in the measure's unit; None until enough is known."""
        if not self.enough or self.after is None or self.before is None:
            return None
        return self.after - self.before

    @property
    def improved(self) -> bool | None:
        """Whether the change went the measure's better way; None until enough is known."""
        change = self.change
        if change is None:
            return None
        return change > 0 if higher_is_better(self.kind, self.key) else change < 0

    @property
    def unit(self) -> str:
        return unit_of(self.kind, self.key)


@dataclass(frozen=True)
class GroupEffect:
    """The measured effect of a group of assignments (one rule, or one refresher)."""

    key: str
    label: str
    kind: str
    measure: str
    assignments: int
    measured: int
    improved: int
    mean_change: float | None
    low: float | None
    high: float | None

    @property
    def enough(self) -> bool:
        return self.measured >= MIN_MEASURED

    @property
    def improved_share(self) -> float | None:
        return 100 * self.improved / self.measured if self.measured else None

    @property
    def unit(self) -> str:
        return unit_of(self.kind, self.measure)


def mean_interval(changes: Sequence[float]) -> tuple[float, float, float] | None:
    """The mean of the changes and its 95 % Student-t interval; None below two values."""
    if len(changes) < 2:
        return None
    mean = statistics.fmean(changes)
    half = t_quantile(len(changes) - 1) * statistics.stdev(changes) / math.sqrt(len(changes))
    return mean, mean - half, mean + half


def summarize(
    key: str, label: str, effects: Sequence[AssignmentEffect], kind: str, measure: str | None
) -> GroupEffect:
    """One group's counts, improved share, mean change and interval (None below the minimum)."""
    measured = [e for e in effects if e.enough]
    changes = [e.change for e in measured if e.change is not None]
    stats = mean_interval(changes) if len(changes) >= MIN_MEASURED else None
    return GroupEffect(
        key=key,
        label=label,
        kind=kind,
        measure=measure or "",
        assignments=len(effects),
        measured=len(measured),
        improved=sum(1 for e in measured if e.improved),
        mean_change=stats[0] if stats else None,
        low=stats[1] if stats else None,
        high=stats[2] if stats else None,
    )


def group_effects(
    assignments: Iterable[CoachingAssignment],
    effects: dict[int, AssignmentEffect],
    by: Callable[[CoachingAssignment], tuple[str, str]],
) -> list[GroupEffect]:
    """The effect per group (`by` gives an assignment's group key and label); each group is
    also split by measure, since a mean change is only read in one measure's unit."""
    groups: dict[tuple[str, str, str | None], tuple[str, list[AssignmentEffect]]] = {}
    for a in assignments:
        if a.id not in effects:
            continue
        key, label = by(a)
        slot = groups.setdefault((key, a.measure_kind, a.measure_key), (label, []))
        slot[1].append(effects[a.id])
    return [
        summarize(key, label, items, kind, measure)
        for (key, kind, measure), (label, items) in sorted(groups.items(), key=lambda g: g[0][0])
    ]


def by_rule(a: CoachingAssignment) -> tuple[str, str]:
    """Group assignments by the rule that fired them."""
    return a.rule_key, a.rule_key


def by_refresher(a: CoachingAssignment) -> tuple[str, str]:
    """Group assignments by what they asked to work through."""
    key = "/".join(p for p in (a.curriculum_slug, a.module_slug, a.lesson_slug) if p)
    return key, a.title


# Reading the figures after completion --------------------------------------------------------


def _firsts(rows: Iterable[tuple[int, float]], needed: dict[int, int]) -> dict[int, list[float]]:
    """The first `needed[id]` figures of each assignment, from rows in date order."""
    out: dict[int, list[float]] = {}
    for aid, value in rows:
        got = out.setdefault(aid, [])
        if len(got) < needed[aid]:
            got.append(float(value))
    return out


def _qa_after(ids: list[int], needed: dict[int, int]) -> dict[int, list[float]]:
    """Category, overall and critical figures after completion, numbered per assignment by
    a window function and cut at each assignment's `measure_over`."""
    a = CoachingAssignment
    e = QAEvaluation
    c = QACategoryScore
    dated = e.metric_date > a.completed_on
    ordered = (e.metric_date, e.id)
    overall = (
        select(
            a.id.label("aid"),
            cast(e.percent, Float).label("value"),
            *[o.label(f"o{i}") for i, o in enumerate(ordered)],
        )
        .join(e, (e.user_id == a.user_id) & dated)
        .where(a.id.in_(ids), a.measure_kind == "overall", e.percent.is_not(None))
    )
    critical = (
        select(
            a.id.label("aid"),
            cast(case((e.critical_fail.is_(True), 100.0), else_=0.0), Float).label("value"),
            *[o.label(f"o{i}") for i, o in enumerate(ordered)],
        )
        .join(e, (e.user_id == a.user_id) & dated)
        .where(a.id.in_(ids), a.measure_kind == "critical")
    )
    category = (
        select(
            a.id.label("aid"),
            cast(c.percent, Float).label("value"),
            *[o.label(f"o{i}") for i, o in enumerate(ordered)],
        )
        .join(e, (e.user_id == a.user_id) & dated)
        .join(c, (c.evaluation_id == e.id) & (c.key == a.measure_key))
        .where(a.id.in_(ids), a.measure_kind == "category", c.percent.is_not(None))
    )
    union = overall.union_all(critical, category).subquery()
    numbered = select(
        union.c.aid,
        union.c.value,
        func.row_number()
        .over(partition_by=union.c.aid, order_by=(union.c.o0, union.c.o1))
        .label("n"),
    ).subquery()
    rows = db.session.execute(
        select(numbered.c.aid, numbered.c.value)
        .join(a, a.id == numbered.c.aid)
        .where(numbered.c.n <= a.measure_over)
        .order_by(numbered.c.aid, numbered.c.n)
    ).all()
    return _firsts(rows, needed)


def _metric_after(ids: list[int], needed: dict[int, int]) -> dict[int, list[float]]:
    """Weekly figures of the weeks that start after the completion day, in one query (a
    hire has a few dozen weeks at most; the week's first day is worked out here)."""
    a = CoachingAssignment
    m = HireWeekMetric
    rows = db.session.execute(
        select(a.id, a.completed_on, Hire.start_date, m.week, m.value)
        .join(Hire, Hire.id == a.hire_id)
        .join(m, (m.hire_id == a.hire_id) & (m.metric == a.measure_key))
        .where(a.id.in_(ids), a.measure_kind == "metric", m.value.is_not(None))
        .order_by(a.id, m.week)
    ).all()
    after = []
    for aid, completed_on, start, week, value in rows:
        # Week w runs from start + 7(w - 1); it counts when it starts after the completion.
        if (completed_on - start).days < 7 * (week - 1):
            after.append((aid, value))
    return _firsts(after, needed)


def effects_of(assignments: Iterable[CoachingAssignment]) -> dict[int, AssignmentEffect]:
    """Each completed assignment's before and after (two queries for any number of them)."""
    done = [a for a in assignments if a.status == COMPLETED and a.completed_on is not None]
    if not done:
        return {}
    needed = {a.id: max(int(a.measure_over or 1), 1) for a in done}
    qa_ids = [a.id for a in done if a.measure_kind in ("overall", "critical", "category")]
    metric_ids = [a.id for a in done if a.measure_kind == "metric"]
    figures: dict[int, list[float]] = {}
    if qa_ids:
        figures.update(_qa_after(qa_ids, needed))
    if metric_ids:
        figures.update(_metric_after(metric_ids, needed))
    out = {}
    for a in done:
        after = figures.get(a.id, [])
        out[a.id] = AssignmentEffect(
            assignment_id=a.id,
            kind=a.measure_kind,
            key=a.measure_key,
            label=a.measure_label,
            before=a.baseline,
            before_count=a.baseline_count,
            after=statistics.fmean(after) if after else None,
            after_count=len(after),
            needed=needed[a.id],
        )
    return out
