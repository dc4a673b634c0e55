"""Read side of certificates: the public verification view, downloads, lists. No writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import jwt
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ramp.accounts.models import User
from ramp.certificates.codes import format_code
from ramp.certificates.credential import urls
from ramp.certificates.models import Certificate, CertificateBatch
from ramp.certificates.operations import (
    NEWEST_FIRST,
    certificate_status,
    certified_hires,
    expiring_soon,
    find_certificate,
    lacking_a_milestone,
    readiness_of,
    status_clause,
)
from ramp.extensions import db
from ramp.milestones.models import Cohort, Hire, RampTemplate, RampTemplateVersion
from ramp.milestones.operations import can_manage
from ramp.milestones.queries import visible_hires


@dataclass(frozen=True)
class Verification:
    """What the public may know of a certificate, and nothing else about the person."""

    code: str
    status: str
    agent: str
    achievement: str
    curriculum: str | None
    placement: str
    organization: str
    issued_at: datetime
    issued_by: str
    expires_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None


def verification(text: str) -> Verification | None:
    """The verification view of a typed code, or None when no certificate has it."""
    cert = find_certificate(text)
    if cert is None:
        return None
    snap = cert.snapshot
    curriculum = snap.get("curriculum")
    return Verification(
        code=format_code(cert.code),
        status=certificate_status(cert),
        agent=snap["agent"],
        achievement=f"Ready: {snap['template']['title']}",
        curriculum=f"{curriculum['title']}, version {curriculum['version']}"
        if curriculum
        else None,
        placement=snap["placement"],
        organization=snap["organization"],
        issued_at=cert.issued_at,
        issued_by=snap["issued_by"],
        expires_at=cert.expires_at,
        revoked_at=cert.revoked_at,
        revocation_reason=cert.revocation_reason,
    )


def template_of_achievement(slug: str) -> dict | None:
    """The latest version of a ramp template, as the achievement documents need it."""
    row = db.session.execute(
        select(RampTemplate.slug, RampTemplateVersion.title)
        .join(RampTemplateVersion, RampTemplateVersion.template_id == RampTemplate.id)
        .where(RampTemplate.slug == slug)
        .order_by(RampTemplateVersion.number.desc())
        .limit(1)
    ).first()
    return {"slug": row.slug, "title": row.title} if row else None


def revoked_indexes() -> list[int]:
    """The status-list positions of every revoked certificate."""
    return list(
        db.session.execute(
            select(Certificate.status_index).where(
                Certificate.revoked_at.is_not(None), Certificate.status_index.is_not(None)
            )
        ).scalars()
    )


def can_download(user: User, cert: Certificate) -> bool:
    """The holder, a manager of the hire, or an admin."""
    if user.is_admin or cert.user_id == user.id:
        return True
    return cert.hire is not None and can_manage(user, cert.hire)


def downloadable(user: User, cert_id: int) -> Certificate | None:
    """A certificate the user may download, or None (never saying whether it exists)."""
    cert = db.session.get(Certificate, cert_id)
    return cert if cert is not None and can_download(user, cert) else None


def credential_document(cert: Certificate) -> dict:
    """The download: the signed VC-JWT, the credential it carries, and its status now."""
    credential = jwt.decode(cert.credential, options={"verify_signature": False})
    return {
        "format": "vc+jwt",
        "status": certificate_status(cert),
        "verify": verify_url(cert),
        "credential": credential,
        "jwt": cert.credential,
    }


STATUSES = ("valid", "expired", "revoked")


def listed(status: str | None = None, email: str | None = None) -> list[Certificate]:
    """Every certificate, newest first; a status (valid, expired, revoked) or an agent's
    e-mail narrows the list. Unknown statuses are refused by the callers."""
    stmt = select(Certificate).options(selectinload(Certificate.user)).order_by(*NEWEST_FIRST)
    if email and email.strip():
        stmt = stmt.join(User, Certificate.user_id == User.id).where(
            User.email == email.strip().lower()
        )
    if status:
        stmt = stmt.where(status_clause(status))
    return list(db.session.execute(stmt).scalars())


def base_url_of(cert: Certificate, fallback: str) -> str:
    """The address the certificate was issued under (older ones: the given fallback)."""
    return cert.snapshot.get("base_url") or fallback


def verify_url(cert: Certificate, fallback: str = "") -> str:
    """The public page that verifies this certificate."""
    return urls(base_url_of(cert, fallback), cert.code)["verify"]


def certificates_of_hires(hire_ids: list[int]) -> dict[int, list[Certificate]]:
    """Every certificate of these hires, newest first."""
    out: dict[int, list[Certificate]] = {h: [] for h in hire_ids}
    if not hire_ids:
        return out
    for cert in db.session.execute(
        select(Certificate)
        .where(Certificate.hire_id.in_(hire_ids))
        .options(selectinload(Certificate.issued_by))
        .order_by(*NEWEST_FIRST)
    ).scalars():
        out[cert.hire_id].append(cert)
    return out


def certificates_of_user(user_id: int) -> list[Certificate]:
    """An agent's own certificates, newest first."""
    return list(
        db.session.execute(
            select(Certificate).where(Certificate.user_id == user_id).order_by(*NEWEST_FIRST)
        ).scalars()
    )


@dataclass(frozen=True)
class CohortReadiness:
    cohort: Cohort
    hires: int
    ready: int
    awaiting_sign_off: int
    certified: int


@dataclass(frozen=True)
class Overview:
    cohorts: list[CohortReadiness]
    expiring: list[Certificate]
    recent: list[Certificate]


def overview(viewer: User) -> Overview:
    """Per cohort: hires, ready, awaiting sign-off, certified; renewals due; recent issues."""
    hires = list(
        db.session.execute(visible_hires(viewer).options(selectinload(Hire.cohort))).scalars()
    )
    ids = [h.id for h in hires]
    # Most hires in their ramp still lack a milestone: only the others are looked at in full.
    lacking = lacking_a_milestone(hires)
    states = readiness_of([h for h in hires if h.id not in lacking])
    certified = certified_hires(ids)
    by_cohort: dict[int, list[Hire]] = {}
    for hire in hires:
        by_cohort.setdefault(hire.cohort_id, []).append(hire)
    cohorts = [
        CohortReadiness(
            cohort=group[0].cohort,
            hires=len(group),
            ready=sum(
                1 for h in group if h.id in states and states[h.id].ready and h.id not in certified
            ),
            awaiting_sign_off=sum(
                1
                for h in group
                if h.id in states and states[h.id].ready_but_sign_off and h.id not in certified
            ),
            certified=sum(1 for h in group if h.id in certified),
        )
        for group in by_cohort.values()
    ]
    cohorts.sort(key=lambda c: (c.cohort.start_date, c.cohort.name), reverse=True)
    recent = (
        list(
            db.session.execute(
                select(Certificate)
                .where(Certificate.hire_id.in_(ids))
                .order_by(*NEWEST_FIRST)
                .limit(20)
            ).scalars()
        )
        if ids
        else []
    )
    return Overview(cohorts, expiring_soon(ids), recent)


def visible_cohort(viewer: User, cohort_id: int) -> Cohort | None:
    """A cohort with at least one hire the viewer manages (any cohort for an admin)."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        return None
    if viewer.is_admin:
        return cohort
    seen = db.session.execute(
        visible_hires(viewer).where(Hire.cohort_id == cohort_id).limit(1)
    ).first()
    return cohort if seen else None


def visible_batch(viewer: User, batch_id: int) -> CertificateBatch | None:
    """A batch the viewer started (any batch for an admin)."""
    batch = db.session.get(CertificateBatch, batch_id)
    if batch is None or not (viewer.is_admin or batch.requested_by_id == viewer.id):
        return None
    return batch
