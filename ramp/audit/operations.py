"""Writing to the admin audit log. It flushes; the caller commits with the change itself."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ramp.accounts.models import User
from ramp.audit.models import AuditEvent
from ramp.extensions import db

# The integration making the changes in progress (a SCIM token's name), when no person is.
_integration: ContextVar[str | None] = ContextVar("audit_integration", default=None)


@contextmanager
def integration(name: str) -> Iterator[None]:
    """Within the block, every audit event says which integration made it ("via")."""
    reset = _integration.set(name)
    try:
        yield
    finally:
        _integration.reset(reset)


def record(
    actor: User | None,
    action: str,
    subject: str | None = None,
    reason: str | None = None,
    **details,
) -> AuditEvent:
    """Keep one administrative change in the audit log, in the caller's transaction."""
    if _integration.get() is not None:
        details.setdefault("via", _integration.get())
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
