"""Readiness sign-off, issuing, batches, revocation and lookup of certificates.

Operations flush, never commit, except the batch job, which commits after each
certificate so its progress can be watched and a failure keeps what was issued before it.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from ramp.accounts.models import User, utcnow
from ramp.certificates import readiness
from ramp.certificates.codes import SELECTOR, format_code, new_code, normalize_code
from ramp.certificates.credential import build_credential, sign_credential
from ramp.certificates.models import Certificate, CertificateBatch, ReadinessSignOff
from ramp.certificates.status import LIST_BITS
from ramp.curricula import queries as curricula_queries
from ramp.curricula.models import Assessment, Attempt, Module
from ramp.curricula.rules import done_and_passed
from ramp.errors import NotAllowed, ValidationError
from ramp.events import announce
from ramp.extensions import db
from ramp.formatting import format_date
from ramp.metrics.records import utc
from ramp.milestones.models import Cohort, Hire, HireEvent, PlanMilestone, RampTemplateVersion
from ramp.milestones.operations import can_manage, lock_hire, require_manager_of
from ramp.milestones.plans import template_from_document
from ramp.milestones.template_spec import ReadinessSpec

RECERTIFY_DAYS = 30


# Readiness --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Readiness:
    """One hire's readiness: what is missing (empty when ready) and the evidence behind it."""

    hire_id: int
    missing: tuple[readiness.Gap, ...]
    facts: readiness.ReadinessFacts
    enrolled: bool = True

    @property
    def ready(self) -> bool:
        return self.enrolled and not self.missing

    @property
    def ready_but_sign_off(self) -> bool:
        """Everything done except the manager's readiness sign-off."""
        return self.enrolled and self.missing == (readiness.SIGN_OFF,)

    @cached_property
    def gaps(self) -> tuple[str, ...]:
        """What is missing, in the reader's language (worded when first read: a list of
        many hires' readiness that only counts the ready words none)."""
        worded = [readiness.word(gap, self.facts) for gap in self.missing]
        if not self.enrolled:
            worded.insert(0, _("not enrolled in the curriculum"))
        return tuple(worded)


def _readiness_specs(version_ids: set[int]) -> dict[int, ReadinessSpec | None]:
    """What readiness asks for under each ramp template version."""
    return {
        v.id: template_from_document(v.document).readiness
        for v in db.session.execute(
            select(RampTemplateVersion).where(RampTemplateVersion.id.in_(version_ids))
        ).scalars()
    }


def lacking_a_milestone(hires: list[Hire]) -> set[int]:
    """The hires (ids) with a milestone their readiness asks for and that is neither achieved
    nor waived: whatever else they have done, they are neither ready nor awaiting sign-off.
    One query on the milestones' hire and status, so a list of many hires looks in full
    (readiness_of) only at the others. The rule is readiness.missing's: `all` asks for
    every milestone that is not optional, a list for the milestones it names."""
    by_version: dict[int, list[int]] = {}
    for hire in hires:
        by_version.setdefault(hire.cohort.template_version_id, []).append(hire.id)
    asked = []
    for version_id, selection in _readiness_specs(set(by_version)).items():
        selection = (selection or ReadinessSpec()).milestones
        if selection == "none":
            continue
        which = (
            PlanMilestone.optional.is_(False)
            if selection == "all"
            else PlanMilestone.key.in_(list(selection))
        )
        asked.append(and_(PlanMilestone.hire_id.in_(by_version[version_id]), which))
    if not asked:
        return set()
    return set(
        db.session.execute(
            select(PlanMilestone.hire_id)
            .distinct()
            .where(PlanMilestone.status.not_in(readiness.DONE_STATUSES), or_(*asked))
        ).scalars()
    )


def readiness_of(hires: list[Hire]) -> dict[int, Readiness]:
    """The readiness of many hires in a fixed number of queries."""
    if not hires:
        return {}
    enrollment_ids = [h.enrollment_id for h in hires if h.enrollment_id]
    enrollments = curricula_queries.enrollment_versions(enrollment_ids)
    version_ids = set(enrollments.values())
    contents = curricula_queries.contents_of(version_ids)
    outlines = {vid: content.outline for vid, content in contents.items()}
    states = curricula_queries.learner_states(enrollment_ids)
    slugs = {mid: slug for content in contents.values() for mid, slug in content.slugs.items()}
    sign_offs = {
        s.hire_id: s
        for s in db.session.execute(
            select(ReadinessSignOff)
            .where(ReadinessSignOff.hire_id.in_([h.id for h in hires]))
            .options(selectinload(ReadinessSignOff.signed_off_by))
        ).scalars()
    }
    # Plain rows of the few columns readiness reads: no ORM objects, no JSON to parse.
    milestones: dict[int, list[readiness.MilestoneFact]] = {h.id: [] for h in hires}
    for hire_id, key, title, status, optional in db.session.execute(
        select(
            PlanMilestone.hire_id,
            PlanMilestone.key,
            PlanMilestone.title,
            PlanMilestone.status,
            PlanMilestone.optional,
        )
        .where(PlanMilestone.hire_id.in_(list(milestones)))
        .order_by(PlanMilestone.hire_id, PlanMilestone.position)
    ):
        milestones[hire_id].append(readiness.MilestoneFact(key, title, status, optional))
    specs = _readiness_specs({h.cohort.template_version_id for h in hires})
    # What every hire on one curriculum version shares: its modules' titles and checks.
    shared = {
        vid: (
            {slugs[m.id]: m.title for m in outline},
            tuple(slugs[m.id] for m in outline if m.assessment_id),
        )
        for vid, outline in outlines.items()
    }
    out: dict[int, Readiness] = {}
    for hire in hires:
        spec = specs[hire.cohort.template_version_id]
        version_id = enrollments.get(hire.enrollment_id)
        modules = outlines.get(version_id, [])
        titles, checks = shared.get(version_id, ({}, ()))
        state = states.get(hire.enrollment_id) if version_id is not None else None
        sign_off = sign_offs.get(hire.id)
        done, passed = done_and_passed(modules, state, slugs)
        facts = readiness.ReadinessFacts(
            module_titles=titles,
            check_modules=checks,
            modules_done=done,
            checks_passed=passed,
            milestones=tuple(milestones[hire.id]),
            signed_off_by=(
                (sign_off.signed_off_by.name if sign_off.signed_off_by else _("a former manager"))
                if sign_off
                else None
            ),
        )
        missing = tuple(readiness.missing(spec, facts))
        out[hire.id] = Readiness(hire.id, missing, facts, enrolled=version_id is not None)
    return out


def sign_off_ready(hire: Hire, actor: User, note: str | None = None) -> ReadinessSignOff:
    """A manager states the hire is ready; allowed once everything else is done."""
    require_manager_of(actor, hire)
    lock_hire(hire)  # a second sign-off at the same instant waits here, then sees the first
    existing = db.session.execute(
        select(ReadinessSignOff).where(ReadinessSignOff.hire_id == hire.id)
    ).scalar_one_or_none()
    if existing is not None:
        who = existing.signed_off_by.name if existing.signed_off_by else _("a former manager")
        raise ValidationError(
            _(
                "%(name)s is already signed off as ready by %(who)s on %(date)s.",
                name=hire.user.name,
                who=who,
                date=format_date(utc(existing.signed_off_at)),
            )
        )
    state = readiness_of([hire])[hire.id]
    if not state.ready_but_sign_off:
        raise ValidationError(
            [_("%(name)s cannot be signed off as ready yet; still missing:", name=hire.user.name)]
            + [g for g in state.gaps if g != str(readiness.SIGN_OFF_GAP)]
        )
    sign_off = ReadinessSignOff(hire=hire, signed_off_by=actor, note=(note or "").strip() or None)
    db.session.add(sign_off)
    db.session.add(HireEvent(hire=hire, actor=actor, action="ready_sign_off", reason=sign_off.note))
    db.session.flush()
    return sign_off


# Issuing ----------------------------------------------------------------------------------


def certificate_status(cert: Certificate, now: datetime | None = None) -> str:
    """valid, expired or revoked; revoked wins over everything."""
    if cert.revoked_at is not None:
        return "revoked"
    now = now or utcnow()
    return "expired" if utc(cert.expires_at) <= now else "valid"


def status_clause(status: str, now: datetime | None = None):
    """certificate_status(cert) == status, as a SQL condition."""
    now = now or utcnow()
    if status == "revoked":
        return Certificate.revoked_at.is_not(None)
    if status == "valid":
        return and_(Certificate.revoked_at.is_(None), Certificate.expires_at > now)
    return and_(Certificate.revoked_at.is_(None), Certificate.expires_at <= now)


# Newest first: the order every list of certificates is read in.
NEWEST_FIRST = (Certificate.issued_at.desc(), Certificate.id.desc())


def certified_hires(hire_ids: list[int]) -> set[int]:
    """Which of these hires hold a certificate that is neither revoked nor expired."""
    if not hire_ids:
        return set()
    return set(
        db.session.execute(
            select(Certificate.hire_id).where(
                Certificate.hire_id.in_(hire_ids), status_clause("valid")
            )
        ).scalars()
    )


def latest_valid(certs: list[Certificate], now: datetime | None = None) -> Certificate | None:
    """Of a hire's certificates newest first, the latest neither revoked nor expired."""
    now = now or utcnow()
    return next((c for c in certs if certificate_status(c, now) == "valid"), None)


def renewable(cert: Certificate, now: datetime | None = None) -> bool:
    """Whether a valid certificate is inside its recertification window."""
    now = now or utcnow()
    return utc(cert.expires_at) - now <= timedelta(days=RECERTIFY_DAYS)


def _best_scores(enrollment_id: int | None) -> dict[str, tuple[int, int]]:
    """Module slug -> (best score, attempts) of one enrollment's knowledge checks."""
    if enrollment_id is None:
        return {}
    rows = db.session.execute(
        select(Module.slug, func.max(Attempt.score), func.count())
        .join(Assessment, Assessment.id == Attempt.assessment_id)
        .join(Module, Module.id == Assessment.module_id)
        .where(Attempt.enrollment_id == enrollment_id)
        .group_by(Module.slug)
    )
    return {slug: (best, count) for slug, best, count in rows}


def _snapshot(
    hire: Hire, state: Readiness, actor: User, org: str, override: str | None, base_url: str
) -> dict:
    """The evidence, frozen: what the certificate says however the records change later."""
    version = hire.cohort.template_version
    enrollment = hire.enrollment
    curriculum = enrollment.version if enrollment else None
    facts = state.facts
    scores = _best_scores(hire.enrollment_id)
    return {
        # Where the certificate is verified, fixed when it is issued: the PDF's QR code and
        # the credential always name the same address, whatever a later request says.
        "base_url": base_url.rstrip("/"),
        "credential_id": f"urn:uuid:{uuid.uuid4()}",
        "subject_id": f"urn:uuid:{uuid.uuid4()}",
        "agent": hire.user.name,
        "organization": org,
        "cohort": hire.cohort.name,
        "placement": hire.placement_label or hire.queue or "",
        "template": {
            "slug": version.template.slug,
            "title": version.title,
            "version": version.number,
        },
        "curriculum": (
            {
                "slug": curriculum.curriculum.slug,
                "title": curriculum.title,
                "version": curriculum.number,
            }
            if curriculum
            else None
        ),
        "modules_completed": [
            facts.module_titles[s] for s in facts.module_titles if s in facts.modules_done
        ],
        "assessments": [
            {
                "module": facts.module_titles.get(slug, slug),
                "best_score": scores.get(slug, (0, 0))[0],
                "attempts": scores.get(slug, (0, 0))[1],
                "passed": slug in facts.checks_passed,
            }
            for slug in facts.check_modules
        ],
        "milestones": [
            {
                "key": m.key,
                "title": m.title,
                "status": m.status,
                "achieved_on": m.achieved_on.isoformat() if m.achieved_on else None,
                "evidence": m.reason,
            }
            for m in hire.milestones
            if not m.optional or m.status in readiness.DONE_STATUSES
        ],
        "signed_off_by": facts.signed_off_by,
        "issued_by": actor.name,
        "override_reason": override,
        "missing_at_issue": list(state.gaps) if override else [],
    }


def issue_certificate(
    hire: Hire,
    actor: User,
    base_url: str,
    *,
    organization: str = "ramp",
    override_reason: str | None = None,
    now: datetime | None = None,
) -> Certificate:
    """Issue a readiness certificate; refused with what is missing unless an admin overrides."""
    require_manager_of(actor, hire)
    # One issue at a time per hire: a second waits here, then sees the first's certificate.
    lock_hire(hire)
    now = now or utcnow()
    history = list(
        db.session.execute(
            select(Certificate).where(Certificate.hire_id == hire.id).order_by(*NEWEST_FIRST)
        ).scalars()
    )
    previous = latest_valid(history, now)
    if previous is not None and not renewable(previous, now):
        raise ValidationError(
            _(
                "%(name)s already holds certificate %(code)s, valid until %(date)s. Re-issue in "
                "the last %(days)s days before it expires, or revoke it first.",
                name=hire.user.name,
                code=format_code(previous.code),
                date=format_date(utc(previous.expires_at)),
                days=RECERTIFY_DAYS,
            )
        )
    state = readiness_of([hire])[hire.id]
    override = (override_reason or "").strip() or None
    if override and not actor.is_admin:
        raise NotAllowed(_("Only an admin can issue a certificate to a hire who is not ready."))
    if state.gaps and not override:
        raise ValidationError(
            [
                _("%(name)s is not ready for a certificate; still missing:", name=hire.user.name),
                *state.gaps,
            ]
        )
    spec = template_from_document(hire.cohort.template_version.document)
    code = _unused_code()
    before = history[0] if history else None
    cert = Certificate(
        code=code,
        selector=code[:SELECTOR],
        hire=hire,
        user_id=hire.user_id,
        issued_by_id=actor.id,
        issued_at=now,
        expires_at=now + timedelta(days=spec.certificate_validity_days),
        override_reason=override,
        replaces_id=before.id if before else None,
        snapshot=_snapshot(hire, state, actor, organization, override, base_url),
        credential="",
        status_index=_unused_status_index(),
    )
    db.session.add(cert)
    db.session.flush()
    cert.credential = sign_credential(build_credential(cert, hire.user.email, base_url), base_url)
    # The sign-off is used up: a renewal needs a fresh one, after the refresher.
    db.session.execute(delete(ReadinessSignOff).where(ReadinessSignOff.hire_id == hire.id))
    details = {"code": format_code(code)}
    if before is not None:
        details["replaces"] = format_code(before.code)
    db.session.add(
        HireEvent(
            hire=hire,
            actor=actor,
            action="override_certificate" if override else "issue_certificate",
            reason=override,
            details=details,
        )
    )
    db.session.flush()
    announce("certificate.issued", certificate_id=cert.id)
    return cert


def _unused_status_index() -> int:
    # Random positions: the list reveals neither how many certificates exist nor their order.
    while True:
        index = secrets.randbelow(LIST_BITS)
        taken = db.session.execute(
            select(Certificate.id).where(Certificate.status_index == index)
        ).first()
        if taken is None:
            return index


def _unused_code() -> str:
    while True:
        code = new_code()
        taken = db.session.execute(
            select(Certificate.id).where(Certificate.selector == code[:SELECTOR])
        ).first()
        if taken is None:
            return code


def revoke_certificate(cert: Certificate, actor: User, reason: str | None) -> Certificate:
    """Revoke with a reason; a revoked certificate never reads as valid again."""
    if cert.hire is None:
        if not actor.is_admin:
            raise NotAllowed(_("Only an admin can revoke this certificate."))
    else:
        require_manager_of(actor, cert.hire)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Give a reason for the revocation; it is shown on the verify page.")
        )
    now = utcnow()
    # Conditional: of two revocations at the same instant only one changes the row.
    won = (
        cert.revoked_at is None
        and db.session.execute(
            update(Certificate)
            .where(Certificate.id == cert.id, Certificate.revoked_at.is_(None))
            .values(revoked_at=now, revoked_by_id=actor.id, revocation_reason=reason)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    if not won:
        db.session.refresh(cert)
        who = cert.revoked_by.name if cert.revoked_by else _("someone no longer here")
        raise ValidationError(
            _(
                "Certificate %(code)s was already revoked by %(who)s on %(date)s.",
                code=format_code(cert.code),
                who=who,
                date=format_date(utc(cert.revoked_at)),
            )
        )
    cert.revoked_at = now
    cert.revoked_by_id = actor.id
    cert.revocation_reason = reason
    if cert.hire is not None:
        db.session.add(
            HireEvent(
                hire=cert.hire,
                actor=actor,
                action="revoke_certificate",
                reason=reason,
                details={"code": format_code(cert.code)},
            )
        )
    db.session.flush()
    announce("certificate.revoked", certificate_id=cert.id)
    return cert


# Lookup -----------------------------------------------------------------------------------


def find_certificate(text: str | None) -> Certificate | None:
    """The certificate whose code was typed; the whole code is compared in constant time."""
    code = normalize_code(text)
    if code is None:
        return None
    found = None
    for cert in db.session.execute(
        select(Certificate).where(Certificate.selector == code[:SELECTOR])
    ).scalars():
        if hmac.compare_digest(cert.code.encode(), code.encode()):
            found = cert
    return found


# Batches ----------------------------------------------------------------------------------


def _batch_candidates(hires: list[Hire], actor: User) -> list[Hire]:
    """The hires the actor manages who are ready and hold no valid certificate."""
    hires = [h for h in hires if can_manage(actor, h)]
    lacking = lacking_a_milestone(hires)
    states = readiness_of([h for h in hires if h.id not in lacking])
    certified = certified_hires([h.id for h in hires])
    return [h for h in hires if h.id in states and states[h.id].ready and h.id not in certified]


def start_batch(cohort: Cohort, actor: User) -> CertificateBatch:
    """A batch for the cohort's ready hires the actor manages; refused when none is ready."""
    hires = _cohort_hires(cohort)
    if not any(can_manage(actor, h) for h in hires):
        raise NotAllowed(_("You manage no hire in %(cohort)s.", cohort=cohort.name))
    running = db.session.execute(
        select(CertificateBatch.id).where(
            CertificateBatch.cohort_id == cohort.id,
            CertificateBatch.status.in_(("queued", "running")),
        )
    ).first()
    if running is not None:
        raise ValidationError(
            _("Certificates for %(cohort)s are already being issued.", cohort=cohort.name)
        )
    ready = _batch_candidates(hires, actor)
    if not ready:
        raise ValidationError(
            _("No hire in %(cohort)s is ready for a certificate.", cohort=cohort.name)
        )
    batch = CertificateBatch(cohort=cohort, requested_by_id=actor.id, total=len(ready))
    db.session.add(batch)
    db.session.flush()
    return batch


def _cohort_hires(cohort: Cohort) -> list[Hire]:
    return list(
        db.session.execute(
            select(Hire)
            .where(Hire.cohort_id == cohort.id, Hire.active.is_(True))
            .options(selectinload(Hire.milestones), selectinload(Hire.user))
            .order_by(Hire.id)
        ).scalars()
    )


def run_batch(
    batch_id: int, base_url: str, organization: str, locale: str | None = None, progress=None
) -> dict:
    """The background job: issue to every ready hire of the cohort, committing each.

    Whatever happens, the batch ends as done or failed (with the reason), never left running.
    What it records of skipped hires and of a failure is worded in `locale`, the language of
    the person who started it (English when not given).
    """
    with force_locale(locale or "en"):
        return _run_batch_in_locale(batch_id, base_url, organization, progress)


def _run_batch_in_locale(batch_id: int, base_url: str, organization: str, progress) -> dict:
    batch = db.session.get(CertificateBatch, batch_id)
    try:
        return _run_batch(batch, base_url, organization, progress)
    except Exception as exc:
        db.session.rollback()
        batch = db.session.get(CertificateBatch, batch_id)
        batch.status = "failed"
        batch.error = _(
            "Stopped after %(done)s of %(total)s: %(reason)s",
            done=batch.done,
            total=batch.total,
            reason=exc,
        )
        batch.finished_at = utcnow()
        db.session.commit()
        raise


def _run_batch(batch: CertificateBatch, base_url: str, organization: str, progress) -> dict:
    actor = db.session.get(User, batch.requested_by_id) if batch.requested_by_id else None
    if actor is None:
        raise NotAllowed(_("the manager who asked for these certificates no longer exists"))
    batch.status = "running"
    db.session.commit()
    skipped: list[str] = []
    issued = 0
    todo = _batch_candidates(_cohort_hires(batch.cohort), actor)
    batch.total = len(todo)
    for done, hire in enumerate(todo, start=1):
        try:
            with db.session.begin_nested():
                issue_certificate(hire, actor, base_url, organization=organization)
            issued += 1
        except (ValidationError, NotAllowed) as exc:
            skipped.append(_("%(name)s: %(reason)s", name=hire.user.name, reason=exc))
        batch.done, batch.issued, batch.skipped = done, issued, list(skipped)
        db.session.commit()
        if progress:
            progress("issuing", done, len(todo))
    batch.status = "done"
    batch.finished_at = utcnow()
    db.session.commit()
    return {"issued": issued, "skipped": skipped}


# Lists ------------------------------------------------------------------------------------


def expiring_soon(hire_ids: list[int], days: int = RECERTIFY_DAYS) -> list[Certificate]:
    """Valid certificates of these hires that expire within `days`, soonest first."""
    now = utcnow()
    if not hire_ids:
        return []
    rows = db.session.execute(
        select(Certificate)
        .where(
            Certificate.hire_id.in_(hire_ids),
            Certificate.revoked_at.is_(None),
            Certificate.expires_at > now,
            Certificate.expires_at <= now + timedelta(days=days),
        )
        .order_by(Certificate.expires_at)
    ).scalars()
    rows = list(rows)
    # A certificate already followed by a newer one needs no recertification.
    renewed = set(
        db.session.execute(
            select(Certificate.replaces_id).where(Certificate.hire_id.in_(hire_ids))
        ).scalars()
    )
    return [c for c in rows if c.id not in renewed]
