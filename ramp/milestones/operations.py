"""Changes to templates, cohorts, hires and plans. They flush; the caller commits.

Every change a manager or admin makes to a hire's record is written to the audit trail
(HireEvent) and followed by a fresh evaluation of that hire.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import yaml
from flask_babel import gettext as _
from sqlalchemy import JSON, TypeDecorator, bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ramp import clock
from ramp.accounts.models import Role, Team, User
from ramp.accounts.operations import find_user_by_email, manages
from ramp.audit.operations import record
from ramp.curricula import queries as curricula_queries
from ramp.curricula.models import CurriculumVersion
from ramp.curricula.operations import enroll
from ramp.curricula.rules import done_and_passed, progress
from ramp.errors import NotAllowed, ValidationError
from ramp.events import announce, listening
from ramp.extensions import db
from ramp.formatting import format_date
from ramp.metrics import readings
from ramp.metrics.display import active_targets, placement_dict
from ramp.metrics.targets import Target, TargetsSpec, target_for
from ramp.metrics.weekly import refresh_weeks
from ramp.milestones import inputs, plans
from ramp.milestones.evaluation import (
    Evidence,
    MetricReading,
    coaching_overdue,
    evaluate_plan,
    next_milestone,
    raise_for_coaching,
    tenure_week,
)
from ramp.milestones.models import (
    Cohort,
    Hire,
    HireEvent,
    Placement,
    PlanMilestone,
    RampTemplate,
    RampTemplateVersion,
    placement_label,
)
from ramp.milestones.template_spec import (
    TemplateFileError,
    TemplateSpec,
    parse_template,
    template_to_document,
)

PLACEMENT_FIELDS = ("queue", "channel", "tier", "product_line", "language", "skills")
CHANNELS = ("phone", "chat", "email", "social")


# Templates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplatePublishResult:
    version: RampTemplateVersion
    created: bool


def publish_template(spec: TemplateSpec, published_by: User | None = None) -> TemplatePublishResult:
    """Publish a checked template as its next version, unless the content is unchanged."""
    template = db.session.execute(
        select(RampTemplate).where(RampTemplate.slug == spec.slug)
    ).scalar_one_or_none()
    if template is None:
        template = RampTemplate(slug=spec.slug)
        db.session.add(template)
        db.session.flush()
    document = template_to_document(spec)
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    latest = db.session.execute(
        select(RampTemplateVersion)
        .where(RampTemplateVersion.template_id == template.id)
        .order_by(RampTemplateVersion.number.desc())
        .limit(1)
    ).scalar_one_or_none()
    if latest is not None and latest.content_hash == digest:
        return TemplatePublishResult(latest, created=False)
    version = RampTemplateVersion(
        template=template,
        number=latest.number + 1 if latest else 1,
        title=spec.title,
        content_hash=digest,
        document=document,
        published_by_id=published_by.id if published_by else None,
    )
    db.session.add(version)
    db.session.flush()
    record(
        published_by,
        "template.publish",
        f"template:{template.id}",
        slug=spec.slug,
        version=version.number,
    )
    return TemplatePublishResult(version, created=True)


def curriculum_modules(version: CurriculumVersion) -> dict[str, bool]:
    """A curriculum version's module slugs, each with whether it has a knowledge check."""
    loaded = curricula_queries.load_version(version.id)
    return {m.slug: m.assessment is not None for m in loaded.modules}


# Cohorts ---------------------------------------------------------------------------------


def create_cohort(
    name: str,
    start_date: date,
    template_version: RampTemplateVersion | None,
    curriculum_version: CurriculumVersion | None = None,
    team: Team | None = None,
    actor: User | None = None,
) -> Cohort:
    """Create a hiring class; its template must fit its curriculum version."""
    problems = []
    name = name.strip()
    if not name:
        problems.append(_("the cohort needs a name"))
    elif db.session.execute(select(Cohort.id).where(Cohort.name == name)).first():
        problems.append(_("a cohort named '%(name)s' already exists", name=name))
    if template_version is None:
        problems.append(_("choose a ramp template"))
    else:
        spec = plans.template_from_document(template_version.document)
        if curriculum_version is None:
            curriculum_version = curricula_queries.find_version(spec.curriculum)
        if curriculum_version is None:
            problems.append(
                _(
                    "the template needs the curriculum '%(curriculum)s', which is not published",
                    curriculum=spec.curriculum,
                )
            )
        else:
            modules = curriculum_modules(curriculum_version)
            named = {
                s for m in spec.milestones for s in (*m.criteria.modules, *m.criteria.assessments)
            }
            unknown = sorted(named - set(modules))
            if unknown:
                problems.append(
                    _(
                        "the template names modules that %(curriculum)s does not have: %(modules)s",
                        curriculum=curriculum_version.label,
                        modules=", ".join(unknown),
                    )
                )
    if problems:
        raise ValidationError(problems)
    cohort = Cohort(
        name=name,
        start_date=start_date,
        template_version=template_version,
        curriculum_version=curriculum_version,
        team=team,
    )
    db.session.add(cohort)
    db.session.flush()
    record(
        actor,
        "cohort.create",
        f"cohort:{cohort.id}",
        name=name,
        start_date=start_date.isoformat(),
        template=template_version.label,
        curriculum=curriculum_version.label,
        team=team.name if team else None,
    )
    return cohort


# Hires -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewHire:
    """One hire to create: from the UI form or a roster row."""

    name: str
    email: str
    start_date: date
    manager: User | None
    cohort: Cohort
    placement: dict


def clean_placement(fields: dict) -> tuple[dict, list[str]]:
    """Placement fields trimmed, with problems (unknown channel) listed."""
    out: dict = {}
    problems = []
    for key in PLACEMENT_FIELDS:
        value = fields.get(key)
        if key == "skills":
            if isinstance(value, str):
                value = [s.strip() for s in value.replace(";", ",").split(",") if s.strip()]
            out[key] = list(value or [])
            continue
        value = (value or "").strip() or None
        if key == "channel" and value is not None:
            value = value.lower()
            if value not in CHANNELS:
                problems.append(
                    _("unknown channel '%(channel)s' (phone, chat, email or social)", channel=value)
                )
        out[key] = value
    return out, problems


def managed_elsewhere(email: str) -> str:
    """Why a manager may not make another team's agent a hire."""
    return _("%(email)s is managed by another team; ask an admin to transfer them.", email=email)


def may_take_on(actor: User | None, user: User) -> bool:
    """Whether the actor may make this existing agent a hire (docs/statuses.md: who may hire)."""
    # The command line (no actor) and admins may. A manager may when the agent is in a team
    # the manager leads, or is in no team and has no hire, active or ended, that the manager
    # does not already manage. Anything else is another team's person: refused.
    if actor is None or actor.is_admin:
        return True
    if not actor.is_manager:
        return False
    if user.team_id is not None:
        return user.team is not None and user.team.manager_id == actor.id
    others = db.session.execute(select(Hire).where(Hire.user_id == user.id)).scalars()
    return all(can_manage(actor, h) for h in others)


def add_hires(new_hires: Iterable[NewHire], actor: User | None) -> list[Hire]:
    """Create hires with their agent accounts, enrollments, first placement, plan and weekly figures."""
    created = []
    for item in new_hires:
        user = find_user_by_email(item.email)
        if user is None:
            user = User(email=item.email.strip().lower(), name=item.name.strip(), role=Role.AGENT)
            db.session.add(user)
            db.session.flush()
        elif user.role is not Role.AGENT:
            raise ValidationError(
                _("%(email)s is a %(role)s, not an agent", email=user.email, role=user.role.value)
            )
        elif not may_take_on(actor, user):
            raise ValidationError(managed_elsewhere(user.email))
        elif db.session.execute(
            select(Hire.id).where(Hire.user_id == user.id, Hire.cohort_id == item.cohort.id)
        ).first():
            raise ValidationError(
                _(
                    "%(email)s is already a hire in %(cohort)s.",
                    email=user.email,
                    cohort=item.cohort.name,
                )
            )
        if item.cohort.team_id and user.team_id is None:
            user.team_id = item.cohort.team_id
        enrollment = enroll(user, item.cohort.curriculum_version)
        hire = Hire(
            user=user,
            cohort=item.cohort,
            manager=item.manager,
            enrollment=enrollment,
            start_date=item.start_date,
        )
        db.session.add(hire)
        placement, _problems = clean_placement(item.placement)
        hire.placements.append(
            Placement(
                effective_from=item.start_date,
                reason="Initial placement",
                created_by=actor,
                **placement,
            )
        )
        spec = plans.template_from_document(item.cohort.template_version.document)
        phases = dict((name, first) for name, first, _ in plans.phase_dates(spec, item.start_date))
        for position, m in enumerate(spec.milestones):
            due = item.start_date + timedelta(days=m.due_day)
            hire.milestones.append(
                PlanMilestone(
                    key=m.key,
                    parent_key=m.parent,
                    position=position,
                    title=m.title,
                    phase=m.phase,
                    optional=m.optional,
                    criteria=plans.criteria_document(m.criteria),
                    due_date=due,
                    original_due_date=due,
                    status="on_track"
                    if phases.get(m.phase, due) <= item.start_date
                    else "upcoming",
                )
            )
        hire.events.append(
            HireEvent(
                actor=actor,
                action="hired",
                details={"cohort": item.cohort.name, "start_date": item.start_date.isoformat()},
            )
        )
        db.session.add(hire)
        created.append(hire)
    db.session.flush()
    # An agent may have records already (an earlier hire, a transfer): the new hire's weekly
    # figures are there at once, not after the next import.
    refresh_weeks({h.user_id for h in created})
    evaluate_hires([h.id for h in created])
    return created


def transfer_hire(
    email: str,
    cohort: Cohort,
    manager: User | None,
    actor: User | None,
    reason: str | None,
    start_date: date | None = None,
) -> Hire:
    """Move an agent to another team's cohort (admins only): old hires end, a new one begins."""
    # The agent joins the cohort's team; the new hire keeps the start date of the agent's
    # latest active hire (their tenure goes on) unless one is given.
    if actor is not None and not actor.is_admin:
        raise ValidationError(_("Only an admin can transfer an agent between teams."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give a reason for the transfer; it is kept in the audit log."))
    user = find_user_by_email(email or "")
    if user is None:
        raise ValidationError(_("There is no one with the e-mail '%(email)s'.", email=email))
    if user.role is not Role.AGENT:
        raise ValidationError(
            _("%(email)s is a %(role)s, not an agent.", email=user.email, role=user.role.value)
        )
    if manager is not None and manager.role is Role.AGENT:
        raise ValidationError(_("%(email)s is an agent, not a manager.", email=manager.email))
    previous = list(
        db.session.execute(
            select(Hire)
            .where(Hire.user_id == user.id, Hire.active.is_(True))
            .order_by(Hire.start_date.desc())
        ).scalars()
    )
    if db.session.execute(
        select(Hire.id).where(Hire.user_id == user.id, Hire.cohort_id == cohort.id)
    ).first():
        raise ValidationError(
            _("%(email)s is already a hire in %(cohort)s.", email=user.email, cohort=cohort.name)
        )
    start = start_date or (previous[0].start_date if previous else cohort.start_date)
    placement = placement_on(previous[0].placements, clock.today()) if previous else None
    for old in previous:
        old.active = False
        old.events.append(
            HireEvent(
                actor=actor, action="transfer_out", reason=reason, details={"to": cohort.name}
            )
        )
    user.team_id = cohort.team_id
    db.session.flush()
    fields = {k: getattr(placement, k) for k in PLACEMENT_FIELDS} if placement else {}
    [hire] = add_hires([NewHire(user.name, user.email, start, manager, cohort, fields)], actor)
    record(
        actor,
        "hire.transfer",
        subject=f"user:{user.id}",
        reason=reason,
        from_cohorts=[h.cohort.name for h in previous],
        to_cohort=cohort.name,
        manager=manager.email if manager else None,
        start_date=start.isoformat(),
    )
    return hire


# Actions on a hire -----------------------------------------------------------------------


def require_manager_of(actor: User, hire: Hire) -> None:
    """Refuse anyone but an admin, the hire's manager or the lead of the cohort's team."""
    if not can_manage(actor, hire):
        raise NotAllowed(
            _(
                "You do not manage %(name)s; only their manager or an admin can do this.",
                name=hire.user.name,
            )
        )


def can_manage(actor: User, hire: Hire) -> bool:
    """An admin, the hire's own manager, or the lead of the hire's team or cohort's team."""
    if actor.is_admin:
        return True
    if not actor.is_manager:
        return False
    if (
        not hire.active
        and hire.left_on is None
        and hire.user.team_id is not None
        and not manages(actor, hire.user)
    ):
        return False  # transferred to another team: the former manager no longer sees them
    if hire.manager_id == actor.id:
        return True
    if hire.cohort.team is not None and hire.cohort.team.manager_id == actor.id:
        return True
    return manages(actor, hire.user)


def require_cohorts_of(actor: User, cohorts: Iterable[Cohort]) -> None:
    """Refuse a manager adding hires to cohorts of teams they do not lead."""
    if actor.is_admin:
        return
    foreign = sorted(
        c.name for c in cohorts if c.team is not None and c.team.manager_id != actor.id
    )
    if foreign:
        raise ValidationError(
            _(
                "You can only add hires to your own teams' cohorts; not to: %(cohorts)s",
                cohorts=", ".join(foreign),
            )
        )


def lock_hire(hire: Hire) -> None:
    """Hold the hire until commit: a second change to it waits, then reads what the first wrote."""
    # A no-op UPDATE of the hire's row: a row lock on PostgreSQL, the write lock on SQLite.
    db.session.execute(
        update(Hire)
        .where(Hire.id == hire.id)
        .values(active=Hire.active)
        .execution_options(synchronize_session=False)
    )


def _won(stmt) -> bool:
    """Run a conditional UPDATE of one row; True when it changed the row (the race was won)."""
    return db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount == 1


def _last_event(hire: Hire, action: str, key: str) -> tuple[str, str] | None:
    """Who did the latest event of this kind on this milestone, and on which day."""
    event = db.session.execute(
        select(HireEvent)
        .where(
            HireEvent.hire_id == hire.id,
            HireEvent.action == action,
            HireEvent.milestone_key == key,
        )
        .order_by(HireEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if event is None:
        return None
    who = event.actor.name if event.actor else _("a former manager")
    return who, format_date(event.at)


def _signed_off(milestone: PlanMilestone) -> ValidationError:
    who = milestone.signed_off_by.name if milestone.signed_off_by else _("a former manager")
    return ValidationError(
        _(
            "“%(milestone)s” was already signed off by %(who)s on %(date)s.",
            milestone=milestone.title,
            who=who,
            date=format_date(milestone.signed_off_on),
        )
    )


def _milestone(hire: Hire, key: str) -> PlanMilestone:
    for m in hire.milestones:
        if m.key == key:
            return m
    raise ValidationError(
        _("%(name)s's plan has no milestone '%(key)s'", name=hire.user.name, key=key)
    )


def _reason(reason: str | None, missing: str) -> str:
    """The reason given, stripped; refused with the missing message when there is none."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(missing)
    return reason


def sign_off(
    hire: Hire, key: str, actor: User, note: str | None = None, today: date | None = None
) -> PlanMilestone:
    """A manager signs off a milestone that asks for it."""
    require_manager_of(actor, hire)
    milestone = _milestone(hire, key)
    if not milestone.criteria.get("sign_off"):
        raise ValidationError(
            _("“%(milestone)s” does not ask for a manager's sign-off.", milestone=milestone.title)
        )
    if milestone.signed_off_on is not None:
        raise _signed_off(milestone)
    day = today or clock.today()
    # Conditional: of two sign-offs at the same instant only one changes the row.
    if not _won(
        update(PlanMilestone)
        .where(PlanMilestone.id == milestone.id, PlanMilestone.signed_off_on.is_(None))
        .values(signed_off_by_id=actor.id, signed_off_on=day)
    ):
        db.session.refresh(milestone)
        raise _signed_off(milestone)
    milestone.signed_off_by = actor
    milestone.signed_off_on = day
    hire.events.append(
        HireEvent(
            actor=actor, action="sign_off", milestone_key=key, reason=(note or "").strip() or None
        )
    )
    db.session.flush()
    evaluate_hires([hire.id], today)
    return milestone


def waive(
    hire: Hire, key: str, actor: User, reason: str | None, today: date | None = None
) -> PlanMilestone:
    """Waive a milestone, with a reason."""
    require_manager_of(actor, hire)
    reason = _reason(
        reason, _("Give a reason to waive a milestone; it is kept in the hire's record.")
    )
    milestone = _milestone(hire, key)
    if milestone.waived or not _won(
        update(PlanMilestone)
        .where(PlanMilestone.id == milestone.id, PlanMilestone.waived.is_(False))
        .values(waived=True, waived_reason=reason)
    ):
        last = _last_event(hire, "waive", key)
        if last is None:
            raise ValidationError(
                _("“%(milestone)s” was already waived by someone else.", milestone=milestone.title)
            )
        raise ValidationError(
            _(
                "“%(milestone)s” was already waived by %(who)s on %(date)s.",
                milestone=milestone.title,
                who=last[0],
                date=last[1],
            )
        )
    milestone.waived = True
    milestone.waived_reason = reason
    hire.events.append(HireEvent(actor=actor, action="waive", milestone_key=key, reason=reason))
    db.session.flush()
    evaluate_hires([hire.id], today)
    return milestone


def extend(
    hire: Hire, key: str, new_due: date, actor: User, reason: str | None, today: date | None = None
) -> PlanMilestone:
    """Move a milestone's due date later, with a reason."""
    require_manager_of(actor, hire)
    reason = _reason(
        reason, _("Give a reason to extend a due date; it is kept in the hire's record.")
    )
    milestone = _milestone(hire, key)
    if new_due <= milestone.due_date:
        raise ValidationError(
            _(
                "The new due date must be after the current one (%(date)s).",
                date=format_date(milestone.due_date),
            )
        )
    old = milestone.due_date
    if not _won(
        update(PlanMilestone)
        .where(PlanMilestone.id == milestone.id, PlanMilestone.due_date == old)
        .values(due_date=new_due)
    ):
        db.session.refresh(milestone)
        last = _last_event(hire, "extend", key)
        if last is None:
            raise ValidationError(
                _(
                    "“%(milestone)s” was just moved to %(due)s by someone else; check the new "
                    "date and try again.",
                    milestone=milestone.title,
                    due=format_date(milestone.due_date),
                )
            )
        raise ValidationError(
            _(
                "“%(milestone)s” was just moved to %(due)s by %(who)s on %(date)s; check the new "
                "date and try again.",
                milestone=milestone.title,
                due=format_date(milestone.due_date),
                who=last[0],
                date=last[1],
            )
        )
    milestone.due_date = new_due
    hire.events.append(
        HireEvent(
            actor=actor,
            action="extend",
            milestone_key=key,
            reason=reason,
            details={"from": old.isoformat(), "to": new_due.isoformat()},
        )
    )
    db.session.flush()
    evaluate_hires([hire.id], today)
    return milestone


def check_placement(hire: Hire, effective_from: date, fields: dict) -> tuple[dict, list[str]]:
    """A new placement's fields, cleaned, and what is wrong with it (nothing is changed)."""
    placement_fields, problems = clean_placement(fields)
    if effective_from < hire.start_date:
        problems.append(
            _(
                "the placement cannot start before the hire's start date (%(date)s)",
                date=format_date(hire.start_date),
            )
        )
    if not any(placement_fields[k] for k in PLACEMENT_FIELDS):
        problems.append(_("the new placement is empty: give at least a queue or a channel"))
    return placement_fields, problems


def current_placement(hire: Hire, today: date | None = None) -> Placement | None:
    """The placement in force today; before the start, the first one planned."""
    placements = sorted(hire.placements, key=lambda p: (p.effective_from, p.id or 0))
    found = placement_on(placements, today or clock.today())
    return found or (placements[0] if placements else None)


def re_place(
    hire: Hire,
    effective_from: date,
    fields: dict,
    actor: User,
    reason: str | None,
    today: date | None = None,
) -> Placement:
    """Move a hire to another placement from a date, with a reason; the history is kept."""
    require_manager_of(actor, hire)
    reason = _reason(
        reason, _("Give a reason to re-place a hire; it is kept in the hire's record.")
    )
    placement_fields, problems = check_placement(hire, effective_from, fields)
    if problems:
        raise ValidationError(problems)
    placement = Placement(
        effective_from=effective_from, reason=reason, created_by=actor, **placement_fields
    )
    hire.placements.append(placement)
    hire.events.append(
        HireEvent(
            actor=actor,
            action="re_place",
            reason=reason,
            details={"from": effective_from.isoformat(), "placement": placement.label},
        )
    )
    db.session.flush()
    evaluate_hires([hire.id], today)
    return placement


def add_note(hire: Hire, body: str, actor: User) -> HireEvent:
    """Add a note to a hire's record."""
    require_manager_of(actor, hire)
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("The note is empty."))
    event = HireEvent(actor=actor, action="note", reason=body)
    hire.events.append(event)
    db.session.flush()
    return event


# Evaluation ------------------------------------------------------------------------------


def placement_on(placements: list[Placement], on: date) -> Placement | None:
    """The placement in force on a date: the latest that started on or before it."""
    current = None
    for p in sorted(placements, key=lambda p: (p.effective_from, p.id or 0)):
        if p.effective_from <= on:
            current = p
    return current


# A hire's summary statuses that are announced when a hire turns to them.
ALERTING = frozenset({"at_risk", "missed"})

# Hires whose inputs are held in memory at once (their records included).
EVALUATION_CHUNK = 1000


def evaluate_hires(hire_ids: list[int] | None = None, today: date | None = None) -> int:
    """Evaluate the plans of the given hires (all active ones when None); return milestones changed.

    Idempotent: a second run on the same day with the same evidence changes nothing. A hire
    whose inputs are the ones its last evaluation read (inputs.py) is skipped: evaluating it
    again would write the same results.
    """
    today = today or clock.today()
    db.session.flush()  # what the caller changed, for the plain reads below
    if hire_ids is None:
        ids = list(
            db.session.execute(
                select(Hire.id).where(Hire.active.is_(True)).order_by(Hire.id)
            ).scalars()
        )
    else:
        ids = sorted(set(hire_ids))
    changed = 0
    for i in range(0, len(ids), EVALUATION_CHUNK):
        with _no_cycle_collection():
            changed += _evaluate_chunk(ids[i : i + EVALUATION_CHUNK], today)
    return changed


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cycle collector for one chunk: a chunk makes some hundred thousand small
    rows and values that live until it ends, and each collection they set off walks every
    object of the process again (a third of the chunk's time). What a chunk leaves behind
    is freed by reference counting; the collector runs again when it ends."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _evaluate_chunk(ids: list[int], today: date) -> int:
    """Evaluate these hires from plain rows (a fixed number of queries), skipping those whose
    fingerprint is unchanged, and write what changed in one statement per table."""
    hires = inputs.hire_rows(ids) if ids else []
    if not hires:
        return 0
    # On a hire's first evaluation of a day its fingerprint (which holds the day) has changed,
    # so it will be evaluated and its stored checks compared: read them with its milestones.
    new_day = 2 * sum(h.evaluated_on != today for h in hires) > len(hires)
    milestones = inputs.milestone_rows(ids, with_checks=new_day)
    placements = inputs.placement_rows(ids)
    templates = inputs.template_plans({h.template_version_id for h in hires})
    criteria = {
        h.id: inputs.criteria_of(milestones[h.id], templates[h.template_version_id]) for h in hires
    }
    metric_criteria = {
        hid: [c for one in by_key.values() for c in one.metrics] for hid, by_key in criteria.items()
    }
    versions = inputs.enrollment_versions([h.enrollment_id for h in hires if h.enrollment_id])
    states = curricula_queries.learner_states(list(versions))
    names = inputs.signer_names(
        {m.signed_off_by_id for rows in milestones.values() for m in rows if m.signed_off_by_id}
    )
    lookback = readings.lookback_days(c for cs in metric_criteria.values() for c in cs)
    spec_of_targets = active_targets() if lookback else None
    targets_key = spec_of_targets.model_dump_json() if spec_of_targets else None
    targets = _target_lookup(spec_of_targets) if spec_of_targets else None
    with_data: set[int] = set()
    records: dict[int, readings.RecordRows] = {}
    if lookback:
        with_data = readings.users_with_records(h.user_id for h in hires if metric_criteria[h.id])
        records = readings.record_rows(with_data, today - timedelta(days=lookback), today)
    rules = inputs.rules_digest()
    due = []
    for hire in hires:
        state = states.get(hire.enrollment_id)
        own = records.get(hire.user_id, readings.RecordRows())
        key = inputs.fingerprint(
            rules,
            today,
            lookback,
            hire.user_id,
            hire.start_date,
            hire.template_version_id,
            templates[hire.template_version_id].content_hash,
            inputs.milestone_inputs(milestones[hire.id], names),
            inputs.placement_inputs(placements[hire.id]),
            hire.enrollment_id,
            versions.get(hire.enrollment_id),
            sorted(state.completed_lessons) if state else None,
            sorted(state.passed_assessments) if state else None,
            hire.user_id in with_data,
            own.qa,
            own.contacts,
            targets_key if metric_criteria[hire.id] else None,
            coaching_overdue(hire.coaching_due, today),
        )
        if key != hire.evaluation_key:
            due.append((hire, key))
    if not due:
        return 0
    outlines = curricula_queries.outlines_of(
        {versions[h.enrollment_id] for h, _ in due if h.enrollment_id in versions}
    )
    slugs = curricula_queries.module_slugs(set(outlines))
    if new_day:
        stored = {m.id: m.stored_checks for h, _ in due for m in milestones[h.id]}
    else:
        stored = inputs.stored_checks([h.id for h, _ in due])
    milestone_updates, hire_updates = [], []
    # Who turned at risk or missed, and which milestones were achieved: gathered here from
    # the rows in hand (old values beside new), announced after the writes.
    hear_status, hear_achieved = listening("hire.status_changed"), listening("milestone.achieved")
    hear_lost = listening("milestone.unachieved")
    turned: list[tuple[int, str, str]] = []
    achieved: list[tuple[int, str]] = []
    lost: list[tuple[int, str]] = []
    for hire, key in due:
        spec = templates[hire.template_version_id].spec
        phase_starts = {name: first for name, first, _ in plans.phase_dates(spec, hire.start_date)}
        completed, passed, percent = frozenset(), frozenset(), 0
        if hire.enrollment_id in versions:
            version_id, state = versions[hire.enrollment_id], states[hire.enrollment_id]
            completed, passed = done_and_passed(outlines[version_id], state, slugs[version_id])
            percent = progress(outlines[version_id], state).percent
        rows = milestones[hire.id]
        evidence = Evidence(
            modules_completed=completed,
            assessments_passed=passed,
            sign_offs=plans.sign_offs_of(rows, names),
            metrics=_readings(
                hire,
                metric_criteria[hire.id],
                # Records imported, none in the window: not enough data, not "waiting".
                records.get(hire.user_id, readings.RecordRows())
                if hire.user_id in with_data
                else None,
                placements[hire.id],
                today,
                targets,
            ),
        )
        milestone_plans = plans.to_plans(rows, phase_starts, criteria[hire.id])
        results = evaluate_plan(milestone_plans, evidence, today, spec.warning_days)
        for row in rows:
            change = _milestone_change(row, results[row.key], stored.get(row.id), today)
            if change is not None:
                milestone_updates.append(change)
                if hear_achieved and change["status"] == "achieved" and row.status != "achieved":
                    achieved.append((hire.id, row.key))
                if hear_lost and row.status == "achieved" and change["status"] != "achieved":
                    lost.append((hire.id, row.key))
        summary = _summary(
            hire, spec, milestone_plans, results, percent, placements[hire.id], today
        )
        hire_updates.append({"id": hire.id, **summary, "evaluation_key": key})
        if hear_status and summary["status"] != hire.status and summary["status"] in ALERTING:
            turned.append((hire.id, hire.status, summary["status"]))
    _write(PlanMilestone, milestone_updates, encoded=frozenset({"checks"}))
    _write(Hire, hire_updates)
    for hire_id, old, new in turned:
        announce("hire.status_changed", hire_id=hire_id, old=old, new=new)
    for hire_id, milestone_key in achieved:
        announce("milestone.achieved", hire_id=hire_id, milestone_key=milestone_key)
    for hire_id, milestone_key in lost:
        announce("milestone.unachieved", hire_id=hire_id, milestone_key=milestone_key)
    return len(milestone_updates)


def _readings(
    hire,
    criteria,
    records: readings.RecordRows | None,
    placements,
    today: date,
    targets: Callable[[str, int, dict | None], Target | None] | None,
):
    """The hire's metric readings, each with this week's glide-path target; None while no
    record of theirs was ever imported."""
    if records is None:
        return None
    qa, contacts = records.dated()
    week = tenure_week(hire.start_date, today)
    placement = placement_dict(placement_on(placements, today))
    out = {}
    figures: dict = {}  # shared by the criteria over the same metric and window
    for criterion in criteria:
        if criterion in out:
            continue  # the same criterion in another milestone
        source = qa if criterion.metric in readings.QA_METRICS else contacts
        reading = readings.reading_for(criterion, source, hire.start_date, today, figures)
        target = targets(criterion.metric, week, placement) if targets else None
        out[criterion] = MetricReading(
            reading.value, reading.sample, reading.weeks_met, target.value if target else None
        )
    return out


def _target_lookup(spec: TargetsSpec) -> Callable[[str, int, dict | None], Target | None]:
    """target_for over one targets spec, each metric, week and placement looked up once."""
    found: dict[tuple, Target | None] = {}

    def lookup(metric: str, week: int, placement: dict | None) -> Target | None:
        key = (metric, week, tuple(placement.items()) if placement else None)
        if key not in found:
            found[key] = target_for(spec, metric, week, placement)
        return found[key]

    return lookup


# json.dumps's encoder, without its guard against cycles (checks are plain trees of values).
_CHECKS_JSON = json.JSONEncoder(check_circular=False)


def _milestone_change(row, result, stored_checks: str | None, today: date) -> dict | None:
    """The milestone's new stored values, or None when they are the ones it has."""
    checks = [
        {"criterion": c.criterion, "met": c.met, "summary": c.summary, "figures": dict(c.figures)}
        for c in result.checks
    ]
    text = _CHECKS_JSON.encode(checks)
    # The same text is the same checks; other text is compared as values (it may have been
    # written with other spacing or key order). Through JSON, as the database gives it back.
    same_checks = text == stored_checks or (
        stored_checks is not None and json.loads(stored_checks) == json.loads(text)
    )
    parts = result.reason_parts
    if same_checks and (row.status, row.reason, row.achieved_on, row.reason_parts) == (
        result.status,
        result.reason,
        result.achieved_on,
        parts,
    ):
        return None
    changed_status = row.status != result.status or row.status_since is None
    return {
        "id": row.id,
        "status": result.status,
        "reason": result.reason,
        "reason_parts": parts,
        "checks": text,  # written as it is, already encoded (_EncodedJSON)
        "status_since": today if changed_status else row.status_since,
        "achieved_on": result.achieved_on,
    }


def _summary(
    hire, spec: TemplateSpec, milestone_plans, results, percent: int, placements, today: date
) -> dict:
    """The hire's board columns: phase, worst status, next milestone, progress, placement."""
    # Optional milestones never make a hire look worse than their required ones do.
    required = [results[p.key].status for p in milestone_plans if not p.optional]
    worst = max(required, key=lambda s: plans.STATUS_RANK[s], default="upcoming")
    # An overdue coaching refresher makes the hire at risk (docs/statuses.md).
    worst = raise_for_coaching(worst, hire.coaching_due, today)
    required_plans = [p for p in milestone_plans if not p.optional]
    upcoming = next_milestone(required_plans, results) or next_milestone(milestone_plans, results)
    current = placement_on(placements, today)
    return {
        "phase": plans.phase_on(spec, hire.start_date, today),
        "status": worst,
        "status_rank": plans.STATUS_RANK[worst],
        "next_milestone": upcoming.title if upcoming else None,
        "next_status": results[upcoming.key].status if upcoming else None,
        "next_due": upcoming.due if upcoming else None,
        "progress_percent": percent,
        "queue": current.queue if current else None,
        "placement_label": placement_label(current) if current else None,
        "evaluated_on": today,
    }


class _EncodedJSON(TypeDecorator):
    """A JSON column's value bound as the JSON text it already is (not encoded again)."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect):
        """The text goes to the driver as it is (PostgreSQL still gets its ::JSON cast)."""
        return None


def _write(model, changes: list[dict], encoded: frozenset[str] = frozenset()) -> None:
    """Write rows' new values by primary key, one statement run for all of them; the objects
    of those rows that the session holds show them too, as if just loaded. The new values of
    the JSON columns named in `encoded` come as their encoded text; other values as they are."""
    if not changes:
        return
    table = model.__table__
    names = [name for name in changes[0] if name != "id"]
    statement = (
        table.update()
        .where(table.c.id == bindparam("row_id"))
        .values(
            {
                name: bindparam(
                    f"new_{name}", type_=_EncodedJSON() if name in encoded else table.c[name].type
                )
                for name in names
            }
        )
    )
    db.session.execute(
        statement,
        [{"row_id": c["id"], **{f"new_{name}": c[name] for name in names}} for c in changes],
    )
    by_id = {change["id"]: change for change in changes}
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, model) and obj.id in by_id:
            for name in names:
                value = by_id[obj.id][name]
                set_committed_value(obj, name, json.loads(value) if name in encoded else value)


def check_template(text: str, filename: str = "template") -> TemplateSpec:
    """Parse a template and check its criteria against its curriculum's latest version.

    Raises TemplateFileError (problems placed by line) or ValidationError (no such curriculum).
    """
    # Find the curriculum first, so one pass reports every problem, unknown modules included.
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None  # parse_template reports it, with the line
    slug = data.get("curriculum") if isinstance(data, dict) else None
    version = curricula_queries.find_version(slug) if isinstance(slug, str) else None
    spec = parse_template(text, filename, modules=curriculum_modules(version) if version else None)
    if version is None:
        raise ValidationError(
            _(
                "%(file)s: the template names the curriculum '%(curriculum)s', which is not "
                "published; import the curriculum first.",
                file=filename,
                curriculum=spec.curriculum,
            )
        )
    return spec


def publish_template_text(text: str, published_by: User | None = None) -> TemplatePublishResult:
    """Check a template document and publish it; every problem comes back as a ValidationError."""
    try:
        spec = check_template(text, "template")
    except TemplateFileError as exc:
        raise ValidationError(exc.report().splitlines()) from None
    return publish_template(spec, published_by)


def evaluate_learner(enrollment_id: int, today: date | None = None) -> int:
    """Re-evaluate the hires whose curriculum progress lives in this enrollment."""
    hire_ids = list(
        db.session.execute(select(Hire.id).where(Hire.enrollment_id == enrollment_id)).scalars()
    )
    return evaluate_hires(hire_ids, today) if hire_ids else 0


def evaluate_users(user_ids: Iterable[int], today: date | None = None) -> int:
    """Re-evaluate the active hires of these agents (after an import of their records)."""
    ids = list(set(user_ids))
    if not ids:
        return 0
    hire_ids = list(
        db.session.execute(
            select(Hire.id).where(Hire.user_id.in_(ids), Hire.active.is_(True))
        ).scalars()
    )
    # In chunks, so the records held in memory stay bounded however many agents an import touched.
    return sum(evaluate_hires(hire_ids[i : i + 50], today) for i in range(0, len(hire_ids), 50))
