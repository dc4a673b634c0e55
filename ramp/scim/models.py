"""What ramp keeps of a SCIM client's users and groups, beside its own users and teams."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ramp.accounts.models import Team, User, utcnow
from ramp.extensions import db


class ScimUser(db.Model):
    """A ramp user provisioned (or adopted) through SCIM: its userName and the document the
    identity provider sent, returned as it was written."""

    __tablename__ = "scim_users"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # userName in lower case (SCIM compares it case-insensitively); None once deleted, so
    # that the identity provider may use the name again.
    user_name: Mapped[str | None] = mapped_column(String(255), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    document: Mapped[dict] = mapped_column(JSON, default=dict)
    # Deleted through SCIM: the user is deactivated and no longer a SCIM resource.
    deleted: Mapped[bool] = mapped_column(default=False)
    # The hires taken off the board when the user was deactivated, restored on reactivation.
    suspended_hire_ids: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class ScimGroup(db.Model):
    """A team as a SCIM group: its externalId, document, and the role an admin maps it to."""

    __tablename__ = "scim_groups"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    document: Mapped[dict] = mapped_column(JSON, default=dict)
    deleted: Mapped[bool] = mapped_column(default=False)
    # Members of the group get this role ("agent", "manager", "admin"); None: roles untouched.
    role: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    team: Mapped[Team] = relationship()
