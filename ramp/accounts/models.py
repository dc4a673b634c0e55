"""Users with a role, and teams led by a manager."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from ramp import clock
from ramp.extensions import db


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC (see ramp.clock)."""
    return clock.now()


class Role(enum.StrEnum):
    """What a user may see and do."""

    AGENT = "agent"
    MANAGER = "manager"
    ADMIN = "admin"


class SignInMixin:
    """What Flask-Login asks of a user object (its UserMixin, the same rules), written here so
    that a command that only reads users does not load Flask-Login."""

    __hash__ = object.__hash__  # defining __eq__ would otherwise make users unhashable

    @property
    def is_active(self) -> bool:
        return True

    @property
    def is_authenticated(self) -> bool:
        return self.is_active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session."""
        return str(self.id)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SignInMixin):
            return self.get_id() == other.get_id()
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal


class Team(db.Model):
    """A team of agents led by one manager."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    manager: Mapped[User | None] = relationship(foreign_keys=[manager_id])
    members: Mapped[list[User]] = relationship(
        back_populates="team", foreign_keys="User.team_id", order_by="User.name"
    )


class User(SignInMixin, db.Model):
    """A person who signs in: an agent, a manager or an admin."""

    __tablename__ = "users"
    # Sign-in, SCIM and imports find a user by e-mail without case (find_user_by_email).
    __table_args__ = (Index("ix_users_email_lower", func.lower("email")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="user_role", values_callable=lambda roles: [r.value for r in roles]),
        default=Role.AGENT,
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL", use_alter=True), index=True
    )
    is_active_account: Mapped[bool] = mapped_column(default=True)
    # Kept in each session too; bumped on sign-out, password change and deactivation, so a
    # session (or a copied cookie) from before stops working.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The language the user chose for ramp's pages ("en", "es"); None: from the LMS launch
    # or the browser (ramp.i18n.negotiate).
    locale: Mapped[str | None] = mapped_column(String(16))

    team: Mapped[Team | None] = relationship(back_populates="members", foreign_keys=[team_id])

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password, never the password; other sessions end."""
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self) -> None:
        """Make every session signed in before now stop working (at its next request)."""
        self.session_version = (self.session_version or 0) + 1

    @validates("is_active_account")
    def _deactivation_ends_sessions(self, _key: str, active: bool) -> bool:
        if not active and self.is_active_account is not False:
            self.end_sessions()
        return active

    def check_password(self, password: str) -> bool:
        """True when the password matches the stored hash."""
        return self.password_hash is not None and check_password_hash(self.password_hash, password)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role is Role.MANAGER

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"
