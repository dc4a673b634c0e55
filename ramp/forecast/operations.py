"""Planned classes: a manager or admin enters the hiring they plan; capacity projects it.
They flush; the caller commits. Each change is kept in the audit log."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _

from ramp import clock
from ramp.accounts.models import Team, User
from ramp.accounts.queries import visible_teams
from ramp.audit.operations import record
from ramp.errors import NotFound, ValidationError
from ramp.extensions import db
from ramp.forecast.models import PlannedClass

CHANNELS = ("phone", "chat", "email", "social")
MAX_HEADS = 1000
# A class is planned at most this far ahead (and may have started up to this far back).
HORIZON = timedelta(days=2 * 366)


def add_planned_class(
    actor: User,
    name: str | None,
    team: Team | None,
    queue: str | None,
    channel: str | None,
    start: date | None,
    heads: int | None,
    today: date | None = None,
) -> PlannedClass:
    """Plan a class for one of the actor's teams: a name, a placement, a start and heads."""
    today = today or clock.today()
    problems = []
    name = (name or "").strip()
    queue = (queue or "").strip() or None
    channel = channel or None
    if not name or len(name) > 120:
        problems.append(_("Give the planned class a name of at most 120 characters."))
    if team is None or team.id not in {t.id for t in visible_teams(actor)}:
        problems.append(_("Choose one of your teams for the planned class."))
    if queue is not None and len(queue) > 120:
        problems.append(_("The queue is too long (at most 120 characters)."))
    if channel is not None and channel not in CHANNELS:
        problems.append(_("Choose a channel from the list."))
    if queue is None and channel is None:
        problems.append(_("Give the planned class a queue or a channel."))
    if start is None or not today - HORIZON <= start <= today + HORIZON:
        problems.append(_("Give a start date within two years of today."))
    if heads is None or not 1 <= heads <= MAX_HEADS:
        problems.append(_("Heads must be a whole number from 1 to %(num)d.", num=MAX_HEADS))
    if problems:
        raise ValidationError(problems)
    planned = PlannedClass(
        name=name,
        team_id=team.id,
        queue=queue,
        channel=channel,
        start_date=start,
        heads=heads,
        created_by_id=actor.id,
    )
    db.session.add(planned)
    db.session.flush()
    record(
        actor,
        "planned_class.add",
        subject=f"planned_class:{planned.id}",
        name=name,
        team=team.name,
        queue=queue,
        channel=channel,
        start_date=start.isoformat(),
        heads=heads,
    )
    return planned


def planned_class_of(actor: User, planned_id: int) -> PlannedClass:
    """A planned class of one of the actor's teams (an admin: any)."""
    planned = db.session.get(PlannedClass, planned_id)
    if planned is None or (
        not actor.is_admin and planned.team_id not in {t.id for t in visible_teams(actor)}
    ):
        raise NotFound(_("There is no such planned class among your teams'."))
    return planned


def remove_planned_class(actor: User, planned: PlannedClass) -> None:
    """Remove a planned class (hired, or dropped); the audit log keeps what it was."""
    record(
        actor,
        "planned_class.remove",
        subject=f"planned_class:{planned.id}",
        name=planned.name,
        start_date=planned.start_date.isoformat(),
        heads=planned.heads,
    )
    db.session.delete(planned)
    db.session.flush()
