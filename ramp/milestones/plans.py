"""From a template version to a hire's plan, and from stored rows to evaluation inputs.

Plain translation between the stored document/rows and the pure evaluation's values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from ramp.metrics.definitions import METRICS
from ramp.milestones.evaluation import Criteria, MetricCriterion, MilestonePlan, SignOff
from ramp.milestones.template_spec import TemplateSpec

STATUS_RANK = {"missed": 5, "at_risk": 4, "on_track": 2, "upcoming": 1, "achieved": 0, "waived": 0}


def template_from_document(document: dict) -> TemplateSpec:
    """The spec stored with a template version."""
    return TemplateSpec.model_validate(document)


def phase_dates(spec: TemplateSpec, start: date) -> list[tuple[str, date, date | None]]:
    """Each phase with its first day and the day after its last (None: open-ended)."""
    out = []
    for name, (first, end) in spec.phase_bounds().items():
        out.append(
            (name, start + timedelta(days=first), start + timedelta(days=end) if end else None)
        )
    return out


def phase_on(spec: TemplateSpec, start: date, today: date) -> str:
    """The hire's phase on a date; 'upcoming' before the start date."""
    if today < start:
        return "upcoming"
    current = "upcoming"
    for name, first, _ in phase_dates(spec, start):
        if today >= first:
            current = name
    return current


def criteria_document(criteria) -> dict:
    """A milestone's criteria as stored JSON (plain values)."""
    return criteria.model_dump(mode="json")


def to_criteria(doc: dict) -> Criteria:
    """Stored criteria JSON to the evaluation's value."""
    metrics = tuple(
        MetricCriterion(
            metric=m["metric"],
            threshold=float(m["threshold"]),
            window_days=int(m["window_days"]),
            min_sample=int(m["min_sample"]),
            weeks_running=int(m.get("weeks_running") or 1),
            higher_is_better=METRICS[m["metric"]].higher_is_better,
        )
        for m in doc.get("metrics", ())
    )
    return Criteria(
        modules=tuple(doc.get("modules", ())),
        assessments=tuple(doc.get("assessments", ())),
        sign_off=bool(doc.get("sign_off")),
        metrics=metrics,
    )


def to_plans(
    rows, phase_starts: dict[str, date], criteria: Mapping[str, Criteria]
) -> list[MilestonePlan]:
    """PlanMilestone rows (or plain rows of their columns) to the evaluation's plans, with
    each milestone's criteria by key."""
    return [
        MilestonePlan(
            key=row.key,
            title=row.title,
            phase_start=phase_starts.get(row.phase, row.due_date),
            due=row.due_date,
            criteria=criteria[row.key],
            parent=row.parent_key,
            optional=row.optional,
            waived=row.waived,
            achieved_on=row.achieved_on,
        )
        for row in rows
    ]


def sign_offs_of(rows, names: dict[int, str]) -> dict[str, SignOff]:
    """Recorded sign-offs by milestone key."""
    return {
        row.key: SignOff(by=names.get(row.signed_off_by_id, "a manager"), on=row.signed_off_on)
        for row in rows
        if row.signed_off_on is not None
    }
