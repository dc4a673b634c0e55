"""What pages show of metrics: targets in force, a hire's weeks against them, board trends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from ramp import clock
from ramp.extensions import db
from ramp.metrics import charts
from ramp.metrics.charts import Chart
from ramp.metrics.definitions import METRICS, MetricDefinition
from ramp.metrics.models import TargetsVersion
from ramp.metrics.targets import TargetsSpec, load_targets_file, target_for
from ramp.metrics.weekly import WeekFigure, weeks_of

STARTER_TARGETS = Path(__file__).parent / "starter" / "targets.yaml"
CARD_METRICS = ("qa_score", "aht", "csat")
CHART_METRICS = ("qa_score", "aht", "csat", "fcr")


@lru_cache(maxsize=1)
def _starter() -> TargetsSpec:
    return load_targets_file(str(STARTER_TARGETS))


def active_targets() -> TargetsSpec:
    """The latest published targets, or the shipped ones until an admin publishes their own."""
    latest = db.session.execute(
        select(TargetsVersion).order_by(TargetsVersion.number.desc()).limit(1)
    ).scalar_one_or_none()
    return TargetsSpec.model_validate(latest.document) if latest else _starter()


def placement_dict(placement) -> dict | None:
    """The fields of a Placement row that target rules match on."""
    if placement is None:
        return None
    return {
        k: getattr(placement, k) for k in ("queue", "channel", "tier", "product_line", "language")
    }


@dataclass(frozen=True)
class Cell:
    week: int
    figure: WeekFigure | None
    target: float | None
    state: str  # met, short, not_enough, none

    def text(self, definition: MetricDefinition) -> str:
        if self.figure is None or self.figure.value is None:
            return "—"
        return definition.format(self.figure.value)


@dataclass(frozen=True)
class MetricRow:
    definition: MetricDefinition
    cells: list[Cell]
    min_sample: int


@dataclass(frozen=True)
class HireMetrics:
    weeks: list[int]
    rows: list[MetricRow]
    charts: dict[str, Chart]

    @property
    def empty(self) -> bool:
        return all(c.figure is None for r in self.rows for c in r.cells)


def hire_metrics(hire, today: date | None = None, max_weeks: int = 16) -> HireMetrics:
    """A hire's metrics by tenure week against the targets of the placement in force then."""
    # Imported here: ramp.milestones.operations imports this module (targets, placements).
    from ramp.milestones.operations import placement_on

    today = today or clock.today()
    spec = active_targets()
    current = max(1, (today - hire.start_date).days // 7 + 1)
    figures = weeks_of([hire.id]).get(hire.id, {})
    # Start at the first week with any record (classroom weeks have none), at most max_weeks back.
    first = min((f.week for fs in figures.values() for f in fs), default=current)
    weeks = list(range(max(1, first, current - max_weeks + 1), current + 1))
    rows, svgs = [], {}
    for name, definition in METRICS.items():
        by_week = {f.week: f for f in figures.get(name, [])}
        cells = []
        min_sample = definition.default_min_sample
        for week in weeks:
            week_end = min(hire.start_date + timedelta(days=7 * week - 1), today)
            target = target_for(
                spec, name, week, placement_dict(placement_on(hire.placements, week_end))
            )
            if target is not None:
                min_sample = target.min_sample
            figure = by_week.get(week)
            state = "none"
            if figure is not None and figure.value is not None:
                if figure.sample < (target.min_sample if target else definition.default_min_sample):
                    state = "not_enough"
                elif target is not None:
                    state = "met" if definition.meets(figure.value, target.value) else "short"
            cells.append(Cell(week, figure, target.value if target else None, state))
        rows.append(MetricRow(definition, cells, min_sample))
        if name in CHART_METRICS and any(c.figure is not None for c in cells):
            svgs[name] = charts.line_chart(
                f"hire-{hire.id}-{name}",
                _("%(metric)s of %(name)s", metric=definition.label, name=hire.user.name),
                [
                    charts.Series(
                        hire.user.name,
                        [(c.week, c.figure.value if c.figure else None) for c in cells],
                    )
                ],
                weeks=current,
                kind=charts.kind_of(definition.unit),
                target=[(c.week, c.target) for c in cells],
                higher_is_better=definition.higher_is_better,
                fmt=definition.format,
                axis_title=definition.label,
            )
    return HireMetrics(weeks, rows, svgs)


@dataclass(frozen=True)
class Trend:
    definition: MetricDefinition
    latest: WeekFigure | None
    svg: str


def board_trends(hires, today: date | None = None) -> dict[int, list[Trend]]:
    """The key metrics of each card: the last six weeks as a sparkline, the latest figure."""
    today = today or clock.today()
    spec = active_targets()
    figures = weeks_of([h.id for h in hires], CARD_METRICS)
    out: dict[int, list[Trend]] = {}
    for hire in hires:
        current = max(1, (today - hire.start_date).days // 7 + 1)
        trends = []
        for name in CARD_METRICS:
            series = {f.week: f for f in figures.get(hire.id, {}).get(name, [])}
            if not series:
                continue
            weeks = range(max(1, current - 5), current + 1)
            target = target_for(spec, name, current, {"queue": hire.queue})
            latest = next((series[w] for w in reversed(weeks) if w in series), None)
            trends.append(
                Trend(
                    METRICS[name],
                    latest,
                    charts.sparkline(
                        [series[w].value if w in series else None for w in weeks],
                        target.value if target else None,
                    ),
                )
            )
        out[hire.id] = trends
    return out
