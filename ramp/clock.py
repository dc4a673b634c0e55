"""What day and time it is: the one place the domain, the demo and the CLI ask.

Tests pin it (time-machine moves the clock under both functions), so nothing that depends
on "today" passes one week and fails the next.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date on the server's calendar."""
    return date.today()
