"""The ramp template file format: parse and check a YAML document, and write one back.

A ramp template names the phases a new hire goes through (training, nesting, ramp,
proficient) and the milestones they must reach, each with its criteria and due day.
Plain Python and pydantic only: no database. Every error carries the file, the line and
column, and the place in the document (``milestones[3].due_day``); the problems are worded
through gettext (English outside a request).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from flask_babel import gettext as _
from pydantic import Field

from ramp.metrics.definitions import METRICS
from ramp.milestones.skill_spec import SkillItem, skill_errors
from ramp.yamlspec import (
    Problem,
    Slug,
    SpecFileError,
    Strict,
    Text,
    dump_yaml,
    find_cycle,
    parse_document,
    read_text,
)

# A ramp template file that cannot be used: the shared error with every problem placed.
TemplateFileError = SpecFileError

PHASES = ("training", "nesting", "ramp", "proficient")

PositiveInt = Annotated[int, Field(ge=1, strict=True)]


class PlacementSpec(Strict):
    """A suggested placement (niche) during a phase; informational."""

    queue: str | None = None
    channel: Literal["phone", "chat", "email", "social"] | None = None
    tier: str | None = None
    product_line: str | None = None
    language: str | None = None
    skills: tuple[str, ...] = ()


class PhaseSpec(Strict):
    """One phase of the ramp; only the last phase may be open-ended (no days)."""

    name: str
    days: PositiveInt | None = None
    description: str | None = None
    placement: PlacementSpec | None = None


class MetricCriterionSpec(Strict):
    """A metric against a threshold over a window of days, with a minimum sample."""

    metric: str
    threshold: Annotated[float, Field(strict=True)]
    window_days: PositiveInt
    min_sample: PositiveInt | None = None
    weeks_running: PositiveInt = 1


class CriteriaSpec(Strict):
    """What a milestone needs: modules done, checks passed, a sign-off, metrics met."""

    modules: tuple[Slug, ...] = ()
    assessments: tuple[Slug, ...] = ()
    sign_off: Annotated[bool, Field(strict=True)] = False
    metrics: tuple[MetricCriterionSpec, ...] = ()


class MilestoneSpec(Strict):
    """One milestone: in a phase, due a number of days after the hire's start date."""

    key: Slug
    title: Text
    phase: str
    due_day: PositiveInt
    parent: Slug | None = None
    optional: Annotated[bool, Field(strict=True)] = False
    description: str | None = None
    criteria: CriteriaSpec
    # Granted for routing while the milestone is achieved (ramp/skills).
    skills: tuple[SkillItem, ...] = ()


Selection = Literal["all", "none"] | Annotated[tuple[Slug, ...], Field(min_length=1)]


class ReadinessSpec(Strict):
    """What a hire needs for a readiness certificate, besides a manager's sign-off.

    Each list names modules, knowledge checks or milestones; ``all`` (the default) means
    every module, every check, or every required milestone; ``none`` means none.
    """

    modules: Selection = "all"
    assessments: Selection = "all"
    milestones: Selection = "all"


class TemplateSpec(Strict):
    """A whole ramp template."""

    slug: Slug
    title: Text
    description: str | None = None
    curriculum: Slug
    warning_days: Annotated[int, Field(ge=0, strict=True)] = 7
    certificate_validity_days: PositiveInt = 365
    # Granted for routing while the hire holds a valid certificate (ramp/skills).
    certificate_skills: tuple[SkillItem, ...] = ()
    readiness: ReadinessSpec | None = None
    phases: Annotated[tuple[PhaseSpec, ...], Field(min_length=1)]
    milestones: Annotated[tuple[MilestoneSpec, ...], Field(min_length=1)]

    def phase_bounds(self) -> dict[str, tuple[int, int | None]]:
        """Phase name -> (start day, end day or None); the first starts at day 0."""
        bounds: dict[str, tuple[int, int | None]] = {}
        start = 0
        for phase in self.phases:
            end = start + phase.days if phase.days is not None else None
            bounds.setdefault(phase.name, (start, end))
            start = end if end is not None else start
        return bounds


def _metric_names() -> str:
    names = list(METRICS)
    return _("%(names)s or %(last)s", names=", ".join(names[:-1]), last=names[-1])


def _phase_range(start: int, end: int | None) -> str:
    """The due days a phase accepts, in words."""
    if end is None:
        return _("due_day %(first)s or later", first=start + 1)
    return _("due_day %(first)s to %(last)s", first=start + 1, last=end)


def _unknown_module(slug: str, curriculum: str) -> str:
    return _(
        "unknown module '%(slug)s' in curriculum '%(curriculum)s'",
        slug=slug,
        curriculum=curriculum,
    )


def _no_check(slug: str) -> str:
    return _("module '%(slug)s' has no knowledge check", slug=slug)


def _phase_errors(spec: TemplateSpec) -> list[Problem]:
    """Phase names known, unique, in canonical order; every phase but the last has days."""
    out: list[Problem] = []
    seen: dict[str, int] = {}
    last_rank = -1
    for i, phase in enumerate(spec.phases):
        loc = ("phases", i, "name")
        if phase.name not in PHASES:
            out.append(
                (
                    loc,
                    _(
                        "unknown phase '%(phase)s' (training, nesting, ramp or proficient)",
                        phase=phase.name,
                    ),
                )
            )
        elif phase.name in seen:
            out.append(
                (
                    loc,
                    _(
                        "duplicate phase '%(phase)s' (also phases[%(first)s])",
                        phase=phase.name,
                        first=seen[phase.name],
                    ),
                )
            )
        else:
            seen[phase.name] = i
            rank = PHASES.index(phase.name)
            if rank < last_rank:
                out.append(
                    (
                        loc,
                        _(
                            "phase '%(phase)s' is out of order: phases go "
                            "training, nesting, ramp, proficient",
                            phase=phase.name,
                        ),
                    )
                )
            last_rank = max(last_rank, rank)
        if phase.days is None and i < len(spec.phases) - 1:
            out.append(
                (
                    ("phases", i, "days"),
                    _(
                        "phase '%(phase)s' needs 'days': only the last phase may be open-ended",
                        phase=phase.name,
                    ),
                )
            )
    return out


def _criteria_errors(
    spec: TemplateSpec, i: int, modules: Mapping[str, bool] | None
) -> list[Problem]:
    """One milestone's criteria: not empty, known modules and metrics, minimum samples."""
    criteria = spec.milestones[i].criteria
    base = ("milestones", i, "criteria")
    out: list[Problem] = []
    if not (criteria.modules or criteria.assessments or criteria.sign_off or criteria.metrics):
        out.append(
            (
                base,
                _(
                    "a milestone needs at least one criterion "
                    "(modules, assessments, sign_off: true or metrics)"
                ),
            )
        )
    for field in ("modules", "assessments"):
        seen: set[str] = set()
        for k, slug in enumerate(getattr(criteria, field)):
            loc = (*base, field, k)
            if slug in seen:
                out.append((loc, _("module '%(slug)s' is listed twice", slug=slug)))
                continue
            seen.add(slug)
            if modules is None:
                continue
            if slug not in modules:
                out.append((loc, _unknown_module(slug, spec.curriculum)))
            elif field == "assessments" and not modules[slug]:
                out.append((loc, _no_check(slug)))
    for k, metric in enumerate(criteria.metrics):
        loc = (*base, "metrics", k)
        definition = METRICS.get(metric.metric)
        if definition is None:
            out.append(
                (
                    (*loc, "metric"),
                    _(
                        "unknown metric '%(metric)s' (%(names)s)",
                        metric=metric.metric,
                        names=_metric_names(),
                    ),
                )
            )
        elif definition.unit == "%" and not 0 <= metric.threshold <= 100:
            out.append(
                (
                    (*loc, "threshold"),
                    _(
                        "%(metric)s is a percentage: the threshold must be 0 to 100",
                        metric=definition.label,
                    ),
                )
            )
        elif definition.unit == "s" and metric.threshold <= 0:
            out.append(
                (
                    (*loc, "threshold"),
                    _(
                        "%(metric)s is in seconds: the threshold must be more than 0",
                        metric=definition.label,
                    ),
                )
            )
        if metric.min_sample is None:
            out.append(
                ((*loc, "min_sample"), _("a metric window needs a minimum sample (min_sample)"))
            )
    return out


def _milestone_errors(
    spec: TemplateSpec, modules: Mapping[str, bool] | None, phases_ok: bool
) -> list[Problem]:
    """Milestones: unique keys, phases, due days, parents and their cycles, criteria."""
    out: list[Problem] = []
    phase_names = [p.name for p in spec.phases]
    bounds = spec.phase_bounds() if phases_ok else {}
    index: dict[str, int] = {}
    for i, milestone in enumerate(spec.milestones):
        if milestone.key in index:
            out.append(
                (
                    ("milestones", i, "key"),
                    _(
                        "duplicate milestone key '%(key)s' (also milestones[%(first)s])",
                        key=milestone.key,
                        first=index[milestone.key],
                    ),
                )
            )
        else:
            index[milestone.key] = i
    parents_ok = True
    for i, milestone in enumerate(spec.milestones):
        if milestone.phase not in phase_names:
            out.append(
                (
                    ("milestones", i, "phase"),
                    _(
                        "phase '%(phase)s' is not one of this template's phases (%(phases)s)",
                        phase=milestone.phase,
                        phases=", ".join(phase_names),
                    ),
                )
            )
        elif milestone.phase in bounds:
            start, end = bounds[milestone.phase]
            if milestone.due_day <= start or (end is not None and milestone.due_day > end):
                out.append(
                    (
                        ("milestones", i, "due_day"),
                        _(
                            "due on day %(day)s, outside its phase '%(phase)s' (%(range)s)",
                            day=milestone.due_day,
                            phase=milestone.phase,
                            range=_phase_range(start, end),
                        ),
                    )
                )
        if milestone.parent is not None:
            loc = ("milestones", i, "parent")
            if milestone.parent == milestone.key:
                out.append(
                    (loc, _("milestone '%(key)s' cannot be its own parent", key=milestone.key))
                )
                parents_ok = False
            elif milestone.parent not in index:
                out.append((loc, _("unknown parent '%(key)s'", key=milestone.parent)))
                parents_ok = False
            else:
                parent = spec.milestones[index[milestone.parent]]
                if parent.phase in bounds:
                    parent_start = bounds[parent.phase][0]
                    if milestone.due_day < parent_start:
                        out.append(
                            (
                                ("milestones", i, "due_day"),
                                _(
                                    "due on day %(day)s, before its parent "
                                    "'%(parent)s' starts (day %(start)s)",
                                    day=milestone.due_day,
                                    parent=parent.key,
                                    start=parent_start,
                                ),
                            )
                        )
                if milestone.due_day > parent.due_day:
                    out.append(
                        (
                            ("milestones", i, "due_day"),
                            _(
                                "due on day %(day)s, after its parent "
                                "'%(parent)s' is due (day %(due)s)",
                                day=milestone.due_day,
                                parent=parent.key,
                                due=parent.due_day,
                            ),
                        )
                    )
        out.extend(_criteria_errors(spec, i, modules))
        out.extend(skill_errors(("milestones", i, "skills"), milestone.skills))
    if parents_ok:
        cycle = find_cycle({m.key: [m.parent] if m.parent else [] for m in spec.milestones})
        if cycle:
            out.append(
                (
                    ("milestones", index[cycle[0]], "parent"),
                    _("parents form a cycle: %(cycle)s", cycle=" -> ".join(cycle)),
                )
            )
    return out


def _readiness_errors(spec: TemplateSpec, modules: Mapping[str, bool] | None) -> list[Problem]:
    """Readiness names known modules, checks and milestones, each once."""
    readiness = spec.readiness
    if readiness is None:
        return []
    out: list[Problem] = []
    keys = {m.key for m in spec.milestones}
    for field in ("modules", "assessments", "milestones"):
        value = getattr(readiness, field)
        if isinstance(value, str):
            continue
        seen: set[str] = set()
        for k, slug in enumerate(value):
            loc = ("readiness", field, k)
            if slug in seen:
                out.append((loc, _("'%(slug)s' is listed twice", slug=slug)))
            elif field == "milestones" and slug not in keys:
                out.append((loc, _("unknown milestone '%(key)s'", key=slug)))
            elif field != "milestones" and modules is not None and slug not in modules:
                out.append((loc, _unknown_module(slug, spec.curriculum)))
            elif field == "assessments" and modules is not None and not modules[slug]:
                out.append((loc, _no_check(slug)))
            seen.add(slug)
    return out


def _rule_errors(spec: TemplateSpec, modules: Mapping[str, bool] | None) -> list[Problem]:
    """Checks across the document; every problem found, each with its place."""
    phase_problems = _phase_errors(spec)
    return (
        phase_problems
        + _milestone_errors(spec, modules, phases_ok=not phase_problems)
        + _readiness_errors(spec, modules)
        + skill_errors(("certificate_skills",), spec.certificate_skills)
    )


def parse_template(
    text: str, filename: str = "<template>", modules: Mapping[str, bool] | None = None
) -> TemplateSpec:
    """Parse and check a ramp template; raise TemplateFileError with every problem.

    `modules` maps the curriculum's module slugs to whether the module has a knowledge
    check; when given, criteria naming other modules (or checks that do not exist) fail.
    """
    spec, _document = parse_document(
        text,
        filename,
        TemplateSpec,
        lambda parsed: _rule_errors(parsed, modules),
        what=_("ramp template file"),
    )
    return spec


def load_template_file(path: str, modules: Mapping[str, bool] | None = None) -> TemplateSpec:
    """Read and check a ramp template file."""
    return parse_template(read_text(path), filename=path, modules=modules)


def template_to_document(spec: TemplateSpec) -> dict:
    """The plain dict form of a template, in the documented key order, without empty defaults."""

    def clean(value):
        if isinstance(value, dict):
            return {
                k: clean(v)
                for k, v in value.items()
                if v is not None and v != () and v is not False
            }
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    return clean(spec.model_dump())


def dump_template(spec: TemplateSpec) -> str:
    """Write a template as YAML that parse_template() reads back to an equal spec."""
    return dump_yaml(template_to_document(spec))
