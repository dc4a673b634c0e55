"""The metric math: evaluation percents, contact outcomes, the seven metrics and tenure days.

Plain values in, plain values out: no Flask, no database. Naive datetimes are taken as UTC.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any, NamedTuple


@dataclass(frozen=True)
class QACategory:
    """One scored category of a QA evaluation."""

    score: float | None  # None: N/A, left out
    max_score: float
    min_score: float = 0.0
    weight: float = 1.0
    critical: bool = False


@dataclass(frozen=True)
class QAEval:
    """One QA evaluation of an agent's interaction."""

    score: float | None
    max_score: float | None
    critical_fail: bool = False
    categories: tuple[QACategory, ...] = ()
    evaluated_at: datetime | None = None
    interaction_at: datetime | None = None


class ContactRec(NamedTuple):
    """One contact (ticket, chat or call) handled by an agent.

    A named tuple rather than a frozen dataclass: the weekly figures build one per stored
    contact, and a tuple is made several times faster.
    """

    created_at: datetime
    first_response_at: datetime | None = None
    solved_at: datetime | None = None
    handle_seconds: float | None = None
    reopens: int | None = None
    contacts_to_resolve: int | None = None
    csat_rating: float | None = None
    csat_min: float = 1.0
    csat_max: float = 5.0
    sla_met: bool | None = None
    sla_target_seconds: float | None = None
    # The wait for a first response as exported, for exports without its time.
    first_response_seconds: float | None = None


@dataclass(frozen=True)
class MetricValue:
    """A metric's figure and the number of records behind it."""

    value: float | None  # None: no record counts
    sample: int  # records that count toward this metric
    p90: float | None = None  # resolution_time only


# Helpers ---------------------------------------------------------------------------------


def _aware(moment: datetime) -> datetime:
    """The datetime itself when it has a zone; a naive one taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _seconds_between(start: datetime, end: datetime) -> float:
    """Seconds from `start` to `end`, naive ends taken as UTC."""
    if start.tzinfo is None and end.tzinfo is None:  # both UTC (stored records): as they are
        return (end - start).total_seconds()
    return (_aware(end) - _aware(start)).total_seconds()


def _percent(part: int, whole: int) -> float | None:
    """`part` of `whole` as a percent; None when `whole` is 0."""
    return 100.0 * part / whole if whole else None


def median(values: Iterable[float]) -> float:
    """The median (statistics.median: the mean of the middle two for an even count)."""
    return float(statistics.median(values))


def percentile(values: Iterable[float], p: float) -> float:
    """The p-th percentile by linear interpolation between closest ranks ("inclusive" method)."""
    data = sorted(values)
    if not data:
        raise statistics.StatisticsError("percentile requires at least one data point")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be between 0 and 100, not {p}")
    if len(data) == 1:
        return float(data[0])
    # Same arithmetic as statistics.quantiles(n=100, method="inclusive"), so whole p match it exactly.
    j, delta = divmod(p * (len(data) - 1), 100)
    j = int(j)
    upper = data[j + 1] if j + 1 < len(data) else data[j]
    return float((data[j] * (100 - delta) + upper * delta) / 100)


# QA --------------------------------------------------------------------------------------


def _category_percent(c: QACategory) -> float | None:
    """(score − min) ÷ (max − min) × 100; None when N/A or the range is empty."""
    if c.score is None or c.max_score == c.min_score:
        return None
    return (c.score - c.min_score) / (c.max_score - c.min_score) * 100


def evaluation_percent(e: QAEval) -> float | None:
    """The evaluation's percent: weighted category mean, else score ÷ max; 0 on a critical fail."""
    return percent_of(e.score, e.max_score, e.critical_fail, e.categories)


def percent_of(
    score: float | None,
    max_score: float | None,
    critical_fail: bool,
    categories: Sequence[QACategory] = (),
) -> float | None:
    """evaluation_percent from the evaluation's fields (imports call it once per row)."""
    if critical_fail:
        return 0.0
    if categories:
        scored = [(c, pct) for c in categories if (pct := _category_percent(c)) is not None]
        if any(c.critical and pct < 50 for c, pct in scored):
            return 0.0
        total_weight = math.fsum(c.weight for c, _ in scored)
        if total_weight:
            return math.fsum(c.weight * pct for c, pct in scored) / total_weight
    # No usable category (none, or all N/A): fall back on the overall score.
    if score is None or not max_score:
        return None
    return score / max_score * 100


def qa_metric_date(e: QAEval) -> datetime | None:
    """The interaction's time when known, else the evaluation's time; None when neither is."""
    moment = e.interaction_at or e.evaluated_at
    return _aware(moment) if moment is not None else None


def qa_score(evals: Sequence[QAEval]) -> MetricValue:
    """Mean evaluation percent over the evaluations that have one."""
    percents = [p for e in evals if (p := evaluation_percent(e)) is not None]
    return MetricValue(statistics.fmean(percents) if percents else None, len(percents))


# Contacts --------------------------------------------------------------------------------


def contact_metric_date(c: ContactRec) -> datetime:
    """The solved time when solved, else the created time."""
    return _aware(c.solved_at if c.solved_at is not None else c.created_at)


def csat_is_good(rating: float, low: float, high: float) -> bool:
    """Whether a rating is in the top quarter of its scale (4–5 of 1–5, 8–10 of 1–10 or 0–10)."""
    if high <= low:
        raise ValueError(f"a rating scale must run upwards, not {low}..{high}")
    # Cross-multiplied so that 4 on 1–5 is exactly 0.75 with no float rounding.
    return 4 * (rating - low) >= 3 * (high - low)


def first_contact_resolved(c: ContactRec) -> bool | None:
    """Solved with no reopen and in one contact; None when unsolved or neither is known."""
    return resolved_first_time(c.solved_at, c.reopens, c.contacts_to_resolve)


def resolved_first_time(
    solved_at: datetime | None, reopens: int | None, contacts_to_resolve: int | None
) -> bool | None:
    """first_contact_resolved from the contact's fields (imports call it once per row)."""
    if solved_at is None or (reopens is None and contacts_to_resolve is None):
        return None
    no_reopen = reopens is None or reopens == 0
    one_contact = contacts_to_resolve is None or contacts_to_resolve == 1
    return no_reopen and one_contact


def sla_outcome(c: ContactRec) -> bool | None:
    """The SLA outcome as exported, else first response − created ≤ target; None when unknown."""
    return sla_result(
        c.sla_met,
        c.sla_target_seconds,
        c.created_at,
        c.first_response_at,
        c.first_response_seconds,
    )


def first_response_seconds(
    created_at: datetime, first_response_at: datetime | None, exported: float | None = None
) -> float | None:
    """First response − created in seconds; without a first-response time, the exported wait."""
    if first_response_at is not None:
        return _seconds_between(created_at, first_response_at)
    return exported


def sla_result(
    sla_met: bool | None,
    target_seconds: float | None,
    created_at: datetime,
    first_response_at: datetime | None,
    exported_first_response: float | None = None,
) -> bool | None:
    """sla_outcome from the contact's fields (imports call it once per row)."""
    if sla_met is not None:
        return sla_met
    if target_seconds is None:
        return None
    waited = first_response_seconds(created_at, first_response_at, exported_first_response)
    return None if waited is None else waited <= target_seconds


def fcr(contacts: Sequence[ContactRec]) -> MetricValue:
    """Solved contacts resolved on first contact ÷ solved contacts with that information × 100."""
    outcomes = [o for c in contacts if (o := first_contact_resolved(c)) is not None]
    return MetricValue(_percent(sum(outcomes), len(outcomes)), len(outcomes))


def aht(contacts: Sequence[ContactRec]) -> MetricValue:
    """Mean handle seconds over the contacts that have them."""
    seconds = [c.handle_seconds for c in contacts if c.handle_seconds is not None]
    return MetricValue(statistics.fmean(seconds) if seconds else None, len(seconds))


def resolution_time(contacts: Sequence[ContactRec]) -> MetricValue:
    """Median and p90 of solved − created, in seconds, over solved contacts."""
    seconds = [
        _seconds_between(c.created_at, c.solved_at) for c in contacts if c.solved_at is not None
    ]
    if not seconds:
        return MetricValue(None, 0)
    return MetricValue(median(seconds), len(seconds), percentile(seconds, 90))


def first_response_time(contacts: Sequence[ContactRec]) -> MetricValue:
    """Median of first response − created, in seconds, over contacts with a first response
    (its time, or else the wait as exported)."""
    seconds = [
        s
        for c in contacts
        if (
            s := first_response_seconds(c.created_at, c.first_response_at, c.first_response_seconds)
        )
        is not None
    ]
    return MetricValue(median(seconds) if seconds else None, len(seconds))


def csat(contacts: Sequence[ContactRec]) -> MetricValue:
    """Good ratings ÷ all ratings × 100."""
    good = [
        csat_is_good(c.csat_rating, c.csat_min, c.csat_max)
        for c in contacts
        if c.csat_rating is not None
    ]
    return MetricValue(_percent(sum(good), len(good)), len(good))


def sla_compliance(contacts: Sequence[ContactRec]) -> MetricValue:
    """Contacts that met their SLA ÷ contacts with a known outcome × 100."""
    outcomes = [o for c in contacts if (o := sla_outcome(c)) is not None]
    return MetricValue(_percent(sum(outcomes), len(outcomes)), len(outcomes))


_FORMULAS: dict[str, Callable[[Any], MetricValue]] = {
    "qa_score": qa_score,
    "fcr": fcr,
    "aht": aht,
    "resolution_time": resolution_time,
    "first_response_time": first_response_time,
    "csat": csat,
    "sla_compliance": sla_compliance,
}


def compute(metric: str, records: Sequence[QAEval] | Sequence[ContactRec]) -> MetricValue:
    """The named metric over the records (QA evaluations for qa_score, contacts otherwise)."""
    try:
        formula = _FORMULAS[metric]
    except KeyError:
        raise ValueError(f"unknown metric: {metric!r}") from None
    return formula(records)


# Tenure ----------------------------------------------------------------------------------


def tenure_day(start: date, on: datetime | date, tz: tzinfo | None = None) -> int:
    """Days from the start date (day 0) to `on`, a datetime first converted to `tz` (UTC)."""
    if isinstance(on, datetime):
        on = _aware(on).astimezone(tz or UTC).date()
    return (on - start).days


def tenure_week_of(start: date, on: datetime | date, tz: tzinfo | None = None) -> int:
    """Tenure week: 1 for days 0–6, 2 for days 7–13, …; 0 before the start."""
    day = tenure_day(start, on, tz)
    return day // 7 + 1 if day >= 0 else 0
