"""Each hire's metrics by tenure week: worked out from the records after every import, read
back by the board, the hire page and the cohort comparison without touching raw records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, insert, select

from ramp import clock
from ramp.extensions import db
from ramp.metrics import formulas
from ramp.metrics.definitions import METRICS
from ramp.metrics.models import HireWeekMetric
from ramp.metrics.readings import QA_METRICS, records_by_user
from ramp.milestones.models import Hire

MEAN_METRICS = {"qa_score", "aht"}
SHARE_METRICS = {"fcr", "csat", "sla_compliance"}


CHUNK = 20  # agents whose records are held in memory at once


def refresh_weeks(user_ids: Iterable[int], today: date | None = None) -> int:
    """Recompute the weekly figures of every active hire of these agents; return rows written."""
    ids = sorted(set(user_ids))
    return sum(
        _refresh_chunk(ids[i : i + CHUNK], today or clock.today())
        for i in range(0, len(ids), CHUNK)
    )


def _refresh_chunk(ids: list[int], today: date) -> int:
    if not ids:
        return 0
    hires = list(
        db.session.execute(
            select(Hire).where(Hire.user_id.in_(ids), Hire.active.is_(True))
        ).scalars()
    )
    if not hires:
        return 0
    since = min(h.start_date for h in hires)
    qa, contacts = records_by_user({h.user_id for h in hires}, since, today)
    db.session.execute(
        delete(HireWeekMetric).where(HireWeekMetric.hire_id.in_([h.id for h in hires]))
    )
    rows = []
    for hire in hires:
        # Each record goes to its tenure week once; every metric then reads the weeks.
        weeks = {
            "qa": _by_week(qa.get(hire.user_id, ()), hire.start_date),
            "contacts": _by_week(contacts.get(hire.user_id, ()), hire.start_date),
        }
        for metric in METRICS:
            by_week = weeks["qa" if metric in QA_METRICS else "contacts"]
            for week, records in by_week.items():
                figure = formulas.compute(metric, records)
                if figure.sample == 0:
                    continue
                rows.append(
                    {
                        "hire_id": hire.id,
                        "metric": metric,
                        "week": week,
                        "sample": figure.sample,
                        "value": figure.value,
                        "total": figure.value * figure.sample if metric in MEAN_METRICS else None,
                        "hits": round(figure.value * figure.sample / 100)
                        if metric in SHARE_METRICS
                        else None,
                    }
                )
    for i in range(0, len(rows), 1000):
        db.session.execute(insert(HireWeekMetric), rows[i : i + 1000])
    return len(rows)


def _by_week(dated: Iterable, start: date) -> dict[int, list]:
    """Records (DatedRecord) by tenure week from the start date; earlier ones left out."""
    by_week: dict[int, list] = defaultdict(list)
    for r in dated:
        if r.day >= start:
            by_week[(r.day - start).days // 7 + 1].append(r.record)
    return by_week


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
