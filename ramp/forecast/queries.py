"""The read side of forecasts: the team's ramp curves from the stored weekly figures, and
the projections of a page's hires, set-based (a few queries whatever the number of hires).

Curves are built from every active hire's weekly figures and kept per process until the
weekly figures or the targets change (a cheap query tells: the weekly figures' highest id
and count, and the targets' latest version), so a board page fits no curve in the common case.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from ramp import clock
from ramp.extensions import db
from ramp.forecast.curves import Curve, MetricGoal, Place, curves_for, week_sample
from ramp.forecast.projection import Goal, MilestoneGoal, Projection, project
from ramp.metrics.definitions import METRICS
from ramp.metrics.display import active_targets
from ramp.metrics.models import HireWeekMetric, TargetsVersion
from ramp.metrics.targets import TargetsSpec, target_for
from ramp.milestones.models import Hire, Placement, PlanMilestone

# The tenured targets a hire must hold two weeks running to be proficient (as the cohort
# comparison's time to proficiency), and the metrics milestones can be projected on.
PROFICIENCY_METRICS = ("qa_score", "aht", "csat", "sla_compliance")
FORECAST_METRICS = (*PROFICIENCY_METRICS, "fcr")
OPEN = ("upcoming", "on_track", "at_risk")


def _place_dict(place: Place) -> dict:
    return {"queue": place.queue, "channel": place.channel}


def goal_for(spec: TargetsSpec, metric: str, place: Place) -> MetricGoal | None:
    """The metric's tenured target for the placement (the glide path's open-ended step)."""
    target = target_for(spec, metric, 520, _place_dict(place))
    if target is None:
        return None
    unit = METRICS[metric].unit
    limits = (0.0, 100.0) if unit == "%" else (0.0, math.inf)
    return MetricGoal(target.value, target.higher_is_better, unit == "s", limits)


def _min_samples(spec: TargetsSpec) -> dict[str, int]:
    return {
        m: week_sample(t.min_sample if (t := target_for(spec, m, 520, None)) else 1)
        for m in FORECAST_METRICS
    }


def _figures(hire_ids: Iterable[int] | None, spec: TargetsSpec):
    """hire id → metric → week → figure, weeks with enough records only."""
    minimum = _min_samples(spec)
    stmt = select(
        HireWeekMetric.hire_id,
        HireWeekMetric.metric,
        HireWeekMetric.week,
        HireWeekMetric.sample,
        HireWeekMetric.value,
    ).where(HireWeekMetric.metric.in_(FORECAST_METRICS), HireWeekMetric.value.is_not(None))
    if hire_ids is not None:
        stmt = stmt.where(HireWeekMetric.hire_id.in_(list(hire_ids)))
    else:
        stmt = stmt.join(Hire, Hire.id == HireWeekMetric.hire_id).where(Hire.active.is_(True))
    out: dict[int, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    for hire_id, metric, week, sample, value in db.session.execute(stmt):
        if sample >= minimum[metric]:
            out[hire_id][metric][week] = value
    return out


def _places(hire_ids: Iterable[int] | None, today: date) -> dict[int, Place]:
    """Each hire's queue and channel today (its placement in force, else its queue)."""
    stmt = select(Hire.id, Hire.queue)
    stmt = (
        stmt.where(Hire.id.in_(list(hire_ids)))
        if hire_ids is not None
        else stmt.where(Hire.active.is_(True))
    )
    queues = dict(db.session.execute(stmt).all())
    rows = db.session.execute(
        select(Placement.hire_id, Placement.channel, Placement.queue)
        .where(Placement.hire_id.in_(list(queues)), Placement.effective_from <= today)
        .order_by(Placement.effective_from, Placement.id)
    ).all()
    channel: dict[int, str | None] = {}
    for hire_id, ch, queue in rows:
        channel[hire_id] = ch
        queues[hire_id] = queue or queues[hire_id]
    return {h: Place(queues[h], channel.get(h)) for h in queues}


@dataclass(frozen=True)
class TeamCurves:
    """Each metric's curve lookup by placement, and the state they were built from."""

    lookups: dict[str, Callable[[Place], Curve | None]]
    spec: TargetsSpec


_cache: dict[str, tuple[tuple, TeamCurves]] = {}
_lock = threading.Lock()


def _state() -> tuple:
    """What the curves depend on: changes whenever the weekly figures or targets change."""
    weekly = db.session.execute(
        select(func.max(HireWeekMetric.id), func.count(HireWeekMetric.id))
    ).one()
    version = db.session.execute(select(func.max(TargetsVersion.number))).scalar()
    return (db.engine.url.render_as_string(), tuple(weekly), version)


def team_curves(today: date | None = None) -> TeamCurves:
    """The team's curves, per metric and placement, from every active hire's figures."""
    today = today or clock.today()
    state = (*_state(), today)
    with _lock:
        cached = _cache.get("team")
        if cached is not None and cached[0] == state:
            return cached[1]
    spec = active_targets()
    figures = _figures(None, spec)
    places = _places(None, today)
    lookups = {
        metric: curves_for(
            metric,
            {h: figures[h].get(metric, {}) for h in places if h in figures},
            places,
            lambda p, m=metric: goal_for(spec, m, p),
        )
        for metric in FORECAST_METRICS
    }
    curves = TeamCurves(lookups, spec)
    with _lock:
        _cache["team"] = (state, curves)
    return curves


def _milestone_goals(hire_ids: list[int], starts: dict[int, date]):
    """Open milestones' metric criteria, per hire, with the tenure week each is due by."""
    out: dict[int, list[MilestoneGoal]] = defaultdict(list)
    rows = db.session.execute(
        select(
            PlanMilestone.hire_id,
            PlanMilestone.key,
            PlanMilestone.title,
            PlanMilestone.due_date,
            PlanMilestone.criteria,
        ).where(PlanMilestone.hire_id.in_(hire_ids), PlanMilestone.status.in_(OPEN))
    )
    for m in rows:
        criteria = m.criteria if isinstance(m.criteria, dict) else {}
        for c in criteria.get("metrics") or ():
            metric = c.get("metric") if isinstance(c, dict) else None
            threshold = c.get("threshold") if isinstance(c, dict) else None
            if metric not in FORECAST_METRICS or not isinstance(threshold, int | float):
                continue
            running = c.get("weeks_running") or 1
            out[m.hire_id].append(
                MilestoneGoal(
                    m.key,
                    m.title,
                    (m.due_date - starts[m.hire_id]).days // 7,
                    metric,
                    float(threshold),
                    int(running) if isinstance(running, int) and running > 0 else 1,
                )
            )
    return out


def projections_for(hires: Iterable, today: date | None = None) -> dict[int, Projection]:
    """The projection of each of these hires (Hire rows), from figures up to its last full
    tenure week: a few queries for all of them (and the curves, cached)."""
    today = today or clock.today()
    hires = [h for h in hires if h.start_date <= today]
    if not hires:
        return {}
    curves = team_curves(today)
    ids = [h.id for h in hires]
    figures = _figures(ids, curves.spec)
    places = _places(ids, today)
    milestones = _milestone_goals(ids, {h.id: h.start_date for h in hires})
    out = {}
    for hire in hires:
        place = places.get(hire.id, Place(hire.queue))
        goals = []
        for metric in FORECAST_METRICS:
            goal = goal_for(curves.spec, metric, place)
            if goal is not None:
                curve = curves.lookups[metric](place)
                goals.append(
                    Goal(
                        metric,
                        goal.tenured,
                        goal.higher_is_better,
                        curve,
                        metric in PROFICIENCY_METRICS,
                    )
                )
        as_of = (today - hire.start_date).days // 7  # the last full tenure week
        out[hire.id] = project(
            hire.id, figures.get(hire.id, {}), goals, as_of, milestones.get(hire.id, ())
        )
    return out


def hire_projection(hire, today: date | None = None) -> Projection | None:
    """One hire's projection (None before the hire starts)."""
    return projections_for([hire], today).get(hire.id)
