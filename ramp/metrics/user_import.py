"""Many users at once from a CSV file: each one created or brought up to date, with their team
and their ids in other tools (the columns `agent_id:<source>`), through the same operations
as one user at a time (create_user, update_user, link_agents), so the same rules hold and
each change is audited the same way. They flush; the caller commits.

The whole file is checked before anything is kept: every row runs in a savepoint of the one
transaction, and a row that is refused is undone with every problem it has, by line. By
default a file with any bad row changes nothing; with accept_good the good rows stay. Run
again, the same file changes nothing: a user who is already as the row says is left as is.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace

from sqlalchemy import select

from ramp.accounts.models import Role, User
from ramp.accounts.operations import (
    create_user,
    find_user_by_email,
    generate_password,
    normalize_email,
    update_user,
)
from ramp.csvsafe import dict_reader
from ramp.errors import LineProblem, ValidationError
from ramp.extensions import db
from ramp.metrics.agents import check_source, link_agents
from ramp.metrics.models import AgentIdentity

COLUMNS = ("email", "name", "role", "team")
ID_PREFIX = "agent_id:"
MAX_HEADER_PROBLEMS = 20  # a header of thousands of unknown columns is one problem, told briefly
MAX_ID_COLUMNS = 50  # tools an agent has an id in: a handful, never thousands


@dataclass(frozen=True)
class UserRow:
    """One row of the file: the user it names, and their id in each tool it gives."""

    line: int
    email: str
    name: str
    role: str
    team: str
    ids: dict[str, str]  # source -> the agent's id there
    # Problems found reading it (an id given twice...): the row is checked, never imported.
    problems: tuple[LineProblem, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What importing one row did."""

    line: int
    email: str
    action: str  # "created", "updated" or "unchanged"
    changes: tuple[str, ...] = ()  # e.g. "role agent -> manager", "zendesk id 1234"
    password: str | None = None  # generated for a new manager or admin; shown once


@dataclass
class UsersImport:
    """The outcome of a users file: each good row's, and each bad row's problems."""

    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)
    bad_lines: int = 0
    written: bool = False

    def count(self, action: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)

    def summary(self) -> str:
        """One sentence: how many users were created, updated and left as they were."""
        counts = (
            f"{self.count('created')} created, {self.count('updated')} updated, "
            f"{self.count('unchanged')} unchanged"
        )
        if self.written:
            rejected = f"; {self.bad_lines} bad row(s) left out" if self.bad_lines else ""
            return f"users: {counts}{rejected}."
        if self.bad_lines:
            return (
                f"{self.bad_lines} bad row(s), {len(self.problems)} problem(s); "
                "nothing was imported."
            )
        return f"users: {counts}; nothing was written (dry run)."


class UsersFileRefused(Exception):
    """A users file that cannot be read at all (not CSV, no e-mail column): nothing was read."""

    def __init__(self, problems: list[LineProblem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def read_users_file(text: str) -> tuple[list[UserRow], list[LineProblem]]:
    """The rows of a users file, and the problems of rows that cannot be read (by line); a
    row with a problem of its own (an id given twice) comes with it, to be checked for more.

    Raises UsersFileRefused when the header itself is wrong: an e-mail or name column
    missing, an unknown column, a source that is not a tool's name.
    """
    reader = dict_reader(text)
    try:
        header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    except csv.Error as exc:
        raise UsersFileRefused([LineProblem(1, None, f"not a CSV file ({exc})")]) from exc
    _check_header(header)
    reader.fieldnames = header
    rows: list[UserRow] = []
    problems: list[LineProblem] = []
    emails: dict[str, int] = {}
    ids: dict[tuple[str, str], int] = {}
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # no telling where the next row starts: the file is refused
            raise UsersFileRefused(
                [LineProblem(reader.line_num, None, f"cannot be read as CSV ({exc})")]
            ) from exc
        line = reader.line_num
        if None in raw:
            problems.append(LineProblem(line, None, "more cells than the header has columns"))
            continue
        cells = {name: (value or "").strip() for name, value in raw.items()}
        row = UserRow(
            line=line,
            email=normalize_email(cells.get("email", "")),
            name=cells.get("name", ""),
            role=cells.get("role", "").lower(),
            team=cells.get("team", ""),
            ids={
                name.removeprefix(ID_PREFIX): value
                for name, value in cells.items()
                if name.startswith(ID_PREFIX) and value
            },
        )
        # Without an e-mail, or with one given before, a row names no one to check it for.
        if not row.email:
            problems.append(LineProblem(line, "email", "the e-mail is empty"))
            continue
        if row.email in emails:
            problems.append(
                LineProblem(
                    line, "email", f"{row.email} is given twice (also line {emails[row.email]})"
                )
            )
            continue
        emails[row.email] = line
        found: list[LineProblem] = []
        for source, external_id in list(row.ids.items()):
            key = (source, external_id)
            if key in ids:
                found.append(
                    LineProblem(
                        line,
                        ID_PREFIX + source,
                        f"{source} id '{external_id[:40]}' is given twice (also line {ids[key]})",
                    )
                )
                del row.ids[source]  # the rest of the row is still checked
            else:
                ids[key] = line
        rows.append(replace(row, problems=tuple(found)) if found else row)
    if not rows and not problems:
        raise UsersFileRefused([LineProblem(1, None, "the file has no users in it")])
    return rows, problems


def _check_header(header: list[str]) -> None:
    problems = []
    missing = [name for name in ("email", "name") if name not in header]
    if missing:
        found = ", ".join(h[:40] for h in header[:10]) + (", ..." if len(header) > 10 else "")
        problems.append(
            LineProblem(
                1, None, f"missing column(s): {', '.join(missing)} (found: {found or 'nothing'})"
            )
        )
    id_columns = sum(1 for name in header if name.startswith(ID_PREFIX))
    if id_columns > MAX_ID_COLUMNS:
        problems.append(
            LineProblem(1, None, f"{id_columns} agent_id columns: at most {MAX_ID_COLUMNS}")
        )
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(LineProblem(1, name[:40], "this column is given twice"))
        seen.add(name)
        if name.startswith(ID_PREFIX):
            try:
                check_source(name.removeprefix(ID_PREFIX))
            except ValidationError as exc:
                problems.append(LineProblem(1, name[:40], exc.problems[0]))
        elif name not in COLUMNS:
            problems.append(
                LineProblem(
                    1,
                    name[:40],
                    "unknown column (email, name, role, team, or agent_id:<source> such as "
                    "agent_id:zendesk)",
                )
            )
    if problems:
        if len(problems) > MAX_HEADER_PROBLEMS:
            more = len(problems) - MAX_HEADER_PROBLEMS
            problems = [*problems[:MAX_HEADER_PROBLEMS], LineProblem(1, None, f"and {more} more")]
        raise UsersFileRefused(problems)


def import_users(
    rows: list[UserRow],
    actor: User | None = None,
    accept_good: bool = False,
    dry_run: bool = False,
    unreadable: list[LineProblem] | None = None,
) -> UsersImport:
    """Create or update each row's user, team and ids, each row in a savepoint.

    `unreadable`: the problems read_users_file found, which count as bad rows. With any bad
    row nothing is kept unless accept_good; with dry_run nothing is kept at all. The caller
    commits when the result is `written`, and rolls back otherwise.
    """
    result = UsersImport(problems=list(unreadable or []))
    everything = db.session.begin_nested()
    for row in rows:
        one = db.session.begin_nested()
        result.problems.extend(row.problems)
        try:
            outcome = _import_row(row, actor)
        except ValidationError as exc:
            one.rollback()
            result.problems.extend(LineProblem(row.line, None, p) for p in exc.problems)
            continue
        if row.problems:
            one.rollback()
            continue
        one.commit()
        result.outcomes.append(outcome)
    result.bad_lines = len({problem.line for problem in result.problems})
    keep = not dry_run and (accept_good or not result.bad_lines)
    if keep and result.outcomes:
        everything.commit()
        result.written = True
    else:
        everything.rollback()
    result.problems.sort(key=lambda problem: problem.line)
    return result


def _import_row(row: UserRow, actor: User | None) -> Outcome:
    """One row: its user created or updated, then their ids linked. Raises ValidationError."""
    user = find_user_by_email(row.email)
    if user is None:
        # A new manager or admin gets a password to sign in with; a new agent none, like the
        # agents a roster adds: they sign in through the LMS.
        password = generate_password() if row.role in (Role.MANAGER, Role.ADMIN) else None
        user = create_user(
            row.email, row.name, password, row.role or Role.AGENT, row.team or None, actor=actor
        )
        action, changes = "created", []
    else:
        before = _described(user)
        update_user(
            user, role=row.role or None, team=row.team or None, name=row.name or None, actor=actor
        )
        changes = [
            f"{what} {old or '-'} -> {new or '-'}"
            for what, old, new in zip(
                ("name", "role", "team"), before, _described(user), strict=True
            )
            if old != new
        ]
        action, password = ("updated" if changes else "unchanged"), None
    changes += _link_ids(user, row.ids, actor)
    if action == "unchanged" and changes:
        action = "updated"
    return Outcome(row.line, user.email, action, tuple(changes), password)


def _described(user: User) -> tuple[str, str, str | None]:
    return user.name, user.role.value, user.team.name if user.team else None


def _link_ids(user: User, ids: dict[str, str], actor: User | None) -> list[str]:
    """Link the user's ids that are not linked to them yet; the new links, described."""
    linked = []
    for source, external_id in ids.items():
        owner = db.session.execute(
            select(AgentIdentity.user_id).where(
                AgentIdentity.source == source, AgentIdentity.external_id == external_id
            )
        ).scalar_one_or_none()
        if owner == user.id:
            continue
        link_agents(source, [(external_id, user)], actor)  # refuses an id linked to another
        linked.append(f"{source} id {external_id}")
    return linked
