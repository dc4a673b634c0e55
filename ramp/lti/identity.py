"""Who a launch is and where it comes from: user, course (cohort), placement and target."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import and_, bindparam, func, select, update

from ramp import clock
from ramp.accounts.models import Role, User, utcnow
from ramp.accounts.operations import EMAIL_RE, find_user_by_email
from ramp.curricula import queries as curricula_queries
from ramp.curricula.models import Curriculum, CurriculumVersion, Enrollment
from ramp.curricula.operations import enroll
from ramp.errors import ValidationError
from ramp.extensions import db
from ramp.i18n import supported
from ramp.lti import claims as c
from ramp.lti.launch import Launch
from ramp.lti.models import (
    LtiContext,
    LtiContextMember,
    LtiIdentity,
    LtiRegistration,
    LtiResourceLink,
)
from ramp.lti.registrations import LaunchPlatform
from ramp.milestones.models import Cohort, Hire
from ramp.milestones.operations import NewHire, add_hires, create_cohort, may_take_on
from ramp.milestones.plans import template_from_document
from ramp.milestones.queries import template_versions

ROLE_RANK = {Role.AGENT: 0, Role.MANAGER: 1, Role.ADMIN: 2}

# The statements of every launch, built once (see ramp.lti.registrations).
_IDENTITY = (
    select(LtiIdentity.id, User)
    .join(User, User.id == LtiIdentity.user_id)
    .where(LtiIdentity.issuer == bindparam("issuer"), LtiIdentity.subject == bindparam("subject"))
)
_LAUNCHED = (
    update(LtiIdentity.__table__)
    .where(LtiIdentity.__table__.c.id == bindparam("identity_id"))
    .values(last_launch_at=bindparam("at"))
)
# A launch's course, the user's membership, the placement and the user's hire in the course's
# cohort (its enrollment and that curriculum), in one query.
_COURSE = (
    select(
        LtiContext,
        LtiContextMember,
        LtiResourceLink,
        Hire.id.label("hire_id"),
        Hire.enrollment_id,
        Curriculum.slug,
    )
    .outerjoin(
        LtiContextMember,
        and_(
            LtiContextMember.context_id == LtiContext.id,
            LtiContextMember.user_id == bindparam("user_id"),
        ),
    )
    .outerjoin(
        LtiResourceLink,
        and_(
            LtiResourceLink.context_id == LtiContext.id,
            LtiResourceLink.resource_link_id == bindparam("resource_link_id"),
        ),
    )
    .outerjoin(
        Hire, and_(Hire.cohort_id == LtiContext.cohort_id, Hire.user_id == bindparam("user_id"))
    )
    .outerjoin(Enrollment, Enrollment.id == Hire.enrollment_id)
    .outerjoin(CurriculumVersion, CurriculumVersion.id == Enrollment.version_id)
    .outerjoin(Curriculum, Curriculum.id == CurriculumVersion.curriculum_id)
    .where(
        LtiContext.registration_id == bindparam("registration_id"),
        LtiContext.deployment_id == bindparam("deployment_id"),
        LtiContext.context_id == bindparam("context_id"),
    )
)
TARGET_RE = re.compile(r"^(home|board|ramp|curriculum:[\w-]+|module:[\w-]+/[\w-]+)$")


LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
MANAGER_ROLES = {LIS + "membership#Instructor", LIS + "membership#ContentDeveloper"}
ADMIN_ROLES = {LIS + "institution/person#Administrator", LIS + "system/person#Administrator"}
# LTI 1.3 lets context roles be sent by their short names alone.
SHORT_MANAGER_ROLES = {"Instructor", "ContentDeveloper"}


def platform_role(roles: list[str]) -> Role:
    """LIS roles to a ramp role, exactly: institution or system Administrator → admin;
    course Instructor or ContentDeveloper → manager; anything else (Learner, Mentor, a
    TeachingAssistant sub-role, a course-level Administrator) → agent."""
    names = {r.strip() for r in roles or [] if isinstance(r, str)}
    if names & ADMIN_ROLES:
        return Role.ADMIN
    if names & MANAGER_ROLES or names & SHORT_MANAGER_ROLES:
        return Role.MANAGER
    return Role.AGENT


def _fallback_email(issuer: str, subject: str) -> str:
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:20]
    host = (urlsplit(issuer).hostname or "platform").replace(":", "-")
    return f"lti-{digest}@{host}.invalid"


def _may_link(user: User, registration: LtiRegistration | LaunchPlatform) -> bool:
    """Whether a launch or roster entry may become an existing account found by e-mail.

    Only when an admin marked the platform as trusting its users' addresses, only an agent
    account with no password (made by a roster or an import), and only one no platform
    identity signs in as yet: a platform must not be able to claim a manager's, an admin's
    or another platform user's account by sending their address.
    """
    if not registration.trust_emails:
        return False
    if user.role is not Role.AGENT or user.password_hash is not None:
        return False
    linked = select(LtiIdentity.id).where(LtiIdentity.user_id == user.id)
    return db.session.execute(linked).first() is None


def user_for(
    registration: LtiRegistration | LaunchPlatform,
    subject: str,
    person: dict,
    role: Role,
    raise_role: bool = True,
) -> User:
    """The ramp user of (issuer, sub): made at first sight, with the name and e-mail sent.

    A launch may raise the user's ramp role to the one its roles map to (never lower it);
    a roster (`raise_role=False`) never changes a role.
    """
    issuer = registration.issuer
    known = db.session.execute(_IDENTITY, {"issuer": issuer, "subject": subject}).first()
    name = (
        person.get("name")
        or " ".join(p for p in (person.get("given_name"), person.get("family_name")) if p)
    ).strip()
    email = (person.get("email") or "").strip().lower()
    identity = None
    if known is not None:
        identity_id, user = known
        if name and user.name != name[:120]:
            user.name = name[:120]
    else:
        valid = bool(email) and len(email) <= 254 and bool(EMAIL_RE.match(email))
        user = find_user_by_email(email) if valid else None
        if user is not None and not _may_link(user, registration):
            user, valid = None, False  # the address is taken by an account a launch may not enter
        if user is None:
            user = User(
                email=email if valid else _fallback_email(issuer, subject),
                name=(name or "Learner " + subject[:40])[:120],
                role=role if raise_role else Role.AGENT,
            )
            db.session.add(user)
            db.session.flush()
        identity = LtiIdentity(issuer=issuer, subject=subject, user=user)
        db.session.add(identity)
    if raise_role and ROLE_RANK[role] > ROLE_RANK[user.role]:
        user.role = role  # the platform may raise a role, never lower one ramp gave
    if raise_role and identity is not None:
        identity.last_launch_at = utcnow()
    db.session.flush()
    if raise_role and known is not None:
        db.session.execute(_LAUNCHED, {"identity_id": identity_id, "at": utcnow()})
    return user


def note_member(
    context: LtiContext, user: User, subject: str, roles: list[str], active: bool = True
) -> None:
    """Remember that a user is in a course, with their roles there (active: still in it)."""
    member = db.session.execute(
        select(LtiContextMember).where(
            LtiContextMember.context_id == context.id, LtiContextMember.user_id == user.id
        )
    ).scalar_one_or_none()
    if member is None:
        member = LtiContextMember(context_id=context.id, user_id=user.id, subject=subject)
        db.session.add(member)
    member.roles, member.active = list(roles), active


def _unique_cohort_name(title: str) -> str:
    base = title.strip()[:100] or "Course"
    taken = set(
        db.session.execute(select(Cohort.name).where(Cohort.name.like(base + "%"))).scalars()
    )
    if base not in taken:
        return base
    n = 2
    while f"{base} ({n})" in taken:
        n += 1
    return f"{base} ({n})"


def create_cohort_for(context: LtiContext, curriculum_slug: str | None) -> Cohort | None:
    """A cohort for a new course: the latest template that fits the course's curriculum."""
    latest: dict[int, object] = {}
    for version in template_versions():
        latest.setdefault(version.template_id, version)
    candidates = list(latest.values())
    if curriculum_slug:
        fitting = [
            v
            for v in candidates
            if template_from_document(v.document).curriculum == curriculum_slug
        ]
        candidates = fitting or candidates
    if not candidates:
        return None
    cohort = create_cohort(
        _unique_cohort_name(context.title or context.context_id or "Course"),
        clock.today(),
        candidates[0],
    )
    context.cohort = cohort
    return cohort


def ensure_hire(cohort: Cohort, user: User) -> Hire | None:
    """Put an agent into a cohort as a hire, once; managers, admins and other teams' agents not."""
    if user.role is not Role.AGENT:
        return None
    existing = db.session.execute(
        select(Hire).where(Hire.cohort_id == cohort.id, Hire.user_id == user.id)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    manager = cohort.team.manager if cohort.team else None
    if manager is None and user.team_id not in (None, cohort.team_id):
        return None  # no manager to vouch for it: a course never moves a team's agent
    if not may_take_on(manager, user):
        return None  # another team's agent: an admin transfers them, a course does not
    [hire] = add_hires(
        [NewHire(user.name, user.email, cohort.start_date, manager, cohort, {})], manager
    )
    return hire


def launch_target(claims: dict) -> str:
    """What a resource link opens: the custom parameter set by deep linking, else its URL."""
    custom = claims.get(c.CUSTOM) if isinstance(claims.get(c.CUSTOM), dict) else {}
    target = custom.get("ramp_target")
    if not target:
        query = parse_qs(urlsplit(claims.get(c.TARGET_LINK_URI) or "").query)
        target = (query.get("target") or ["home"])[0]
    return target if isinstance(target, str) and TARGET_RE.match(target) else "home"


def curriculum_of(target: str) -> str | None:
    """The curriculum slug a target names, if any."""
    if target.startswith("curriculum:"):
        return target.split(":", 1)[1]
    if target.startswith("module:"):
        return target.split(":", 1)[1].split("/")[0]
    return None


def _hire_enrollment(cohort_id: int, user_id: int) -> tuple[int | None, str | None] | None:
    """The user's hire in the cohort as (its enrollment id, that curriculum's slug), in one
    query; None when the user is not hired there."""
    row = db.session.execute(
        select(Hire.enrollment_id, Curriculum.slug)
        .outerjoin(Enrollment, Enrollment.id == Hire.enrollment_id)
        .outerjoin(CurriculumVersion, CurriculumVersion.id == Enrollment.version_id)
        .outerjoin(Curriculum, Curriculum.id == CurriculumVersion.curriculum_id)
        .where(Hire.cohort_id == cohort_id, Hire.user_id == user_id)
    ).first()
    return None if row is None else (row[0], row[1])


@dataclass(frozen=True)
class Landing:
    """The page a launch opens, named with what its address needs; the web layer turns it
    into a URL. Pages: "module", "curriculum", "learning" (the learner's curricula),
    "my_ramp", "board" (of cohort_id, or every hire the user sees), "course" (context_id)."""

    page: str
    enrollment_id: int | None = None
    module: str | None = None
    cohort_id: int | None = None
    context_id: int | None = None


def landing(
    target: str,
    *,
    instructor: bool,
    staff: bool,
    enrollment_id: int | None,
    only_enrollment_id: int | None,
    cohort_id: int | None,
    context_id: int,
) -> Landing:
    """Where a resource-link launch lands, straight away (no page that redirects again).

    `instructor`: the launch's roles make the user a manager or admin; `staff`: the user is
    a ramp manager or admin whatever the launch says; `enrollment_id`: the enrollment the
    target (or the course's cohort) opened; `only_enrollment_id`: the user's enrollment when
    they have exactly one. A target that cannot be opened lands where ramp's home page
    would send the user: the board for staff, else the curriculum (the course's, or the
    only one), else the list of their curricula.
    """
    if instructor and cohort_id is None:
        return Landing("course", context_id=context_id)
    if target.startswith("module:") and enrollment_id:
        return Landing("module", enrollment_id=enrollment_id, module=target.split("/", 1)[1])
    if target.startswith("curriculum:") and enrollment_id:
        return Landing("curriculum", enrollment_id=enrollment_id)
    if target == "board" and instructor:
        return Landing("board", cohort_id=cohort_id)
    if target in ("ramp", "board"):
        return Landing("my_ramp")
    if instructor:
        return Landing("course", context_id=context_id)
    if staff:
        return Landing("board")
    if enrollment_id:
        return Landing("curriculum", enrollment_id=enrollment_id)
    if only_enrollment_id:
        return Landing("curriculum", enrollment_id=only_enrollment_id)
    return Landing("learning")


def only_enrollment(user_id: int) -> int | None:
    """The id of the user's enrollment when they have exactly one."""
    found = db.session.execute(
        select(Enrollment.id).where(Enrollment.user_id == user_id).limit(2)
    ).all()
    return found[0][0] if len(found) == 1 else None


@dataclass(frozen=True)
class Admission:
    """The outcome of a valid launch: who, which course, and where a resource link lands."""

    user: User
    context: LtiContext
    link: LtiResourceLink | None
    target: str
    enrollment_id: int | None
    instructor: bool
    landing: Landing | None = None  # None for a deep-linking request, which has its own page
    locale: str | None = None  # the LMS's launch_presentation.locale, when ramp ships it


def launch_locale(claims: dict) -> str | None:
    """The shipped language the launch's `launch_presentation.locale` names ("es-CO" -> "es"),
    or None when it names none, one ramp does not ship, or something that is not a locale."""
    presentation = claims.get(c.LAUNCH_PRESENTATION)
    if not isinstance(presentation, dict):
        return None
    return supported(presentation.get("locale"))


def _update(record, **values) -> None:
    """Set the values that differ: an unchanged record gives the flush nothing to look at."""
    for name, value in values.items():
        if getattr(record, name) != value:
            setattr(record, name, value)


def admit(launch: Launch) -> Admission:
    """Sign the launch's user in to ramp terms: user, course, cohort, placement, enrollment."""
    claims = launch.claims
    roles = [r for r in claims.get(c.ROLES, []) if isinstance(r, str)]
    role = platform_role(roles)
    registration = launch.registration
    user = user_for(registration, claims["sub"], claims, role)
    claim = claims.get(c.CONTEXT) if isinstance(claims.get(c.CONTEXT), dict) else {}
    context_id = str(claim.get("id") or "")
    resource_link = launch.message_type == c.RESOURCE_LINK_REQUEST
    link_id = str(claims[c.RESOURCE_LINK]["id"]) if resource_link else None
    found = db.session.execute(
        _COURSE,
        {
            "registration_id": registration.id,
            "deployment_id": launch.deployment_id,
            "context_id": context_id,
            "user_id": user.id,
            "resource_link_id": link_id,
        },
    ).first()
    hired = None  # the user's hire in the course's cohort: (enrollment id, curriculum slug)
    if found is None:  # the first launch from this course (a placeholder when it sends none)
        context = LtiContext(
            registration_id=registration.id,
            deployment_id=launch.deployment_id,
            context_id=context_id,
        )
        db.session.add(context)
        member = link = None
    else:
        context, member, link, hire_id, hire_enrollment_id, hire_slug = found
        if hire_id is not None:
            hired = (hire_enrollment_id, hire_slug)
    title = claim.get("title") or claim.get("label")
    if title:
        _update(context, title=str(title)[:500])
    services = claims.get(c.AGS_ENDPOINT) if isinstance(claims.get(c.AGS_ENDPOINT), dict) else {}
    if services.get("lineitems"):
        _update(context, lineitems_url=services["lineitems"])
    if isinstance(services.get("scope"), list):
        _update(context, ags_scopes=[s for s in services["scope"] if isinstance(s, str)])
    nrps = claims.get(c.NRPS) if isinstance(claims.get(c.NRPS), dict) else {}
    if nrps.get("context_memberships_url"):
        _update(context, memberships_url=nrps["context_memberships_url"])
    db.session.flush()
    if member is None:
        member = LtiContextMember(context_id=context.id, user_id=user.id, subject=claims["sub"])
        db.session.add(member)
    _update(member, roles=list(roles), active=True)
    if not resource_link:
        db.session.flush()
        return Admission(
            user,
            context,
            None,
            "deep-link",
            None,
            role is not Role.AGENT,
            locale=launch_locale(claims),
        )
    target = launch_target(claims)
    link_claim = claims[c.RESOURCE_LINK]
    if link is None:
        link = LtiResourceLink(context=context, resource_link_id=link_id)
        db.session.add(link)
    _update(link, title=(link_claim.get("title") or link.title or "")[:500] or None, target=target)
    if services.get("lineitem"):
        _update(link, lineitem_url=services["lineitem"])
    slug = curriculum_of(target)
    if context.cohort_id is None and context.context_id:
        try:
            with db.session.begin_nested():
                create_cohort_for(context, slug)
        except ValidationError:
            pass  # no template fits: an instructor links the course to a cohort instead
    enrollment_id = None
    if context.cohort_id is not None and user.role is Role.AGENT:
        if hired is None:  # the first launch into the course's cohort: hire them
            hire = ensure_hire(context.cohort, user)
            if hire is not None:
                hired = _hire_enrollment(context.cohort_id, user.id)
        if hired is not None and hired[0] is not None and slug in (None, hired[1]):
            enrollment_id = hired[0]
    if enrollment_id is None and slug:
        version = curricula_queries.find_version(slug)
        if version is not None:
            enrollment_id = enroll(user, version).id
    db.session.flush()
    instructor = role is not Role.AGENT
    staff = user.role is not Role.AGENT
    settled = instructor or staff or enrollment_id or target in ("ramp", "board")
    lands = landing(
        target,
        instructor=instructor,
        staff=staff,
        enrollment_id=enrollment_id,
        only_enrollment_id=None if settled else only_enrollment(user.id),
        cohort_id=context.cohort_id,
        context_id=context.id,
    )
    return Admission(
        user, context, link, target, enrollment_id, instructor, lands, launch_locale(claims)
    )


def link_cohort(context: LtiContext, cohort: Cohort) -> int:
    """Link a course to an existing cohort; the course's known learners become its hires."""
    context.cohort = cohort
    added = 0
    members = db.session.execute(
        select(LtiContextMember).where(
            LtiContextMember.context_id == context.id, LtiContextMember.active.is_(True)
        )
    ).scalars()
    for member in members:
        user = db.session.get(User, member.user_id)
        if platform_role(member.roles) is Role.AGENT and user.role is Role.AGENT:
            before = db.session.execute(
                select(func.count()).where(Hire.cohort_id == cohort.id, Hire.user_id == user.id)
            ).scalar_one()
            ensure_hire(cohort, user)
            added += 0 if before else 1
    db.session.flush()
    return added
