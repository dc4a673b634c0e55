"""Table rows from parsed record values, with the derived outcomes worked out once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from ramp.metrics import formulas


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day of a moment in the team's time zone (naive moments are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).date()


# Outcomes worked out from other fields; kept on update when the new export cannot work them out.
DERIVED = {
    "first_response_seconds",
    "resolution_seconds",
    "first_contact_resolved",
    "csat_good",
    "sla_outcome",
    "percent",
}

# The columns of a row, in the order of the tuples contact_values and qa_values return.
CONTACT_COLUMNS = (
    "source",
    "external_id",
    "user_id",
    "channel",
    "queue",
    "created_at",
    "first_response_at",
    "solved_at",
    "handle_seconds",
    "reopens",
    "contacts_to_resolve",
    "csat_rating",
    "csat_min",
    "csat_max",
    "sla_met",
    "sla_target_seconds",
    "first_response_seconds",
    "resolution_seconds",
    "first_contact_resolved",
    "csat_good",
    "sla_outcome",
    "metric_date",
    "import_run_id",
)
QA_COLUMNS = (
    "source",
    "external_id",
    "user_id",
    "interaction_id",
    "interaction_at",
    "evaluated_at",
    "scorecard",
    "score",
    "max_score",
    "critical_fail",
    "categories",
    "percent",
    "metric_date",
    "import_run_id",
)


def utc(moment: datetime | None) -> datetime | None:
    """A moment in UTC (naive moments are UTC already); None stays None."""
    # Stored in UTC: SQLite keeps the wall-clock time only, so every row must share one zone.
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _same(day: date) -> date:
    return day


def contact_values(
    values: dict,
    source: str,
    user_id: int,
    run_id: int | None,
    zone: ZoneInfo,
    csat_scale: tuple[float, float] = (1.0, 5.0),
    stamp: Callable[[datetime | None], object] = utc,
    day: Callable[[date], object] = _same,
) -> tuple:
    """A contacts row (CONTACT_COLUMNS) from parsed values, with the outcomes derived once.

    `stamp` turns each moment into what its column stores (by default the moment in UTC),
    `day` the metric date: the import writes the database's own representation directly.
    """
    get = values.get
    created = values["created_at"]
    first = get("first_response_at")
    waited = get("first_response_seconds")
    solved = get("solved_at")
    reopens = get("reopens")
    contacts_to_resolve = get("contacts_to_resolve")
    rating = get("csat_rating")
    sla_met = get("sla_met")
    target = get("sla_target_seconds")
    low, high = csat_scale
    rated = rating is not None
    return (
        source,
        str(values["external_id"]),
        user_id,
        get("channel"),
        get("queue"),
        stamp(created),
        stamp(first),
        stamp(solved),
        get("handle_seconds"),
        reopens,
        contacts_to_resolve,
        rating,
        low if rated else None,
        high if rated else None,
        sla_met,
        target,
        formulas.first_response_seconds(created, first, waited),
        (solved - created).total_seconds() if solved is not None else None,
        formulas.resolved_first_time(solved, reopens, contacts_to_resolve),
        formulas.csat_is_good(rating, low, high) if rated else None,
        formulas.sla_result(sla_met, target, created, first, waited),
        day(local_date(solved if solved is not None else created, zone)),
        run_id,
    )


def contact_row(
    values: dict,
    source: str,
    user_id: int,
    run_id: int | None,
    zone: ZoneInfo,
    csat_scale: tuple[float, float] = (1.0, 5.0),
) -> dict:
    """A contacts table row from parsed values, with the outcomes derived once."""
    row = contact_values(values, source, user_id, run_id, zone, csat_scale)
    return dict(zip(CONTACT_COLUMNS, row, strict=True))


def _categories(categories: list) -> tuple[formulas.QACategory, ...]:
    return tuple(
        formulas.QACategory(
            score=c.get("score"),
            max_score=c["max_score"],
            min_score=c.get("min_score", 0.0),
            weight=c.get("weight", 1.0),
            critical=c.get("critical", False),
        )
        for c in categories
    )


def qa_values(
    values: dict,
    source: str,
    user_id: int,
    run_id: int | None,
    zone: ZoneInfo,
    csat_scale: tuple[float, float] | None = None,
    stamp: Callable[[datetime | None], object] = utc,
    day: Callable[[date], object] = _same,
) -> tuple:
    """A qa_evaluations row (QA_COLUMNS) from parsed values, with the percent worked out once.

    `stamp` and `day` as for contact_values.
    """
    get = values.get
    categories = get("categories") or []
    score = get("score")
    max_score = get("max_score")
    critical_fail = bool(get("critical_fail"))
    evaluated = values["evaluated_at"]
    interaction = get("interaction_at")
    return (
        source,
        str(values["external_id"]),
        user_id,
        get("interaction_id"),
        stamp(interaction),
        stamp(evaluated),
        get("scorecard"),
        score,
        max_score,
        critical_fail,
        categories,
        formulas.percent_of(score, max_score, critical_fail, _categories(categories)),
        day(local_date(interaction if interaction is not None else evaluated, zone)),
        run_id,
    )


def qa_row(
    values: dict,
    source: str,
    user_id: int,
    run_id: int | None,
    zone: ZoneInfo,
    csat_scale: tuple[float, float] | None = None,
) -> dict:
    """A qa_evaluations table row from parsed values, with the percent worked out once."""
    return dict(zip(QA_COLUMNS, qa_values(values, source, user_id, run_id, zone), strict=True))
