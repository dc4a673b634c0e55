"""Domain events: an area announces what happened, other areas listen.

An area calls ``announce("coaching.assigned", assignment_id=…, hire_id=…)`` where the thing
happens, inside the transaction that makes it happen. Listeners run at once, in that same
transaction: they may add rows to the session (an outbox message, say) but never commit or
roll back, so a rolled-back change announces nothing that stays. A listener that raises
stops the change, as any other error in the transaction would.

The names announced, and what each carries (keyword arguments, all plain values):

- ``coaching.assigned``: assignment_id, hire_id
- ``coaching.overdue``: assignment_id, hire_id
- ``hire.status_changed``: hire_id, old, new (statuses, when a hire turns at risk or missed)
- ``milestone.achieved``: hire_id, milestone_key
- ``milestone.unachieved``: hire_id, milestone_key (an achieved milestone that a re-evaluation
  finds achieved no longer, e.g. after an import was undone)
- ``certificate.issued`` / ``certificate.revoked``: certificate_id
- ``import.finished`` / ``import.failed``: import_run_id
- ``records.changed``: user_ids (the agents whose QA evaluations or contacts an import or an
  undo changed; announced after their weekly figures and plans are brought up to date)
- ``signoff.awaited``: milestone_id, hire_id, milestone (its title), days (announced by the
  notifications' daily scan)
- ``certificate.expiring``: certificate_id (the daily scan: expires within 30 days)
- ``skill.changed``: change_id (an agent's skill granted, its level changed, or removed:
  ramp.skills)

Listeners are registered when the app is made (``ramp.create_app``), so a command or a
worker that builds the app hears the same events as the web tier.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Listener = Callable[..., None]

_listeners: dict[str, list[Listener]] = defaultdict(list)


def listen(name: str, listener: Listener) -> None:
    """Call `listener(**payload)` whenever `name` is announced (once, however often asked)."""
    if listener not in _listeners[name]:
        _listeners[name].append(listener)


def announce(name: str, **payload: Any) -> None:
    """Tell every listener of `name` what happened, in the caller's transaction."""
    for listener in tuple(_listeners.get(name, ())):
        listener(**payload)


def listening(name: str) -> bool:
    """Whether anyone listens to `name`: a batch can skip gathering what nobody reads."""
    return bool(_listeners.get(name))
