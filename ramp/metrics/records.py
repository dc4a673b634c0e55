"""Table rows from parsed record values, with the derived outcomes worked out once."""

from __future__ import annotations

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
    "first_response_seconds", "resolution_seconds", "first_contact_resolved", "csat_good",
    "sla_outcome", "percent",
}  # fmt: skip


def _utc(moment: datetime | None) -> datetime | None:
    # Stored in UTC: SQLite keeps the wall-clock time only, so every row must share one zone.
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def contact_row(
    values: dict,
    source: str,
    user_id: int,
    run_id: int | None,
    zone: ZoneInfo,
    csat_scale: tuple[float, float] = (1.0, 5.0),
) -> dict:
    """A contacts table row from parsed values, with the outcomes derived once."""
    low, high = csat_scale
    rec = formulas.ContactRec(
        created_at=values["created_at"],
        first_response_at=values.get("first_response_at"),
        solved_at=values.get("solved_at"),
        handle_seconds=values.get("handle_seconds"),
        reopens=values.get("reopens"),
        contacts_to_resolve=values.get("contacts_to_resolve"),
        csat_rating=values.get("csat_rating"),
        csat_min=low,
        csat_max=high,
        sla_met=values.get("sla_met"),
        sla_target_seconds=values.get("sla_target_seconds"),
    )
    return {
        "source": source,
        "external_id": str(values["external_id"]),
        "user_id": user_id,
        "channel": values.get("channel"),
        "queue": values.get("queue"),
        "created_at": _utc(rec.created_at),
        "first_response_at": _utc(rec.first_response_at),
        "solved_at": _utc(rec.solved_at),
        "handle_seconds": rec.handle_seconds,
        "reopens": rec.reopens,
        "contacts_to_resolve": rec.contacts_to_resolve,
        "csat_rating": rec.csat_rating,
        "csat_min": low if rec.csat_rating is not None else None,
        "csat_max": high if rec.csat_rating is not None else None,
        "sla_met": rec.sla_met,
        "sla_target_seconds": rec.sla_target_seconds,
        "first_response_seconds": (rec.first_response_at - rec.created_at).total_seconds()
        if rec.first_response_at
        else None,
        "resolution_seconds": (rec.solved_at - rec.created_at).total_seconds()
        if rec.solved_at
        else None,
        "first_contact_resolved": formulas.first_contact_resolved(rec),
        "csat_good": formulas.csat_is_good(rec.csat_rating, low, high)
        if rec.csat_rating is not None
        else None,
        "sla_outcome": formulas.sla_outcome(rec),
        "metric_date": local_date(formulas.contact_metric_date(rec), zone),
        "import_run_id": run_id,
    }


def qa_row(
    values: dict,
    source: str,
    user_id: int,
    run_id: int | None,
    zone: ZoneInfo,
    csat_scale: tuple[float, float] | None = None,
) -> dict:
    """A qa_evaluations table row from parsed values, with the percent worked out once."""
    categories = values.get("categories") or []
    ev = formulas.QAEval(
        score=values.get("score"),
        max_score=values.get("max_score"),
        critical_fail=bool(values.get("critical_fail")),
        categories=tuple(
            formulas.QACategory(
                score=c.get("score"), max_score=c["max_score"], min_score=c.get("min_score", 0.0),
                weight=c.get("weight", 1.0), critical=c.get("critical", False),
            )
            for c in categories
        ),
        evaluated_at=values["evaluated_at"],
        interaction_at=values.get("interaction_at"),
    )  # fmt: skip
    return {
        "source": source,
        "external_id": str(values["external_id"]),
        "user_id": user_id,
        "interaction_id": values.get("interaction_id"),
        "interaction_at": _utc(ev.interaction_at),
        "evaluated_at": _utc(ev.evaluated_at),
        "scorecard": values.get("scorecard"),
        "score": ev.score,
        "max_score": ev.max_score,
        "critical_fail": ev.critical_fail,
        "categories": categories,
        "percent": formulas.evaluation_percent(ev),
        "metric_date": local_date(formulas.qa_metric_date(ev), zone),
        "import_run_id": run_id,
    }
