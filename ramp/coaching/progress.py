"""Working through a refresher, and closing it: the agent reviews lessons and passes checks
(the assignment completes by itself when every part is done); the hire's manager records the
1:1 or dismisses the refresher with a reason. They flush; the caller commits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import update

from ramp.accounts.models import User, utcnow
from ramp.audit.operations import record
from ramp.coaching.due import refresh_due
from ramp.coaching.models import COMPLETED, DISMISSED, OPEN, CoachingAssignment
from ramp.coaching.queries import Refresher, lesson_part, module_part, refresher
from ramp.curricula.queries import LessonItem, ModuleItem, answer_key
from ramp.curricula.rules import Score, score_answers
from ramp.errors import NotAllowed, NotFound, ValidationError
from ramp.extensions import db
from ramp.milestones.models import HireEvent
from ramp.milestones.operations import require_manager_of


def _require_own_open(assignment: CoachingAssignment, user: User) -> Refresher:
    """Only the agent works their own refresher, and only while it is open."""
    if assignment.user_id != user.id:
        raise NotFound(_("There is no such refresher among yours."))
    if assignment.status != OPEN:
        raise NotAllowed(_("This refresher is closed: there is nothing left to do in it."))
    found = refresher(assignment)
    if not found.available:
        raise NotFound(_("This refresher's lessons are no longer published. Ask your manager."))
    return found


def _mark(assignment: CoachingAssignment, part: str) -> bool:
    """Add a part to the done list; False when it already was there."""
    done = list(assignment.done or [])
    if part in done:
        return False
    assignment.done = [*done, part]  # a new list, so the JSON column is written
    db.session.flush()
    return True


def review_lesson(
    assignment: CoachingAssignment, lesson: LessonItem, user: User, today: date
) -> bool:
    """Mark one of the refresher's lessons reviewed; completes the refresher when it was the
    last part. False when the lesson was already reviewed."""
    found = _require_own_open(assignment, user)
    if found.lesson(lesson.id) is None:
        raise NotFound(_("This lesson is not part of the refresher."))
    marked = _mark(assignment, lesson_part(lesson.module_slug, lesson.slug))
    complete_if_done(assignment, user, today)
    return marked


def submit_check(
    assignment: CoachingAssignment,
    module: ModuleItem,
    answers: Mapping[int, frozenset[int]],
    user: User,
    today: date,
) -> Score:
    """Grade a refresher's check with the curriculum's own grading. It spends none of the
    module's attempts and a fail may be tried again; a pass is recorded in `done` and may
    complete the refresher. Bad answers raise AnswerError and record nothing."""
    found = _require_own_open(assignment, user)
    if found.check(module.id) is None or module.assessment is None:
        raise NotFound(_("This check is not part of the refresher."))
    assessment = module.assessment
    score = score_answers(answer_key(assessment), answers, assessment.pass_mark)
    if score.passed:
        _mark(assignment, module_part(module.slug))
        complete_if_done(assignment, user, today)
    return score


def complete_if_done(assignment: CoachingAssignment, actor: User | None, today: date) -> bool:
    """Complete an open refresher whose every part is done (once, however many ask)."""
    found = refresher(assignment)
    if assignment.status != OPEN or not found.available or found.left:
        return False
    now = utcnow()
    won = db.session.execute(
        update(CoachingAssignment)
        .where(CoachingAssignment.id == assignment.id, CoachingAssignment.status == OPEN)
        .values(status=COMPLETED, completed_on=today, completed_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.refresh(assignment)
    if not won:
        return False
    db.session.add(
        HireEvent(
            hire_id=assignment.hire_id,
            actor_id=actor.id if actor else None,
            action="coaching_completed",
            details={"assignment": assignment.id, "rule": assignment.rule_key},
        )
    )
    refresh_due([assignment.hire_id], today)
    return True


def _reason(text: str | None, message: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise ValidationError(message)
    if len(cleaned) > 2000:
        raise ValidationError(_("Keep it under 2,000 characters."))
    return cleaned


def dismiss(assignment: CoachingAssignment, reason: str | None, actor: User, today: date) -> None:
    """Close an open refresher without it being done, with a reason (audited, in the hire's
    record). Only the hire's manager or an admin."""
    require_manager_of(actor, assignment.hire)
    reason = _reason(
        reason, _("Give a reason to dismiss a refresher; it is kept in the hire's record.")
    )
    _manager_step(
        assignment,
        actor,
        CoachingAssignment.status == OPEN,
        {"status": DISMISSED, "dismissed_at": utcnow(), "dismissed_by_id": actor.id}
        | {"dismiss_reason": reason},
        _("“%(title)s” is already closed; nothing was changed.", title=assignment.title),
        ("dismissed", "dismiss"),
        reason,
        reason,
    )
    refresh_due([assignment.hire_id], today)


def finish_one_to_one(
    assignment: CoachingAssignment, note: str | None, actor: User, today: date
) -> None:
    """Record the manager's 1:1 the rule asked for, with a note. Only the hire's manager or
    an admin; once."""
    require_manager_of(actor, assignment.hire)
    note = _reason(note, _("Write a note on the 1:1; it is kept in the hire's record."))
    if not assignment.one_to_one:
        raise ValidationError(_("This refresher does not ask for a 1:1."))
    if assignment.status == DISMISSED:
        raise ValidationError(_("This refresher was dismissed; its 1:1 is no longer due."))
    _manager_step(
        assignment,
        actor,
        CoachingAssignment.one_to_one_at.is_(None),
        {"one_to_one_at": utcnow(), "one_to_one_by_id": actor.id, "one_to_one_note": note},
        _("The 1:1 was already recorded; nothing was changed."),
        ("one_to_one", "one_to_one"),
        note,
        None,  # the note stays in the hire's record, not in the audit log
    )
    db.session.flush()


def _manager_step(
    assignment: CoachingAssignment,
    actor: User,
    unless_done,
    values: dict,
    refused: str,
    actions: tuple[str, str],
    text: str,
    audited: str | None,
) -> None:
    """A manager's step on a refresher: won by one guarded UPDATE (a second, concurrent
    step changes nothing and is refused with `refused`), then kept in the hire's history
    (action coaching_<actions[0]>, with `text`) and the audit (coaching.<actions[1]>)."""
    won = db.session.execute(
        update(CoachingAssignment)
        .where(CoachingAssignment.id == assignment.id, unless_done)
        .values(**values),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.refresh(assignment)
    if not won:
        raise ValidationError(refused)
    details = {"assignment": assignment.id, "rule": assignment.rule_key}
    history, audit = actions
    db.session.add(
        HireEvent(
            hire_id=assignment.hire_id,
            actor_id=actor.id,
            action=f"coaching_{history}",
            reason=text,
            details=details,
        )
    )
    record(actor, f"coaching.{audit}", f"hire:{assignment.hire_id}", audited, **details)
