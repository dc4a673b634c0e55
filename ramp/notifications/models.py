"""The outbox, each user's choices, and the Slack and Teams webhooks of each team."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ramp.accounts.models import Team, User, utcnow
from ramp.extensions import db

# An outbox message's statuses. queued: waiting to be sent (or to be tried again at
# next_try_at); sent; failed (with the reason, tried no more unless an admin retries it);
# held: kept for its recipient's daily digest; digested: sent inside one.
QUEUED = "queued"
SENT = "sent"
FAILED = "failed"
HELD = "held"
DIGESTED = "digested"
STATUSES = (QUEUED, SENT, FAILED, HELD, DIGESTED)

EMAIL = "email"
SLACK = "slack"
TEAMS = "teams"
# A skill change signed and posted to the skills webhook (ramp.skills, docs/skills.md).
SKILLS = "skills"
KINDS = (EMAIL, SLACK, TEAMS, SKILLS)


class Notification(db.Model):
    """One message to one recipient (a user's e-mail address or a team's webhook).

    dedupe_key names the event and the recipient: the same event announced twice adds one
    message. The message is rendered when it is added, in the recipient's language:
    subject, body_text and body_html for e-mail, payload (Block Kit or an Adaptive Card)
    for a webhook; facts keeps what a digest lists of it.
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_next_try_at", "status", "next_try_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("team_channels.id", ondelete="CASCADE"), index=True
    )
    locale: Mapped[str] = mapped_column(String(16), default="en")
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict | None] = mapped_column(JSON)
    link: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    tries: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    user: Mapped[User | None] = relationship()
    channel: Mapped[TeamChannel | None] = relationship()


class NotificationPreference(db.Model):
    """How one user wants to hear about one kind of event: immediate, digest or off."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(64))
    choice: Mapped[str] = mapped_column(String(16))


class TeamChannel(db.Model):
    """A team's Slack or Teams incoming webhook, set by an admin; the URL is a secret
    (anyone holding it can post), so pages show it masked."""

    __tablename__ = "team_channels"
    __table_args__ = (UniqueConstraint("team_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(1000))
    events: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    team: Mapped[Team] = relationship()
