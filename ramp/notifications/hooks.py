"""How notifications hear events: each announced event is noted on the session, and turned
into outbox messages when the session commits (ramp.notifications.outbox), all of a
transaction's events at once, in a fixed number of queries however many there were. A
rolled-back transaction's events are forgotten. After a commit that queued messages, a
background job sends them (ramp.notifications.sending): the request that caused an event
never waits for a mail server or a webhook.

This module stays light (it is loaded with every app): the outbox, its models and the
areas it reads are imported when a transaction has something to notify.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from flask_sqlalchemy.session import Session
from sqlalchemy import event

from ramp.events import listen

PENDING = "ramp_notify_pending"
DISPATCH = "ramp_notify_dispatch"

# What ramp.events carries that notifications hear (the daily scan announces signoff.awaited
# and certificate.expiring; skill.changed goes to the skills webhook alone).
EVENTS = (
    "hire.status_changed",
    "milestone.achieved",
    "coaching.assigned",
    "coaching.overdue",
    "certificate.issued",
    "certificate.revoked",
    "import.finished",
    "import.failed",
    "signoff.awaited",
    "certificate.expiring",
    "skill.changed",
)


def _noter(name: str):
    def note(**payload) -> None:
        from ramp.extensions import db

        db.session.info.setdefault(PENDING, []).append((name, payload))

    note.__name__ = f"note_{name.replace('.', '_')}"
    return note


# One listener per event, made once: listen() registers each only once however many apps.
_NOTERS = {name: _noter(name) for name in EVENTS}


def register() -> None:
    """Listen to the events notifications hear, and to the sessions' commits."""
    for name, note in _NOTERS.items():
        listen(name, note)
    if not event.contains(Session, "before_commit", _before_commit):
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)


def _before_commit(session) -> None:
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    # Imported here: only a transaction that announced something needs the outbox.
    from ramp.notifications.outbox import add_messages

    if add_messages(session, pending):
        session.info[DISPATCH] = True


def _after_commit(session) -> None:
    wanted = session.info.pop(DISPATCH, None) and has_app_context()
    if wanted and current_app.config.get("NOTIFY_SEND_AFTER_COMMIT", True):
        from ramp.notifications.sending import dispatch

        dispatch()


def _after_soft_rollback(session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(PENDING, None)
        session.info.pop(DISPATCH, None)
