"""Changes to users and teams. They flush; the caller commits."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from ramp.accounts.models import Role, Team, User
from ramp.errors import ValidationError
from ramp.extensions import db

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8


def normalize_email(email: str) -> str:
    """E-mail addresses compare case-insensitively."""
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    """The user with this e-mail address, if any."""
    return db.session.execute(
        select(User).where(func.lower(User.email) == normalize_email(email))
    ).scalar_one_or_none()


def find_team(name: str) -> Team | None:
    """The team with this name, if any."""
    return db.session.execute(select(Team).where(Team.name == name.strip())).scalar_one_or_none()


def create_user(
    email: str, name: str, password: str, role: Role | str = Role.AGENT, team: str | None = None
) -> User:
    """Create a user; refuse a bad e-mail, a taken e-mail, a short password or an unknown team."""
    email = normalize_email(email)
    problems = []
    if not EMAIL_RE.match(email):
        problems.append(f"'{email}' is not an e-mail address")
    elif find_user_by_email(email):
        problems.append(f"a user with e-mail {email} already exists")
    if not name.strip():
        problems.append("the name is empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    try:
        role = Role(role)
    except ValueError:
        problems.append(f"unknown role '{role}' (agent, manager or admin)")
    team_row = None
    if team:
        team_row = find_team(team)
        if team_row is None:
            problems.append(f"unknown team '{team}'")
    if problems:
        raise ValidationError(problems)
    user = User(email=email, name=name.strip(), role=role, team=team_row)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def create_team(name: str, manager_email: str | None = None) -> Team:
    """Create a team, optionally led by an existing manager or admin."""
    problems = []
    name = name.strip()
    if not name:
        problems.append("the team name is empty")
    elif find_team(name):
        problems.append(f"a team named '{name}' already exists")
    manager = None
    if manager_email:
        manager = find_user_by_email(manager_email)
        if manager is None:
            problems.append(f"no user with e-mail {manager_email}")
        elif manager.role is Role.AGENT:
            problems.append(f"{manager.email} is an agent; a team is led by a manager or an admin")
    if problems:
        raise ValidationError(problems)
    team = Team(name=name, manager=manager)
    db.session.add(team)
    db.session.flush()
    return team


def add_to_team(email: str, team_name: str) -> User:
    """Put an agent in a team."""
    user = find_user_by_email(email)
    team = find_team(team_name)
    problems = []
    if user is None:
        problems.append(f"no user with e-mail {email}")
    if team is None:
        problems.append(f"unknown team '{team_name}'")
    if problems:
        raise ValidationError(problems)
    user.team = team
    db.session.flush()
    return user


def manages(manager: User, user: User) -> bool:
    """True when `manager` may see `user`'s records: an admin, or the lead of the user's team."""
    if manager.is_admin:
        return True
    return manager.is_manager and user.team is not None and user.team.manager_id == manager.id
