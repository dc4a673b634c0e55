"""Undoing an import run: the records it created are removed, and the records it updated get
back the values they had before it (kept by the import in replaced_contacts and
replaced_qa_evaluations). Then the agents' weekly figures and plans are worked out again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext, ngettext
from sqlalchemy import Table, bindparam, delete, func, select, update

from ramp.accounts.models import User, utcnow
from ramp.audit.operations import record
from ramp.errors import NotFound, ValidationError
from ramp.events import announce
from ramp.extensions import db
from ramp.metrics.categories import write_restored
from ramp.metrics.import_lock import describe, hold_until_transaction_ends
from ramp.metrics.models import (
    Contact,
    ImportRun,
    QAEvaluation,
    replaced_contacts,
    replaced_qa_evaluations,
)

_OWN = {"id", "replaced_by_run_id", "record_id"}
_KEY = {"source", "external_id"}
RESTORE_BATCH = 1000  # kept rows written back per statement


@dataclass(frozen=True)
class LaterRun:
    """A later run that updated records of the run to undo: it must be undone first."""

    id: int
    filename: str
    started_at: datetime
    records: int


@dataclass(frozen=True)
class UndoPlan:
    """What undoing a run would do, or why it cannot be undone."""

    run: ImportRun
    removed: int  # records the run created: deleted
    restored: int  # records the run updated: given back their earlier values
    agents: int  # agents whose figures and plans are worked out again
    later_runs: list[LaterRun]
    problems: list[str]

    @property
    def possible(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class UndoResult:
    run_id: int
    removed: int
    restored: int
    agents: int
    milestones_changed: int


def _tables(run: ImportRun) -> tuple[Table, Table]:
    """The run's records table and its table of replaced values."""
    if run.kind == "qa":
        return QAEvaluation.__table__, replaced_qa_evaluations
    return Contact.__table__, replaced_contacts


def find_run(run_id: int) -> ImportRun:
    """An import run by its number, or NotFound."""
    run = db.session.get(ImportRun, run_id)
    if run is None:
        raise NotFound(gettext("There is no import run %(run)s.", run=run_id))
    return run


def _affected_users(run: ImportRun) -> set[int]:
    table, replaced = _tables(run)
    users = set(
        db.session.execute(
            select(table.c.user_id).where(table.c.import_run_id == run.id).distinct()
        ).scalars()
    )
    users |= set(
        db.session.execute(
            select(replaced.c.user_id).where(replaced.c.replaced_by_run_id == run.id).distinct()
        ).scalars()
    )
    return users


def undo_plan(run_id: int) -> UndoPlan:
    """What undoing this run would remove and restore, and what stands in the way."""
    run = find_run(run_id)
    table, replaced = _tables(run)
    problems: list[str] = []
    if run.status == "failed":
        problems.append(
            gettext(
                "Import run %(run)s failed: nothing of it was written, so there is nothing to "
                "undo.",
                run=run.id,
            )
        )
    elif run.status == "undone":
        if run.undone_at:
            problems.append(
                gettext(
                    "Import run %(run)s was already undone (%(when)s).",
                    run=run.id,
                    when=run.undone_at.strftime("%Y-%m-%d %H:%M"),
                )
            )
        else:
            problems.append(
                gettext(
                    "Import run %(run)s was already undone (%(when)s).",
                    run=run.id,
                    when=gettext("earlier"),
                )
            )
    elif run.status != "done":
        status = {"queued": gettext("queued"), "running": gettext("running")}
        problems.append(
            gettext(
                "Import run %(run)s is still %(status)s.",
                run=run.id,
                status=status.get(run.status, run.status),
            )
        )
    # Records of this run that a later run has updated since: their current values are the
    # later run's, and that run's undo gives them back to this one first.
    later = db.session.execute(
        select(replaced.c.replaced_by_run_id, func.count())
        .join(table, table.c.id == replaced.c.record_id)
        .where(replaced.c.import_run_id == run.id)
        .group_by(replaced.c.replaced_by_run_id)
        .order_by(replaced.c.replaced_by_run_id.desc())
    ).all()
    later_runs = []
    for later_id, count in later:
        other = db.session.get(ImportRun, later_id)
        later_runs.append(LaterRun(later_id, other.filename, other.started_at, count))
    if later_runs and not problems:
        names = ", ".join(
            [
                ngettext(
                    "run %(run)s (%(file)s, %(num)d record)",
                    "run %(run)s (%(file)s, %(num)d records)",
                    r.records,
                    run=r.id,
                    file=r.filename,
                )
                for r in later_runs
            ]
        )
        if len(later_runs) > 1:
            advice = gettext(
                "Undo run %(later)s first, then the others listed, newest first.",
                later=later_runs[0].id,
            )
        else:
            advice = gettext("Undo run %(later)s first.", later=later_runs[0].id)
        problems.append(
            gettext(
                "Later imports have updated records of import run %(run)s since: %(runs)s. "
                "%(advice)s",
                run=run.id,
                runs=names,
                advice=advice,
            )
        )
    mine = replaced.c.replaced_by_run_id == run.id
    restored = db.session.execute(
        select(func.count()).select_from(replaced).where(mine)
    ).scalar_one()
    written = db.session.execute(
        select(func.count()).select_from(table).where(table.c.import_run_id == run.id)
    ).scalar_one()
    removed = max(0, written - restored) if run.status == "done" else 0
    agents = len(_affected_users(run)) if run.status == "done" else 0
    return UndoPlan(run, removed, restored, agents, later_runs, problems)


def _restore(run: ImportRun, table: Table, replaced: Table) -> int:
    """Write the values the run replaced back into its records, a batch at a time."""
    # Plain statements any SQLite runs (UPDATE ... FROM needs 3.33); memory stays flat in
    # the run's size: the kept rows are read in batches by their own id. Source and id are
    # the same by definition, so they are left alone.
    columns = [c.name for c in replaced.columns if c.name not in _OWN | _KEY]
    statement = update(table).where(table.c.id == bindparam("record_id_"))
    query = (
        select(
            replaced.c.id,
            replaced.c.record_id.label("record_id_"),
            *[replaced.c[c] for c in columns],
        )
        .where(replaced.c.replaced_by_run_id == run.id)
        .order_by(replaced.c.id)
        .limit(RESTORE_BATCH)
    )
    restored, last = 0, 0
    while rows := db.session.execute(query.where(replaced.c.id > last)).all():
        last = rows[-1].id
        values = [{k: v for k, v in row._mapping.items() if k != "id"} for row in rows]
        db.session.execute(statement, values)
        restored += len(values)
    return restored


def undo_import(
    run_id: int, actor: User | None, reason: str | None = None, **details
) -> UndoResult:
    """Undo an import run: remove what it created, give back what it updated; audited.

    Refused (ValidationError, nothing changed) for a failed or undone run, and for a run
    whose records a later run has updated since (that run must be undone first). The agents'
    weekly figures and plans are worked out again. Holds the import lock (ImportBusy while
    an import runs) until the caller's transaction ends. Flushes; the caller commits.
    """
    # Imported here: ramp.milestones.operations reads this area's figures and targets at
    # import time, so importing it (and the weekly parts it feeds) at the top is a circle.
    from ramp.metrics.weekly import refresh_weeks
    from ramp.milestones.operations import evaluate_users

    hold_until_transaction_ends(
        describe(f"undo of import {run_id}", actor.email if actor else None)
    )
    plan = undo_plan(run_id)
    if not plan.possible:
        raise ValidationError(plan.problems)
    run = plan.run
    table, replaced = _tables(run)
    users = _affected_users(run)
    restored = _restore(run, table, replaced)
    if run.kind == "qa":
        write_restored(run.id)
    # What still names this run after the restore is what it created.
    removed = db.session.execute(delete(table).where(table.c.import_run_id == run.id)).rowcount
    db.session.execute(delete(replaced).where(replaced.c.replaced_by_run_id == run.id))
    run.status = "undone"
    run.undone_at = utcnow()
    run.undone_by_id = actor.id if actor is not None else None
    db.session.flush()
    refresh_weeks(users)
    changed = evaluate_users(users)
    # What the undo gave back may call for a coaching refresher (ramp.coaching listens).
    announce("records.changed", user_ids=sorted(users))
    record(
        actor,
        "import.undo",
        subject=f"import:{run.id}",
        reason=reason,
        filename=run.filename,
        removed=removed,
        restored=restored,
        agents=len(users),
        **details,
    )
    return UndoResult(run.id, removed, restored, len(users), changed)
