"""Changes to users and teams. They flush; the caller commits. Each change is audited."""

from __future__ import annotations

import re
import secrets

from flask_babel import gettext as _
from sqlalchemy import func, select, text

from ramp.accounts.models import Role, Team, User
from ramp.audit.operations import record
from ramp.errors import ValidationError
from ramp.extensions import db
from ramp.i18n import LANGUAGES

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8
MAX_NAME_LENGTH = 120  # users.name and teams.name
MAX_EMAIL_LENGTH = 254  # users.email


def normalize_email(email: str) -> str:
    """E-mail addresses compare case-insensitively."""
    return email.strip().lower()


def generate_password() -> str:
    """A random initial password, long enough and easy to read out."""
    return secrets.token_urlsafe(12)


def find_user_by_email(email: str) -> User | None:
    """The user with this e-mail address, if any."""
    return db.session.execute(
        select(User).where(func.lower(User.email) == normalize_email(email))
    ).scalar_one_or_none()


def find_team(name: str) -> Team | None:
    """The team with this name, if any."""
    return db.session.execute(select(Team).where(Team.name == name.strip())).scalar_one_or_none()


def _check_name(name: str, what: str, problems: list[str]) -> bool:
    """Whether a name is usable; when not, say why in `problems`."""
    team = what == "the team name"
    if not name.strip():
        problems.append(_("the team name is empty") if team else _("the name is empty"))
        return False
    if len(name.strip()) > MAX_NAME_LENGTH:
        problems.append(
            _("the team name is longer than %(num)d characters", num=MAX_NAME_LENGTH)
            if team
            else _("the name is longer than %(num)d characters", num=MAX_NAME_LENGTH)
        )
        return False
    return True


def _role(role: Role | str, problems: list[str]) -> Role | None:
    try:
        return Role(role)
    except ValueError:
        problems.append(_("unknown role '%(role)s' (agent, manager or admin)", role=role))
        return None


def _change(before, after) -> dict:
    """A changed value as the audit log keeps it (and shows it: before → after)."""
    return {"from": before, "to": after}


def _subject(thing: User | Team) -> str:
    return f"{'user' if isinstance(thing, User) else 'team'}:{thing.id}"


def create_user(
    email: str,
    name: str,
    password: str | None,
    role: Role | str = Role.AGENT,
    team: str | None = None,
    actor: User | None = None,
) -> User:
    """Create a user; refuse a bad e-mail, a taken e-mail, a short password or an unknown team.

    With no password (None) the user signs in through the LMS, as agents a roster adds do.
    """
    email = normalize_email(email)
    problems = []
    if not EMAIL_RE.match(email):
        problems.append(_("'%(email)s' is not an e-mail address", email=email[:80]))
    elif len(email) > MAX_EMAIL_LENGTH:
        problems.append(_("the e-mail is longer than %(num)d characters", num=MAX_EMAIL_LENGTH))
    elif find_user_by_email(email):
        problems.append(_("a user with e-mail %(email)s already exists", email=email))
    _check_name(name, "the name", problems)
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            _("the password must have at least %(num)d characters", num=MIN_PASSWORD_LENGTH)
        )
    role = _role(role, problems)
    team_row = None
    if team:
        team_row = find_team(team)
        if team_row is None:
            problems.append(_("unknown team '%(team)s'", team=team))
    if problems:
        raise ValidationError(problems)
    user = User(email=email, name=name.strip(), role=role, team=team_row)
    if password is not None:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(
        actor,
        "user.create",
        _subject(user),
        email=email,
        name=user.name,
        role=role.value,
        team=team_row.name if team_row else None,
    )
    return user


def needs_first_admin() -> bool:
    """True while ramp has no account at all: the first visitor may create its admin."""
    return db.session.execute(select(User.id).limit(1)).first() is None


def create_first_admin(email: str, name: str, password: str) -> User:
    """Create the first account, an admin, on an empty ramp; refused once any account exists."""
    if db.session.get_bind().dialect.name == "postgresql":
        # Two first visitors at once: the second waits here, then finds the first's account.
        db.session.execute(text("SELECT pg_advisory_xact_lock(727401)"))
    if not needs_first_admin():
        raise ValidationError([_("ramp already has accounts: sign in, or ask an admin for one")])
    user = create_user(email, name, password, Role.ADMIN)
    user_count = db.session.execute(select(func.count(User.id))).scalar_one()
    if user_count != 1:  # someone else set up ramp in the same moment
        raise ValidationError([_("ramp already has accounts: sign in, or ask an admin for one")])
    record(user, "user.first_admin", _subject(user), email=user.email)
    return user


def _active_admins() -> int:
    return db.session.execute(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN, User.is_active_account.is_(True))
    ).scalar_one()


def _last_admin(user: User) -> bool:
    """Whether `user` is the only active admin left."""
    return user.is_admin and user.is_active_account and _active_admins() <= 1


def _led_teams(user: User) -> list[Team]:
    return list(db.session.execute(select(Team).where(Team.manager_id == user.id)).scalars())


def update_user(
    user: User,
    role: Role | str | None = None,
    team: str | None = None,
    name: str | None = None,
    actor: User | None = None,
) -> User:
    """Change a user's name, role or team (None leaves it as it is; team "" means no team).

    An admin cannot demote themselves, the last active admin stays an admin, and a manager
    who leads a team stays a manager or admin until the team has another lead.
    """
    problems: list[str] = []
    new_role = _role(role, problems) if role is not None else user.role
    new_name = user.name if name is None else name.strip()
    _check_name(new_name, "the name", problems)
    new_team = user.team
    if team is not None:
        new_team = find_team(team) if team.strip() else None
        if team.strip() and new_team is None:
            problems.append(_("unknown team '%(team)s'", team=team))
    if new_role is not None and new_role is not user.role and user.is_admin:
        if actor is not None and actor.id == user.id:
            problems.append(_("you cannot change your own role; ask another admin"))
        elif _last_admin(user):
            problems.append(
                _(
                    "%(email)s is the last active admin; make another admin first",
                    email=user.email,
                )
            )
    if new_role is Role.AGENT and user.role is not Role.AGENT:
        for led in _led_teams(user):
            problems.append(
                _(
                    "%(email)s leads %(team)s; give the team another manager first",
                    email=user.email,
                    team=led.name,
                )
            )
    if problems:
        raise ValidationError(problems)
    changes = {}
    if new_name != user.name:
        changes["name"] = _change(user.name, new_name)
    if new_role is not user.role:
        changes["role"] = _change(user.role.value, new_role.value)
    if new_team is not user.team:
        changes["team"] = _change(
            user.team.name if user.team else None, new_team.name if new_team else None
        )
    user.name, user.role, user.team = new_name, new_role, new_team
    db.session.flush()
    if changes:
        record(actor, "user.update", _subject(user), **changes)
    return user


def deactivate_user(user: User, actor: User | None = None, reason: str | None = None) -> User:
    """Stop a user signing in; their history stays. Never yourself, never the last admin."""
    problems = []
    if not user.is_active_account:
        problems.append(_("%(email)s is already deactivated", email=user.email))
    elif actor is not None and actor.id == user.id:
        problems.append(_("you cannot deactivate your own account; ask another admin"))
    elif _last_admin(user):
        problems.append(
            _(
                "%(email)s is the last active admin; make another admin first",
                email=user.email,
            )
        )
    if problems:
        raise ValidationError(problems)
    user.is_active_account = False
    db.session.flush()
    record(actor, "user.deactivate", _subject(user), reason=reason or None, email=user.email)
    return user


def reactivate_user(user: User, actor: User | None = None, reason: str | None = None) -> User:
    """Let a deactivated user sign in again."""
    if user.is_active_account:
        raise ValidationError(_("%(email)s is already active", email=user.email))
    user.is_active_account = True
    db.session.flush()
    record(actor, "user.reactivate", _subject(user), reason=reason or None, email=user.email)
    return user


def _manager(manager_email: str | None, problems: list[str]) -> User | None:
    if not manager_email:
        return None
    manager = find_user_by_email(manager_email)
    if manager is None:
        problems.append(_("no user with e-mail %(email)s", email=manager_email))
    elif manager.role is Role.AGENT:
        problems.append(
            _(
                "%(email)s is an agent; a team is led by a manager or an admin",
                email=manager.email,
            )
        )
    elif not manager.is_active_account:
        problems.append(_("%(email)s is deactivated", email=manager.email))
    return manager


def create_team(name: str, manager_email: str | None = None, actor: User | None = None) -> Team:
    """Create a team, optionally led by an existing manager or admin."""
    problems = []
    name = name.strip()
    if _check_name(name, "the team name", problems) and find_team(name):
        problems.append(_("a team named '%(name)s' already exists", name=name))
    manager = _manager(manager_email, problems)
    if problems:
        raise ValidationError(problems)
    team = Team(name=name, manager=manager)
    db.session.add(team)
    db.session.flush()
    record(
        actor, "team.create", _subject(team), name=name, manager=manager.email if manager else None
    )
    return team


def update_team(
    team: Team, name: str, manager_email: str | None, actor: User | None = None
) -> Team:
    """Rename a team and set (or clear, with None or "") its manager."""
    problems = []
    name = name.strip()
    if _check_name(name, "the team name", problems) and name != team.name and find_team(name):
        problems.append(_("a team named '%(name)s' already exists", name=name))
    unchanged = team.manager is not None and manager_email is not None
    if unchanged and normalize_email(manager_email) == team.manager.email:
        manager = team.manager  # a deactivated lead may stay while the team is renamed
    else:
        manager = _manager(manager_email, problems)
    if problems:
        raise ValidationError(problems)
    changes = {}
    if name != team.name:
        changes["name"] = _change(team.name, name)
    if manager is not team.manager:
        changes["manager"] = _change(
            team.manager.email if team.manager else None, manager.email if manager else None
        )
    team.name, team.manager = name, manager
    db.session.flush()
    if changes:
        record(actor, "team.update", _subject(team), **changes)
    return team


def _user_and_team(email: str, team_name: str) -> tuple[User | None, Team | None, list[str]]:
    """The user and the team named, with a problem for each one that does not exist."""
    user, team = find_user_by_email(email), find_team(team_name)
    problems = []
    if user is None:
        problems.append(_("no user with e-mail %(email)s", email=email))
    if team is None:
        problems.append(_("unknown team '%(team)s'", team=team_name))
    return user, team, problems


def add_to_team(email: str, team_name: str, actor: User | None = None) -> User:
    """Put a user in a team (moving them out of the one they were in)."""
    user, team, problems = _user_and_team(email, team_name)
    if problems:
        raise ValidationError(problems)
    before = user.team.name if user.team else None
    user.team = team
    db.session.flush()
    record(actor, "team.add_member", _subject(team), email=user.email, previous_team=before)
    return user


def remove_from_team(email: str, team_name: str, actor: User | None = None) -> User:
    """Take a user out of a team; they keep their history and stay without a team."""
    user, team, problems = _user_and_team(email, team_name)
    if user is not None and team is not None and user.team_id != team.id:
        problems.append(_("%(email)s is not in %(team)s", email=user.email, team=team.name))
    if problems:
        raise ValidationError(problems)
    user.team = None
    db.session.flush()
    record(actor, "team.remove_member", _subject(team), email=user.email)
    return user


def manages(manager: User, user: User) -> bool:
    """True when `manager` may see `user`'s records: an admin, or the lead of the user's team."""
    if manager.is_admin:
        return True
    return manager.is_manager and user.team is not None and user.team.manager_id == manager.id


def set_language(user: User, locale: str | None) -> User:
    """Save the language the user chose for ramp's pages; None lets the LMS or the browser
    decide. `locale` must be one ramp ships (ramp.i18n.LANGUAGES)."""
    if locale is not None and locale not in LANGUAGES:
        raise ValidationError(_("ramp does not ship the language %(locale)r.", locale=locale))
    user.locale = locale
    db.session.flush()
    return user
