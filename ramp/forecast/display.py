"""What pages show of forecasts: a hire's projection with a chart per metric, and the board
cards' one-line projections (computed for all of a page's hires at once)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext

from ramp import clock
from ramp.forecast import queries
from ramp.forecast.chart import capacity_svg, projection_svg
from ramp.forecast.curves import Shortfall
from ramp.forecast.projection import Estimate, MetricProjection, Projection
from ramp.metrics.definitions import METRICS, MetricDefinition
from ramp.metrics.targets import target_for

LONGEST_CHART = 30


@dataclass(frozen=True)
class MetricView:
    definition: MetricDefinition
    part: MetricProjection
    svg: str


@dataclass(frozen=True)
class MissView:
    """A milestone projected to miss, as the page words it."""

    title: str
    due_week: int
    metric: str  # the metric's label
    threshold: str  # formatted
    estimate: Estimate


@dataclass(frozen=True)
class HireForecast:
    projection: Projection
    metrics: list[MetricView]
    misses: list[MissView]
    fallbacks: list[str]  # labels of the metrics on the default curve


def _last_week(projection: Projection) -> int:
    o = projection.overall
    furthest = max(
        [projection.as_of + 2, 16]
        + [w for w in (o.week, o.high) if w is not None]
        + [w for m in projection.metrics for w in (m.estimate.week,) if w is not None]
    )
    return min(furthest + 1, LONGEST_CHART)


def hire_forecast(hire, today: date | None = None) -> HireForecast | None:
    """The hire's projection and a chart per metric (None before the hire starts)."""
    today = today or clock.today()
    projection = queries.hire_projection(hire, today)
    if projection is None:
        return None
    curves = queries.team_curves(today)
    place = {"queue": hire.queue, "channel": None}
    last = _last_week(projection)
    views = []
    for part in projection.metrics:
        definition = METRICS[part.metric]
        glide = [
            (w, t.value if (t := target_for(curves.spec, part.metric, w, place)) else None)
            for w in range(1, last + 1)
        ]
        title = _(
            "%(metric)s of %(name)s: weekly figures, projection and band over the glide path",
            metric=definition.label,
            name=hire.user.name,
        )
        limits = (0.0, 100.0) if definition.unit == "%" else (0.0, math.inf)
        svg = projection_svg(
            f"projection-{hire.id}-{part.metric}",
            title,
            part,
            glide,
            last,
            definition.format,
            limits,
        )
        views.append(MetricView(definition, part, svg))
    misses = [
        MissView(
            m.title,
            m.due_week,
            METRICS[m.metric].label,
            METRICS[m.metric].format(m.threshold),
            m.estimate,
        )
        for m in projection.misses
    ]
    fallbacks = [METRICS[m].label for m in projection.fallbacks]
    return HireForecast(projection, views, misses, fallbacks)


def card_projections(hires: Iterable, today: date | None = None) -> dict[int, Projection]:
    """The projections of a board page's hires, in a few queries for all of them."""
    return queries.projections_for(list(hires), today)


def capacity_chart(report) -> str | None:
    """The capacity chart of a report (ramp.forecast.workforce.CapacityReport): effective FTE
    per placement by week, hires and planned classes together, and the heads of all; None
    without rows."""
    if not report.rows:
        return None
    index = {w: i for i, w in enumerate(report.weeks)}
    placements = sorted({r.placement for r in report.rows})
    fte = {p: [0.0] * len(report.weeks) for p in placements}
    heads = [0.0] * len(report.weeks)
    for t in report.totals:
        fte[t.placement][index[t.week]] = t.effective_fte
        heads[index[t.week]] += t.heads
    title = _("Effective FTE by week and placement, with the heads of all placements (dashed)")
    return capacity_svg(
        "capacity",
        title,
        [w.isoformat() for w in report.weeks],
        [(p, fte[p]) for p in placements],
        heads,
        _("heads"),
    )


def worded_reason(reason: str | None) -> str:
    """Why a curve or a benchmark fell back, in the reader's language: the counted shortfalls
    and the fixed reasons; an optimizer's own message is shown as it came."""
    if isinstance(reason, Shortfall):
        if reason.unit == "hires":
            return ngettext(
                "%(num)d hire with figures, %(need)d needed",
                "%(num)d hires with figures, %(need)d needed",
                reason.have,
                need=reason.need,
            )
        return ngettext(
            "%(num)d week with data, %(need)d needed",
            "%(num)d weeks with data, %(need)d needed",
            reason.have,
            need=reason.need,
        )
    fixed = {
        "no curve": _("no curve"),
        "no tenured AHT target": _("no tenured AHT target"),
        "published figures (too little data to fit)": _(
            "published figures (too little data to fit)"
        ),
        "tenured target": _("tenured target"),
        "proficient hires": _("proficient hires"),
    }
    return fixed.get(reason or "", reason or "")


FILTERS = {"forecast_reason": worded_reason}
