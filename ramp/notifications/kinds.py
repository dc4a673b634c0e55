"""The kinds of event a user may hear about, who hears them, and the choices they have."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

IMMEDIATE = "immediate"
DIGEST = "digest"
OFF = "off"
CHOICES = (IMMEDIATE, DIGEST, OFF)
CHOICE_LABELS = {IMMEDIATE: _l("At once"), DIGEST: _l("In the daily digest"), OFF: _l("Off")}


@dataclass(frozen=True)
class Kind:
    """An event users can choose how to hear about."""

    event: str
    label: object  # a lazy string
    default: str
    roles: frozenset[str]  # whose preferences page lists it
    to_channels: bool = False  # also posted to the hire's team channels


MANAGERS = frozenset({"manager", "admin"})
EVERYONE = frozenset({"agent", "manager", "admin"})
ADMINS = frozenset({"admin"})

KINDS: dict[str, Kind] = {
    kind.event: kind
    for kind in (
        Kind(
            "hire.status_changed", _l("A hire turns at risk or missed"), IMMEDIATE, MANAGERS, True
        ),
        Kind("milestone.achieved", _l("A hire achieves a milestone"), DIGEST, MANAGERS, True),
        Kind("signoff.awaited", _l("A milestone waits for your sign-off"), DIGEST, MANAGERS, True),
        Kind("coaching.assigned", _l("A refresher is assigned to you"), IMMEDIATE, EVERYONE, True),
        Kind("coaching.overdue", _l("Your refresher is overdue"), IMMEDIATE, EVERYONE, True),
        Kind("certificate.issued", _l("Your certificate is issued"), IMMEDIATE, EVERYONE),
        Kind("certificate.revoked", _l("Your certificate is revoked"), IMMEDIATE, EVERYONE),
        Kind(
            "certificate.expiring",
            _l("A certificate expires within 30 days"),
            DIGEST,
            EVERYONE,
        ),
        Kind("import.finished", _l("An import finished"), DIGEST, ADMINS),
        Kind("import.failed", _l("An import failed"), IMMEDIATE, ADMINS),
    )
}
# What a team's channel hears, unless its admin chose otherwise.
CHANNEL_EVENTS = tuple(k.event for k in KINDS.values() if k.to_channels)


def kinds_for(role: str) -> list[Kind]:
    """The kinds a user of this role can hear about, in the page's order."""
    return [k for k in KINDS.values() if role in k.roles]
