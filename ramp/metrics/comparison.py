"""Cohort comparison: per cohort, tenure week and metric, the pooled figure, the target, and
the share of hires at target; time to proficiency per hire and per cohort.

Pooled figures come from the per-hire weekly parts (sums, counts, hits) kept by every import,
so a comparison reads a few thousand rows, not the raw records. Medians (resolution and first
response time) cannot be pooled from parts; they are read from the raw contacts.

Only the hires the viewer may see are pooled. For managers, a cohort or tenure week with
fewer hires than the minimum group size shows no pooled figures, so no filter can narrow a
figure down to one person; admins see everything.
"""

from __future__ import annotations

import io
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from ramp.accounts.models import User
from ramp.csvsafe import SafeWriter
from ramp.extensions import db
from ramp.metrics import charts, formulas
from ramp.metrics.charts import Chart
from ramp.metrics.definitions import METRICS, MetricDefinition
from ramp.metrics.display import active_targets
from ramp.metrics.models import Contact, HireWeekMetric
from ramp.metrics.targets import TargetsSpec, target_for
from ramp.metrics.weekly import MEAN_METRICS, SHARE_METRICS
from ramp.milestones.models import Cohort, Hire
from ramp.milestones.queries import visible_hires

MEDIAN_COLUMNS = {
    "resolution_time": Contact.resolution_seconds,
    "first_response_time": Contact.first_response_seconds,
}
DEFAULT_METRICS = ("qa_score", "aht", "csat", "fcr", "sla_compliance")
PROFICIENCY_METRICS = ("qa_score", "aht", "csat", "sla_compliance")


@dataclass
class WeekRow:
    week: int
    value: float | None
    sample: int
    target: float | None
    hires_at_target: int
    hires_judged: int
    hidden: bool = False

    @property
    def share_at_target(self) -> float | None:
        return 100.0 * self.hires_at_target / self.hires_judged if self.hires_judged else None


@dataclass
class CohortResult:
    cohort: Cohort
    hires: int
    weeks: dict[str, list[WeekRow]] = field(default_factory=dict)
    proficiency_days: dict[int, int | None] = field(default_factory=dict)  # hire id -> days
    hidden: bool = False

    @property
    def median_days_to_proficiency(self) -> float | None:
        days = [d for d in self.proficiency_days.values() if d is not None]
        return statistics.median(days) if days else None

    @property
    def reached(self) -> int:
        return sum(d is not None for d in self.proficiency_days.values())


@dataclass
class Comparison:
    cohorts: list[CohortResult]
    metrics: list[MetricDefinition]
    queue: str | None
    max_week: int
    charts: dict[str, Chart]
    min_hires: int = 1

    @property
    def hidden_note(self) -> str:
        return ngettext(
            "fewer than %(num)d hire: hidden to protect individuals",
            "fewer than %(num)d hires: hidden to protect individuals",
            self.min_hires,
        )


def _tenured(spec: TargetsSpec, metric: str, queue: str | None):
    # The open-ended last step is the tenured target.
    return target_for(spec, metric, 520, {"queue": queue} if queue else None)


def compare(
    cohort_ids: list[int],
    metrics: list[str],
    queue: str | None = None,
    viewer: User | None = None,
    min_hires: int = 1,
) -> Comparison:
    """The comparison of these cohorts on these metrics (optionally one queue's hires)."""
    # With a viewer, only the hires they may see are pooled; for a viewer who is not an
    # admin, groups of fewer than `min_hires` hires show no pooled figures.
    guard = 1 if viewer is None or viewer.is_admin else max(1, min_hires)
    spec = active_targets()
    metrics = [m for m in metrics if m in METRICS] or list(DEFAULT_METRICS)
    cohorts = list(
        db.session.execute(
            select(Cohort).where(Cohort.id.in_(cohort_ids)).order_by(Cohort.start_date)
        ).scalars()
    )
    hire_stmt = select(Hire.id, Hire.cohort_id, Hire.start_date).where(
        Hire.cohort_id.in_([c.id for c in cohorts]), Hire.active.is_(True)
    )
    if queue:
        hire_stmt = hire_stmt.where(Hire.queue == queue)
    if viewer is not None:
        visible = visible_hires(viewer).with_only_columns(Hire.id)
        hire_stmt = hire_stmt.where(Hire.id.in_(visible))
    hires = db.session.execute(hire_stmt).all()
    hires_by_cohort: dict[int, list] = defaultdict(list)
    for h in hires:
        hires_by_cohort[h.cohort_id].append(h)
    wanted = set(metrics) | set(PROFICIENCY_METRICS)
    parts = db.session.execute(
        select(
            HireWeekMetric.hire_id,
            HireWeekMetric.metric,
            HireWeekMetric.week,
            HireWeekMetric.sample,
            HireWeekMetric.total,
            HireWeekMetric.hits,
            HireWeekMetric.value,
        ).where(
            HireWeekMetric.hire_id.in_([h.id for h in hires]), HireWeekMetric.metric.in_(wanted)
        )
    ).all()
    by_hire: dict[int, dict[str, dict[int, tuple]]] = defaultdict(lambda: defaultdict(dict))
    for row in parts:
        by_hire[row.hire_id][row.metric][row.week] = row
    results = []
    max_week = 0
    for cohort in cohorts:
        members = hires_by_cohort.get(cohort.id, [])
        result = CohortResult(cohort, len(members), hidden=len(members) < guard)
        for metric in metrics:
            if result.hidden:
                result.weeks[metric] = []
                continue
            definition = METRICS[metric]
            weeks: dict[int, dict] = defaultdict(
                lambda: {"sample": 0, "total": 0.0, "hits": 0, "at": 0, "judged": 0, "hires": 0}
            )
            for h in members:
                for week, row in by_hire[h.id][metric].items():
                    w = weeks[week]
                    w["hires"] += 1
                    w["sample"] += row.sample
                    w["total"] += row.total or 0.0
                    w["hits"] += row.hits or 0
                    target = target_for(spec, metric, week, {"queue": queue} if queue else None)
                    if target and row.value is not None and row.sample >= target.min_sample:
                        w["judged"] += 1
                        w["at"] += definition.meets(row.value, target.value)
            medians = _pooled_medians(metric, members) if metric in MEDIAN_COLUMNS else {}
            rows = []
            for week in sorted(weeks):
                w = weeks[week]
                if metric in MEAN_METRICS:
                    value = w["total"] / w["sample"] if w["sample"] else None
                elif metric in SHARE_METRICS:
                    value = 100.0 * w["hits"] / w["sample"] if w["sample"] else None
                else:
                    value = medians.get(week)
                target = target_for(spec, metric, week, {"queue": queue} if queue else None)
                row = WeekRow(
                    week, value, w["sample"], target.value if target else None, w["at"], w["judged"]
                )
                if w["hires"] < guard:
                    row = WeekRow(week, None, 0, row.target, 0, 0, hidden=True)
                rows.append(row)
                max_week = max(max_week, week)
            result.weeks[metric] = rows
        for h in [] if result.hidden else members:
            result.proficiency_days[h.id] = _days_to_proficiency(spec, by_hire[h.id], queue)
        results.append(result)
    svgs = {}
    for metric in metrics:
        definition = METRICS[metric]
        series = [
            charts.Series(r.cohort.name, [(w.week, w.value) for w in r.weeks[metric]])
            for r in results
        ]
        path = [
            (
                w,
                (
                    t.value
                    if (t := target_for(spec, metric, w, {"queue": queue} if queue else None))
                    else None
                ),
            )
            for w in range(1, max_week + 1)
        ]
        svgs[metric] = charts.line_chart(
            f"compare-{metric}",
            _("%(metric)s, pooled by cohort", metric=definition.label),
            series,
            max(max_week, 1),
            kind=charts.kind_of(definition.unit),
            target=path,
            higher_is_better=definition.higher_is_better,
            fmt=definition.format,
            axis_title=definition.label,
        )
    return Comparison(results, [METRICS[m] for m in metrics], queue, max_week, svgs, guard)


def _pooled_medians(metric: str, members) -> dict[int, float]:
    """Exact pooled medians per tenure week, from the raw contacts of the cohort's hires."""
    column = MEDIAN_COLUMNS[metric]
    values: dict[int, list[float]] = defaultdict(list)
    starts = {h.id: h.start_date for h in members}
    if not members:
        return {}
    rows = db.session.execute(
        select(Hire.id, Contact.metric_date, column)
        .join(Contact, Contact.user_id == Hire.user_id)
        .where(
            Hire.id.in_(list(starts)), column.is_not(None), Contact.metric_date >= Hire.start_date
        )
    )
    for hire_id, day, value in rows:
        values[(day - starts[hire_id]).days // 7 + 1].append(value)
    return {w: formulas.median(v) for w, v in values.items()}


def _days_to_proficiency(spec: TargetsSpec, weeks_by_metric, queue: str | None) -> int | None:
    """Days from the start to the end of the second of two weeks running at every tenured target."""
    met_weeks: set[int] | None = None
    for metric in PROFICIENCY_METRICS:
        target = _tenured(spec, metric, queue)
        if target is None:
            continue
        definition = METRICS[metric]
        ok = {
            week
            for week, row in weeks_by_metric.get(metric, {}).items()
            if row.value is not None
            and row.sample >= target.min_sample
            and definition.meets(row.value, target.value)
        }
        met_weeks = ok if met_weeks is None else met_weeks & ok
    if not met_weeks:
        return None
    for week in sorted(met_weeks):
        if week + 1 in met_weeks:
            return 7 * (week + 1)
    return None


# The CSV's column names, in the reader's language; its values stay machine-readable.
COMPARISON_CSV_HEADER = (
    _l("cohort"),
    _l("start_date"),
    _l("hires"),
    _l("metric"),
    _l("tenure_week"),
    _l("pooled_value"),
    _l("records"),
    _l("target"),
    _l("hires_at_target"),
    _l("hires_judged"),
    _l("share_at_target"),
    _l("note"),
)


def comparison_csv(result: Comparison) -> str:
    """The comparison as CSV: one row per cohort, metric and tenure week (ISO dates, plain
    numbers; the header in the reader's language)."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow([str(name) for name in COMPARISON_CSV_HEADER])
    for r in result.cohorts:
        first = [r.cohort.name, r.cohort.start_date.isoformat(), r.hires]
        for definition in result.metrics:
            if r.hidden:
                writer.writerow([*first, definition.name, *[""] * 7, result.hidden_note])
            for w in r.weeks.get(definition.name, []):
                if w.hidden:
                    writer.writerow(
                        [
                            *first,
                            definition.name,
                            w.week,
                            "",
                            "",
                            "" if w.target is None else w.target,
                            "",
                            "",
                            "",
                            result.hidden_note,
                        ]
                    )
                    continue
                writer.writerow(
                    [
                        *first,
                        definition.name,
                        w.week,
                        "" if w.value is None else round(w.value, 2),
                        w.sample,
                        "" if w.target is None else w.target,
                        w.hires_at_target,
                        w.hires_judged,
                        "" if w.share_at_target is None else round(w.share_at_target, 1),
                        "",
                    ]
                )
    return out.getvalue()
