"""Read side of accounts: who a manager may see."""

from __future__ import annotations

from sqlalchemy import Row, select
from sqlalchemy.orm import selectinload

from ramp.accounts.models import Role, Team, User
from ramp.extensions import db


def visible_agents(viewer: User) -> list[User]:
    """Agents the viewer may see: all for an admin, their teams' for a manager, none otherwise."""
    stmt = select(User).where(User.role == Role.AGENT).options(selectinload(User.team))
    if viewer.is_admin:
        pass
    elif viewer.is_manager:
        stmt = stmt.join(Team, User.team_id == Team.id).where(Team.manager_id == viewer.id)
    else:
        return []
    return list(db.session.execute(stmt.order_by(User.name)).scalars())


def visible_teams(viewer: User) -> list[Team]:
    """Teams whose figures the viewer may see: all for an admin, the ones they lead for a
    manager, none otherwise."""
    stmt = select(Team).order_by(Team.name, Team.id)
    if viewer.is_admin:
        pass
    elif viewer.is_manager:
        stmt = stmt.where(Team.manager_id == viewer.id)
    else:
        return []
    return list(db.session.execute(stmt).scalars())


def list_teams() -> list[Team]:
    """All teams with their managers and members."""
    return list(
        db.session.execute(
            select(Team)
            .options(selectinload(Team.manager), selectinload(Team.members))
            .order_by(Team.name)
        ).scalars()
    )


# The order people are listed in: admins first, then managers and agents, each by name.
ROLE_ORDER = {Role.ADMIN: 0, Role.MANAGER: 1, Role.AGENT: 2}


def list_users() -> list[User]:
    """Everyone, admins first, then managers and agents, by name; with their teams."""
    users = db.session.execute(select(User).options(selectinload(User.team))).scalars()
    return sorted(users, key=lambda u: (ROLE_ORDER[u.role], u.name.casefold(), u.email))


def user_listing() -> list[Row]:
    """Everyone as plain rows (role, email, name, team, is_active_account), in list_users'
    order. Read from the tables, so a command that lists people builds no ORM mappers."""
    users, teams = User.__table__, Team.__table__
    rows = db.session.execute(
        select(
            users.c.role,
            users.c.email,
            users.c.name,
            teams.c.name.label("team"),
            users.c.is_active_account,
        ).select_from(users.outerjoin(teams, users.c.team_id == teams.c.id))
    ).all()
    return sorted(rows, key=lambda u: (ROLE_ORDER[u.role], u.name.casefold(), u.email))


def leaders() -> list[User]:
    """Active managers and admins: the people who may lead a team."""
    return list(
        db.session.execute(
            select(User)
            .where(User.role != Role.AGENT, User.is_active_account.is_(True))
            .order_by(User.name)
        ).scalars()
    )


def active_user(user_id: int) -> User | None:
    """The account with this id, unless it was deactivated."""
    return db.session.execute(
        select(User).where(User.id == user_id, User.is_active_account.is_(True))
    ).scalar_one_or_none()
