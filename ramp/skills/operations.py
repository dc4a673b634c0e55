"""Granting and removing skills (flush, never commit).

`sync_skills` brings the grants of some hires in line with what their sources say now: a
milestone grants its template's skills while it is achieved, a certificate the template's
certificate skills while it is neither revoked nor expired. An agent holds a skill while any
source grants it, at the highest level any grants; each change to that (granted, its level
changed, removed) is logged as a SkillChange and announced as ``skill.changed``. Running it
again with nothing changed changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import or_, select, update

from ramp import clock
from ramp.certificates.codes import format_code
from ramp.certificates.models import Certificate
from ramp.events import announce
from ramp.extensions import db
from ramp.metrics.records import utc
from ramp.milestones.models import Cohort, Hire, PlanMilestone, RampTemplateVersion
from ramp.milestones.plans import template_from_document
from ramp.skills.models import (
    CERTIFICATE,
    EXPIRED,
    GRANTED,
    MILESTONE,
    NOT_ACHIEVED,
    REMOVED,
    REVOKED,
    SOURCE_GONE,
    SkillChange,
    SkillGrant,
)


@dataclass(frozen=True)
class Held:
    """A skill an agent holds: its level and the source that gives that level."""

    level: int
    source: str
    source_id: int
    source_label: str


def _held(user_ids: set[int]) -> dict[tuple[int, str], Held]:
    """(agent, skill) -> what the agent holds, from the grants in force."""
    rows = db.session.execute(
        select(
            SkillGrant.user_id,
            SkillGrant.skill,
            SkillGrant.level,
            SkillGrant.source,
            SkillGrant.source_id,
            SkillGrant.source_label,
            SkillGrant.granted_at,
        )
        .where(SkillGrant.user_id.in_(user_ids), SkillGrant.removed_at.is_(None))
        .order_by(SkillGrant.level.desc(), SkillGrant.granted_at, SkillGrant.id)
    )
    out: dict[tuple[int, str], Held] = {}
    for r in rows:
        out.setdefault((r.user_id, r.skill), Held(r.level, r.source, r.source_id, r.source_label))
    return out


def _valid(cert, now: datetime) -> bool:
    return cert.revoked_at is None and utc(cert.expires_at) > now


def _wanted(ids: list[int], now: datetime) -> tuple[dict[tuple, dict], dict[int, str]]:
    """What the hires' sources grant now, by (source, source id, skill); and why each
    certificate of theirs grants nothing (revoked, expired)."""
    hires = db.session.execute(
        select(Hire.id, Hire.user_id, Cohort.template_version_id)
        .join(Cohort, Cohort.id == Hire.cohort_id)
        .where(Hire.id.in_(ids))
    ).all()
    versions = {h.template_version_id for h in hires}
    specs = {
        v.id: template_from_document(v.document)
        for v in db.session.execute(
            select(RampTemplateVersion.id, RampTemplateVersion.document).where(
                RampTemplateVersion.id.in_(versions)
            )
        )
    }
    of_hire = {h.id: h for h in hires}
    wanted: dict[tuple, dict] = {}
    achieved = db.session.execute(
        select(
            PlanMilestone.id,
            PlanMilestone.hire_id,
            PlanMilestone.key,
            PlanMilestone.title,
            PlanMilestone.achieved_on,
        )
        .where(PlanMilestone.hire_id.in_(ids), PlanMilestone.status == "achieved")
        .order_by(PlanMilestone.id)
    )
    by_key = {
        vid: {m.key: m.skills for m in spec.milestones if m.skills} for vid, spec in specs.items()
    }
    for m in achieved:
        hire = of_hire[m.hire_id]
        for grant in by_key[hire.template_version_id].get(m.key, ()):
            wanted[(MILESTONE, m.id, grant.skill)] = {
                "user_id": hire.user_id,
                "hire_id": hire.id,
                "level": grant.level,
                "source_label": m.title[:200],
                "since": _day_start(m.achieved_on),
            }
    ended: dict[int, str] = {}
    certs = db.session.execute(
        select(
            Certificate.id,
            Certificate.hire_id,
            Certificate.code,
            Certificate.revoked_at,
            Certificate.expires_at,
            Certificate.issued_at,
        )
        .where(Certificate.hire_id.in_(ids))
        .order_by(Certificate.id)
    )
    for c in certs:
        if not _valid(c, now):
            ended[c.id] = REVOKED if c.revoked_at is not None else EXPIRED
            continue
        hire = of_hire[c.hire_id]
        for grant in specs[hire.template_version_id].certificate_skills:
            wanted[(CERTIFICATE, c.id, grant.skill)] = {
                "user_id": hire.user_id,
                "hire_id": hire.id,
                "level": grant.level,
                "source_label": format_code(c.code),
                "since": utc(c.issued_at),
            }
    return wanted, ended


def sync_skills(hire_ids: Iterable[int], now: datetime | None = None) -> list[SkillChange]:
    """Grant and remove the hires' skills as their sources say now; the changes made."""
    ids = sorted(set(hire_ids))
    if not ids:
        return []
    now = now or clock.now()
    db.session.flush()  # the caller's changes, for the plain reads below
    # Hold the hires until commit (a no-op UPDATE, as milestones.operations.lock_hire): a
    # second sync of the same hire waits, then reads the grants the first wrote.
    db.session.execute(
        update(Hire)
        .where(Hire.id.in_(ids))
        .values(active=Hire.active)
        .execution_options(synchronize_session=False)
    )
    wanted, ended = _wanted(ids, now)
    grants = {
        (g.source, g.source_id, g.skill): g
        for g in db.session.execute(select(SkillGrant).where(SkillGrant.hire_id.in_(ids))).scalars()
    }
    users = {w["user_id"] for w in wanted.values()} | {g.user_id for g in grants.values()}
    if not users:
        return []
    before = _held(users)
    touched = False
    for key, want in wanted.items():
        # A grant holds from its source's own day (the milestone achieved, the certificate
        # issued), never later than now.
        since = min(want.pop("since") or now, now)
        grant = grants.get(key)
        if grant is None:
            source, source_id, skill = key
            db.session.add(
                SkillGrant(
                    skill=skill,
                    source=source,
                    source_id=source_id,
                    granted_at=since,
                    **want,
                )
            )
            touched = True
        elif grant.removed_at is not None or grant.level != want["level"]:
            if grant.removed_at is not None:
                grant.granted_at = now
            grant.removed_at, grant.removed_reason = None, None
            grant.level, grant.source_label = want["level"], want["source_label"]
            touched = True
    for key, grant in grants.items():
        if key not in wanted and grant.removed_at is None:
            grant.removed_at = now
            if grant.source == CERTIFICATE:
                grant.removed_reason = ended.get(grant.source_id, SOURCE_GONE)
            else:
                grant.removed_reason = NOT_ACHIEVED
            touched = True
    if not touched:
        return []
    db.session.flush()
    reasons = {
        (g.user_id, g.skill, g.source, g.source_id): g.removed_reason
        for g in grants.values()
        if g.removed_at == now
    }
    changes = _changes(before, _held(users), reasons, now)
    db.session.add_all(changes)
    db.session.flush()
    for change in changes:
        announce("skill.changed", change_id=change.id)
    return changes


def _changes(
    before: dict[tuple[int, str], Held],
    after: dict[tuple[int, str], Held],
    reasons: dict[tuple, str | None],
    now: datetime,
) -> list[SkillChange]:
    """The agents' skill changes between two states, in a stable order."""
    out = []
    for user_id, skill in sorted(before.keys() | after.keys()):
        old, new = before.get((user_id, skill)), after.get((user_id, skill))
        if new is not None and (old is None or old.level != new.level):
            held, action, reason = new, GRANTED, None
        elif new is None and old is not None:
            held, action = old, REMOVED
            reason = reasons.get((user_id, skill, old.source, old.source_id))
        else:
            continue
        out.append(
            SkillChange(
                event_id=str(uuid.uuid4()),
                user_id=user_id,
                skill=skill,
                level=held.level,
                action=action,
                source=held.source,
                source_id=held.source_id,
                source_label=held.source_label,
                reason=reason,
                at=now,
            )
        )
    return out


def sync_certificate(certificate_id: int) -> list[SkillChange]:
    """Bring the skills of a certificate's hire in line (after it was issued or revoked)."""
    hire_id = db.session.execute(
        select(Certificate.hire_id).where(Certificate.id == certificate_id)
    ).scalar_one_or_none()
    return sync_skills([hire_id]) if hire_id is not None else []


def expire_skills(now: datetime | None = None) -> list[SkillChange]:
    """Remove the skills of certificates that expired (or were revoked) since they were
    granted: the daily run's part. Safe to repeat: a second run finds nothing."""
    now = now or clock.now()
    stale = db.session.execute(
        select(SkillGrant.hire_id)
        .join(Certificate, Certificate.id == SkillGrant.source_id)
        .where(
            SkillGrant.source == CERTIFICATE,
            SkillGrant.removed_at.is_(None),
            or_(Certificate.revoked_at.is_not(None), Certificate.expires_at <= now),
        )
        .distinct()
    ).scalars()
    return sync_skills(list(stale), now)


def _day_start(day: date | None) -> datetime | None:
    """The start of a day, in UTC (a milestone is achieved on a day, not at a time)."""
    return None if day is None else datetime.combine(day, time.min, tzinfo=UTC)
