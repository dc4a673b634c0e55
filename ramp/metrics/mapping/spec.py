"""The mapping document as pydantic models (fields, scorecard categories, skip rules, the
mapping itself), and what a mapping works out once from them: each field's plan, and the
compiled row reader."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo

import re2
from flask_babel import gettext as _
from pydantic import ConfigDict, Field, StrictBool, field_validator

from ramp.metrics.mapping.fields import (
    AGENT_FIELDS,
    FALSE_VALUES,
    FIELDS,
    NULL_VALUES,
    REQUIRED,
    TRUE_VALUES,
)
from ramp.metrics.mapping.reader import _compile_reader
from ramp.metrics.mapping.values import RowError, _coerce, _convert, _num_text, _or
from ramp.yamlspec import Slug, Strict, Text


def _scalar_text(value: object) -> object:
    """YAML numbers as text; YAML booleans refused, since their spelling is lost."""
    if isinstance(value, bool):
        raise ValueError(
            _(
                "write yes/no/true/false/on/off in quotes here ('yes'): "
                "unquoted, YAML reads them as true or false"
            )
        )
    if isinstance(value, int | float):
        return _num_text(value)
    return value


def _texts(value: object) -> object:
    if isinstance(value, list | tuple):
        return [_scalar_text(v) for v in value]
    return _scalar_text(value)


def template_parts(template: str) -> list[tuple[str, bool]]:
    """A template's pieces in order: (text, False) for literal text, (column, True) for a
    `{column}`; `{{` and `}}` are literal braces. Raises ValueError saying what is wrong."""
    parts: list[tuple[str, bool]] = []
    literal: list[str] = []
    i = 0
    while i < len(template):
        char = template[i]
        if template.startswith(("{{", "}}"), i):
            literal.append(char)
            i += 2
            continue
        if char == "}":
            raise ValueError(
                _("a '}' at character %(at)s closes nothing (write }} for a brace)", at=i + 1)
            )
        if char != "{":
            literal.append(char)
            i += 1
            continue
        end = template.find("}", i + 1)
        opened = template.find("{", i + 1)
        if end < 0 or 0 <= opened < end:
            raise ValueError(
                _("the '{' at character %(at)s is never closed (write {{ for a brace)", at=i + 1)
            )
        name = template[i + 1 : end].strip()
        if not name:
            raise ValueError(_("the '{}' at character %(at)s names no column", at=i + 1))
        if literal:
            parts.append(("".join(literal), False))
            literal = []
        parts.append((name, True))
        i = end + 1
    if literal:
        parts.append(("".join(literal), False))
    if not any(is_column for _, is_column in parts):
        raise ValueError(_("a template names at least one {column} (a fixed text is a value)"))
    return parts


class FieldSpec(Strict):
    """Where one field comes from (a column, a constant value, a template of several
    columns, or a date and a time column) and how to read it."""

    column: Text | None = None
    value: str | float | bool | None = None
    template: Text | None = None
    date: Text | None = None
    time: Text | None = None
    type: str | None = None
    format: str | None = None
    map: dict[str, str | float | bool] | None = None
    scale: tuple[float, float] | None = None
    required: StrictBool = False

    @field_validator("map", mode="before")
    @classmethod
    def _map_keys(cls, value: object) -> object:
        if isinstance(value, dict):
            return {_scalar_text(k): v for k, v in value.items()}
        return value

    @cached_property
    def _lookup(self) -> dict[str, str | float | bool]:
        return {k.strip().casefold(): v for k, v in (self.map or {}).items()}

    def composite(self) -> bool:
        """Whether the value is built from several columns (a template, or a date and a time)."""
        return self.template is not None or self.date is not None or self.time is not None

    def source_columns(self) -> tuple[str, ...]:
        """The columns the field reads, in order (none for a constant)."""
        if self.template is not None:
            try:
                parts = template_parts(self.template)
            except ValueError:
                return ()
            return tuple(dict.fromkeys(name for name, is_column in parts if is_column))
        if self.date is not None or self.time is not None:
            return tuple(c for c in (self.date, self.time) if c is not None)
        return (self.column,) if self.column is not None else ()

    def label(self) -> str | None:
        """How problems name where the value comes from: its column, template, or date + time."""
        if self.template is not None:
            return self.template
        if self.date is not None or self.time is not None:
            return " + ".join(self.source_columns())
        return self.column


class CategorySpec(Strict):
    """One QA scorecard category: the column of its score and its maximum."""

    name: Text
    score: Text
    max_score: float | None = None
    max_column: Text | None = None
    min_score: float = 0
    weight: float = 1
    critical: StrictBool = False


def linear_regex(pattern: str):
    """A case-insensitive regular expression that runs in time linear in its input (RE2), so
    no pattern can hang an import; backreferences and look-arounds are refused."""
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    return re2.compile(pattern, options)


class SkipRule(Strict):
    """Rows to leave out; a rule with several tests matches when all of them do."""

    model_config = ConfigDict(populate_by_name=True)

    column: Text
    equals: str | None = None
    not_equals: str | None = None
    in_: tuple[str, ...] | None = Field(None, alias="in")
    not_in: tuple[str, ...] | None = None
    empty: StrictBool | None = None
    matches: str | None = None

    _as_text = field_validator("equals", "not_equals", "in_", "not_in", mode="before")(_texts)

    def has_test(self) -> bool:
        """Whether the rule tests the cell at all."""
        tests = (self.equals, self.not_equals, self.in_, self.not_in, self.empty, self.matches)
        return any(t is not None for t in tests)

    @cached_property
    def _in(self) -> frozenset[str]:
        return frozenset(v.strip().casefold() for v in self.in_ or ())

    @cached_property
    def _not_in(self) -> frozenset[str]:
        return frozenset(v.strip().casefold() for v in self.not_in or ())

    @cached_property
    def _equals(self) -> str | None:
        return None if self.equals is None else self.equals.strip().casefold()

    @cached_property
    def _not_equals(self) -> str | None:
        return None if self.not_equals is None else self.not_equals.strip().casefold()

    @cached_property
    def _regex(self):
        return linear_regex(self.matches) if self.matches is not None else None


def _with_scale(name: str, spec: FieldSpec, mapping: MappingSpec) -> FieldSpec:
    """The field's spec; csat_rating without a scale of its own takes the mapping's csat_scale."""
    if name == "csat_rating" and spec.scale is None:
        return spec.model_copy(update={"scale": mapping.csat_scale})
    return spec


@dataclass(frozen=True)
class _FieldPlan:
    """One mapped field, resolved: how to read it and what it becomes."""

    field: str
    field_type: str
    read_as: str
    spec: FieldSpec  # with the rating scale filled in; column: its label when composite
    required: bool
    constant: object = None
    # A field built from several columns: the function joining their cells into one text.
    build: Callable[[Mapping[str, str]], str | None] | None = None


class MappingSpec(Strict):
    """A whole mapping: one export format feeding one kind of record."""

    name: Slug
    title: Text
    kind: str
    source: Slug
    format: Literal["csv", "jsonl"] = "csv"
    delimiter: str | None = None
    encoding: str = "utf-8"
    timezone: str = "UTC"
    null_values: tuple[str, ...] = NULL_VALUES
    true_values: tuple[str, ...] = TRUE_VALUES
    false_values: tuple[str, ...] = FALSE_VALUES
    csat_scale: tuple[float, float] = (1.0, 5.0)
    skip: tuple[SkipRule, ...] = ()
    latest_per: Text | None = None
    order_by: Text | None = None
    fields: dict[str, FieldSpec]
    categories: tuple[CategorySpec, ...] = ()

    _as_text = field_validator("null_values", "true_values", "false_values", mode="before")(_texts)

    @field_validator("delimiter", mode="before")
    @classmethod
    def _delimiter(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in ("tab", "\\t"):
            return "\t"
        return value

    @field_validator("encoding", mode="before")
    @classmethod
    def _encoding(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower().replace("_", "-") in (
            "utf-8",
            "utf8",
            "utf-8-sig",
            "utf8-sig",
        ):
            return "utf-8"
        return value

    @field_validator("fields", mode="before")
    @classmethod
    def _short_fields(cls, value: object) -> object:
        # `external_id: Ticket ID` is short for `external_id: {column: Ticket ID}`.
        if isinstance(value, dict):
            return {k: {"column": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    def column_list(self) -> list[str]:
        """Every column the mapping reads, once each, in the order the document names them."""
        out = [c for f in self.fields.values() for c in f.source_columns()]
        for cat in self.categories:
            out += [cat.score, *([cat.max_column] if cat.max_column else [])]
        out += [rule.column for rule in self.skip]
        out += [c for c in (self.latest_per, self.order_by) if c]
        return list(dict.fromkeys(out))

    def columns(self) -> set[str]:
        """Every column the mapping reads."""
        return set(self.column_list())

    def __getstate__(self) -> dict:
        # The worked-out plan and readers (cached properties) hold functions made for this
        # process: a pickled mapping leaves them out, and works them out again when used.
        state = super().__getstate__()
        fields = type(self).model_fields
        state["__dict__"] = {k: v for k, v in state["__dict__"].items() if k in fields}
        return state

    @cached_property
    def zone(self) -> ZoneInfo:
        """The time zone of datetimes written without an offset."""
        return ZoneInfo(self.timezone)

    @cached_property
    def _nulls(self) -> frozenset[str]:
        return frozenset(v.strip().casefold() for v in self.null_values)

    @cached_property
    def _trues(self) -> frozenset[str]:
        return frozenset(v.strip().casefold() for v in self.true_values)

    @cached_property
    def _falses(self) -> frozenset[str]:
        return frozenset(v.strip().casefold() for v in self.false_values)

    @cached_property
    def _plan(self) -> tuple[_FieldPlan, ...]:
        known = FIELDS[self.kind]
        required = REQUIRED[self.kind]
        plans = []
        for name, spec in self.fields.items():
            field_type = known[name]
            spec = _with_scale(name, spec, self)
            plan = _FieldPlan(
                name, field_type, spec.type or field_type, spec, spec.required or name in required
            )
            if spec.composite():
                labelled = spec.model_copy(update={"column": spec.label()})
                plan = replace(plan, spec=labelled, build=_builder(spec, self))
            elif spec.column is None:
                constant = _convert(
                    plan, _coerce(spec.value, plan.read_as, spec, self), _num_text(spec.value)
                )
                plan = replace(plan, constant=constant)
            plans.append(plan)
        return tuple(plans)

    @cached_property
    def _agent_plans(self) -> tuple[_FieldPlan, ...]:
        return tuple(p for p in self._plan if p.field in AGENT_FIELDS)

    @cached_property
    def _field_columns(self) -> dict[str, str | None]:
        return {p.field: p.spec.column for p in self._plan}

    @cached_property
    def _rating_scale(self) -> tuple[float, float] | None:
        return next((p.spec.scale for p in self._plan if p.field == "csat_rating"), None)

    @cached_property
    def _reader(self) -> Callable[[int, Mapping[str, str]], dict | None]:
        return _compile_reader(self)

    @cached_property
    def _category_plan(self) -> tuple[tuple[CategorySpec, FieldSpec, FieldSpec | None], ...]:
        return tuple(
            (
                cat,
                FieldSpec(column=cat.score),
                FieldSpec(column=cat.max_column) if cat.max_column else None,
            )
            for cat in self.categories
        )


def _builder(spec: FieldSpec, mapping: MappingSpec) -> Callable[[Mapping[str, str]], str | None]:
    """The function joining the cells of a composite field into the text to read (once per
    mapping): None when all its cells are empty, an error when only some are."""
    if spec.template is not None:
        parts = template_parts(spec.template)
    else:
        parts = [(spec.date or "", True), (" ", False), (spec.time or "", True)]
    columns = frozenset(name for name, is_column in parts if is_column)
    label = spec.label()
    nulls = mapping._nulls

    def build(row: Mapping[str, str]) -> str | None:
        pieces = []
        empty = []
        for text, is_column in parts:
            if is_column:
                name, text = text, (row.get(text) or "").strip()
                if text.casefold() in nulls:
                    empty.append(name)
            pieces.append(text)
        if not empty:
            return "".join(pieces)
        if columns <= set(empty):
            return None
        names = _or([f"'{name}'" for name in dict.fromkeys(empty)])
        verb = "is" if len(set(empty)) == 1 else "are"
        # A row problem: kept in English, worded for a page by ramp/metrics/problem_words.py.
        raise RowError(label, f"{names} {verb} empty but not the rest: {label} needs them all")

    return build
