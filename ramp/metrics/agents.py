"""Agents as exports name them: which identifiers of a file ramp does not know, and the
links (AgentIdentity) from an agent's id in another tool to their ramp user. They flush; the
caller commits."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext
from sqlalchemy import select

from ramp.accounts.models import Role, User
from ramp.accounts.operations import create_user, find_user_by_email
from ramp.audit.operations import record
from ramp.errors import NotFound, ValidationError
from ramp.extensions import db
from ramp.metrics.agent_sync import write_links
from ramp.metrics.imports import agent_index, readable_file
from ramp.metrics.mapping import MappingSpec, RowErrors, read_rows, row_reader
from ramp.metrics.models import AgentIdentity
from ramp.metrics.rows import agent_key, open_text
from ramp.yamlspec import SLUG_PATTERN


@dataclass(frozen=True)
class UnknownAgent:
    """An agent a file names that matches no ramp user: by e-mail, or by their id in the tool."""

    kind: str  # "email" or "id"
    identifier: str  # as the file gives it (an e-mail address is compared in lower case)
    rows: int  # rows of the file that name them
    first_line: int


def unknown_agents(path: str | Path, mapping: MappingSpec) -> list[UnknownAgent]:
    """Every agent the file names that the import would not find, with their row counts.

    The rows are read and matched exactly as the import reads and matches them (the same
    row reader, agent key and agent index), so the two agree; rows the mapping skips and
    rows that cannot be read do not count. Raises ValidationError for an unreadable file.
    """
    agents = agent_index(mapping.source)
    read_values = row_reader(mapping)
    found: dict[tuple[str, str], list[int]] = {}
    with readable_file(), open_text(path) as fh:
        rows = read_rows(fh, mapping)
        while True:
            try:
                line, raw = next(rows)
            except StopIteration:
                break
            except RowErrors:
                continue
            try:
                values = read_values(line, raw)
            except RowErrors:
                continue
            if values is None:
                continue
            key = agent_key(values)
            if key is None or key in agents:
                continue
            seen = found.setdefault(key, [0, line])
            seen[0] += 1
    return sorted(
        (UnknownAgent(kind, ident, n, first) for (kind, ident), (n, first) in found.items()),
        key=lambda a: (-a.rows, a.identifier.casefold()),
    )


def check_source(source: str) -> None:
    """Refuse a source that is not named as mappings name a tool."""
    if not re.match(SLUG_PATTERN, source or ""):
        raise ValidationError(
            gettext(
                "'%(source)s' is not a source: name the tool as mappings do (e.g. zendesk)",
                source=source,
            )
        )


def link_agents(
    source: str, links: list[tuple[str, User]], actor: User | None
) -> list[AgentIdentity]:
    """Link agents' ids in a tool to their ramp users, so imports match them by that id.

    All or nothing: an empty id, an id given twice or already linked refuses them all. Each
    link is audited.
    """
    check_source(source)
    problems = []
    ids = [(external_id or "").strip() for external_id, _ in links]
    taken = dict(
        db.session.execute(
            select(AgentIdentity.external_id, AgentIdentity.user_id).where(
                AgentIdentity.source == source, AgentIdentity.external_id.in_(ids)
            )
        ).all()
    )
    seen: set[str] = set()
    for external_id, (_, user) in zip(ids, links, strict=True):
        if not external_id:
            problems.append(gettext("an agent's id is empty"))
        elif len(external_id) > 200:
            problems.append(
                gettext("the id '%(start)s…' is longer than 200 characters", start=external_id[:40])
            )
        elif external_id in taken:
            owner = db.session.get(User, taken[external_id])
            problems.append(
                gettext(
                    "%(source)s id '%(id)s' is already linked to %(email)s",
                    source=source,
                    id=external_id,
                    email=owner.email,
                )
            )
        elif external_id in seen:
            problems.append(
                gettext("%(source)s id '%(id)s' is given twice", source=source, id=external_id)
            )
        elif user is None:
            problems.append(
                gettext(
                    "choose the user to link %(source)s id '%(id)s' to",
                    source=source,
                    id=external_id,
                )
            )
        seen.add(external_id)
    if problems:
        raise ValidationError(problems)
    return write_links(
        source,
        [(external_id, user) for external_id, (_, user) in zip(ids, links, strict=True)],
        actor,
    )


def unlink_agent(link_id: int, actor: User | None) -> AgentIdentity:
    """Remove one link of an agent to their id in a tool; audited."""
    link = db.session.get(AgentIdentity, link_id)
    if link is None:
        raise NotFound(gettext("This link is gone (it was removed already)."))
    user = link.user
    record(
        actor,
        "agent_id.unlink",
        subject=f"user:{user.id}",
        source=link.source,
        external_id=link.external_id,
        email=user.email,
    )
    db.session.delete(link)
    db.session.flush()
    return link


@dataclass(frozen=True)
class NewAgent:
    """An agent to create from an import's unknown agents; external_id: their id in the tool."""

    name: str
    email: str
    team: str | None = None
    external_id: str | None = None


def create_agents(source: str, agents: list[NewAgent], actor: User | None) -> list[User]:
    """Create agents (and link each one's id in the tool, when the file names them by id).

    All or nothing: every problem of every agent is reported, each one named. The new users
    have no password they know: they sign in through the LMS, or once an admin sets one.
    Audited.
    """
    if not agents:
        raise ValidationError(gettext("Tick at least one agent to create."))
    problems: list[str] = []
    emails: set[str] = set()
    for agent in agents:
        who = agent.external_id or agent.email or agent.name or gettext("an agent")
        email = (agent.email or "").strip().lower()
        if email in emails:
            problems.append(
                gettext("%(who)s: the e-mail %(email)s is given twice", who=who, email=email)
            )
        emails.add(email)
    users: list[User] = []
    for agent in agents:
        who = agent.external_id or agent.email or agent.name or gettext("an agent")
        try:  # create_user checks everything before it adds the user
            users.append(
                create_user(
                    agent.email or "",
                    agent.name or "",
                    secrets.token_urlsafe(24),
                    Role.AGENT,
                    agent.team or None,
                    actor=actor,
                )
            )
        except ValidationError as exc:
            problems += [gettext("%(who)s: %(problem)s", who=who, problem=p) for p in exc.problems]
    if problems:
        raise ValidationError(problems)
    links = [(a.external_id, u) for a, u in zip(agents, users, strict=True) if a.external_id]
    if links:
        link_agents(source, links, actor)
    return users


def user_for_link(value: str | int | None) -> User | None:
    """The user a link form names, by id or e-mail; None when there is none."""
    if value in (None, ""):
        return None
    if isinstance(value, int) or str(value).isdecimal():
        return db.session.get(User, int(value))
    return find_user_by_email(str(value))
