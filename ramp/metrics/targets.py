"""The graduated-targets file format: per metric, per placement, a glide path by tenure week.

A targets file says, for each metric, the figure a hire must reach in each tenure week
(week 1 is the hire's first 7 days), with a default path and optional paths for particular
placements (a queue, a channel, a tier, a product line, a language). Plain Python and
pydantic, no database; its problems are worded through gettext, so they are in the reader's
language in a request and in English elsewhere. Every error carries the file, the line and
column, and the place in the document (``targets[2].weeks[1].from``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Literal

from flask_babel import gettext as _
from pydantic import ConfigDict, Field

from ramp.metrics.definitions import METRICS
from ramp.yamlspec import (
    Problem,
    Slug,
    SpecFileError,
    Strict,
    Text,
    dump_yaml,
    parse_document,
    plain_document,
    read_text,
)

# A targets file that cannot be used: the shared error with every problem placed.
TargetsFileError = SpecFileError

# The placement fields a rule can name, in the order they are written and shown.
PLACEMENT_FIELDS = ("queue", "channel", "tier", "product_line", "language")

PositiveInt = Annotated[int, Field(ge=1, strict=True)]


class PlacementMatch(Strict):
    """The placements a rule applies to: every field it names must equal the hire's."""

    queue: Text | None = None
    channel: Text | None = None
    tier: Text | None = None
    product_line: Text | None = None
    language: Text | None = None

    def named(self) -> dict[str, str]:
        """The fields this match names, in document order."""
        return {f: v for f in PLACEMENT_FIELDS if (v := getattr(self, f)) is not None}

    def describe(self) -> str:
        """The match in words, as written: "queue: billing, channel: phone"."""
        return ", ".join(f"{f}: {v}" for f, v in self.named().items())


class WeekTarget(Strict):
    """One step of a glide path: the target from tenure week `from` to `to` (inclusive)."""

    model_config = ConfigDict(
        validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    from_: Annotated[int, Field(alias="from", ge=1, strict=True)]
    to: Annotated[int, Field(strict=True)] | None = None
    value: Annotated[float, Field(strict=True, allow_inf_nan=False)]

    def covers(self, week: int) -> bool:
        """Whether tenure `week` falls in this step."""
        return self.from_ <= week and (self.to is None or week <= self.to)

    def span(self) -> str:
        """The step's weeks in words: "week 3", "weeks 3–4", "weeks 7 onward"."""
        return span_words(self.from_, self.to)


class MetricTargets(Strict):
    """The glide path of one metric, for one placement or (without placement) the default."""

    metric: str
    placement: PlacementMatch | None = None
    direction: Literal["higher", "lower"] | None = None
    min_sample: PositiveInt | None = None
    weeks: Annotated[tuple[WeekTarget, ...], Field(min_length=1)]


class TargetsSpec(Strict):
    """A whole targets file."""

    name: Slug
    title: Text
    description: str | None = None
    targets: tuple[MetricTargets, ...]


@dataclass(frozen=True)
class Target:
    """The target in force for one metric in one tenure week, and the rule it came from."""

    metric: str
    value: float
    week: int
    higher_is_better: bool
    min_sample: int
    placement: PlacementMatch | None  # the matched rule's placement; None = the default


def span_words(start: int, end: int | None) -> str:
    """Weeks `start` to `end` (None: onward) in words: "week 3", "weeks 3–4", "weeks 7 onward"."""
    if end is None:
        return _("weeks %(start)s onward", start=start)
    if end == start:
        return _("week %(week)s", week=start)
    return _("weeks %(start)s–%(end)s", start=start, end=end)


# Checks


def _metric_names() -> str:
    names = list(METRICS)
    return _("%(items)s or %(last)s", items=", ".join(names[:-1]), last=names[-1])


def _plural(step: WeekTarget) -> bool:
    return step.to != step.from_


def _step_errors(rule: MetricTargets, i: int) -> list[Problem]:
    """One glide path: starts at week 1, in order, contiguous, no overlap, last step open-ended."""
    out: list[Problem] = []
    base = ("targets", i, "weeks")
    last = len(rule.weeks) - 1
    prev: WeekTarget | None = None
    for j, step in enumerate(rule.weeks):
        valid = True
        if j == 0 and step.from_ != 1:
            out.append(((*base, j, "from"), _("the first step must start at week 1")))
        if step.to is not None and step.to < step.from_:
            out.append(
                (
                    (*base, j, "to"),
                    _(
                        "'to' (%(to)s) must not be before 'from' (%(start)s)",
                        to=step.to,
                        start=step.from_,
                    ),
                )
            )
            valid = False
        if step.to is None and j < last:
            out.append(
                (
                    (*base, j, "to"),
                    _(
                        "%(span)s leave out 'to': only the last step may be open-ended",
                        span=step.span(),
                    )
                    if _plural(step)
                    else _(
                        "%(span)s leaves out 'to': only the last step may be open-ended",
                        span=step.span(),
                    ),
                )
            )
        if step.to is not None and j == last:
            out.append(
                (
                    (*base, j, "to"),
                    _(
                        "the last step must be open-ended (leave out 'to') "
                        "so every later week has a target"
                    ),
                )
            )
        if valid and prev is not None and prev.to is not None:
            loc = (*base, j, "from")
            if step.from_ < prev.from_:
                message = _(
                    "%(later)s must come before %(earlier)s: list steps in week order",
                    later=step.span(),
                    earlier=prev.span(),
                )
                out.append((loc, message))
            elif step.from_ <= prev.to:
                spans = {"first": prev.span(), "second": step.span()}
                if _plural(prev):
                    out.append((loc, _("%(first)s overlap %(second)s", **spans)))
                else:
                    out.append((loc, _("%(first)s overlaps %(second)s", **spans)))
            elif step.from_ > prev.to + 1:
                gap = {"span": step.span(), "week": prev.to}
                if _plural(step):
                    out.append((loc, _("%(span)s leave a gap after week %(week)s", **gap)))
                else:
                    out.append((loc, _("%(span)s leaves a gap after week %(week)s", **gap)))
        prev = step if valid else None
    return out


def _value_errors(rule: MetricTargets, i: int) -> list[Problem]:
    """The metric is known, its direction is the fixed one, and each value is in range."""
    definition = METRICS.get(rule.metric)
    if definition is None:
        message = _(
            "unknown metric '%(metric)s' (%(metrics)s)", metric=rule.metric, metrics=_metric_names()
        )
        return [(("targets", i, "metric"), message)]
    out: list[Problem] = []
    fixed = "higher" if definition.higher_is_better else "lower"
    if rule.direction is not None and rule.direction != fixed:
        if fixed == "higher":
            message = _(
                "%(metric)s is better when higher; direction cannot be '%(direction)s'",
                metric=definition.label,
                direction=rule.direction,
            )
        else:
            message = _(
                "%(metric)s is better when lower; direction cannot be '%(direction)s'",
                metric=definition.label,
                direction=rule.direction,
            )
        out.append((("targets", i, "direction"), message))
    for j, step in enumerate(rule.weeks):
        loc = ("targets", i, "weeks", j, "value")
        if definition.unit == "%" and not 0 <= step.value <= 100:
            message = _(
                "%(metric)s is a percentage: the target must be 0 to 100", metric=definition.label
            )
            out.append((loc, message))
        elif definition.unit == "s" and step.value <= 0:
            message = _(
                "%(metric)s is in seconds: the target must be more than 0", metric=definition.label
            )
            out.append((loc, message))
    return out


def _placement_key(match: PlacementMatch) -> tuple[tuple[str, str], ...]:
    """A match compared the way matching compares: trimmed, case-insensitive."""
    return tuple((f, v.strip().casefold()) for f, v in match.named().items())


def _rule_errors(spec: TargetsSpec) -> list[Problem]:
    """Checks across the document; every problem found, each with its place."""
    out: list[Problem] = []
    seen: dict[tuple[str, tuple[tuple[str, str], ...] | None], int] = {}
    defaults: set[str] = set()
    first_placed: dict[str, int] = {}
    for i, rule in enumerate(spec.targets):
        out.extend(_value_errors(rule, i))
        out.extend(_step_errors(rule, i))
        if rule.placement is None:
            key = (rule.metric, None)
            if key in seen:
                out.append(
                    (
                        ("targets", i),
                        _(
                            "two default rules for %(metric)s (also targets[%(other)s])",
                            metric=rule.metric,
                            other=seen[key],
                        ),
                    )
                )
            else:
                seen[key] = i
            defaults.add(rule.metric)
            continue
        loc = ("targets", i, "placement")
        if not rule.placement.named():
            out.append(
                (
                    loc,
                    _(
                        "a placement needs at least one of queue, channel, tier, product_line or "
                        "language (leave out 'placement' for the default rule)"
                    ),
                )
            )
            continue
        key = (rule.metric, _placement_key(rule.placement))
        if key in seen:
            out.append(
                (
                    loc,
                    _(
                        "two rules for %(metric)s with the same placement (%(placement)s) "
                        "(also targets[%(other)s])",
                        metric=rule.metric,
                        placement=rule.placement.describe(),
                        other=seen[key],
                    ),
                )
            )
        else:
            seen[key] = i
        first_placed.setdefault(rule.metric, i)
    for metric, i in first_placed.items():
        if metric in METRICS and metric not in defaults:
            message = _("%(metric)s has placement rules but no default", metric=metric)
            out.append((("targets", i, "placement"), message))
    return out


# Reading and writing


def parse_targets(text: str, filename: str = "<targets>") -> TargetsSpec:
    """Parse and check a targets file; raise TargetsFileError with every problem."""
    spec, _root = parse_document(text, filename, TargetsSpec, _rule_errors, what=_("targets file"))
    return spec


def load_targets_file(path: str) -> TargetsSpec:
    """Read and check a targets file."""
    return parse_targets(read_text(path), filename=path)


def targets_to_document(spec: TargetsSpec) -> dict:
    """The plain dict form of a targets file, in the documented key order, without empty keys."""
    return plain_document(spec)


def dump_targets(spec: TargetsSpec) -> str:
    """Write a targets file as YAML that parse_targets() reads back to an equal spec."""
    return dump_yaml(targets_to_document(spec))


# Choosing a target


def _normalized(value: object) -> str | None:
    """A placement value as compared: trimmed and case-folded; None when not set."""
    if isinstance(value, Enum):
        value = value.value
    if value is None:
        return None
    text = str(value).strip().casefold()
    return text or None


def _matches(match: PlacementMatch, placement: Mapping[str, object] | None) -> bool:
    """Whether every field the rule names equals the placement's (case-insensitive)."""
    if placement is None:
        return False
    return all(
        _normalized(placement.get(f)) == v.strip().casefold() for f, v in match.named().items()
    )


def _rule_for(
    spec: TargetsSpec, metric: str, placement: Mapping[str, object] | None
) -> MetricTargets | None:
    """The most specific rule for `metric` matching `placement`, else the default, else None."""
    best: MetricTargets | None = None
    best_fields = 0
    default: MetricTargets | None = None
    for rule in spec.targets:
        if rule.metric != metric:
            continue
        if rule.placement is None:
            default = default or rule
            continue
        fields = len(rule.placement.named())
        if fields > best_fields and _matches(rule.placement, placement):
            best, best_fields = rule, fields
    return best or default


def target_for(
    spec: TargetsSpec, metric: str, week: int, placement: Mapping[str, object] | None
) -> Target | None:
    """The target for `metric` in tenure `week` for a hire placed at `placement`, or None."""
    definition = METRICS.get(metric)
    if definition is None or week < 1:
        return None
    rule = _rule_for(spec, metric, placement)
    if rule is None:
        return None
    step = next((s for s in rule.weeks if s.covers(week)), None)
    if step is None:
        return None
    return Target(
        metric=metric,
        value=step.value,
        week=week,
        higher_is_better=definition.higher_is_better,
        min_sample=rule.min_sample or definition.default_min_sample,
        placement=rule.placement,
    )


def glide_path(
    spec: TargetsSpec, metric: str, placement: Mapping[str, object] | None, weeks: int
) -> list[Target | None]:
    """The target of each tenure week 1..`weeks` (None where there is none), for charts."""
    return [target_for(spec, metric, week, placement) for week in range(1, weeks + 1)]


def meets(target: Target, value: float) -> bool:
    """Whether `value` meets `target`: at least it when higher is better, at most it otherwise."""
    return value >= target.value if target.higher_is_better else value <= target.value
