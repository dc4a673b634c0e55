"""Pure rules of milestones: a hire's plan and evidence in, a status per milestone out.

Plain values in, plain values out: no Flask, no database. Every status carries the checks
behind it, so what a manager sees can always be traced back to the evidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

STATUSES = ("upcoming", "on_track", "at_risk", "achieved", "missed", "waived")

# How metric names read in sentences; unknown names fall back to the name with spaces.
METRIC_LABELS: Mapping[str, str] = {
    "qa_score": "QA score",
    "fcr": "FCR",
    "aht": "AHT",
    "resolution_time": "resolution time",
    "first_response_time": "first response time",
    "csat": "CSAT",
    "sla_compliance": "SLA compliance",
}


@dataclass(frozen=True)
class MetricCriterion:
    """A metric against a threshold over a window, with a minimum sample."""

    metric: str
    threshold: float
    window_days: int
    min_sample: int
    weeks_running: int = 1
    higher_is_better: bool = True


@dataclass(frozen=True)
class Criteria:
    """What a milestone asks for; an empty field asks for nothing."""

    modules: tuple[str, ...] = ()  # module slugs that must be completed
    assessments: tuple[str, ...] = ()  # module slugs whose knowledge check must be passed
    sign_off: bool = False  # a manager must sign off
    metrics: tuple[MetricCriterion, ...] = ()


@dataclass(frozen=True)
class MilestonePlan:
    """One milestone of one hire's plan, with its dates already worked out."""

    key: str
    title: str
    phase_start: date  # when the milestone's phase begins for this hire
    due: date  # due date, already including any extension
    criteria: Criteria
    parent: str | None = None
    optional: bool = False  # an optional child does not hold its parent back
    waived: bool = False
    achieved_on: date | None = None  # set when achieved earlier: achievement sticks
    # Where its own stretch of the phase begins, for pace: the due date of the milestone
    # before it in the phase (worked out by evaluate_plan when left None).
    pace_start: date | None = None


@dataclass(frozen=True)
class SignOff:
    """A manager's sign-off of one milestone."""

    by: str
    on: date


@dataclass(frozen=True)
class MetricReading:
    """One metric over a criterion's window."""

    value: float | None  # None: no records in the window
    sample: int  # records in the window
    weeks_met: int = 0  # consecutive tenure weeks, ending with the current one, at threshold
    # The target in force for the hire's current tenure week (the glide path), when known:
    # a milestone is at risk only when its metric is behind this, not behind its threshold.
    pace_target: float | None = None


@dataclass(frozen=True)
class Evidence:
    """What the hire has done and how they perform."""

    modules_completed: frozenset[str] = frozenset()
    assessments_passed: frozenset[str] = frozenset()
    sign_offs: Mapping[str, SignOff] = field(default_factory=dict)  # milestone key -> sign-off
    # None means no metric data has been imported at all: "waiting for data", not a fail.
    metrics: Mapping[str | MetricCriterion, MetricReading] | None = None


@dataclass(frozen=True)
class Check:
    """One criterion judged: met, not met, or None when there is not enough data to say."""

    criterion: str  # "modules", "assessments", "sign_off", "metric:<name>", "children"
    met: bool | None
    summary: str
    figures: Mapping[str, object]  # JSON-serializable plain values only


@dataclass(frozen=True)
class Reason:
    """One part of a status reason: a code and its plain arguments (ISO dates, counts, keys),
    which pages word in the reader's language (ramp/milestones/wording.py), and the same
    part in English, as stored and as the API sends it."""

    code: str
    args: Mapping[str, object]
    text: str

    def part(self) -> dict:
        """The part as stored: {"code": ..., "args": {...}}."""
        return {"code": self.code, "args": dict(self.args)}


@dataclass(frozen=True)
class MilestoneResult:
    """A milestone's status, why, and the evidence behind it."""

    key: str
    status: str  # one of STATUSES
    reason: str
    checks: tuple[Check, ...]
    achieved_on: date | None
    # The reason's parts, in order: `reason` is their English texts joined by "; ".
    reasons: tuple[Reason, ...] = ()

    @property
    def reason_parts(self) -> list[dict]:
        return [r.part() for r in self.reasons]


# Small helpers ---------------------------------------------------------------------------


def tenure_week(start: date, on: date) -> int:
    """Week 1 is the first 7 days from the start date (day 0); dates before the start give 0."""
    days = (on - start).days
    return days // 7 + 1 if days >= 0 else 0


def metric_label(metric: str) -> str:
    """How a metric name reads in a sentence."""
    label = METRIC_LABELS.get(metric)
    return metric.replace("_", " ") if label is None else label


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _number(x: float) -> str:
    """85.0 -> "85", 85.5 -> "85.5": thresholds read as people wrote them."""
    if not math.isfinite(x):
        return str(x)
    if x == int(x):
        return str(int(x))
    return f"{x:.2f}".rstrip("0")


def _in_days(days: int) -> str:
    if days == 0:
        return "today"
    return f"in {_plural(days, 'day')}"


def _ceil_percent(part: int, whole: int) -> int:
    # Integer arithmetic, so 3/5 shows as 60 and not 61 from float error; rounding up keeps
    # "behind pace" from ever printing a time share equal to the done share.
    return -(-100 * part // whole)


# Checks ----------------------------------------------------------------------------------


def _slug_check(
    criterion: str, required: tuple[str, ...], done: frozenset[str], verb: str, noun: str
) -> Check:
    wanted = list(dict.fromkeys(required))  # repeated slugs count once, in plan order
    completed = [s for s in wanted if s in done]
    missing = [s for s in wanted if s not in done]
    summary = f"{len(completed)} of {_plural(len(wanted), noun)} {verb}"
    if missing:
        summary += f" (missing: {', '.join(missing)})"
    figures = {
        "done": len(completed),
        "total": len(wanted),
        "completed": completed,
        "missing": missing,
    }
    return Check(criterion, not missing, summary, figures)


def _sign_off_check(plan: MilestonePlan, evidence: Evidence) -> Check:
    sign_off = evidence.sign_offs.get(plan.key)
    if sign_off is None:
        return Check(
            "sign_off", False, "waiting for a manager's sign-off", {"by": None, "on": None}
        )
    return Check(
        "sign_off",
        True,
        f"signed off by {sign_off.by} on {sign_off.on.isoformat()}",
        {"by": sign_off.by, "on": sign_off.on.isoformat()},
    )


def _metric_check(criterion: MetricCriterion, evidence: Evidence) -> Check:
    label = metric_label(criterion.metric)
    name = f"metric:{criterion.metric}"
    figures: dict[str, object] = {
        "metric": criterion.metric,
        "threshold": criterion.threshold,
        "higher_is_better": criterion.higher_is_better,
        "window_days": criterion.window_days,
        "min_sample": criterion.min_sample,
        "weeks_running": criterion.weeks_running,
        "value": None,
        "sample": None,
        "weeks_met": None,
    }
    if evidence.metrics is None:
        figures["state"] = "waiting"
        return Check(name, None, f"waiting for data: no {label} records imported yet", figures)

    # Readings are keyed by the criterion itself (its window and threshold), or by metric name.
    reading = evidence.metrics.get(criterion) or evidence.metrics.get(criterion.metric)
    sample = reading.sample if reading else 0
    value = reading.value if reading else None
    figures["sample"] = sample
    # A NaN is no figure at all; treating it as data would make it a silent fail.
    if value is not None and not math.isnan(value):
        figures["value"] = value
    else:
        value = None
    if reading is not None:
        figures["weeks_met"] = reading.weeks_met
    if value is None or sample < criterion.min_sample:
        figures["state"] = "not_enough_data"
        summary = f"not enough data: {sample} of {_plural(criterion.min_sample, 'record')}"
        return Check(name, None, summary, figures)

    assert reading is not None  # a value implies a reading
    at_threshold = (
        value >= criterion.threshold if criterion.higher_is_better else value <= criterion.threshold
    )
    sign = "≥" if criterion.higher_is_better else "≤"
    summary = (
        f"{label} {value:.1f} over {_plural(criterion.window_days, 'day')} "
        f"({_plural(sample, 'record')}), target {sign} {_number(criterion.threshold)}"
    )
    met = at_threshold
    if criterion.weeks_running > 1:
        met = at_threshold and reading.weeks_met >= criterion.weeks_running
        summary += (
            f" for {criterion.weeks_running} weeks running: "
            f"{min(reading.weeks_met, criterion.weeks_running)} of {criterion.weeks_running} so far"
        )
    summary += ": met" if met else ": short"
    # "weeks_short": at the threshold now, but not yet for long enough.
    figures["state"] = "met" if met else "short" if not at_threshold else "weeks_short"
    return Check(name, met, summary, figures)


def _children_check(
    children: Sequence[MilestonePlan], results: Mapping[str, MilestoneResult]
) -> Check:
    required = [c for c in children if not c.optional]
    closed = [c.key for c in required if results[c.key].status in ("achieved", "waived")]
    waived = [c.key for c in required if results[c.key].status == "waived"]
    missing = [c.key for c in required if c.key not in closed]
    optional = len(children) - len(required)
    if required:
        summary = f"{len(closed)} of {len(required)} required sub-milestones achieved"
    else:
        summary = f"no required sub-milestones ({optional} optional)"
    notes = []
    if waived:
        notes.append(f"{len(waived)} waived")
    if missing:
        notes.append(f"missing: {', '.join(missing)}")
    if notes:
        summary += f" ({'; '.join(notes)})"
    figures = {
        "done": len(closed),
        "total": len(required),
        "missing": missing,
        "waived": waived,
        "optional": optional,
    }
    return Check("children", not missing, summary, figures)


def _checks(
    plan: MilestonePlan,
    children: Sequence[MilestonePlan],
    evidence: Evidence,
    results: Mapping[str, MilestoneResult],
) -> tuple[Check, ...]:
    c = plan.criteria
    checks: list[Check] = []
    if c.modules:
        checks.append(
            _slug_check("modules", c.modules, evidence.modules_completed, "completed", "module")
        )
    if c.assessments:
        checks.append(
            _slug_check(
                "assessments",
                c.assessments,
                evidence.assessments_passed,
                "passed",
                "knowledge check",
            )
        )
    if c.sign_off:
        checks.append(_sign_off_check(plan, evidence))
    checks.extend(_metric_check(m, evidence) for m in c.metrics)
    if children:
        checks.append(_children_check(children, results))
    return tuple(checks)


# Status ----------------------------------------------------------------------------------


def _module_pace(plan: MilestonePlan, evidence: Evidence) -> tuple[int, int]:
    """Required modules done and required, each slug counted once."""
    wanted = set(plan.criteria.modules)
    return len(wanted & evidence.modules_completed), len(wanted)


def _time_share(plan: MilestonePlan, today: date, begin: date) -> tuple[int, int]:
    """Days gone and days in all of the milestone's own stretch (from its pace start)."""
    span = (plan.due - begin).days
    # A stretch with no length (or a due date before its start) has all its time gone.
    if span <= 0:
        return 1, 1
    return min(max((today - begin).days, 0), span), span


def _behind(done: int, total: int, elapsed: int, whole: int) -> bool:
    return done * whole < total * elapsed  # done/total < elapsed/whole, in exact integers


def _metric_behind(check: Check, metric: MetricCriterion, reading: MetricReading | None) -> bool:
    """Short of the glide path this week (or of the threshold, when no glide path is known).

    A metric at its threshold that has not yet held it for enough weeks running is on pace:
    only the warning window makes it a risk.
    """
    if check.met is not False or check.figures["state"] == "weeks_short":
        return False
    if reading is None or reading.pace_target is None:
        return True
    value = check.figures["value"]
    if metric.higher_is_better:
        return value < min(metric.threshold, reading.pace_target)
    return value > max(metric.threshold, reading.pace_target)


def _risks(
    plan: MilestonePlan,
    checks: Sequence[Check],
    evidence: Evidence,
    today: date,
    warning_days: int,
    pace_start: date,
    children_at_risk: Sequence[str] = (),
) -> list[Reason]:
    """Why an open milestone is at risk; an empty list means it is not (docs/statuses.md)."""
    risks: list[Reason] = []
    started = today >= plan.phase_start
    elapsed, whole = _time_share(plan, today, pace_start)
    behind_pace = modules_behind = False
    if started and plan.criteria.modules:
        done, total = _module_pace(plan, evidence)
        if _behind(done, total, elapsed, whole):
            behind_pace = modules_behind = True
            gone = _ceil_percent(elapsed, whole)
            risks.append(
                Reason(
                    "behind_modules",
                    {"done": done, "total": total, "time_percent": gone},
                    f"behind pace: {done} of {_plural(total, 'module')} done, "
                    f"{gone}% of the time gone",
                )
            )
    if started and plan.criteria.assessments:
        wanted = set(plan.criteria.assessments)
        passed = len(wanted & evidence.assessments_passed)
        if _behind(passed, len(wanted), elapsed, whole):
            behind_pace = True
            if not modules_behind:  # one "behind pace" line: modules first, else checks
                gone = _ceil_percent(elapsed, whole)
                risks.append(
                    Reason(
                        "behind_assessments",
                        {"done": passed, "total": len(wanted), "time_percent": gone},
                        f"behind pace: {passed} of {_plural(len(wanted), 'knowledge check')} "
                        f"passed, {gone}% of the time gone",
                    )
                )

    # A metric short before its phase begins is expected (a hire in training is not yet held
    # to ramp targets), so shortfalls only count once the phase is under way; and a metric
    # on the glide path is on pace even when it is still short of the milestone's threshold.
    metric_by_name = {f"metric:{m.metric}": m for m in plan.criteria.metrics}
    readings = evidence.metrics or {}
    for ch in checks if started else ():
        if ch.met is not False or ch.criterion not in metric_by_name:
            continue
        m = metric_by_name[ch.criterion]
        reading = readings.get(m) or readings.get(m.metric)
        if not _metric_behind(ch, m, reading):
            continue
        sign = "≥" if m.higher_is_better else "≤"
        pace = reading.pace_target if reading is not None else None
        weekly = pace is not None and pace != m.threshold
        target = (
            f"this week's target {sign} {_number(pace)}"
            if weekly
            else f"target {sign} {_number(m.threshold)}"
        )
        value = ch.figures["value"]
        risks.append(
            Reason(
                "metric_short",
                {
                    "metric": m.metric,
                    "value": value,
                    "higher_is_better": m.higher_is_better,
                    "target": pace if weekly else m.threshold,
                    "weekly": weekly,
                },
                f"{metric_label(m.metric)} currently short of the threshold "
                f"({value:.1f}, {target})",
            )
        )
    if children_at_risk:
        risks.append(
            Reason(
                "children_at_risk",
                {"keys": list(children_at_risk)},
                f"sub-milestone at risk: {', '.join(children_at_risk)}",
            )
        )

    # Due soon: a risk while anything is open that pace cannot vouch for (a sign-off, a
    # metric, modules or checks behind), never for work that is on pace.
    days_left = (plan.due - today).days
    paced = ("modules", "assessments", "children")
    open_unpaced = [ch for ch in checks if ch.met is not True and ch.criterion not in paced]
    if 0 <= days_left <= warning_days and (open_unpaced or behind_pace or not started):
        risks.insert(
            0,
            Reason(
                "due_soon",
                {"days_left": days_left, "warning_days": warning_days},
                f"due {_in_days(days_left)} (warning window {_plural(warning_days, 'day')})",
            ),
        )
    return risks


def _on_pace(plan: MilestonePlan, evidence: Evidence, today: date) -> Reason:
    days_left = (plan.due - today).days
    if plan.criteria.modules:
        done, total = _module_pace(plan, evidence)
        return Reason(
            "on_pace_modules",
            {"done": done, "total": total, "days_left": days_left},
            f"on pace: {done} of {_plural(total, 'module')} done, due {_in_days(days_left)}",
        )
    return Reason("on_pace", {"days_left": days_left}, f"on pace, due {_in_days(days_left)}")


def _evaluate_one(
    plan: MilestonePlan,
    children: Sequence[MilestonePlan],
    evidence: Evidence,
    results: Mapping[str, MilestoneResult],
    today: date,
    warning_days: int,
    pace_start: date,
) -> MilestoneResult:
    checks = _checks(plan, children, evidence, results)

    def result(
        status: str, reasons: Sequence[Reason], achieved_on: date | None = None
    ) -> MilestoneResult:
        reason = "; ".join(r.text for r in reasons)
        return MilestoneResult(plan.key, status, reason, checks, achieved_on, tuple(reasons))

    def achieved(on: date) -> Reason:
        return Reason("achieved", {"on": on.isoformat()}, f"achieved on {on.isoformat()}")

    if plan.waived:
        # Keep an earlier achievement date: waiving must not erase what was recorded.
        waived = Reason("waived", {}, "waived by a manager")
        return result("waived", [waived], plan.achieved_on)
    if plan.achieved_on is not None:
        return result("achieved", [achieved(plan.achieved_on)], plan.achieved_on)
    # No checks means nothing to show for it: such a milestone closes only by a waiver or a
    # recorded achievement, never by default.
    if checks and all(ch.met is True for ch in checks):
        # The same words as on later runs, when the achievement is sticky: re-evaluating the
        # same day must change nothing.
        return result("achieved", [achieved(today)], today)
    if today > plan.due:
        # Metric criteria without data never fail on nothing: when only they (or children
        # held up by them) stand in the way, the milestone is at risk, not missed.
        required_missed = any(
            results[c.key].status == "missed"
            for c in children
            if not c.optional and c.key in results
        )
        failing = [
            ch
            for ch in checks
            if ch.met is False and (ch.criterion != "children" or required_missed)
        ]
        due = plan.due.isoformat()
        if failing or not checks:
            return result("missed", [Reason("missed", {"due": due}, f"due {due} and not achieved")])
        return result(
            "at_risk",
            [
                Reason(
                    "overdue_waiting",
                    {"due": due},
                    f"due {due} and still waiting for data to judge it",
                )
            ],
        )
    children_at_risk = [
        c.key for c in children if not c.optional and results[c.key].status == "at_risk"
    ]
    risks = _risks(plan, checks, evidence, today, warning_days, pace_start, children_at_risk)
    if risks:
        return result("at_risk", risks)
    if today >= plan.phase_start:
        return result("on_track", [_on_pace(plan, evidence, today)])
    starts_in = (plan.phase_start - today).days
    starts = plan.phase_start.isoformat()
    return result(
        "upcoming",
        [
            Reason(
                "upcoming",
                {"starts": starts, "days": starts_in},
                f"phase starts {starts} ({_in_days(starts_in)})",
            )
        ],
    )


def _tree(milestones: Sequence[MilestonePlan]) -> tuple[list[MilestonePlan], dict[str, str | None]]:
    """The plans (first of each key, in plan order) and each one's effective parent."""
    plans: list[MilestonePlan] = []
    keys: set[str] = set()
    for p in milestones:
        if p.key not in keys:
            keys.add(p.key)
            plans.append(p)
    # An unknown parent (or itself) makes a milestone top-level rather than an error.
    raw = {p.key: p.parent if p.parent in keys and p.parent != p.key else None for p in plans}
    parent: dict[str, str | None] = {}
    for p in plans:
        # A milestone whose ancestry loops back to itself has no real parent: top-level too.
        seen: set[str] = set()
        node = raw[p.key]
        while node is not None and node != p.key and node not in seen:
            seen.add(node)
            node = raw[node]
        parent[p.key] = None if node == p.key else raw[p.key]
    return plans, parent


def _pace_start(
    plan: MilestonePlan, plans: Sequence[MilestonePlan], parent: Mapping[str, str | None]
) -> date:
    """Where the plan's own stretch begins: its pace start when given, else the latest earlier
    due date in its phase among the milestones that are neither its ancestors nor its
    descendants, else its phase start."""
    if plan.pace_start is not None:
        return plan.pace_start

    def line(key: str | None) -> set[str]:
        keys = set()
        while key is not None and key not in keys:
            keys.add(key)
            key = parent.get(key)
        return keys

    ancestors = line(plan.key)
    earlier = [
        q.due
        for q in plans
        if q.phase_start == plan.phase_start
        and plan.phase_start <= q.due < plan.due
        and q.key not in ancestors
        and plan.key not in line(q.key)
    ]
    return max(earlier, default=plan.phase_start)


@dataclass(frozen=True)
class _Shape:
    """What evaluating a plan needs of its structure, in days from its first phase start."""

    first: tuple[int, ...]  # the index of the first milestone of each key, in plan order
    order: tuple[int, ...]  # the same, deepest first (every child before its parent)
    children: tuple[tuple[int, ...], ...]  # by position in `first`: its children's indexes
    pace: tuple[int, ...]  # by position in `first`: its pace start


# Plans made from one template version share their shape (only the start date moves them), so
# it is worked out once for all of them. Bounded: a few entries per template version in use.
_SHAPES: dict[tuple, _Shape] = {}


def _shape(milestones: Sequence[MilestonePlan]) -> tuple[date, _Shape]:
    """The plan's structure, worked out once per distinct shape, and the day it counts from."""
    base = milestones[0].phase_start
    key = tuple(
        (
            p.key,
            p.parent,
            (p.phase_start - base).days,
            (p.due - base).days,
            None if p.pace_start is None else (p.pace_start - base).days,
        )
        for p in milestones
    )
    found = _SHAPES.get(key)
    if found is None:
        plans, parent = _tree(milestones)
        index = {}
        for i, p in enumerate(milestones):
            index.setdefault(p.key, i)

        def depth(key: str) -> int:
            n, node = 0, parent[key]
            while node is not None:
                n, node = n + 1, parent[node]
            return n

        first = tuple(index[p.key] for p in plans)
        found = _Shape(
            first=first,
            order=tuple(index[p.key] for p in sorted(plans, key=lambda p: -depth(p.key))),
            children=tuple(
                tuple(index[c.key] for c in plans if parent[c.key] == p.key) for p in plans
            ),
            pace=tuple((_pace_start(p, plans, parent) - base).days for p in plans),
        )
        if len(_SHAPES) > 1024:
            _SHAPES.clear()
        _SHAPES[key] = found
    return base, found


def evaluate_plan(
    milestones: Sequence[MilestonePlan], evidence: Evidence, today: date, warning_days: int = 7
) -> dict[str, MilestoneResult]:
    """A status, a reason and the checks behind it for every milestone, keyed by milestone key."""
    if not milestones:
        return {}
    base, shape = _shape(milestones)
    position = {i: n for n, i in enumerate(shape.first)}
    # Deepest first, so every child is judged before its parent whatever the list order.
    results: dict[str, MilestoneResult] = {}
    for i in shape.order:
        n = position[i]
        plan = milestones[i]
        children = [milestones[c] for c in shape.children[n]]
        pace_start = base + timedelta(days=shape.pace[n])
        results[plan.key] = _evaluate_one(
            plan, children, evidence, results, today, warning_days, pace_start
        )
    return {milestones[i].key: results[milestones[i].key] for i in shape.first}


def next_milestone(
    milestones: Sequence[MilestonePlan], results: Mapping[str, MilestoneResult]
) -> MilestonePlan | None:
    """The open milestone due first; ties go to leaves, then to plan order."""
    plans, parent = _tree(milestones)
    parents = {k for k in parent.values() if k is not None}

    def is_open(p: MilestonePlan) -> bool:
        r = results.get(p.key)
        if r is None:  # not evaluated: judge by what the plan itself records
            return not p.waived and p.achieved_on is None
        return r.status not in ("achieved", "waived")

    candidates = [(p.due, p.key in parents, i, p) for i, p in enumerate(plans) if is_open(p)]
    if not candidates:
        return None
    return min(candidates, key=lambda c: c[:3])[3]


# The hire's status, raised by an overdue coaching refresher -------------------------------

# How bad a hire's status is, for the raise below (as plans.STATUS_RANK orders the board).
_RAISE_RANK = {"missed": 5, "at_risk": 4, "on_track": 2, "upcoming": 1, "achieved": 0, "waived": 0}


def coaching_overdue(coaching_due: date | None, today: date) -> bool:
    """Whether the hire's earliest open refresher is past its due date (due today is not yet)."""
    return coaching_due is not None and coaching_due < today


def raise_for_coaching(status: str, coaching_due: date | None, today: date) -> str:
    """The hire's status with an overdue refresher taken into account: at least at_risk, never
    lowered (a missed hire stays missed)."""
    if coaching_overdue(coaching_due, today) and _RAISE_RANK[status] < _RAISE_RANK["at_risk"]:
        return "at_risk"
    return status
