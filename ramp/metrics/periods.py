"""Every agent's and every team's metrics by calendar week or month, tenured agents included.

The same formulas as the weekly figures of hires (weekly.Grouped builds the SQL): records
are grouped by agent (or by the agent's team, pooled) and by the calendar period their
metric date falls in, a week starting on Monday or a month. Worked out when asked, from the
records: leadership reports read a few teams over a few periods at a time.
"""

from __future__ import annotations

import calendar
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from babel.dates import format_skeleton
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, cast, func, select, true

from ramp import formatting
from ramp.accounts.models import Role, Team, User
from ramp.csvsafe import SafeWriter
from ramp.extensions import db
from ramp.metrics.definitions import METRICS, MetricDefinition
from ramp.metrics.weekly import Grouped
from ramp.milestones.models import Hire

GRAINS = ("week", "month")
MAX_PERIODS = 26  # periods in one report: half a year of weeks, two years of months


PERIODS_SHOWN = {"week": 8, "month": 6}  # by default: two months of weeks, half a year of months


@dataclass(frozen=True)
class Choice:
    """What a team performance report shows: a team, a grain, how many periods, which metrics."""

    team: Team | None
    grain: str
    count: int
    metrics: list[str]


def choose(
    teams: list[Team],
    team: str | None = None,
    grain: str | None = None,
    periods: str | None = None,
    metrics: Iterable[str] = (),
) -> tuple[Choice, list[str]]:
    """A report's choices from a request's text, among the teams the viewer may see; with a
    sentence for each that cannot be (and a default in its place)."""
    problems = []
    grain = grain or "week"
    if grain not in GRAINS:
        problems.append(_("Show figures by week or by month (grain=week or grain=month)."))
        grain = "week"
    count = PERIODS_SHOWN[grain]
    if periods:
        if periods.isdecimal() and 1 <= int(periods) <= MAX_PERIODS:
            count = int(periods)
        else:
            problems.append(_("Show between 1 and %(most)s periods.", most=MAX_PERIODS))
    metrics = list(dict.fromkeys(metrics))
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        problems.append(
            _(
                "There is no metric '%(metric)s'; the metrics are %(metrics)s.",
                metric=unknown[0],
                metrics=", ".join(METRICS),
            )
        )
    metrics = [m for m in metrics if m in METRICS] or list(METRICS)
    chosen = teams[0] if teams else None
    if team:
        found = [t for t in teams if str(t.id) == team]
        if not found:
            problems.append(_("There is no such team among the teams you lead."))
        chosen = found[0] if found else chosen
    return Choice(chosen, grain, count, metrics), problems


@dataclass(frozen=True)
class Figure:
    value: float
    sample: int


# owner id -> metric -> period start -> figure
Figures = dict[int, dict[str, dict[date, Figure]]]


def period_start(day: date, grain: str) -> date:
    """The first day of the period a day falls in: its week's Monday, or its month's 1st."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def period_end(start: date, grain: str) -> date:
    """The last day of the period that starts on `start`."""
    if grain == "week":
        return start + timedelta(days=6)
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def last_periods(today: date, grain: str, count: int) -> list[date]:
    """The starts of the `count` periods up to the one holding today, oldest first."""
    starts = [period_start(today, grain)]
    while len(starts) < count:
        starts.append(period_start(starts[-1] - timedelta(days=1), grain))
    return starts[::-1]


def label(start: date, grain: str) -> str:
    """How a period is headed, in the reader's language: "Nov 23" for the week starting then
    ("23 nov" in Spanish), "Nov 2026" for a month ("nov 2026")."""
    if grain == "week":
        return formatting.short_date(start)
    return format_skeleton("yMMM", start, locale=formatting.current_locale())


def figures(
    owners: str,
    ids: Iterable[int],
    start: date,
    end: date,
    grain: str,
    metrics: Iterable[str] | None = None,
) -> Figures:
    """Each metric's figure (of `metrics`, all by default) per agent (owners="agent") or per
    team, pooled ("team"), and per calendar period of `grain`, from the records dated
    start..end (whole periods: the caller passes a period's first day and another's last)."""
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}")
    ids = sorted(set(ids))
    out: Figures = defaultdict(lambda: defaultdict(dict))
    if not ids:
        return out
    postgresql = db.session.get_bind().dialect.name == "postgresql"

    def dated(model, *columns):
        day = model.metric_date
        if postgresql:
            bucket = cast(func.date_trunc(grain, day), Date)
        elif grain == "week":
            bucket = func.date(day, "-6 days", "weekday 1")  # the Monday on or before
        else:
            bucket = func.date(day, "start of month")
        if owners == "agent":
            owner, joined = model.user_id, (true(),)
        else:  # the team's agents with an account in use, as the team's rows list them
            owner, joined = User.team_id, (User.role == Role.AGENT, User.is_active_account)
        return (
            select(owner.label("owner"), bucket.label("bucket"), *columns)
            .join_from(model, User, model.user_id == User.id)
            .where(owner.in_(ids), *joined, day >= start, day <= end)
        )

    for stmt in Grouped(dated, postgresql).every(metrics):
        for owner, metric, bucket, sample, _total, _hits, value in db.session.execute(stmt):
            if value is None:
                continue
            if isinstance(bucket, str):  # SQLite's date() is text
                bucket = date.fromisoformat(bucket)
            out[owner][metric][bucket] = Figure(float(value), int(sample))
    return out


@dataclass
class AgentRow:
    agent: User
    hire: bool  # in an active ramp plan (not yet tenured)
    figures: dict[str, dict[date, Figure]] = field(default_factory=dict)


@dataclass
class TeamPerformance:
    team: Team
    grain: str
    periods: list[date]
    metrics: list[MetricDefinition]
    agents: list[AgentRow]
    pooled: dict[str, dict[date, Figure]]

    @property
    def end(self) -> date:
        return period_end(self.periods[-1], self.grain)


def team_performance(
    team: Team, grain: str, periods: list[date], metrics: Iterable[str] | None = None
) -> TeamPerformance:
    """A team's agents and the team itself, each metric by calendar period."""
    chosen = [METRICS[m] for m in (metrics or METRICS)]
    agents = list(
        db.session.execute(
            select(User)
            .where(User.team_id == team.id, User.role == Role.AGENT, User.is_active_account)
            .order_by(User.name, User.id)
        ).scalars()
    )
    ramping = set(
        db.session.execute(
            select(Hire.user_id).where(
                Hire.active.is_(True), Hire.user_id.in_([a.id for a in agents])
            )
        ).scalars()
    )
    start, end = periods[0], period_end(periods[-1], grain)
    names = [d.name for d in chosen]
    per_agent = figures("agent", [a.id for a in agents], start, end, grain, names)
    pooled = figures("team", [team.id], start, end, grain, names).get(team.id, {})
    return TeamPerformance(
        team=team,
        grain=grain,
        periods=periods,
        metrics=chosen,
        agents=[AgentRow(a, a.id in ramping, dict(per_agent.get(a.id, {}))) for a in agents],
        pooled=dict(pooled),
    )


# The CSV's column names, in the reader's language; its values stay machine-readable.
CSV_HEADER = (
    _l("team"),
    _l("agent"),
    _l("email"),
    _l("in_ramp"),
    _l("period_start"),
    _l("period_end"),
    _l("metric"),
    _l("value"),
    _l("unit"),
    _l("sample"),
)


def performance_csv(report: TeamPerformance) -> str:
    """One row per agent (and the team, pooled), metric and period that has a figure."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow([str(name) for name in CSV_HEADER])
    rows = [("(team)", "", "", report.pooled)] + [
        (r.agent.name, r.agent.email, "yes" if r.hire else "no", r.figures) for r in report.agents
    ]
    for name, email, in_ramp, by_metric in rows:
        for definition in report.metrics:
            for start in report.periods:
                figure = by_metric.get(definition.name, {}).get(start)
                if figure is None:
                    continue
                writer.writerow(
                    [
                        report.team.name,
                        name,
                        email,
                        in_ramp,
                        start.isoformat(),
                        period_end(start, report.grain).isoformat(),
                        definition.name,
                        round(figure.value, 2),
                        definition.unit,
                        figure.sample,
                    ]
                )
    return out.getvalue()
