"""Read side of LTI: who is in which course."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import joinedload

from ramp.extensions import db
from ramp.lti.models import LtiContext, LtiContextMember

# Built once, so SQLAlchemy keeps its cache key (the course page follows every instructor launch).
_COURSE = (
    select(LtiContext, LtiContextMember.id, LtiContextMember.roles)
    .outerjoin(
        LtiContextMember,
        and_(
            LtiContextMember.context_id == LtiContext.id,
            LtiContextMember.user_id == bindparam("user_id"),
        ),
    )
    .where(LtiContext.id == bindparam("context_id"))
    .options(joinedload(LtiContext.registration), joinedload(LtiContext.cohort))
)


def course_and_roles(context_id: int, user_id: int) -> tuple[LtiContext, list | None] | None:
    """The course (with its platform and cohort) and the user's LTI roles in it (None when
    they are not in it), in one query; None when there is no such course."""
    row = db.session.execute(_COURSE, {"context_id": context_id, "user_id": user_id}).first()
    if row is None:
        return None
    context, member_id, roles = row
    return context, (None if member_id is None else list(roles or []))
