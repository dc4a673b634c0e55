"""Names and Role Provisioning Services: a course's roster synced into its cohort."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select

from ramp.accounts.models import Role, utcnow
from ramp.errors import NotFound, ValidationError
from ramp.extensions import db
from ramp.lti import claims as c
from ramp.lti.errors import PlatformError
from ramp.lti.identity import ensure_hire, note_member, platform_role, user_for
from ramp.lti.launch import MAX_ID
from ramp.lti.models import LtiContext, LtiContextMember
from ramp.lti.registrations import platform_hosts
from ramp.lti.services import publish_signing_key, service_call
from ramp.milestones.models import Hire

MAX_PAGES = 1000
PERSON = ("name", "given_name", "family_name", "email")


@dataclass(frozen=True)
class RosterResult:
    """What a roster sync found and changed."""

    members: int
    pages: int
    hires_added: int
    inactive: int

    def __str__(self) -> str:
        return (
            f"{self.members} members on {self.pages} page(s), {self.hires_added} hire(s) added, "
            f"{self.inactive} inactive"
        )


def fetch_members(context: LtiContext) -> tuple[list[dict], int]:
    """Every member of a course, following the `next` links page by page."""
    url, members, pages, seen = context.memberships_url, [], 0, set()
    hosts = platform_hosts(context.registration)
    while url and pages < MAX_PAGES and url not in seen:
        seen.add(url)
        answer = service_call(
            context.registration,
            [c.SCOPE_NRPS],
            "GET",
            url,
            headers={"Accept": c.MEDIA_MEMBERSHIPS},
        )
        document = answer.json()
        if not isinstance(document, dict) or not isinstance(document.get("members"), list):
            raise PlatformError("the platform's roster has no members list")
        members.extend(m for m in document["members"] if isinstance(m, dict))
        pages += 1
        url = answer.links().get("next")
        if url and urlsplit(url).netloc.lower() not in hosts:
            raise PlatformError(
                f"the roster's next page {url[:200]} is not on the platform's hosts"
            )
    return members, pages


def sync_roster(context_id: int, progress=None) -> str:
    """Bring a course's members into ramp; its learners become hires of the linked cohort.

    A failure is kept on the course (when and why), for its page to show, then raised."""
    try:
        return _sync_roster(context_id, progress)
    except (PlatformError, ValidationError) as exc:
        db.session.rollback()
        context = db.session.get(LtiContext, context_id)
        if context is not None:
            context.roster_failed_at = utcnow()
            context.roster_error = str(exc)[:1000]
            db.session.commit()
        raise


def _sync_roster(context_id: int, progress=None) -> str:
    publish_signing_key()
    context = db.session.get(LtiContext, context_id)
    if context is None:
        raise NotFound("There is no such course.")
    if not context.memberships_url:
        raise ValidationError(
            "the platform has not offered its roster service for this course (no launch with it yet)"
        )
    members, pages = fetch_members(context)
    added = inactive = 0
    present = set()
    for member in members:
        subject = member.get("user_id")
        if not isinstance(subject, str | int) or isinstance(subject, bool):
            continue
        subject = str(subject)
        if not subject or len(subject) > MAX_ID:
            continue
        roles = member.get("roles") if isinstance(member.get("roles"), list) else []
        roles = [r for r in roles if isinstance(r, str)]
        role = platform_role(roles)
        person = {k: v for k, v in member.items() if k in PERSON and isinstance(v, str)}
        # A roster adds people and courses; it never raises anyone's ramp role (a launch,
        # signed by the platform for that person, does).
        user = user_for(context.registration, subject, person, Role.AGENT, raise_role=False)
        active = member.get("status", "Active") == "Active"
        note_member(context, user, subject, roles, active)
        present.add(user.id)
        if not active:
            inactive += 1
            continue
        if context.cohort is not None and role is Role.AGENT and user.role is Role.AGENT:
            before = {h.cohort_id for h in _hires_of(user.id)}
            ensure_hire(context.cohort, user)
            added += context.cohort.id not in before
        if progress:
            progress("roster", len(present), len(members))
    # A full roster names everyone in the course: whoever it leaves out has left it.
    gone = (
        db.session.execute(
            select(LtiContextMember).where(
                LtiContextMember.context_id == context.id,
                LtiContextMember.active.is_(True),
                LtiContextMember.user_id.not_in(present),  # empty: everyone is gone
            )
        )
        .scalars()
        .all()
    )
    for member in gone:
        member.active = False
    inactive += len(gone)
    result = RosterResult(len(members), pages, added, inactive)
    context.roster_synced_at = utcnow()
    context.roster_summary = str(result)
    context.roster_failed_at = context.roster_error = None
    db.session.commit()
    return str(result)


def _hires_of(user_id: int):
    return db.session.execute(select(Hire).where(Hire.user_id == user_id)).scalars().all()
