"""The coaching rules file: when a hire's QA or metric figures call for a refresher, and which.

A rule says *when* (a scorecard category, the overall QA percent, critical fails or a metric,
short of a threshold on N of the last M evaluations, or N times within D days), *for* whom
(phases, placement) and what to *assign* (a curriculum, one of its modules or one lesson,
due some days later, optionally with a manager's 1:1). Plain Python and pydantic, no
database: what the checks need to know of the database (the categories imported so far, the
published curricula, the phases of the published ramp templates) comes in as a
RulesContext. Every error carries the file, the line and column, and the place in the
document (``rules[0].when.failing``); the problems are worded through gettext.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Literal

import yaml
from flask_babel import gettext as _
from pydantic import ConfigDict, Field

from ramp.metrics.definitions import METRICS
from ramp.metrics.mapping import category_key
from ramp.metrics.targets import PlacementMatch
from ramp.yamlspec import (
    Loc,
    Problem,
    Slug,
    SpecError,
    SpecFileError,
    Strict,
    Text,
    dump_yaml,
    parse_document,
    plain_document,
    read_text,
)

# A rules file that cannot be used: the shared error with every problem placed.
RulesFileError = SpecFileError

PositiveInt = Annotated[int, Field(ge=1, strict=True)]
Threshold = Annotated[float, Field(strict=True, allow_inf_nan=False)]

# What a rule measures (CoachingAssignment.measure_kind).
CATEGORY, OVERALL, CRITICAL, METRIC = "category", "overall", "critical", "metric"


class When(Strict):
    """What makes the rule fire: one measure, a threshold, and how often it is short."""

    category: Text | None = None
    overall: Literal["qa"] | None = None
    critical: Literal[True] | None = None
    metric: str | None = None
    below: Threshold | None = None
    above: Threshold | None = None
    failing: Annotated[int, Field(ge=1, strict=True)]
    of_last: Annotated[int, Field(ge=1, le=100, strict=True)] | None = None
    within_days: Annotated[int, Field(ge=1, le=366, strict=True)] | None = None

    @property
    def kind(self) -> str:
        """category, overall, critical or metric (the first named)."""
        if self.category is not None:
            return CATEGORY
        if self.overall is not None:
            return OVERALL
        if self.critical is not None:
            return CRITICAL
        return METRIC

    @property
    def threshold(self) -> float | None:
        return self.below if self.below is not None else self.above


class Scope(Strict):
    """The hires a rule applies to: in one of these phases, placed here (all when left out)."""

    phases: tuple[Text, ...] | None = None
    placement: PlacementMatch | None = None


class Assign(Strict):
    """The refresher: a curriculum, one of its modules, or one lesson of that module."""

    curriculum: Slug
    module: Slug | None = None
    lesson: Slug | None = None
    due_in_days: Annotated[int, Field(ge=0, le=365, strict=True)]
    one_to_one: bool = False


class Rule(Strict):
    """One coaching rule."""

    model_config = ConfigDict(
        validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    key: Slug
    title: Text
    when: When
    for_: Annotated[Scope | None, Field(alias="for")] = None
    assign: Assign
    measure_over: Annotated[int, Field(ge=1, le=50, strict=True)] = 3


class RulesSpec(Strict):
    """A whole coaching rules file."""

    version: Literal[1]
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class ModuleOutline:
    """A module of a published curriculum: its title and its lessons' titles by slug."""

    title: str
    lessons: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CurriculumOutline:
    """The newest published version of a curriculum: its title and modules by slug."""

    title: str
    modules: Mapping[str, ModuleOutline] = field(default_factory=dict)


@dataclass(frozen=True)
class RulesContext:
    """What the checks need from the database: the categories imported so far (folded key →
    name as last written), the published curricula by slug, and the phases of the published
    ramp templates."""

    categories: Mapping[str, str] = field(default_factory=dict)
    curricula: Mapping[str, CurriculumOutline] = field(default_factory=dict)
    phases: frozenset[str] = frozenset()


def assignment_title(rule: Rule, context: RulesContext) -> str:
    """What the refresher is called: the lesson's, else the module's, else the curriculum's title."""
    curriculum = context.curricula.get(rule.assign.curriculum)
    if curriculum is None:
        return rule.title
    module = curriculum.modules.get(rule.assign.module) if rule.assign.module else None
    if module is None:
        return curriculum.title
    if rule.assign.lesson:
        return module.lessons.get(rule.assign.lesson, module.title)
    return module.title


def measure_label(rule: Rule, context: RulesContext) -> str:
    """The measure as people read it: the category's name, "QA score", "Critical fails", a metric's name."""
    when = rule.when
    if when.kind == CATEGORY:
        return context.categories.get(category_key(when.category or ""), when.category or "")
    if when.kind == OVERALL:
        return METRICS["qa_score"].english
    if when.kind == CRITICAL:
        return "Critical fails"
    return METRICS[when.metric].english if when.metric in METRICS else str(when.metric)


# Checks


def _listing(names: list[str]) -> str:
    if not names:
        return _("none yet")
    if len(names) == 1:
        return names[0]
    return _("%(items)s or %(last)s", items=", ".join(names[:-1]), last=names[-1])


def _measure_errors(when: When, base: Loc, context: RulesContext | None) -> list[Problem]:
    """One measure named, known, with a threshold in its domain and direction."""
    out: list[Problem] = []
    named = [
        k for k in ("category", "overall", "critical", "metric") if getattr(when, k) is not None
    ]
    if len(named) != 1:
        message = _("name exactly one of category, overall, critical or metric")
        return [(base, message)]
    kind = when.kind
    if (
        kind == CATEGORY
        and context is not None
        and category_key(when.category or "") not in context.categories
    ):
        known = sorted(context.categories.values(), key=str.casefold)
        out.append(
            (
                (*base, "category"),
                _(
                    "no imported evaluation has the category '%(name)s' (categories so "
                    "far: %(known)s)",
                    name=when.category,
                    known=_listing(known),
                ),
            )
        )
    if kind == METRIC and when.metric not in METRICS:
        out.append(
            (
                (*base, "metric"),
                _(
                    "unknown metric '%(metric)s' (%(known)s)",
                    metric=when.metric,
                    known=_listing(list(METRICS)),
                ),
            )
        )
        return out
    if kind == CRITICAL:
        for side in ("below", "above"):
            if getattr(when, side) is not None:
                out.append(((*base, side), _("a critical rule takes no threshold")))
        return out
    if when.below is not None and when.above is not None:
        return [*out, ((*base, "above"), _("give 'below' or 'above', not both"))]
    if when.threshold is None:
        side = "above" if kind == METRIC and not METRICS[when.metric].higher_is_better else "below"
        return [*out, (base, _("'%(side)s' is required", side=side))]
    higher = True if kind != METRIC else METRICS[when.metric].higher_is_better
    side = "below" if when.below is not None else "above"
    if higher and side == "above":
        out.append(
            (
                (*base, "above"),
                _("higher is better here: a figure is short when it is 'below' the threshold"),
            )
        )
    elif not higher and side == "below":
        out.append(
            (
                (*base, "below"),
                _("lower is better here: a figure is short when it is 'above' the threshold"),
            )
        )
    unit = "%" if kind != METRIC else METRICS[when.metric].unit
    value = when.threshold
    if unit == "%" and not 0 <= value <= 100:
        out.append(((*base, side), _("a percent threshold must be from 0 to 100")))
    elif unit == "s" and not 0 <= value <= 30 * 86400:
        out.append(((*base, side), _("a time threshold must be from 0 to 2,592,000 seconds")))
    return out


def _window_errors(when: When, base: Loc) -> list[Problem]:
    """One window, and no more failing than it can hold."""
    if (when.of_last is None) == (when.within_days is None):
        return [(base, _("give either 'of_last' or 'within_days'"))]
    if when.of_last is not None and when.failing > when.of_last:
        return [
            (
                (*base, "failing"),
                _(
                    "'failing' (%(failing)s) cannot be more than 'of_last' (%(of_last)s)",
                    failing=when.failing,
                    of_last=when.of_last,
                ),
            )
        ]
    return []


def _assign_errors(rule: Rule, base: Loc, context: RulesContext | None) -> list[Problem]:
    """The refresher exists in the newest published version of its curriculum."""
    assign = rule.assign
    if assign.lesson is not None and assign.module is None:
        return [((*base, "lesson"), _("a lesson needs its module"))]
    if context is None:
        return []
    curriculum = context.curricula.get(assign.curriculum)
    if curriculum is None:
        known = _listing(sorted(context.curricula))
        message = _(
            "no published curriculum '%(slug)s' (%(known)s)", slug=assign.curriculum, known=known
        )
        return [((*base, "curriculum"), message)]
    if assign.module is None:
        return []
    module = curriculum.modules.get(assign.module)
    if module is None:
        message = _(
            "curriculum '%(curriculum)s' has no module '%(slug)s'",
            curriculum=assign.curriculum,
            slug=assign.module,
        )
        return [((*base, "module"), message)]
    if assign.lesson is not None and assign.lesson not in module.lessons:
        message = _(
            "module '%(module)s' has no lesson '%(slug)s'", module=assign.module, slug=assign.lesson
        )
        return [((*base, "lesson"), message)]
    return []


def _scope_errors(rule: Rule, base: Loc, context: RulesContext | None) -> list[Problem]:
    out: list[Problem] = []
    scope = rule.for_
    if scope is None:
        return out
    if scope.placement is not None and not scope.placement.named():
        out.append(
            (
                (*base, "placement"),
                _(
                    "a placement needs at least one of queue, channel, tier, product_line or language"
                ),
            )
        )
    if context is not None and scope.phases is not None:
        for j, phase in enumerate(scope.phases):
            if phase not in context.phases:
                message = _(
                    "no published ramp template has the phase '%(phase)s' (%(known)s)",
                    phase=phase,
                    known=_listing(sorted(context.phases)),
                )
                out.append(((*base, "phases", j), message))
    return out


def rule_problems(spec: RulesSpec, context: RulesContext | None) -> list[Problem]:
    """Checks across the document (with the database's facts when `context` is given)."""
    out: list[Problem] = []
    seen: dict[str, int] = {}
    for i, rule in enumerate(spec.rules):
        base: Loc = ("rules", i)
        if rule.key in seen:
            message = _(
                "duplicate rule key '%(key)s' (also rules[%(first)s])",
                key=rule.key,
                first=seen[rule.key],
            )
            out.append(((*base, "key"), message))
        else:
            seen[rule.key] = i
        out.extend(_measure_errors(rule.when, (*base, "when"), context))
        out.extend(_window_errors(rule.when, (*base, "when")))
        out.extend(_scope_errors(rule, (*base, "for"), context))
        out.extend(_assign_errors(rule, (*base, "assign"), context))
    return out


def _duplicate_keys(root: yaml.Node | None) -> list[SpecError]:
    """Keys written twice in one mapping (YAML would keep the last one silently)."""
    out: list[SpecError] = []
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())] if root is not None else []
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                name = str(key.value)
                if name in first:
                    mark = key.start_mark
                    message = _(
                        "duplicate key '%(key)s' (also on line %(line)s)",
                        key=name,
                        line=first[name],
                    )
                    out.append(SpecError((*path, name), message, mark.line + 1, mark.column + 1))
                else:
                    first[name] = key.start_mark.line + 1
                stack.append((value, (*path, name)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, j)) for j, item in enumerate(node.value))
    return sorted(out, key=lambda e: (e.line or 0, e.column or 0))


def parse_rules(
    text: str, filename: str = "<coaching rules>", context: RulesContext | None = None
) -> RulesSpec:
    """Parse and check a coaching rules file; raise RulesFileError with every problem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        root = None  # parse_document words it
    duplicates = _duplicate_keys(root) if root is not None else []
    if duplicates:
        raise RulesFileError(filename, duplicates)
    spec, _root = parse_document(
        text,
        filename,
        RulesSpec,
        lambda parsed: rule_problems(parsed, context),
        what=_("coaching rules file"),
    )
    return spec


def load_rules_file(path: str, context: RulesContext | None = None) -> RulesSpec:
    """Read and check a coaching rules file."""
    return parse_rules(read_text(path), filename=path, context=context)


def rules_to_document(spec: RulesSpec) -> dict:
    """The plain dict form of a rules file, in the documented key order, without empty keys."""
    return plain_document(spec)


def dump_rules(spec: RulesSpec) -> str:
    """Write a rules file as YAML that parse_rules() reads back to an equal spec."""
    return dump_yaml(rules_to_document(spec))


def rules_from_document(document: dict) -> RulesSpec:
    """The spec stored with a rules version."""
    return RulesSpec.model_validate(document)
