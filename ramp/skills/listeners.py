"""How skills hear what grants or ends them: a milestone achieved or no longer achieved, a
certificate issued or revoked. Each brings the hire's skills in line at once, in the
transaction that made the change (expiry is the daily run's: ramp.notifications.digests).

This module stays light (it is loaded with every app): the operations, and the areas they
read, are imported when an event arrives.
"""

from __future__ import annotations

from ramp.events import listen


def on_milestone(hire_id: int, milestone_key: str) -> None:
    """A milestone was achieved, or is achieved no longer."""
    # Imported here: only a transaction that changes a milestone needs the skills' rules.
    from ramp.skills.operations import sync_skills

    sync_skills([hire_id])


def on_certificate(certificate_id: int) -> None:
    """A certificate was issued or revoked."""
    from ramp.skills.operations import sync_certificate

    sync_certificate(certificate_id)


def register() -> None:
    """Listen to the events that grant or end skills (once, however many apps)."""
    listen("milestone.achieved", on_milestone)
    listen("milestone.unachieved", on_milestone)
    listen("certificate.issued", on_certificate)
    listen("certificate.revoked", on_certificate)
