"""Readiness rules: what a hire still lacks before a certificate. Plain values only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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


SIGN_OFF_GAP = "no manager has signed off that the hire is ready"


def gaps(spec: ReadinessSpec | None, facts: ReadinessFacts) -> list[str]:
    """Everything the hire still lacks, in words; empty when ready."""
    spec = spec or ReadinessSpec()
    out: list[str] = []
    for slug in _selected(spec.modules, list(facts.module_titles)):
        if slug not in facts.modules_done:
            out.append(f"module “{facts.module_titles.get(slug, slug)}” not complete")
    for slug in _selected(spec.assessments, list(facts.check_modules)):
        if slug not in facts.checks_passed:
            out.append(f"knowledge check “{facts.module_titles.get(slug, slug)}” not passed")
    by_key = {m.key: m for m in facts.milestones}
    for key in required_milestones(spec, facts):
        milestone = by_key.get(key)
        if milestone is None:
            out.append(f"milestone “{key}” is not in the hire's plan")
        elif milestone.status not in DONE_STATUSES:
            out.append(
                f"milestone “{milestone.title}” not yet achieved ({milestone.status.replace('_', ' ')})"
            )
    if not facts.signed_off_by:
        out.append(SIGN_OFF_GAP)
    return out
