"""Roster CSV import: the whole file is checked before any hire is created."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ramp.accounts.models import Role, User
from ramp.accounts.operations import EMAIL_RE, normalize_email
from ramp.csvsafe import dict_reader
from ramp.errors import LineProblem
from ramp.extensions import db
from ramp.milestones.models import Cohort, Hire
from ramp.milestones.operations import NewHire, clean_placement

REQUIRED = ("name", "email", "start_date", "manager", "cohort")
OPTIONAL = ("queue", "channel", "tier", "product_line", "language", "skills")


RosterProblem = LineProblem  # a problem placed by line and column


class RosterError(Exception):
    """A roster that cannot be imported; nothing was created."""

    def __init__(self, problems: list[RosterProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def parse_roster(text: str) -> list[NewHire]:
    """Check every row of a roster CSV; return the hires to create or raise RosterError."""
    reader = dict_reader(text)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise RosterError(
            [
                RosterProblem(
                    1,
                    None,
                    "missing column(s): "
                    + ", ".join(missing)
                    + f" (found: {', '.join(header) or 'nothing'})",
                )
            ]
        )
    reader.fieldnames = header
    rows = list(enumerate(reader, start=2))
    if not rows:
        raise RosterError([RosterProblem(1, None, "the roster has no rows")])
    cohorts = {c.name: c for c in db.session.execute(select(Cohort)).scalars()}
    emails = {normalize_email(r.get("manager") or "") for _, r in rows}
    managers = {
        u.email: u for u in db.session.execute(select(User).where(User.email.in_(emails))).scalars()
    }
    problems: list[RosterProblem] = []
    seen: dict[str, int] = {}
    hires: list[NewHire] = []
    for line, row in rows:
        row = {k: (v or "").strip() for k, v in row.items() if k}
        bad = len(problems)
        for col in REQUIRED:
            if not row.get(col):
                problems.append(RosterProblem(line, col, f"{col} is empty"))
        email = normalize_email(row.get("email", ""))
        if email and not EMAIL_RE.match(email):
            problems.append(RosterProblem(line, "email", f"'{email}' is not an e-mail address"))
        elif email in seen:
            problems.append(
                RosterProblem(line, "email", f"{email} appears twice (also line {seen[email]})")
            )
        elif email:
            seen[email] = line
        start = None
        if row.get("start_date"):
            try:
                start = date.fromisoformat(row["start_date"])
            except ValueError:
                problems.append(
                    RosterProblem(
                        line, "start_date", f"'{row['start_date']}' is not a date (use YYYY-MM-DD)"
                    )
                )
        manager = None
        if row.get("manager"):
            manager = managers.get(normalize_email(row["manager"]))
            if manager is None:
                problems.append(
                    RosterProblem(line, "manager", f"unknown manager '{row['manager']}'")
                )
            elif manager.role is Role.AGENT:
                problems.append(
                    RosterProblem(line, "manager", f"{manager.email} is an agent, not a manager")
                )
        cohort = cohorts.get(row.get("cohort", ""))
        if row.get("cohort") and cohort is None:
            problems.append(RosterProblem(line, "cohort", f"unknown cohort '{row['cohort']}'"))
        placement, placement_problems = clean_placement({k: row.get(k) for k in OPTIONAL})
        problems.extend(RosterProblem(line, "channel", p) for p in placement_problems)
        if len(problems) == bad:
            hires.append(NewHire(row["name"], email, start, manager, cohort, placement))
    # Already hired into the same cohort?
    if hires:
        existing = set(
            db.session.execute(
                select(User.email, Hire.cohort_id)
                .join(Hire, Hire.user_id == User.id)
                .where(User.email.in_(seen))
            ).all()
        )
        agents = {
            u.email: u
            for u in db.session.execute(select(User).where(User.email.in_(seen))).scalars()
        }
        for h in hires:
            if (h.email, h.cohort.id) in existing:
                problems.append(
                    RosterProblem(
                        seen[h.email], "email", f"{h.email} is already a hire in {h.cohort.name}"
                    )
                )
            elif h.email in agents and agents[h.email].role is not Role.AGENT:
                problems.append(
                    RosterProblem(
                        seen[h.email],
                        "email",
                        f"{h.email} belongs to a {agents[h.email].role.value}, not an agent",
                    )
                )
    if problems:
        raise RosterError(sorted(problems, key=lambda p: p.line))
    return hires
