"""Readiness rules: what a hire still lacks before a certificate. Plain values only; the
gaps are in the reader's language (English outside a request)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ramp.milestones.template_spec import ReadinessSpec

DONE_STATUSES = ("achieved", "waived")


@dataclass(frozen=True)
class MilestoneFact:
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


def gaps(spec: ReadinessSpec | None, facts: ReadinessFacts) -> list[str]:
    """Everything the hire still lacks, in words; empty when ready."""
    spec = spec or ReadinessSpec()
    out: list[str] = []
    for slug in _selected(spec.modules, list(facts.module_titles)):
        if slug not in facts.modules_done:
            out.append(
                _("module “%(module)s” not complete", module=facts.module_titles.get(slug, slug))
            )
    for slug in _selected(spec.assessments, list(facts.check_modules)):
        if slug not in facts.checks_passed:
            out.append(
                _(
                    "knowledge check “%(module)s” not passed",
                    module=facts.module_titles.get(slug, slug),
                )
            )
    by_key = {m.key: m for m in facts.milestones}
    for key in required_milestones(spec, facts):
        milestone = by_key.get(key)
        if milestone is None:
            out.append(_("milestone “%(key)s” is not in the hire's plan", key=key))
        elif milestone.status not in DONE_STATUSES:
            status = STATUS_WORDS.get(milestone.status) or milestone.status.replace("_", " ")
            out.append(
                _(
                    "milestone “%(milestone)s” not yet achieved (%(status)s)",
                    milestone=milestone.title,
                    status=status,
                )
            )
    if not facts.signed_off_by:
        out.append(str(SIGN_OFF_GAP))
    return out
