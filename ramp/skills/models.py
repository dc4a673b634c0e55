"""Each source's grant of a skill, the log of each agent's skill changes, and the webhook."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ramp.accounts.models import User, utcnow
from ramp.extensions import db

MILESTONE = "milestone"
CERTIFICATE = "certificate"
SOURCES = (MILESTONE, CERTIFICATE)

GRANTED = "granted"
REMOVED = "removed"

# Why a source stopped granting its skills.
NOT_ACHIEVED = "not_achieved"
REVOKED = "revoked"
EXPIRED = "expired"
SOURCE_GONE = "source_gone"


class SkillGrant(db.Model):
    """One source (an achieved milestone, a valid certificate) granting one skill to one
    agent. A source that stops granting keeps its row, with removed_at set; one that grants
    again has it cleared. An agent holds a skill while any of its sources grants it."""

    __tablename__ = "skill_grants"
    __table_args__ = (UniqueConstraint("source", "source_id", "skill"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    hire_id: Mapped[int] = mapped_column(ForeignKey("hires.id", ondelete="CASCADE"), index=True)
    skill: Mapped[str] = mapped_column(String(100))
    level: Mapped[int]
    source: Mapped[str] = mapped_column(String(16))
    # plan_milestones.id or certificates.id, by `source`.
    source_id: Mapped[int]
    source_label: Mapped[str] = mapped_column(String(200))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]
    removed_reason: Mapped[str | None] = mapped_column(String(16))

    user: Mapped[User] = relationship()


class SkillChange(db.Model):
    """A change to an agent's skills: granted (or its level changed) or removed, by which
    source; event_id names it to the webhook's receiver, which may see it more than once."""

    __tablename__ = "skill_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    skill: Mapped[str] = mapped_column(String(100))
    level: Mapped[int]
    action: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int]
    source_label: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class SkillWebhook(db.Model):
    """Where ramp pushes skill changes, and the secret it signs them with (one, set by an
    admin; pages show both masked)."""

    __tablename__ = "skill_webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(1000))
    secret: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
