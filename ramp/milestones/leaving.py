"""Hires who leave: a manager marks a hire as left with a date and a reason, and an admin or
manager can take it back. Both are kept in the hire's history and the audit log. They flush;
the caller commits.

A hire marked as left is no longer active (it leaves the board, the evaluation, coaching and
digests) and keeps every record; capacity counts it from its leaving week on as 0 heads.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ramp import clock
from ramp.accounts.models import User
from ramp.audit.operations import record
from ramp.errors import ValidationError
from ramp.extensions import db
from ramp.formatting import format_date
from ramp.milestones.models import Hire, HireEvent
from ramp.milestones.operations import evaluate_hires, lock_hire, require_manager_of

# Why a hire left: a short fixed list (a free note says the rest).
LEAVE_REASONS = {
    "another_job": _l("Took another job"),
    "personal": _l("Personal reasons"),
    "schedule": _l("Schedule or pay"),
    "role_fit": _l("The role was not a fit"),
    "performance": _l("Performance"),
    "attendance": _l("Attendance or conduct"),
    "other": _l("Other"),
}
NOTE_LIMIT = 2000


def leave_reason_label(code: str | None) -> str:
    """A reason code in the reader's language (the code itself when unknown)."""
    label = LEAVE_REASONS.get(code or "")
    return str(label) if label is not None else (code or "")


def mark_left(
    hire: Hire,
    left_on: date | None,
    reason: str | None,
    note: str | None,
    actor: User,
    today: date | None = None,
) -> Hire:
    """Mark the hire as left on a day, with a reason from LEAVE_REASONS and an optional note."""
    require_manager_of(actor, hire)
    today = today or clock.today()
    lock_hire(hire)
    db.session.refresh(hire)
    problems = []
    if hire.left_on is not None:
        raise ValidationError(
            _(
                "%(name)s is already marked as left on %(date)s.",
                name=hire.user.name,
                date=format_date(hire.left_on),
            )
        )
    if not hire.active:
        raise ValidationError(_("This hire has ended (a transfer); there is nothing to mark."))
    if reason not in LEAVE_REASONS:
        problems.append(_("Choose why the hire left from the list."))
    if left_on is None:
        problems.append(_("Give the day the hire left."))
    elif left_on < hire.start_date:
        problems.append(
            _(
                "The day the hire left cannot be before their start (%(date)s).",
                date=format_date(hire.start_date),
            )
        )
    elif left_on > today:
        problems.append(_("The day the hire left cannot be in the future."))
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_LIMIT:
        problems.append(_("The note is too long (at most %(num)d characters).", num=NOTE_LIMIT))
    if problems:
        raise ValidationError(problems)
    hire.left_on, hire.left_reason, hire.left_note = left_on, reason, note
    hire.active = False
    hire.events.append(
        HireEvent(
            actor=actor,
            action="left",
            reason=note,
            details={"on": left_on.isoformat(), "reason": reason},
        )
    )
    record(
        actor,
        "hire.left",
        subject=f"hire:{hire.id}",
        reason=note,
        on=left_on.isoformat(),
        left_reason=reason,
    )
    db.session.flush()
    return hire


def undo_left(hire: Hire, actor: User, reason: str | None, today: date | None = None) -> Hire:
    """Take back a hire's leaving (a mistake, or the hire came back), with a reason."""
    require_manager_of(actor, hire)
    lock_hire(hire)
    db.session.refresh(hire)
    if hire.left_on is None:
        raise ValidationError(_("%(name)s is not marked as left.", name=hire.user.name))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Give a reason to take back a leaving; it is kept in the hire's record.")
        )
    if len(reason) > NOTE_LIMIT:
        raise ValidationError(
            _("The reason is too long (at most %(num)d characters).", num=NOTE_LIMIT)
        )
    other = db.session.execute(
        select(Hire.id).where(
            Hire.user_id == hire.user_id, Hire.active.is_(True), Hire.id != hire.id
        )
    ).first()
    if other is not None:
        raise ValidationError(
            _(
                "%(name)s has another active hire; the leaving of this one stays.",
                name=hire.user.name,
            )
        )
    was = {"on": hire.left_on.isoformat(), "reason": hire.left_reason}
    hire.left_on = hire.left_reason = hire.left_note = None
    hire.active = True
    hire.events.append(HireEvent(actor=actor, action="left_undone", reason=reason, details=was))
    record(
        actor,
        "hire.left_undone",
        subject=f"hire:{hire.id}",
        reason=reason,
        was_on=was["on"],
        left_reason=was["reason"],
    )
    db.session.flush()
    evaluate_hires([hire.id], today)
    return hire
