"""The read side of capacity and attrition: the hires of the chosen cohorts the viewer may
see (left ones included), their AHT figures and curves, the planned classes, and the plain
rows ramp.forecast.capacity and ramp.forecast.attrition work on."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ramp import clock
from ramp.accounts.models import User
from ramp.accounts.queries import visible_teams
from ramp.extensions import db
from ramp.forecast import attrition
from ramp.forecast.capacity import (
    HireInput,
    PlannedInput,
    Productivity,
    Row,
    Total,
    capacity,
    monday,
    survival,
    totals,
)
from ramp.forecast.curves import DEFAULT_START_WEEK, Curve, Place, default_fit
from ramp.forecast.models import PlannedClass
from ramp.forecast.projection import line_for
from ramp.forecast.queries import PROFICIENCY_METRICS, _figures, _places, team_curves
from ramp.milestones.models import Hire, PlanMilestone
from ramp.milestones.queries import visible_hires

# The capacity window by default: from four weeks back to twelve ahead.
WEEKS_BACK = 4
DEFAULT_WEEKS = 17
MAX_WEEKS = 104


def placement_name(place: Place) -> str:
    """A placement as capacity rows name it: queue and channel."""
    return " · ".join(p for p in (place.queue, place.channel) if p) or "unplaced"


def default_start(today: date | None = None) -> date:
    return monday(today or clock.today()) - timedelta(weeks=WEEKS_BACK)


def cohort_hires(viewer: User, cohort_ids: Sequence[int]) -> list[Hire]:
    """The hires of these cohorts the viewer may see, those who left included."""
    if not cohort_ids:
        return []
    stmt = (
        visible_hires(viewer, include_left=True)
        .where(Hire.cohort_id.in_(list(cohort_ids)))
        .options(joinedload(Hire.user), joinedload(Hire.cohort))
        .order_by(Hire.id)
    )
    return list(db.session.execute(stmt).unique().scalars())


def visible_planned(viewer: User) -> list[PlannedClass]:
    """Planned classes of the teams the viewer leads (all for an admin)."""
    stmt = select(PlannedClass).order_by(PlannedClass.start_date, PlannedClass.id)
    if not viewer.is_admin:
        teams = [t.id for t in visible_teams(viewer)]
        stmt = stmt.where(PlannedClass.team_id.in_(teams))
    return list(db.session.execute(stmt).scalars())


def _productivity(curve: Curve | None, figures: dict[int, float] | None = None) -> Productivity:
    """The AHT-based productivity of a placement (with a hire's figures, of that hire)."""
    if curve is None:
        # No tenured AHT here: the default curve from published figures, as a ratio.
        ratio = default_fit(1.0, True)
        return Productivity(1.0, lambda t: 1.0 / max(ratio.at(t), 1e-9), DEFAULT_START_WEEK, True)
    line = line_for(curve, figures or {})
    return Productivity(curve.benchmark, line.value, curve.first_week, curve.is_default)


@dataclass
class CapacityReport:
    rows: list[Row]
    weeks: list[date]
    fallbacks: list[tuple[str, str]] = field(default_factory=list)  # placement, why
    benchmark: list[tuple[str, float, str]] = field(default_factory=list)  # placement, AHT, source

    @cached_property
    def totals(self) -> list[Total]:
        """The rows added up by week and placement (the page's table and chart)."""
        return totals(self.rows)


def capacity_report(
    viewer: User,
    cohort_ids: Sequence[int],
    start: date | None = None,
    weeks: int = DEFAULT_WEEKS,
    today: date | None = None,
    queue: str | None = None,
) -> CapacityReport:
    """The capacity rows of the chosen cohorts and the viewer's planned classes; with a
    queue, only the hires placed in it now and the classes planned for it."""
    today = today or clock.today()
    start = monday(start or default_start(today))
    calendar = [start + timedelta(weeks=i) for i in range(weeks)]
    hires = cohort_hires(viewer, cohort_ids)
    curves = team_curves(today)
    aht = curves.lookups["aht"]
    places = _places([h.id for h in hires], today) if hires else {}
    placed = [(h, places.get(h.id, Place(h.queue))) for h in hires]
    if queue is not None:
        placed = [(h, place) for h, place in placed if place.queue == queue]
    ids = [h.id for h, _ in placed]
    figures = _figures(ids, curves.spec) if ids else {}
    used: dict[str, Curve | None] = {}
    inputs = []
    for h, place in placed:
        curve = aht(place)
        name = placement_name(place)
        used.setdefault(name, curve)
        last_full = (min(today, h.left_on or today) - h.start_date).days // 7
        measured = {w: v for w, v in figures.get(h.id, {}).get("aht", {}).items() if w <= last_full}
        inputs.append(
            HireInput(
                h.cohort.name,
                name,
                h.start_date,
                h.left_on,
                measured if curve is not None else {},
                _productivity(curve, measured),
            )
        )
    planned = []
    for c in visible_planned(viewer):
        if queue is not None and c.queue != queue:
            continue
        place = Place(c.queue, c.channel)
        curve = aht(place)
        name = placement_name(place)
        used.setdefault(name, curve)
        planned.append(PlannedInput(c.name, name, c.start_date, c.heads, _productivity(curve)))
    # The attrition planned classes are projected with: every hire the viewer sees.
    observed = db.session.execute(
        visible_hires(viewer, include_left=True).with_only_columns(Hire.start_date, Hire.left_on)
    ).all()
    rows = capacity(inputs, planned, calendar, survival(observed, today))
    fallbacks = [
        (name, curve.fallback if curve is not None else "no tenured AHT target")
        for name, curve in sorted(used.items())
        if curve is None or curve.is_default
    ]
    benchmark = [
        (name, curve.benchmark, curve.benchmark_source)
        for name, curve in sorted(used.items())
        if curve is not None
    ]
    return CapacityReport(rows, calendar, fallbacks, benchmark)


# Attrition -----------------------------------------------------------------------------


@dataclass
class CohortAttrition:
    cohort_id: int
    name: str
    hires: int
    windows: list[attrition.Window]
    by_week: list[tuple[int, list[attrition.Tenure]]]


@dataclass
class AttritionReport:
    cohorts: list[CohortAttrition]
    flagged: list[attrition.Flagged]
    leaver_counts: dict[str, int]  # signal -> past leavers who had it
    leavers: int


def _signals(hires: list[Hire], today: date) -> dict[int, set[str]]:
    """Each hire's signals, read as of its leaving day for those who left, else today."""
    out: dict[int, set[str]] = defaultdict(set)
    if not hires:
        return out
    ids = [h.id for h in hires]
    left = {h.id: h.left_on for h in hires}
    for hire_id, due in db.session.execute(
        select(PlanMilestone.hire_id, PlanMilestone.due_date).where(
            PlanMilestone.hire_id.in_(ids), PlanMilestone.status == "missed"
        )
    ):
        if left[hire_id] is None or due < left[hire_id]:
            out[hire_id].add("missed_milestone")
    curves = team_curves(today)
    figures = _figures(ids, curves.spec)
    places = _places(ids, today)
    for h in hires:
        until = h.left_on or today
        if h.coaching_due is not None and h.coaching_due < until:
            out[h.id].add("overdue_refresher")
        last_full = (until - h.start_date).days // 7
        place = places.get(h.id, Place(h.queue))
        for metric in PROFICIENCY_METRICS:
            curve = curves.lookups[metric](place)
            weeks = {
                w: v for w, v in figures.get(h.id, {}).get(metric, {}).items() if w <= last_full
            }
            if curve is None or not weeks:
                continue
            week = max(weeks)
            # Below the curve's band: worse than where 95 % of hires' weeks are expected.
            edge = line_for(curve, {}).value(week, -1)
            worse = weeks[week] < edge if curve.higher_is_better else weeks[week] > edge
            if worse:
                out[h.id].add("below_curve")
    return out


def attrition_report(
    viewer: User, cohort_ids: Sequence[int], today: date | None = None
) -> AttritionReport:
    """Per cohort: leavers by tenure week and the 30/60/90-day attrition; for the active hires,
    the signals that preceded the cohorts' past leavers."""
    today = today or clock.today()
    hires = cohort_hires(viewer, cohort_ids)
    by_cohort: dict[int, list[Hire]] = defaultdict(list)
    for h in hires:
        by_cohort[h.cohort_id].append(h)
    cohorts = []
    for cid in cohort_ids:
        members = by_cohort.get(cid, [])
        if not members:
            continue
        tenures = [
            attrition.Tenure(h.id, h.user.name, h.start_date, h.left_on, h.left_reason)
            for h in members
        ]
        cohorts.append(
            CohortAttrition(
                cid,
                members[0].cohort.name,
                len(members),
                attrition.windows(tenures, today),
                attrition.leavers_by_week(tenures),
            )
        )
    signals = _signals(hires, today)
    leavers = {h.id: signals.get(h.id, set()) for h in hires if h.left_on is not None}
    active = [(h.id, h.user.name, h.cohort.name) for h in hires if h.left_on is None]
    return AttritionReport(
        cohorts, attrition.flagged(active, signals), attrition.signal_counts(leavers), len(leavers)
    )


def window(
    raw_start: str | None, raw_weeks: str | None, today: date | None = None
) -> tuple[date, int, list[str]]:
    """The capacity window from a query's `start` (an ISO date; its Monday) and `weeks`
    (1 to MAX_WEEKS), with the problems found (the defaults are kept for a bad value)."""
    today = today or clock.today()
    start, weeks, problems = default_start(today), DEFAULT_WEEKS, []
    raw_start = (raw_start or "").strip()
    raw_weeks = (raw_weeks or "").strip()
    if raw_start:
        try:
            asked = date.fromisoformat(raw_start) if len(raw_start) == 10 else None
        except ValueError:
            asked = None
        if asked is None or abs((asked - today).days) > 3660:
            problems.append(
                _(
                    "The capacity's first week must be a date (YYYY-MM-DD) within ten years of today."
                )
            )
        else:
            start = monday(asked)
    if raw_weeks:
        if raw_weeks.isdecimal() and 1 <= int(raw_weeks) <= MAX_WEEKS:
            weeks = int(raw_weeks)
        else:
            problems.append(
                _("The number of weeks must be a whole number from 1 to %(num)d.", num=MAX_WEEKS)
            )
    return start, weeks, problems
