"""Writing to the admin audit log. It flushes; the caller commits with the change itself."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ramp.accounts.models import User
from ramp.audit.models import AuditEvent
from ramp.extensions import db


def record(
    actor: User | None,
    action: str,
    subject: str | None = None,
    reason: str | None = None,
    **details,
) -> AuditEvent:
    """Keep one administrative change in the audit log, in the caller's transaction."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        subject=subject,
        reason=reason,
        details=details,
    )
    db.session.add(event)
    db.session.flush()
    return event


def recent_events(limit: int = 100, subject: str | None = None) -> list[AuditEvent]:
    """The newest audit events first, optionally only those about one subject."""
    query = (
        select(AuditEvent)
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    if subject is not None:
        query = query.where(AuditEvent.subject == subject)
    return list(db.session.execute(query).scalars())
