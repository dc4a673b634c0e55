"""Metrics aggregated by the database over stored records (the same figures as formulas.py).

Means and shares are computed in SQL from the outcomes derived at import; medians read the
one column they need, sorted, and take the median with the same function as the formulas.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import case, func, select

from ramp.extensions import db
from ramp.metrics import formulas
from ramp.metrics.models import Contact, QAEvaluation


def _share(flag) -> tuple:
    # 100 × true ÷ known, over the rows where the outcome is known.
    return (func.sum(case((flag.is_(True), 1), else_=0)), func.count(flag))


def aggregate(
    metric: str, user_ids: Iterable[int], since: date, until: date
) -> formulas.MetricValue:
    """One metric over these agents' records dated in [since, until], by the database."""
    ids = list(user_ids)
    if metric == "qa_score":
        where = (QAEvaluation.user_id.in_(ids), QAEvaluation.metric_date.between(since, until))
        mean, n = db.session.execute(
            select(func.avg(QAEvaluation.percent), func.count(QAEvaluation.percent)).where(*where)
        ).one()
        return formulas.MetricValue(float(mean) if n else None, n)
    where = (Contact.user_id.in_(ids), Contact.metric_date.between(since, until))
    if metric == "aht":
        mean, n = db.session.execute(
            select(func.avg(Contact.handle_seconds), func.count(Contact.handle_seconds)).where(
                *where
            )
        ).one()
        return formulas.MetricValue(float(mean) if n else None, n)
    flags = {
        "fcr": (Contact.first_contact_resolved, Contact.solved_at.is_not(None)),
        "csat": (Contact.csat_good, None),
        "sla_compliance": (Contact.sla_outcome, None),
    }
    if metric in flags:
        flag, extra = flags[metric]
        stmt = select(*_share(flag)).where(*where)
        if extra is not None:
            stmt = stmt.where(extra)
        hits, n = db.session.execute(stmt).one()
        return formulas.MetricValue(100.0 * int(hits or 0) / n if n else None, n)
    columns = {
        "resolution_time": Contact.resolution_seconds,
        "first_response_time": Contact.first_response_seconds,
    }
    if metric in columns:
        column = columns[metric]
        values = list(
            db.session.execute(
                select(column).where(*where, column.is_not(None)).order_by(column)
            ).scalars()
        )
        if not values:
            return formulas.MetricValue(None, 0)
        p90 = formulas.percentile(values, 90) if metric == "resolution_time" else None
        return formulas.MetricValue(formulas.median(values), len(values), p90)
    raise ValueError(f"unknown metric '{metric}'")
