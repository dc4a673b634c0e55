"""Each hire's earliest due refresher (hires.coaching_due), kept set-based.

The milestone evaluation reads hires.coaching_due, not the assignments: an overdue
refresher raises the hire to at risk (docs/statuses.md). Whatever opens, closes or moves an
assignment calls refresh_due for the hires it touched, in its transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import case, func, select, update

from ramp.coaching.models import OPEN, CoachingAssignment
from ramp.extensions import db
from ramp.formatting import format_date
from ramp.milestones.models import Hire
from ramp.milestones.operations import evaluate_hires

_CHUNK = 500


def overdue(due: date | None, today: date) -> bool:
    """Whether a refresher due on `due` is overdue on `today` (due today is not yet)."""
    return due is not None and due < today


def overdue_reason(due: date | None, today: date) -> str | None:
    """Why an overdue refresher raised the hire to at risk, as the board shows it; None when
    nothing is overdue."""
    if not overdue(due, today):
        return None
    return _("coaching refresher overdue since %(date)s", date=format_date(due))


def refresh_due(hire_ids: Iterable[int], today: date, evaluate: bool = True) -> list[int]:
    """Write hires.coaching_due for these hires from their open assignments; re-evaluate the
    hires whose overdue state changed (when `evaluate`), and return their ids."""
    ids = sorted(set(hire_ids))
    changed: list[int] = []
    # The hire's assignments found by hire (the status filtered inside the aggregate): with
    # the status in WHERE, SQLite walks the index of every open assignment for each hire.
    open_due = case((CoachingAssignment.status == OPEN, CoachingAssignment.due_on))
    earliest = (
        select(func.min(open_due)).where(CoachingAssignment.hire_id == Hire.id).scalar_subquery()
    )
    db.session.flush()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        before = dict(
            db.session.execute(select(Hire.id, Hire.coaching_due).where(Hire.id.in_(chunk))).all()
        )
        db.session.execute(
            update(Hire).where(Hire.id.in_(chunk)).values(coaching_due=earliest),
            execution_options={"synchronize_session": False},
        )
        after = dict(
            db.session.execute(select(Hire.id, Hire.coaching_due).where(Hire.id.in_(chunk))).all()
        )
        changed += [
            i for i in chunk if overdue(before.get(i), today) != overdue(after.get(i), today)
        ]
    held = set(ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Hire) and obj.id in held:
            db.session.expire(obj, ["coaching_due"])
    if evaluate and changed:
        evaluate_hires(changed, today)
    return changed
