"""Each hire's metrics by tenure week: worked out from the records after every import, read
back by the board, the hire page and the cohort comparison without touching raw records.

The database works them out, set-based, for a batch of agents at a time: one INSERT ...
SELECT for the means and shares of each table (one pass over its records, grouped by hire
and tenure week) and one per median. They are the figures of formulas.py over the same
records (tests/integration/test_aggregates.py checks it), read from the outcomes derived at
import: a mean is sum ÷ count, a share 100 × hits ÷ known, a median the middle value or the
mean of the middle two (percentile_cont on PostgreSQL, ranks within the week on SQLite).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
)

from ramp import clock
from ramp.extensions import db
from ramp.metrics.models import Contact, HireWeekMetric, QAEvaluation
from ramp.milestones.models import Hire

MEAN_METRICS = {"qa_score", "aht"}
SHARE_METRICS = {"fcr", "csat", "sla_compliance"}
MEDIAN_METRICS = ("resolution_time", "first_response_time")

# Agents per batch of statements: their ids are bound parameters, and SQLite before 3.32
# allows 999 per statement.
CHUNK = 500


@dataclass(frozen=True)
class _Source:
    """What one metric reads: the record's value, and when a record counts toward it."""

    value: Any  # a column of QAEvaluation or Contact
    counts: tuple = ()  # conditions beyond "the value is known", as in the formulas


# The records each metric counts are those the formulas count: a solved contact for FCR and
# resolution time, a rating for CSAT. (A derived outcome is kept on a re-import that cannot
# work it out again; the raw field decides whether the record counts, as in formulas.py.)
_SOURCES = {
    "qa_score": _Source(QAEvaluation.percent),
    "aht": _Source(Contact.handle_seconds),
    "fcr": _Source(Contact.first_contact_resolved, (Contact.solved_at.is_not(None),)),
    "csat": _Source(Contact.csat_good, (Contact.csat_rating.is_not(None),)),
    "sla_compliance": _Source(Contact.sla_outcome),
    "resolution_time": _Source(Contact.resolution_seconds, (Contact.solved_at.is_not(None),)),
    "first_response_time": _Source(Contact.first_response_seconds),
}
# Metrics whose parts one pass over a table gives; a median needs its own (a sort).
_GROUPS = ((QAEvaluation, ("qa_score",)), (Contact, ("aht", "fcr", "csat", "sla_compliance")))

_COLUMNS = ["hire_id", "metric", "week", "sample", "total", "hits", "value"]


def refresh_weeks(user_ids: Iterable[int], today: date | None = None) -> int:
    """Recompute the weekly figures of every active hire of these agents; return rows written."""
    ids = sorted(set(user_ids))
    today = today or clock.today()
    return sum(_refresh_chunk(ids[i : i + CHUNK], today) for i in range(0, len(ids), CHUNK))


def _refresh_chunk(ids: list[int], today: date) -> int:
    hires = select(Hire.id, Hire.user_id, Hire.start_date).where(
        Hire.user_id.in_(ids), Hire.active.is_(True)
    )
    db.session.execute(
        delete(HireWeekMetric).where(HireWeekMetric.hire_id.in_(hires.with_only_columns(Hire.id)))
    )
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if not postgresql:
        # SQLite counts days between julian day numbers: the start's is worked out once.
        hires = hires.add_columns(func.julianday(Hire.start_date).label("start_day"))
    weeks = _Weeks(hires.subquery("h"), today, postgresql)
    for stmt in Grouped(weeks.dated, postgresql).every():
        db.session.execute(insert(HireWeekMetric).from_select(_COLUMNS, stmt))
    # Counted afterwards: a driver need not report the rows of an INSERT that starts WITH.
    return db.session.execute(
        select(func.count()).where(HireWeekMetric.hire_id.in_(hires.with_only_columns(Hire.id)))
    ).scalar_one()


@dataclass(frozen=True)
class _Weeks:
    """The records of a batch of hires, by hire and tenure week (see Grouped)."""

    hires: Any  # subquery: id, user_id, start_date (and start_day on SQLite)
    today: date
    postgresql: bool

    def dated(self, model, *columns):
        """The records of the hires' agents from each start date to today, by tenure week."""
        h, day = self.hires, model.metric_date
        if self.postgresql:
            days = day - h.c.start_date
        else:
            days = cast(func.julianday(day) - h.c.start_day, Integer)
        # Tenure week 1 is days 0-6 from the start date; a record before it counts for none.
        return (
            select(h.c.id.label("owner"), (days // 7 + 1).label("bucket"), *columns)
            .join_from(model, h, model.user_id == h.c.user_id)
            .where(day >= h.c.start_date, day <= self.today)
        )


@dataclass(frozen=True)
class Grouped:
    """The SELECTs of every metric's figure per group of records: (owner, metric, bucket,
    sample, total, hits, value) rows, one per owner and bucket where the metric has a record.

    `dated(model, *columns)` selects a table's records labelled with their group, `owner` and
    `bucket` (a hire and its tenure week here; an agent or a team and a calendar period for
    periods.py), beside the columns asked for.
    """

    dated: Callable[..., Any]
    postgresql: bool

    def parts(self, model, metrics: Iterable[str]):
        """Means and shares of one table in one pass: the count and sum, or count and hits, of
        every metric per group, then one row per metric where it has a record."""
        metrics = list(metrics)
        # Each metric's value where the record counts toward it, else NULL.
        r = self.dated(
            model,
            *(case((_counts(metric), _SOURCES[metric].value)).label(metric) for metric in metrics),
        ).subquery("r")
        columns = []
        for metric in metrics:
            value = r.c[metric]
            columns.append(func.count(value).label(f"{metric}_n"))
            if metric in MEAN_METRICS:
                columns.append(func.sum(value).label(f"{metric}_sum"))
            else:
                columns.append(func.sum(case((value.is_(True), 1), else_=0)).label(f"{metric}_sum"))
        p = select(r.c.owner, r.c.bucket, *columns).group_by(r.c.owner, r.c.bucket).cte("p")
        rows = []
        for metric in metrics:
            n, part = p.c[f"{metric}_n"], p.c[f"{metric}_sum"]
            # Floating-point division on both databases, as in the formulas.
            if metric in MEAN_METRICS:
                figures = (part, null(), cast(part, Float) / cast(n, Float))
            else:
                figures = (null(), part, cast(part, Float) * 100.0 / cast(n, Float))
            rows.append(select(p.c.owner, literal(metric), p.c.bucket, n, *figures).where(n > 0))
        return union_all(*rows)

    def median(self, metric: str):
        """The median of one metric per group: the middle value, or the mean of the middle
        two (percentile_cont on PostgreSQL; on SQLite, by rank within the group)."""
        source = _SOURCES[metric]
        model = source.value.class_
        r = self.dated(model, source.value.label("v")).where(_counts(metric)).subquery("r")
        if self.postgresql:
            value = func.percentile_cont(0.5).within_group(r.c.v)
            return select(
                r.c.owner, literal(metric), r.c.bucket, func.count(), null(), null(), value
            ).group_by(r.c.owner, r.c.bucket)
        group = (r.c.owner, r.c.bucket)
        ranked = select(
            r,
            func.row_number().over(partition_by=group, order_by=r.c.v).label("rank"),
            func.count().over(partition_by=group).label("n"),
        ).subquery("ranked")
        # Ranks (n + 1) / 2 and (n + 2) / 2 in integer division: the middle one of an odd
        # count, the middle two of an even one.
        n = ranked.c.n
        return (
            select(
                ranked.c.owner,
                literal(metric),
                ranked.c.bucket,
                func.max(n),
                null(),
                null(),
                func.avg(ranked.c.v),
            )
            .where(ranked.c.rank.in_(((n + 1) // 2, (n + 2) // 2)))
            .group_by(ranked.c.owner, ranked.c.bucket)
        )

    def every(self, metrics: Iterable[str] | None = None):
        """The SELECTs of these metrics (all by default): each table's means and shares in one
        pass, then each median."""
        wanted = set(metrics) if metrics is not None else None

        def asked(names):
            return [m for m in names if wanted is None or m in wanted]

        passes = [(model, asked(names)) for model, names in _GROUPS]
        return [self.parts(model, names) for model, names in passes if names] + [
            self.median(metric) for metric in asked(MEDIAN_METRICS)
        ]


def _counts(metric: str):
    """Whether a record counts toward the metric: its value is known, and as the formula says."""
    source = _SOURCES[metric]
    return and_(source.value.is_not(None), *source.counts)


@dataclass(frozen=True)
class WeekFigure:
    week: int
    value: float | None
    sample: int


def weeks_of(
    hire_ids: Iterable[int], metrics: Iterable[str] | None = None
) -> dict[int, dict[str, list[WeekFigure]]]:
    """Weekly figures per hire and metric, in week order, in one query."""
    ids = list(set(hire_ids))
    out: dict[int, dict[str, list[WeekFigure]]] = {i: {} for i in ids}
    if not ids:
        return out
    stmt = select(HireWeekMetric).where(HireWeekMetric.hire_id.in_(ids))
    if metrics is not None:
        stmt = stmt.where(HireWeekMetric.metric.in_(list(metrics)))
    for row in db.session.execute(stmt.order_by(HireWeekMetric.week)).scalars():
        out[row.hire_id].setdefault(row.metric, []).append(
            WeekFigure(row.week, row.value, row.sample)
        )
    return out
