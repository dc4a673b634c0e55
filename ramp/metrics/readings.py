"""Metric readings for milestone criteria: each hire's records over a window, and weeks met.

A fixed number of queries for any number of hires: the records of every hire in the batch
within the longest look-back are read at once and grouped in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from ramp.extensions import db
from ramp.metrics import formulas
from ramp.metrics.models import Contact, QAEvaluation
from ramp.milestones.evaluation import MetricCriterion, MetricReading

QA_METRICS = {"qa_score"}


@dataclass(frozen=True)
class DatedRecord:
    day: date
    record: object  # formulas.QAEval or formulas.ContactRec


def _qa(row) -> formulas.QAEval:
    return _qa_percent(row.percent)


def _qa_percent(percent: float | None) -> formulas.QAEval:
    # The percent was worked out at import; feeding it back as score/100 keeps it exact.
    return formulas.QAEval(score=percent, max_score=100.0 if percent is not None else None)


def _contact(row) -> formulas.ContactRec:
    # By position (the columns of records_by_user): this runs once per stored contact.
    (
        _,
        _,
        created,
        first,
        solved,
        handle,
        reopens,
        to_resolve,
        rating,
        low,
        high,
        met,
        target,
        waited,
    ) = row
    # A scale is stored only beside a rating; 0 is a real end of one (Zendesk's good/bad is 0–1).
    return formulas.ContactRec(
        created,
        first,
        solved,
        handle,
        reopens,
        to_resolve,
        rating,
        1.0 if low is None else low,
        5.0 if high is None else high,
        met,
        target,
        waited,
    )


# The columns of a contact that the formulas read, in the order _contact takes them.
CONTACT_COLUMNS = (
    Contact.user_id,
    Contact.metric_date,
    Contact.created_at,
    Contact.first_response_at,
    Contact.solved_at,
    Contact.handle_seconds,
    Contact.reopens,
    Contact.contacts_to_resolve,
    Contact.csat_rating,
    Contact.csat_min,
    Contact.csat_max,
    Contact.sla_met,
    Contact.sla_target_seconds,
    Contact.first_response_seconds,
)


def records_by_user(
    user_ids: Iterable[int], since: date, until: date
) -> tuple[dict[int, list[DatedRecord]], dict[int, list[DatedRecord]]]:
    """QA evaluations and contacts of these users dated in [since, until], two queries."""
    ids = list(set(user_ids))
    qa: dict[int, list[DatedRecord]] = defaultdict(list)
    contacts: dict[int, list[DatedRecord]] = defaultdict(list)
    if not ids:
        return qa, contacts
    for row in db.session.execute(
        select(QAEvaluation.user_id, QAEvaluation.metric_date, QAEvaluation.percent).where(
            QAEvaluation.user_id.in_(ids),
            QAEvaluation.metric_date >= since,
            QAEvaluation.metric_date <= until,
        )
    ):
        qa[row.user_id].append(DatedRecord(row.metric_date, _qa(row)))
    # Plain rows of the columns the formulas read, not ORM objects: imports touch many agents.
    for row in db.session.execute(
        select(*CONTACT_COLUMNS).where(
            Contact.user_id.in_(ids), Contact.metric_date >= since, Contact.metric_date <= until
        )
    ):
        contacts[row.user_id].append(DatedRecord(row.metric_date, _contact(row)))
    return qa, contacts


@dataclass(frozen=True)
class RecordRows:
    """One user's records in a window as stored (plain tuples, in a fixed order)."""

    qa: tuple[tuple, ...] = ()
    contacts: tuple[tuple, ...] = ()

    def dated(self) -> tuple[list[DatedRecord], list[DatedRecord]]:
        """The QA evaluations and contacts as the readings take them."""
        return (
            [DatedRecord(row[1], _qa_percent(row[2])) for row in self.qa],
            [DatedRecord(row[1], _contact(row)) for row in self.contacts],
        )


def record_rows(user_ids: Iterable[int], since: date, until: date) -> dict[int, RecordRows]:
    """Each user's records dated in [since, until] as stored, two queries. In a fixed order
    (date, then id), so the same records always give the same rows and the same sums."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    qa: dict[int, list[tuple]] = defaultdict(list)
    contacts: dict[int, list[tuple]] = defaultdict(list)
    for row in db.session.execute(
        select(QAEvaluation.user_id, QAEvaluation.metric_date, QAEvaluation.percent)
        .where(
            QAEvaluation.user_id.in_(ids),
            QAEvaluation.metric_date >= since,
            QAEvaluation.metric_date <= until,
        )
        .order_by(QAEvaluation.user_id, QAEvaluation.metric_date, QAEvaluation.id)
    ):
        qa[row[0]].append(tuple(row))
    for row in db.session.execute(
        select(*CONTACT_COLUMNS)
        .where(Contact.user_id.in_(ids), Contact.metric_date >= since, Contact.metric_date <= until)
        .order_by(Contact.user_id, Contact.metric_date, Contact.id)
    ):
        contacts[row[0]].append(tuple(row))
    return {
        uid: RecordRows(tuple(qa.get(uid, ())), tuple(contacts.get(uid, ())))
        for uid in set(qa) | set(contacts)
    }


def users_with_records(user_ids: Iterable[int]) -> set[int]:
    """The users that have any imported record at all (the others are still waiting for data)."""
    ids = list(set(user_ids))
    if not ids:
        return set()
    found = set(
        db.session.execute(
            select(QAEvaluation.user_id).where(QAEvaluation.user_id.in_(ids)).distinct()
        ).scalars()
    )
    found |= set(
        db.session.execute(
            select(Contact.user_id).where(Contact.user_id.in_(ids)).distinct()
        ).scalars()
    )
    return found


def reading_for(
    criterion: MetricCriterion,
    records: Sequence[DatedRecord],
    start: date,
    today: date,
    figures: dict | None = None,
) -> MetricReading:
    """The criterion's metric over its window ending today, and the tenure weeks met in a row.

    A week counts as met when the criterion's figure over its window ending on that week's
    last day meets the threshold, on at least the minimum sample: "QA 85 over 14 days, two
    weeks running" reads the 14-day figure at the end of each of the last two weeks.

    `figures`, when given, keeps each figure worked out (by metric, window and last day) for
    the next criterion over the same records: a plan asks for the same metric over the same
    window in several milestones, with other thresholds.
    """
    span = timedelta(days=criterion.window_days - 1)

    def over_window(last: date):
        key = (criterion.metric, criterion.window_days, last)
        if figures is not None and key in figures:
            return figures[key]
        figure = formulas.compute(
            criterion.metric, [r.record for r in records if last - span <= r.day <= last]
        )
        if figures is not None:
            figures[key] = figure
        return figure

    value = over_window(today)
    weeks_met = 0
    week = formulas.tenure_week_of(start, today)
    while week >= 1:
        last = min(start + timedelta(days=7 * week - 1), today)
        figure = value if last == today else over_window(last)
        if figure.value is None or figure.sample < criterion.min_sample:
            if last == today and week > 1:
                # The week under way may not have enough records yet: judge the last full one.
                week -= 1
                continue
            break
        meets = (
            figure.value >= criterion.threshold
            if criterion.higher_is_better
            else figure.value <= criterion.threshold
        )
        if not meets:
            break
        weeks_met += 1
        week -= 1
    return MetricReading(value=value.value, sample=value.sample, weeks_met=weeks_met)


def lookback_days(criteria: Iterable[MetricCriterion]) -> int:
    """How far back the readings of these criteria can look."""
    return max(
        (c.window_days + 7 * (c.weeks_running if c.weeks_running > 1 else 0) for c in criteria),
        default=0,
    )
