"""What a milestone evaluation reads, as plain rows, and a fingerprint of it.

A hire's evaluation is a function of these inputs and the day. Its fingerprint is stored
with the results; an evaluation that finds the same fingerprint would write the same
results again, so the hire is skipped.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from sqlalchemy import Row, Text, cast, select

from ramp.accounts.models import User
from ramp.curricula.models import Enrollment
from ramp.extensions import db
from ramp.milestones import plans
from ramp.milestones.evaluation import Criteria
from ramp.milestones.models import Cohort, Hire, Placement, PlanMilestone, RampTemplateVersion
from ramp.milestones.template_spec import TemplateSpec

# The columns the evaluation writes (its outputs), beside what it reads.
HIRE_SUMMARY = (
    "phase",
    "status",
    "status_rank",
    "next_milestone",
    "next_status",
    "next_due",
    "progress_percent",
    "queue",
    "placement_label",
    "evaluated_on",
)
MILESTONE_INPUTS = (
    "id",
    "hire_id",
    "key",
    "parent_key",
    "position",
    "title",
    "phase",
    "optional",
    "due_date",
    "waived",
    "signed_off_by_id",
    "signed_off_on",
)
MILESTONE_OUTPUTS = ("status", "reason", "reason_parts", "status_since", "achieved_on")
PLACEMENT_INPUTS = (
    "id",
    "hire_id",
    "effective_from",
    "queue",
    "channel",
    "tier",
    "product_line",
    "language",
)


@dataclass(frozen=True)
class TemplatePlan:
    """A template version as the evaluation uses it: the spec and each milestone's criteria."""

    spec: TemplateSpec
    criteria: dict[str, Criteria]  # by milestone key
    content_hash: str


# Published template versions never change, so each is parsed once, keyed by id and content
# hash (an id alone could come back with other content in a fresh database).
_TEMPLATES: dict[tuple[int, str], TemplatePlan] = {}


def forget_templates() -> None:
    """Empty the template cache (for a process that moves to another database, as tests do)."""
    _TEMPLATES.clear()


def template_plans(version_ids: Iterable[int]) -> dict[int, TemplatePlan]:
    """Each template version's spec and criteria: one query when known, parsed once each."""
    ids = set(version_ids)
    if not ids:
        return {}
    out: dict[int, TemplatePlan] = {}
    for vid, digest in db.session.execute(
        select(RampTemplateVersion.id, RampTemplateVersion.content_hash).where(
            RampTemplateVersion.id.in_(ids)
        )
    ):
        key = (vid, digest)
        if key not in _TEMPLATES:
            if len(_TEMPLATES) > 256:
                _TEMPLATES.clear()
            document = db.session.get(RampTemplateVersion, vid).document
            spec = plans.template_from_document(document)
            # Through the stored form, as a hire's plan stores them (add_hires), so a
            # milestone's criteria read the same from its row or from here.
            criteria = {
                m.key: plans.to_criteria(plans.criteria_document(m.criteria))
                for m in spec.milestones
            }
            _TEMPLATES[key] = TemplatePlan(spec, criteria, digest)
        out[vid] = _TEMPLATES[key]
    return out


def criteria_of(rows: Iterable[Row], template: TemplatePlan) -> dict[str, Criteria]:
    """The criteria of each milestone row, by key: copied from its template version when the
    hire was taken on and never changed since, so read from the version (parsed once)."""
    out = {}
    for row in rows:
        found = template.criteria.get(row.key)
        if found is None:  # not from this version: read the row's own copy
            stored = db.session.execute(
                select(PlanMilestone.criteria).where(PlanMilestone.id == row.id)
            ).scalar_one()
            found = plans.to_criteria(stored)
        out[row.key] = found
    return out


def hire_rows(hire_ids: list[int]) -> list[Row]:
    """The hires with their template version, inputs and stored summary, in one query."""
    columns = [getattr(Hire, name) for name in HIRE_SUMMARY]
    return list(
        db.session.execute(
            select(
                Hire.id,
                Hire.user_id,
                Hire.start_date,
                Hire.enrollment_id,
                Hire.evaluation_key,
                Hire.coaching_due,
                Cohort.template_version_id,
                *columns,
            )
            .join(Cohort, Hire.cohort_id == Cohort.id)
            .where(Hire.id.in_(hire_ids))
            .order_by(Hire.id)
        )
    )


def milestone_rows(hire_ids: list[int], with_checks: bool = False) -> dict[int, list[Row]]:
    """Each hire's plan milestones in plan order, without their criteria; with the checks
    they last stored (as the JSON text, `stored_checks`) only when asked."""
    out: dict[int, list[Row]] = defaultdict(list)
    names = (*MILESTONE_INPUTS, *MILESTONE_OUTPUTS)
    checks = [cast(PlanMilestone.checks, Text).label("stored_checks")] if with_checks else []
    for row in db.session.execute(
        select(*(getattr(PlanMilestone, n) for n in names), *checks)
        .where(PlanMilestone.hire_id.in_(hire_ids))
        .order_by(PlanMilestone.hire_id, PlanMilestone.position, PlanMilestone.id)
    ):
        out[row.hire_id].append(row)
    return out


def stored_checks(hire_ids: list[int]) -> dict[int, str]:
    """The checks each milestone last stored, as the JSON text (by milestone id)."""
    if not hire_ids:
        return {}
    return dict(
        db.session.execute(
            select(PlanMilestone.id, cast(PlanMilestone.checks, Text)).where(
                PlanMilestone.hire_id.in_(hire_ids)
            )
        ).all()
    )


def placement_rows(hire_ids: list[int]) -> dict[int, list[Row]]:
    """Each hire's placements, oldest first."""
    out: dict[int, list[Row]] = defaultdict(list)
    for row in db.session.execute(
        select(*(getattr(Placement, n) for n in PLACEMENT_INPUTS))
        .where(Placement.hire_id.in_(hire_ids))
        .order_by(Placement.hire_id, Placement.effective_from, Placement.id)
    ):
        out[row.hire_id].append(row)
    return out


def enrollment_versions(enrollment_ids: list[int]) -> dict[int, int]:
    """The curriculum version of each enrollment."""
    if not enrollment_ids:
        return {}
    return dict(
        db.session.execute(
            select(Enrollment.id, Enrollment.version_id).where(Enrollment.id.in_(enrollment_ids))
        ).all()
    )


def signer_names(user_ids: set[int]) -> dict[int, str]:
    """The names of the managers who signed milestones off."""
    if not user_ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())


# Fingerprints ------------------------------------------------------------------------------

# The code that turns the inputs into results: a release that changes any of it changes
# every fingerprint, so nothing judged by the old rules is kept.
RULES = (
    "ramp.milestones.evaluation",
    "ramp.milestones.plans",
    "ramp.milestones.inputs",
    "ramp.milestones.operations",
    "ramp.metrics.readings",
    "ramp.metrics.formulas",
    "ramp.metrics.targets",
    "ramp.metrics.definitions",
    "ramp.curricula.rules",
)


@cache
def rules_digest() -> str:
    """A digest of the code of the evaluation and of the rules it applies."""
    digest = hashlib.blake2b(digest_size=16)
    for name in RULES:
        digest.update(Path(find_spec(name).origin).read_bytes())
    return digest.hexdigest()


def fingerprint(*parts: object) -> str:
    """A digest of plain values (dates, numbers, strings, and tuples of them)."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def milestone_inputs(rows: Iterable[Row], names: dict[int, str]) -> tuple:
    """What the evaluation reads from a hire's milestone rows, signers' names included."""
    return tuple((*row[: len(MILESTONE_INPUTS)], names.get(row.signed_off_by_id)) for row in rows)


def placement_inputs(rows: Iterable[Row]) -> tuple:
    """What the evaluation reads from a hire's placements."""
    return tuple(tuple(row) for row in rows)
