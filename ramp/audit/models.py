"""One row per administrative change (users, teams, tokens, imports, links, curricula)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ramp.accounts.models import User, utcnow
from ramp.extensions import db


class AuditEvent(db.Model):
    """Who did what to which object, when, and why. A hire's own changes go to HireEvent."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A dotted verb: "user.create", "team.update", "token.revoke", "import.undo", ...
    action: Mapped[str] = mapped_column(String(48))
    # What it was done to: "user:12", "team:3", "import:41"; searchable as text.
    subject: Mapped[str | None] = mapped_column(String(120), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()
