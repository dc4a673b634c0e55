"""Agent ids learned in bulk: from a helpdesk's users export, and from a QA or contacts export
that names each agent by both their id and their e-mail. Nothing here re-links an id that is
linked to someone else: such an id is reported as a conflict. They flush; the caller commits.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext
from sqlalchemy import func, select

from ramp.accounts.models import User
from ramp.audit.operations import record
from ramp.errors import ValidationError
from ramp.extensions import db
from ramp.metrics.models import AgentIdentity

MAX_ROWS = 20_000
MAX_ID_LENGTH = 200


@dataclass(frozen=True)
class HelpdeskExport:
    """Where a helpdesk's users export keeps the id its ticket exports name agents by, and the
    e-mail. Each is a list of header names tried in order (compared ignoring case); `id_parts`
    joins several columns with a space (HubSpot names a ticket's owner "First Last")."""

    source: str  # the source the shipped preset of the helpdesk imports under
    label: str
    id_columns: tuple[str, ...]
    email_columns: tuple[str, ...]
    id_parts: tuple[str, ...] = ()
    confirmed: bool = False  # the column names are confirmed by the vendor's documentation


EXPORTS = {
    # Admin Center > People > Team members > Actions > Export team members: ID, Name, Email,
    # Suspended, ... (support.zendesk.com/hc/en-us/articles/5407034434842). The ticket export
    # names the assignee by name, so the name is the id to link.
    "zendesk": HelpdeskExport("zendesk", "Zendesk", ("Name",), ("Email",), confirmed=True),
    # Agents list (Admin > Agents); the ticket export names the agent by name.
    "freshdesk": HelpdeskExport(
        "freshdesk", "Freshdesk", ("Name", "Agent Name", "Agent"), ("Email", "Agent Email")
    ),
    # The User object exported with its API field names (Data Export, or Data Loader in upper
    # case): Id is what a Case's OwnerId holds.
    "salesforce": HelpdeskExport(
        "salesforce", "Salesforce", ("Id", "User ID"), ("Email",), confirmed=True
    ),
    # Settings > Teammates > export: the teammate's id, as the conversations report's
    # "Teammate currently assigned ID".
    "intercom": HelpdeskExport(
        "intercom", "Intercom", ("ID", "Teammate ID", "Id"), ("Email", "Email address")
    ),
    # Settings > Users & Teams > Export users: User ID, First name, Last name, Email address,
    # ... (knowledge.hubspot.com/user-management/export-users). Tickets name their owner
    # "First Last".
    "hubspot": HelpdeskExport(
        "hubspot",
        "HubSpot",
        (),
        ("Email", "Email address", "Email Address"),
        id_parts=("First Name", "Last Name"),
        confirmed=True,
    ),
}


@dataclass(frozen=True)
class AgentRow:
    """One agent of a users export: where, their id in the helpdesk, their e-mail."""

    line: int
    external_id: str
    email: str


@dataclass
class LinkPlan:
    """What linking a users export would do: every agent of the file in one of the lists."""

    source: str
    matched: list[tuple[AgentRow, User]] = field(default_factory=list)  # would be linked
    linked: list[AgentRow] = field(default_factory=list)  # already linked to that user
    unknown: list[AgentRow] = field(default_factory=list)  # no ramp user has the e-mail
    conflicts: list[tuple[AgentRow, str]] = field(default_factory=list)  # (row, why)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, why): no id or e-mail


def _column(headers: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if name.casefold() in headers:
            return headers[name.casefold()]
    return None


def _cell(cells: list[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) else ""


def read_users_export(data: bytes, source: str) -> list[AgentRow]:
    """The agents of a helpdesk's users export (CSV, UTF-8, any common delimiter). Refuses
    a file that is not UTF-8, not CSV, or lacks the columns the helpdesk's export has."""
    fmt = EXPORTS.get(source)
    if fmt is None:
        raise ValidationError(
            gettext(
                "Unknown helpdesk '%(source)s': choose %(names)s.",
                source=source[:40],
                names=", ".join(EXPORTS),
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            gettext("The file is not UTF-8 text; export it again as CSV (UTF-8).")
        ) from None
    if not text.strip():
        raise ValidationError(gettext("The file is empty."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect, strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ValidationError(gettext("The file is not CSV with a header row.")) from None
    headers = {h.strip().casefold(): i for i, h in enumerate(header) if h.strip()}
    by_name = {h.strip().casefold(): h.strip() for h in header if h.strip()}
    email_at = _column(headers, fmt.email_columns)
    if fmt.id_parts:
        parts_at = [headers.get(p.casefold()) for p in fmt.id_parts]
        id_wanted = " + ".join(fmt.id_parts)
        id_found = all(p is not None for p in parts_at)
    else:
        id_at = _column(headers, fmt.id_columns)
        id_wanted = " or ".join(fmt.id_columns)
        id_found = id_at is not None
    if email_at is None or not id_found:
        raise ValidationError(
            gettext(
                "This is not a %(tool)s users export: it needs the columns %(id)s and "
                "%(email)s; it has %(found)s.",
                tool=fmt.label,
                id=id_wanted,
                email=" or ".join(fmt.email_columns),
                found=", ".join(list(by_name.values())[:20]) or "none",
            )
        )
    rows = []
    try:
        for line, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise ValidationError(
                    gettext("The file has more than %(num)d agents.", num=MAX_ROWS)
                )

            if fmt.id_parts:
                external_id = " ".join(p for p in (_cell(cells, i) for i in parts_at) if p)
            else:
                external_id = _cell(cells, id_at)
            rows.append(AgentRow(line, external_id, _cell(cells, email_at).lower()))
    except csv.Error as exc:
        raise ValidationError(
            gettext("The file is not valid CSV: %(error)s", error=str(exc))
        ) from None
    return rows


def plan_links(source: str, rows: list[AgentRow]) -> LinkPlan:
    """Sort a file's agents: to link, already linked, unknown e-mail, conflicting, unusable.

    A conflict is an id linked to another user, an id the file gives twice, or an e-mail the
    file gives with two ids.
    """
    plan = LinkPlan(source)
    emails = {r.email for r in rows if r.email}
    users = {
        email: user
        for email, user in db.session.execute(
            select(func.lower(User.email), User).where(func.lower(User.email).in_(emails))
        ).all()
    }
    ids = {r.external_id for r in rows if r.external_id}
    owners = dict(
        db.session.execute(
            select(AgentIdentity.external_id, AgentIdentity.user_id).where(
                AgentIdentity.source == source, AgentIdentity.external_id.in_(ids)
            )
        ).all()
    )
    seen_ids: dict[str, str] = {}
    for row in rows:
        if not row.external_id:
            plan.skipped.append((row.line, gettext("no id")))
            continue
        if len(row.external_id) > MAX_ID_LENGTH:
            plan.skipped.append((row.line, gettext("the id is longer than 200 characters")))
            continue
        if not row.email:
            plan.skipped.append((row.line, gettext("no e-mail")))
            continue
        if row.external_id in seen_ids:
            plan.conflicts.append(
                (
                    row,
                    gettext(
                        "the file gives this id twice (also for %(email)s)",
                        email=seen_ids[row.external_id],
                    ),
                )
            )
            continue
        seen_ids[row.external_id] = row.email
        user = users.get(row.email)
        owner_id = owners.get(row.external_id)
        if user is None:
            plan.unknown.append(row)
        elif owner_id is not None and owner_id != user.id:
            owner = db.session.get(User, owner_id)
            plan.conflicts.append((row, gettext("already linked to %(email)s", email=owner.email)))
        elif owner_id == user.id:
            plan.linked.append(row)
        else:
            plan.matched.append((row, user))
    return plan


def link_planned(plan: LinkPlan, actor: User | None) -> list[AgentIdentity]:
    """Link every matched agent, all or none, and audit each link and the batch."""
    from_file = [(row.external_id, user) for row, user in plan.matched]
    if not from_file:
        raise ValidationError(gettext("Nothing to link: no agent of the file matched a ramp user."))
    links = write_links(plan.source, from_file, actor)
    record(
        actor,
        "agent_id.sync",
        subject=f"source:{plan.source}",
        source=plan.source,
        linked=len(links),
        unknown=len(plan.unknown),
        conflicts=len(plan.conflicts),
    )
    return links


def write_links(
    source: str, links: list[tuple[str, User]], actor: User | None
) -> list[AgentIdentity]:
    """Write (agent id, user) links already checked free, each audited (agent_id.link)."""
    made = [AgentIdentity(source=source, external_id=ext, user_id=user.id) for ext, user in links]
    db.session.add_all(made)
    db.session.flush()
    for link, (_, user) in zip(made, links, strict=True):
        record(
            actor,
            "agent_id.link",
            subject=f"user:{user.id}",
            source=source,
            external_id=link.external_id,
            email=user.email,
        )
    return made


def confirm_links(source: str, previewed: list[tuple[str, str]], actor: User | None):
    """Link the agents a preview showed as matched, all or none: when any of them no longer
    matches (a user gone, an id linked meanwhile), nothing is linked and each is named."""
    rows = [
        AgentRow(n, ext, (email or "").strip().lower())
        for n, (ext, email) in enumerate(previewed, start=1)
    ]
    plan = plan_links(source, rows)
    problems = [
        gettext("%(id)s (%(email)s): %(reason)s", id=r.external_id, email=r.email, reason=why)
        for r, why in plan.conflicts
    ]
    problems += [
        gettext("%(id)s: no ramp user has the e-mail %(email)s", id=r.external_id, email=r.email)
        for r in plan.unknown
    ]
    problems += [gettext("row %(line)d: %(reason)s", line=n, reason=why) for n, why in plan.skipped]
    if problems:
        raise ValidationError(
            [gettext("Nothing was linked: the agents changed since the preview."), *problems]
        )
    return link_planned(plan, actor)


@dataclass
class LearnedLinks:
    """What an import learned: ids linked from its rows' e-mails, and the ids it did not link."""

    linked: list[tuple[str, str]] = field(default_factory=list)  # (id, e-mail)
    conflicts: list[str] = field(default_factory=list)  # one sentence each


def learn_from_rows(
    source: str, pairs: dict[tuple[str, str], int], actor: User | None, write: bool
) -> LearnedLinks:
    """From an export's rows that name an agent by both id and e-mail, link each id not yet
    linked to the user with that e-mail (when `write`); an id linked to someone else, or
    given with two e-mails, is reported, never re-linked."""
    learned = LearnedLinks()
    by_id: dict[str, set[str]] = {}
    for (external_id, email), _line in pairs.items():
        by_id.setdefault(external_id, set()).add(email)
    rows = []
    for external_id, emails in sorted(by_id.items()):
        if len(emails) > 1:
            learned.conflicts.append(
                gettext(
                    "%(source)s id '%(id)s' comes with several e-mails (%(emails)s): not linked",
                    source=source,
                    id=external_id,
                    emails=", ".join(sorted(emails)),
                )
            )
            continue
        [email] = emails
        rows.append(AgentRow(pairs[(external_id, email)], external_id, email))
    plan = plan_links(source, rows)
    for row, reason in plan.conflicts:
        learned.conflicts.append(
            gettext(
                "%(source)s id '%(id)s' (%(email)s): %(reason)s",
                source=source,
                id=row.external_id,
                email=row.email,
                reason=reason,
            )
        )
    if plan.matched:
        learned.linked = [(row.external_id, user.email) for row, user in plan.matched]
        if write:
            write_links(source, [(row.external_id, user) for row, user in plan.matched], actor)
    return learned


def read_helpdesk_file(path: str | Path, source: str) -> list[AgentRow]:
    """read_users_export for a file on disk."""
    return read_users_export(Path(path).read_bytes(), source)
