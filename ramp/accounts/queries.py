"""Read side of accounts: who a manager may see."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Row, Select, case, func, or_, select
from sqlalchemy.orm import selectinload

from ramp.accounts.models import Role, Team, User
from ramp.database import page_of
from ramp.extensions import db

PEOPLE_PAGE_SIZE = 50


def _visible_agents(viewer: User) -> Select | None:
    """The agents the viewer may see: all for an admin, their teams' for a manager."""
    stmt = select(User).where(User.role == Role.AGENT)
    if viewer.is_admin:
        return stmt
    if viewer.is_manager:
        return stmt.join(Team, User.team_id == Team.id).where(Team.manager_id == viewer.id)
    return None


def visible_agents(viewer: User) -> list[User]:
    """Agents the viewer may see: all for an admin, their teams' for a manager, none otherwise."""
    stmt = _visible_agents(viewer)
    if stmt is None:
        return []
    return list(
        db.session.execute(stmt.options(selectinload(User.team)).order_by(User.name)).scalars()
    )


@dataclass(frozen=True)
class PeoplePage:
    """One page of a list of people, with how many match the search on every page."""

    people: list[User]
    matching: int
    page: int
    pages: int
    search: str

    @property
    def first(self) -> int:
        """The place of the page's first person among those matching (1-based; 0: none)."""
        return (self.page - 1) * PEOPLE_PAGE_SIZE + 1 if self.people else 0


def _page_of_people(stmt: Select | None, order: tuple, search: str, page: int) -> PeoplePage:
    """The people `stmt` selects whose name or e-mail contains `search` (case aside; `%`
    and `_` are themselves): counted, then only the asked page read, however many there are."""
    search = search.strip()
    if stmt is None:
        return PeoplePage([], 0, 1, 1, search)
    if search:
        stmt = stmt.where(
            or_(
                User.name.icontains(search, autoescape=True),
                User.email.icontains(search, autoescape=True),
            )
        )
    matching = db.session.execute(
        stmt.with_only_columns(func.count(User.id)).order_by(None)
    ).scalar_one()
    page, pages = page_of(matching, PEOPLE_PAGE_SIZE, page)
    people = list(
        db.session.execute(
            stmt.options(selectinload(User.team))
            .order_by(*order)
            .limit(PEOPLE_PAGE_SIZE)
            .offset((page - 1) * PEOPLE_PAGE_SIZE)
        ).scalars()
    )
    return PeoplePage(people, matching, page, pages, search)


def agents_page(viewer: User, search: str = "", page: int = 1) -> PeoplePage:
    """A page of the agents the viewer may see, by name, searched by name or e-mail."""
    return _page_of_people(_visible_agents(viewer), (User.name, User.id), search, page)


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


def people_page(search: str = "", page: int = 1) -> PeoplePage:
    """A page of everyone (the admin's People page), in list_users' order: admins, then
    managers, then agents, each by name; searched by name or e-mail."""
    order = (case(ROLE_ORDER, value=User.role), func.lower(User.name), User.email)
    return _page_of_people(select(User), order, search, page)


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
