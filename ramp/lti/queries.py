"""Read side of LTI: who is in which course."""

from __future__ import annotations

from sqlalchemy import select

from ramp.extensions import db
from ramp.lti.models import LtiContextMember


def course_membership(context_id: int, user_id: int) -> LtiContextMember | None:
    """The user's membership of the course (with its LTI roles), or None when they are not in it."""
    return db.session.execute(
        select(LtiContextMember).where(
            LtiContextMember.context_id == context_id,
            LtiContextMember.user_id == user_id,
        )
    ).scalar_one_or_none()
