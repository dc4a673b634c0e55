"""Readiness rules: what a hire still lacks before a certificate. Plain values only; the
gaps are in the reader's language (English outside a request)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ramp.milestones.template_spec import ReadinessSpec

DONE_STATUSES = ("achieved", "waived")


class MilestoneFact(NamedTuple):  # a plain tuple: a readiness overview makes tens of thousands
    key: str
    title: str
    status: str
    optional: bool


@dataclass(frozen=True)
class ReadinessFacts:
    """What one hire has done: modules, checks, milestones, and the readiness sign-off."""

    module_titles: Mapping[str, str]  # every module of the curriculum, in order
    check_modules: tuple[str, ...]  # modules that have a knowledge check, in order
    modules_done: frozenset[str] = frozenset()
    checks_passed: frozenset[str] = frozenset()
    milestones: tuple[MilestoneFact, ...] = ()
    signed_off_by: str | None = None


def _selected(selection, everything: list[str]) -> list[str]:
    if selection == "all":
        return everything
    if selection == "none":
        return []
    return list(selection)


def required_milestones(spec: ReadinessSpec | None, facts: ReadinessFacts) -> list[str]:
    """The keys of the milestones readiness asks for."""
    selection = spec.milestones if spec else "all"
    return _selected(selection, [m.key for m in facts.milestones if not m.optional])


SIGN_OFF_GAP = _l("no manager has signed off that the hire is ready")

# A milestone's status as a gap names it (the board's badges say the same).
STATUS_WORDS = {
    "upcoming": _l("upcoming"),
    "on_track": _l("on track"),
    "at_risk": _l("at risk"),
    "missed": _l("missed"),
}


# What a hire lacks, before it is put in words: (kind, key), kind one of "module", "check",
# "milestone" (not yet achieved), "absent" (a milestone readiness names that the plan lacks)
# and "sign-off" (key "").
Gap = tuple[str, str]
SIGN_OFF: Gap = ("sign-off", "")


def missing(spec: ReadinessSpec | None, facts: ReadinessFacts) -> list[Gap]:
    """Everything the hire still lacks, in order; empty when ready. Cheap: a list of many
    hires' readiness needs only this, and words the gaps of none of them."""
    spec = spec or ReadinessSpec()
    out: list[Gap] = []
    for slug in _selected(spec.modules, list(facts.module_titles)):
        if slug not in facts.modules_done:
            out.append(("module", slug))
    for slug in _selected(spec.assessments, list(facts.check_modules)):
        if slug not in facts.checks_passed:
            out.append(("check", slug))
    by_key = {m.key: m for m in facts.milestones}
    for key in required_milestones(spec, facts):
        milestone = by_key.get(key)
        if milestone is None:
            out.append(("absent", key))
        elif milestone.status not in DONE_STATUSES:
            out.append(("milestone", key))
    if not facts.signed_off_by:
        out.append(SIGN_OFF)
    return out


def word(gap: Gap, facts: ReadinessFacts) -> str:
    """One gap in the reader's language."""
    kind, key = gap
    if kind == "module":
        return _("module “%(module)s” not complete", module=facts.module_titles.get(key, key))
    if kind == "check":
        return _(
            "knowledge check “%(module)s” not passed", module=facts.module_titles.get(key, key)
        )
    if kind == "absent":
        return _("milestone “%(key)s” is not in the hire's plan", key=key)
    if kind == "milestone":
        milestone = next(m for m in facts.milestones if m.key == key)
        status = STATUS_WORDS.get(milestone.status) or milestone.status.replace("_", " ")
        return _(
            "milestone “%(milestone)s” not yet achieved (%(status)s)",
            milestone=milestone.title,
            status=status,
        )
    return str(SIGN_OFF_GAP)


def gaps(spec: ReadinessSpec | None, facts: ReadinessFacts) -> list[str]:
    """Everything the hire still lacks, in words; empty when ready."""
    return [word(gap, facts) for gap in missing(spec, facts)]
