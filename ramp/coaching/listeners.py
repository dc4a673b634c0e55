"""What coaching listens to (ramp.events): records an import or an undo changed run the
rules for those agents, in the same transaction.

Registered when the app is made, so it stays light: the rules and everything they read are
loaded on the first announcement, not with every command's app.
"""

from __future__ import annotations

from collections.abc import Iterable

from ramp import clock
from ramp.events import listen


def _records_changed(user_ids: Iterable[int], **_details) -> None:
    # Loaded here, on the first import or undo: an app that never imports does not load it.
    from ramp.coaching.operations import run_rules

    run_rules(clock.today(), user_ids)


def register() -> None:
    """Listen to what coaching reacts to."""
    listen("records.changed", _records_changed)
