"""The organisation's local-password policy: who may still sign in with a password."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from ramp.accounts.models import User, utcnow
from ramp.accounts.operations import find_user_by_email
from ramp.audit.operations import record
from ramp.errors import ValidationError
from ramp.extensions import db
from ramp.sso.models import IdentityProvider, Setting

KEY = "sign_in"
# Passwords for everyone; for no one; for no one but one named admin (the break-glass account).
ALLOWED, OFF, BREAK_GLASS = "allowed", "off", "break_glass"
MODES = (ALLOWED, OFF, BREAK_GLASS)


@dataclass(frozen=True)
class PasswordPolicy:
    """Whether passwords sign in, and the one admin they still sign in when SSO is required."""

    mode: str = ALLOWED
    break_glass_user_id: int | None = None

    @property
    def passwords_shown(self) -> bool:
        """Whether the sign-in page offers the password form (to everyone, or to the one)."""
        return self.mode != OFF

    def allows(self, user: User) -> bool:
        """Whether this user may sign in with a password."""
        if self.mode == ALLOWED:
            return True
        return (
            self.mode == BREAK_GLASS
            and user.id == self.break_glass_user_id
            and user.is_admin
            and user.is_active
        )


def password_policy() -> PasswordPolicy:
    """The policy in force (passwords for everyone until an admin says otherwise)."""
    row = db.session.get(Setting, KEY)
    value = row.value if row is not None and isinstance(row.value, dict) else {}
    mode = value.get("mode") if value.get("mode") in MODES else ALLOWED
    user_id = value.get("break_glass_user_id")
    return PasswordPolicy(mode, user_id if isinstance(user_id, int) else None)


def _enabled_providers() -> int:
    return len(
        db.session.execute(select(IdentityProvider.id).where(IdentityProvider.enabled)).all()
    )


def set_password_policy(
    mode: str, break_glass_email: str | None, actor: User | None
) -> PasswordPolicy:
    """Change who may sign in with a password; refuse a policy that would lock everyone out."""
    problems: list[str] = []
    if mode not in MODES:
        problems.append(_("choose whether passwords sign in"))
    break_glass = None
    if mode == BREAK_GLASS:
        break_glass = find_user_by_email(break_glass_email or "")
        if break_glass is None or not break_glass.is_admin or not break_glass.is_active:
            problems.append(_("the break-glass account must be an active admin's e-mail address"))
        elif not break_glass.password_hash:
            problems.append(_("the break-glass admin has no password to sign in with"))
    if mode in (OFF, BREAK_GLASS) and not _enabled_providers():
        problems.append(
            _("turn on a single sign-on provider first: without one, nobody could sign in")
        )
    if problems:
        raise ValidationError(problems)
    row = db.session.get(Setting, KEY) or Setting(key=KEY)
    row.value = {"mode": mode, "break_glass_user_id": break_glass.id if break_glass else None}
    row.updated_at = utcnow()
    row.updated_by_id = actor.id if actor is not None else None
    db.session.add(row)
    db.session.flush()
    record(
        actor,
        "sign_in.policy",
        "setting:sign_in",
        mode=mode,
        break_glass=break_glass.email if break_glass else None,
    )
    return password_policy()
