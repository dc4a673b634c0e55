"""The import mapping format, and reading the rows of an export with it.

A mapping is a YAML document that says which column of an export (CSV or JSON lines) feeds
which field of ramp's contact or QA records, and how to read each value: dates in which
order and time zone, durations in which unit, ratings on which scale, which words mean yes
and no. Every problem in a mapping is reported with its file, line and column. Reading rows
is pure and streams: no Flask, no database, memory flat in the size of the file.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from difflib import get_close_matches
from functools import cached_property
from typing import Generic, Literal, TextIO, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import re2
from pydantic import ConfigDict, Field, StrictBool, field_validator

from ramp.yamlspec import Problem, Slug, SpecFileError, Strict, Text, parse_document, read_text

KINDS = ("contacts", "qa")

CONTACT_FIELDS: dict[str, str] = {
    "external_id": "text",
    "channel": "text",
    "queue": "text",
    "created_at": "datetime",
    "first_response_at": "datetime",
    # For exports that give the wait for a first reply as a duration, not as a time.
    "first_response_seconds": "duration",
    "solved_at": "datetime",
    "handle_seconds": "duration",
    "reopens": "integer",
    "contacts_to_resolve": "integer",
    "csat_rating": "number",
    "sla_met": "boolean",
    "sla_target_seconds": "duration",
    "agent_email": "text",
    "agent_id": "text",
}

QA_FIELDS: dict[str, str] = {
    "external_id": "text",
    "interaction_id": "text",
    "interaction_at": "datetime",
    "evaluated_at": "datetime",
    "scorecard": "text",
    "score": "number",
    "max_score": "number",
    "critical_fail": "boolean",
    "agent_email": "text",
    "agent_id": "text",
}

FIELDS: dict[str, dict[str, str]] = {"contacts": CONTACT_FIELDS, "qa": QA_FIELDS}

# Besides these, every mapping maps at least one of AGENT_FIELDS.
REQUIRED: dict[str, tuple[str, ...]] = {
    "contacts": ("external_id", "created_at"),
    "qa": ("external_id", "evaluated_at"),
}
AGENT_FIELDS = ("agent_email", "agent_id")

TYPES = ("text", "integer", "number", "duration", "datetime", "boolean")
# How a field of each type may be read ("type:" in the mapping); the value is then
# converted to the field's own type (an id read as an integer "12345.0" is stored as "12345").
READ_AS: dict[str, tuple[str, ...]] = {
    "text": ("text", "integer", "number"),
    "integer": ("integer", "number"),
    "number": ("number", "integer"),
    "duration": ("duration", "number", "integer"),
    "datetime": ("datetime",),
    "boolean": ("boolean",),
}
DATETIME_FORMATS = ("iso", "epoch", "day_first", "month_first")
DURATION_FORMATS = ("seconds", "minutes", "hms")
DELIMITERS = (",", ";", "\t", "|")

NULL_VALUES = ("", "-", "n/a", "na", "null", "none")
TRUE_VALUES = ("yes", "y", "true", "t", "1")
FALSE_VALUES = ("no", "n", "false", "f", "0")

SAMPLE_SIZE = 64 * 1024  # characters of a CSV file read to detect its delimiter
SNIFF_SIZE = 4 * 1024  # of which csv.Sniffer reads this many (it is slow on long quoted text)
JSON_SAMPLE_ROWS = 1000  # JSON objects read ahead to check that the key columns exist
CSV_FIELD_LIMIT = 16 * 1024 * 1024  # one cell may hold a long ticket thread
EXTRA_CELLS = "(extra cells)"  # row key holding cells beyond the header, joined

# A mapping file that cannot be used: the shared error with every problem placed.
MappingFileError = SpecFileError

_EXAMPLE = datetime(2026, 1, 31, 14, 5)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_HMS = re.compile(r"(-)?(\d{1,12})(?::(\d{1,2}))?:(\d{1,2}(?:\.\d+)?)")
_DATE = re.compile(
    r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})"
    r"(?:(?:\s+|T|,\s*)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(?:\s*([AaPp])\.?[Mm]\.?)?)?"
)
_DATE_EXPECTED = {
    "iso": "ISO 8601, e.g. 2026-01-31T14:05:00Z",
    "epoch": "seconds since 1970-01-01 UTC, e.g. 1769868300",
    "day_first": "day-first, e.g. 31/01/2026 14:05",
    "month_first": "month-first, e.g. 01/31/2026 2:05 PM",
}
_DURATION_EXPECTED = {
    "seconds": "a number of seconds, e.g. 95",
    "minutes": "a number of minutes, e.g. 1.5",
    "hms": "h:mm:ss or m:ss, e.g. 1:02:03 or 4:05",
    None: "seconds, or h:mm:ss or m:ss, e.g. 95 or 1:35",
}


def _num_text(value: float) -> str:
    """A number as people write it: 5 rather than 5.0, 1e+308 rather than 309 digits."""
    if isinstance(value, int | float) and abs(value) >= 1e15:
        return f"{value:.3g}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _or(words: Iterable[str]) -> str:
    items = list(words)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _scalar_text(value: object) -> object:
    """YAML numbers as text; YAML booleans refused, since their spelling is lost."""
    if isinstance(value, bool):
        raise ValueError(
            "write yes/no/true/false/on/off in quotes here ('yes'): "
            "unquoted, YAML reads them as true or false"
        )
    if isinstance(value, int | float):
        return _num_text(value)
    return value


def _texts(value: object) -> object:
    if isinstance(value, list | tuple):
        return [_scalar_text(v) for v in value]
    return _scalar_text(value)


# The document ------------------------------------------------------------------------


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
            raise ValueError(f"a '}}' at character {i + 1} closes nothing (write }}}} for a brace)")
        if char != "{":
            literal.append(char)
            i += 1
            continue
        end = template.find("}", i + 1)
        opened = template.find("{", i + 1)
        if end < 0 or 0 <= opened < end:
            raise ValueError(
                f"the '{{' at character {i + 1} is never closed (write {{{{ for a brace)"
            )
        name = template[i + 1 : end].strip()
        if not name:
            raise ValueError(f"the '{{}}' at character {i + 1} names no column")
        if literal:
            parts.append(("".join(literal), False))
            literal = []
        parts.append((name, True))
        i = end + 1
    if literal:
        parts.append(("".join(literal), False))
    if not any(is_column for _, is_column in parts):
        raise ValueError("a template names at least one {column} (a fixed text is a value)")
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


# Rules across the document -----------------------------------------------------------


def _pattern_problem(pattern: str) -> str | None:
    """Why a strptime pattern is unusable, or None when it is fine."""
    if "%" not in pattern:
        return (
            f"unknown datetime format '{pattern}' ({_or(DATETIME_FORMATS)}, "
            "or a strptime pattern like %d/%m/%Y %H:%M)"
        )
    try:
        datetime.strptime("", pattern)
    except ValueError as exc:
        if "directive" in str(exc) or "stray %" in str(exc):
            return f"not a usable strptime pattern: {exc}"
    return None


def _format_problem(read_as: str, fmt: str) -> str | None:
    if read_as == "datetime":
        return None if fmt in DATETIME_FORMATS else _pattern_problem(fmt)
    if read_as == "duration":
        if fmt not in DURATION_FORMATS:
            return f"unknown duration format '{fmt}' ({_or(DURATION_FORMATS)})"
        return None
    return f"format only applies to datetime and duration values, not {read_as}"


SOURCES = ("column", "value", "template", "date")  # where a field's value can come from


def _source_problems(name: str, fs: FieldSpec, read_as: str, loc: tuple) -> list[Problem]:
    """One source per field: a column, a value, a template, or a date with a time."""
    given = [key for key in SOURCES if getattr(fs, key) is not None]
    if not given and fs.time is None:
        return [
            (loc, f"{name} needs a column (or a constant value, a template, or a date and a time)")
        ]
    if len(given) > 1:
        if given[:2] == ["column", "value"]:
            return [(loc, f"{name} has both a column and a value: use one")]
        return [(loc, f"{name} has both a {given[0]} and a {given[1]}: use one")]
    out: list[Problem] = []
    if fs.template is not None:
        try:
            template_parts(fs.template)
        except ValueError as exc:
            out.append(((*loc, "template"), f"not a usable template: {exc}"))
    if fs.date is not None or fs.time is not None:
        if read_as != "datetime":
            key = "date" if fs.date is not None else "time"
            out.append(((*loc, key), f"date and time only build datetime fields, not {read_as}"))
        elif fs.date is None:
            out.append(((*loc, "time"), "time goes with date: the column holding the day"))
        elif fs.time is None:
            out.append(
                ((*loc, "date"), "date goes with time (a date and time in one column: use column)")
            )
        elif fs.format == "epoch":
            out.append(
                ((*loc, "format"), "epoch reads one number: it cannot join a date and a time")
            )
        if fs.map is not None:
            out.append(((*loc, "map"), "map translates one column's values: not a date and a time"))
    return out


def _field_problems(spec: MappingSpec, values_ok: bool) -> list[Problem]:
    """Field names, sources, types, formats, scales, maps and constants."""
    known = FIELDS[spec.kind]
    out: list[Problem] = []
    for name, fs in spec.fields.items():
        loc = ("fields", name)
        if name not in known:
            out.append((loc, f"unknown field '{name}' for {spec.kind} (known: {', '.join(known)})"))
            continue
        field_type = known[name]
        read_as = fs.type or field_type
        out += _source_problems(name, fs, read_as, loc)
        if fs.type is not None and fs.type not in READ_AS[field_type]:
            if fs.type not in TYPES:
                message = f"unknown type '{fs.type}' ({_or(TYPES)})"
            else:
                message = (
                    f"{name} is a {field_type} field: it can be read as "
                    f"{_or(READ_AS[field_type])}, not {fs.type}"
                )
            out.append(((*loc, "type"), message))
            continue
        ok = True
        if fs.format is not None and (problem := _format_problem(read_as, fs.format)):
            out.append(((*loc, "format"), problem))
            ok = False
        if fs.scale is not None:
            if read_as not in ("number", "integer") or field_type not in ("number", "integer"):
                out.append(((*loc, "scale"), "scale only applies to number fields"))
            elif fs.scale[0] >= fs.scale[1]:
                out.append(((*loc, "scale"), "the low end of the scale must be below the high end"))
                ok = False
        if fs.map is not None:
            if fs.value is not None and fs.column is None:
                out.append(((*loc, "map"), "map translates column values: a constant needs none"))
            seen: dict[str, str] = {}
            for key in fs.map:
                folded = key.strip().casefold()
                if folded in seen:
                    out.append(
                        (
                            (*loc, "map", key),
                            f"'{key}' is mapped twice (also '{seen[folded]}'; case is ignored)",
                        )
                    )
                seen.setdefault(folded, key)
        if not (ok and values_ok):
            continue
        fs = _with_scale(name, fs, spec)
        plan = _FieldPlan(name, field_type, read_as, fs, False)
        checks = [((*loc, "map", k), v) for k, v in (fs.map or {}).items()]
        if fs.value is not None and fs.column is None:
            checks.append(((*loc, "value"), fs.value))
        for where, value in checks:
            try:
                _convert(plan, _coerce(value, read_as, fs, spec), str(value))
            except RowError as exc:
                out.append((where, exc.message))
    for name in REQUIRED[spec.kind]:
        if name not in spec.fields:
            out.append(
                (
                    ("fields",),
                    f"the required field '{name}' is not mapped "
                    f"(a {spec.kind} mapping needs {' and '.join(REQUIRED[spec.kind])})",
                )
            )
    if not any(name in spec.fields for name in AGENT_FIELDS):
        out.append(
            (
                ("fields",),
                "map agent_email or agent_id (or both): records are matched to agents by them",
            )
        )
    return out


def _category_problems(spec: MappingSpec) -> list[Problem]:
    """Categories belong to QA mappings, have unique names and a usable maximum."""
    if not spec.categories:
        return []
    if spec.kind != "qa":
        return [(("categories",), "categories are only for qa mappings")]
    out: list[Problem] = []
    seen: dict[str, int] = {}
    for i, cat in enumerate(spec.categories):
        loc = ("categories", i)
        if cat.name.casefold() in seen:
            out.append(
                (
                    (*loc, "name"),
                    f"duplicate category '{cat.name}' (also categories[{seen[cat.name.casefold()]}])",
                )
            )
        seen.setdefault(cat.name.casefold(), i)
        if (cat.max_score is None) == (cat.max_column is None):
            out.append((loc, "a category needs max_score (a number) or max_column, one of them"))
        elif cat.max_score is not None and cat.max_score <= cat.min_score:
            out.append(((*loc, "max_score"), "max_score must be above min_score"))
        if cat.weight < 0:
            out.append(((*loc, "weight"), "the weight must be 0 or more"))
    return out


def linear_regex(pattern: str):
    """A case-insensitive regular expression that runs in time linear in its input (RE2), so
    no pattern can hang an import; backreferences and look-arounds are refused."""
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    return re2.compile(pattern, options)


def _skip_problems(spec: MappingSpec) -> list[Problem]:
    """Each skip rule has a test, and its regular expression compiles."""
    out: list[Problem] = []
    for i, rule in enumerate(spec.skip):
        loc = ("skip", i)
        if not rule.has_test():
            out.append((loc, "a skip rule needs equals, not_equals, in, not_in, empty or matches"))
        if rule.matches is not None:
            try:
                linear_regex(rule.matches)
            except re2.error as exc:
                reason = exc.args[0].decode() if isinstance(exc.args[0], bytes) else exc
                out.append(((*loc, "matches"), f"not a regular expression ramp can run: {reason}"))
    return out


def _top_problems(spec: MappingSpec) -> list[Problem]:
    """Kind, time zone, delimiter, encoding, scales, value words, latest_per."""
    out: list[Problem] = []
    if spec.kind not in KINDS:
        out.append((("kind",), f"unknown kind '{spec.kind}' ({_or(KINDS)})"))
    try:
        ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        out.append(
            (
                ("timezone",),
                f"unknown time zone '{spec.timezone}' (an IANA name like Europe/Berlin or UTC)",
            )
        )
    if spec.delimiter is not None:
        if spec.format != "csv":
            out.append((("delimiter",), "delimiter only applies to csv files"))
        elif len(spec.delimiter) != 1 or spec.delimiter in '"\r\n':
            out.append(
                (("delimiter",), "the delimiter must be one character, such as , ; | or tab")
            )
    if spec.encoding != "utf-8":
        out.append(
            (
                ("encoding",),
                f"only utf-8 is supported, not '{spec.encoding}': export the file as UTF-8",
            )
        )
    if spec.csat_scale[0] >= spec.csat_scale[1]:
        out.append((("csat_scale",), "the low end of the scale must be below the high end"))
    both = sorted(spec._trues & spec._falses)
    if both:
        out.append((("false_values",), f"{', '.join(both)} cannot mean both yes and no"))
    for key, words in (("true_values", spec._trues), ("false_values", spec._falses)):
        nulls = sorted(words & spec._nulls)
        if nulls:
            out.append(((key,), f"{', '.join(nulls)} also mark an empty value (null_values)"))
    if spec.latest_per and not spec.order_by:
        out.append(
            (
                ("latest_per",),
                "latest_per needs order_by: the column that says which row is the latest",
            )
        )
    if spec.order_by and not spec.latest_per:
        out.append((("order_by",), "order_by only applies with latest_per"))
    return out


def _rule_errors(spec: MappingSpec) -> list[Problem]:
    """Checks across the document; every problem found, each with its place."""
    out = _top_problems(spec)
    if spec.kind in KINDS:
        # Constants and map values are read with the time zone and the value words.
        readers = ("timezone", "csat_scale", "true_values", "false_values")
        values_ok = not any(loc[0] in readers for loc, _ in out)
        out += _field_problems(spec, values_ok)
    return out + _category_problems(spec) + _skip_problems(spec)


def parse_mapping(text: str, filename: str = "<mapping>") -> MappingSpec:
    """Parse and check a mapping; raise MappingFileError with every problem."""
    spec, _ = parse_document(text, filename, MappingSpec, _rule_errors, what="mapping file")
    return spec


def load_mapping_file(path: str | os.PathLike[str]) -> MappingSpec:
    """Read and check a mapping file."""
    return parse_mapping(read_text(str(path)), filename=str(path))


# Values ------------------------------------------------------------------------------


class RowError(Exception):
    """One problem in a row: the column it is in (None: the row as a whole) and why.

    `field` names the record field when the problem is about one (cross-field rules).
    """

    def __init__(self, column: str | None, message: str, field: str | None = None):
        super().__init__(message)
        self.column = column
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.column}: {self.message}" if self.column else self.message


class RowErrors(Exception):
    """Every problem of one row (or one unreadable line), with its line number."""

    def __init__(self, line: int, errors: list[RowError]):
        self.line = line
        self.errors = list(errors)
        super().__init__(f"line {line}: " + "; ".join(str(e) for e in self.errors))


class CsvBroken(csv.Error):
    """The CSV cannot be read on from the record that starts on this line."""

    def __init__(self, line: int, message: str):
        self.line = line
        super().__init__(message)


FOUND_SHOWN = 50  # columns found that a missing-column message lists


SUGGEST_FROM = 5000  # columns of a very wide header compared with a missing one, at most


def suggest_column(name: str, found: Iterable[str]) -> str | None:
    """The column of `found` that `name` most likely meant (case ignored), or None."""
    # A match needs a similarity of 0.6: 2 * common / (both lengths), so lengths in reach.
    low, high = len(name) * 3 / 7, len(name) * 7 / 3
    by_fold: dict[str, str] = {}
    for column in found:
        if low <= len(column) <= high:
            by_fold.setdefault(column.casefold(), column)
            if len(by_fold) >= SUGGEST_FROM:
                break
    close = get_close_matches(name.casefold(), list(by_fold), n=1)
    return by_fold[close[0]] if close else None


def _clip(text: str, limit: int = 60) -> str:
    """A text shown in a message: at most `limit` characters, cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class MappingColumnsError(Exception):
    """The export lacks columns the mapping reads; raised before any row is read."""

    def __init__(self, missing: list[str], found: list[str]):
        self.missing = missing
        self.found = found
        super().__init__(f"the file has no column {self.names()} (columns found: {self.shown()})")

    def names(self) -> str:
        """The missing columns, each with a "did you mean" for a near miss among those found."""
        out = []
        for col in self.missing:
            close = suggest_column(col, self.found)
            out.append(f"'{col}'" + (f" (did you mean '{_clip(close)}'?)" if close else ""))
        return ", ".join(out)

    def shown(self) -> str:
        """The columns found, the first FOUND_SHOWN of a very wide header."""
        if not self.found:
            return "none"
        more = len(self.found) - FOUND_SHOWN
        shown = ", ".join(_clip(name) for name in self.found[:FOUND_SHOWN])
        return shown + (f", ... and {more} more" if more > 0 else "")


@dataclass(frozen=True)
class ParsedRow:
    """One row read through a mapping: field -> value, with the line it started on.

    Only mapped fields appear (an unmapped field is not "empty", it is unknown). Beside the
    fields: "categories" (QA mappings with categories), "_csat_scale" (low, high) when
    csat_rating is mapped, and "_key" / "_order" when the mapping has latest_per.
    """

    line: int
    values: dict[str, object]


class _Bad(ValueError):
    """A value that cannot be read; parse_value adds the column."""


def _number(text: str) -> float:
    body = text[:-1].rstrip() if text.endswith("%") else text
    if not _NUMBER.fullmatch(body):
        raise _Bad(f"'{_clip(text)}' is not a number")
    value = float(body)
    if not math.isfinite(value):
        raise _Bad(f"'{_clip(text)}' is not a number")
    return value


def _integer(text: str) -> int:
    try:
        value = _number(text)
    except _Bad:
        raise _Bad(f"'{_clip(text)}' is not a whole number") from None
    if not value.is_integer():
        raise _Bad(f"'{_clip(text)}' is not a whole number")
    return int(value)


def _duration(text: str, fmt: str | None) -> float:
    expected = f"'{_clip(text)}' is not a duration (expected {_DURATION_EXPECTED[fmt]})"
    if fmt in ("seconds", "minutes") or (fmt is None and _NUMBER.fullmatch(text)):
        if not _NUMBER.fullmatch(text):
            raise _Bad(expected)
        value = float(text) * (60 if fmt == "minutes" else 1)
        if not math.isfinite(value):
            raise _Bad(expected)
    else:
        match = _HMS.fullmatch(text)
        if not match:
            raise _Bad(expected)
        sign, first, middle, last = match.groups()
        seconds = float(last)
        if seconds >= 60 or (middle is not None and int(middle) >= 60):
            raise _Bad(expected)
        if middle is None:  # m:ss
            value = int(first) * 60 + seconds
        else:  # h:mm:ss
            value = int(first) * 3600 + int(middle) * 60 + seconds
        value = -value if sign and value else value
    if value < 0:
        raise _Bad(f"'{_clip(text)}' is a negative duration")
    return value


def _two_digit_year(year: int) -> int:
    """Like %y: 69-99 are 1969-1999, 00-68 are 2000-2068."""
    return year + (1900 if year >= 69 else 2000)


def _day_month(text: str, day_first: bool) -> datetime:
    match = _DATE.fullmatch(text)
    if not match:
        raise ValueError(text)
    a, _, b, year, hour, minute, second, fraction, half = match.groups()
    day, month = (int(a), int(b)) if day_first else (int(b), int(a))
    full_year = int(year) if len(year) == 4 else _two_digit_year(int(year))
    h = int(hour or 0)
    if half:
        if not 1 <= h <= 12:
            raise ValueError(text)
        h = h % 12 + (12 if half in "Pp" else 0)
    micro = int((fraction or "0").ljust(6, "0"))
    return datetime(full_year, month, day, h, int(minute or 0), int(second or 0), micro)


def _datetime(text: str, fmt: str | None, zone: ZoneInfo) -> datetime:
    fmt = fmt or "iso"
    expected = _DATE_EXPECTED.get(fmt) or f"{fmt}, e.g. {_EXAMPLE.strftime(fmt)}"
    try:
        if fmt == "iso":
            value = datetime.fromisoformat(
                text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
            )
        elif fmt == "epoch":
            if not _NUMBER.fullmatch(text):
                raise ValueError(text)
            value = datetime.fromtimestamp(float(text), UTC)
        elif fmt in ("day_first", "month_first"):
            value = _day_month(text, fmt == "day_first")
        else:
            value = datetime.strptime(text, fmt)
    except (ValueError, OverflowError, OSError):
        raise _Bad(f"'{_clip(text)}' is not a date (expected {expected})") from None
    if not 1 < value.year < 9999:  # at the ends of the calendar, no time zone can apply
        raise _Bad(f"'{_clip(text)}' is too far in the past or the future to be a date here")
    if value.tzinfo is not None:
        return value
    aware = value.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:
        raise _Bad(
            f"'{_clip(text)}' does not exist in {zone.key}: the clocks skip it (summer time)"
        )
    return aware


def _parse_text(text: str, ftype: str, spec: FieldSpec, mapping: MappingSpec) -> object:
    """A stripped cell read as `ftype`; None for a null marker."""
    if text.casefold() in mapping._nulls:
        return None
    if ftype == "text":
        return text
    if ftype == "boolean":
        folded = text.casefold()
        if folded in mapping._trues:
            return True
        if folded in mapping._falses:
            return False
        raise _Bad(f"'{_clip(text)}' is not yes or no")
    if ftype in ("number", "integer"):
        value: float = _number(text) if ftype == "number" else _integer(text)
        if spec.scale is not None and not spec.scale[0] <= value <= spec.scale[1]:
            low, high = (_num_text(float(v)) for v in spec.scale)
            raise _Bad(f"'{_clip(text)}' is outside the rating scale {low}–{high}")
        return value
    if ftype == "duration":
        return _duration(text, spec.format)
    if ftype == "datetime":
        return _datetime(text, spec.format, mapping.zone)
    raise ValueError(f"unknown type {ftype!r}")


def _coerce(value: str | float | bool, ftype: str, spec: FieldSpec, mapping: MappingSpec) -> object:
    """A constant or a translated value (from map) read as `ftype`."""
    if isinstance(value, bool):
        if ftype == "boolean":
            return value
        raise RowError(spec.column, f"true/false does not fit a {ftype} value")
    text = _num_text(value) if isinstance(value, int | float) else value.strip()
    try:
        return _parse_text(text, ftype, spec, mapping)
    except _Bad as exc:
        raise RowError(spec.column, str(exc)) from None


def parse_value(raw: str | None, ftype: str, spec: FieldSpec, mapping: MappingSpec) -> object:
    """One cell read as `ftype` (map first, then null markers); raise RowError when unreadable."""
    if raw is None:
        return None
    text = raw.strip()
    if spec.map:
        folded = text.casefold()
        if folded in spec._lookup:
            return _coerce(spec._lookup[folded], ftype, spec, mapping)
    try:
        return _parse_text(text, ftype, spec, mapping)
    except _Bad as exc:
        raise RowError(spec.column, str(exc)) from None


# What the database can hold: the longest text of each stored text field, the largest integer.
TEXT_LIMITS = {"external_id": 200, "interaction_id": 200, "scorecard": 200, "channel": 32, "queue": 120}  # fmt: skip
INTEGER_MAX = 2**31 - 1


def _fit(plan: _FieldPlan, value: object) -> object:
    """The value, when the field's column can store it; else a RowError saying why not."""
    if isinstance(value, str):
        if "\x00" in value:
            raise RowError(plan.spec.column, "the text holds a NUL character (is the file UTF-16?)")
        limit = TEXT_LIMITS.get(plan.field)
        if limit is not None and len(value) > limit:
            raise RowError(
                plan.spec.column,
                f"'{_clip(value)}' is longer than {limit} characters ({plan.field})",
            )
    elif plan.field_type == "integer" and isinstance(value, int) and abs(value) > INTEGER_MAX:
        raise RowError(plan.spec.column, f"{value} is too large a number ({plan.field})")
    return value


def _convert(plan: _FieldPlan, value: object, raw: str | None) -> object:
    """A value read as plan.read_as, as the field's own type, checked to fit its column."""
    if value is None:
        return value
    if plan.read_as != plan.field_type:
        value = _converted(plan, value, raw)
    if plan.field_type in ("text", "integer"):
        return _fit(plan, value)
    return value


def _converted(plan: _FieldPlan, value: object, raw: str | None) -> object:
    """A value read as plan.read_as, as the field's own type."""
    if plan.field_type == "text":
        return _num_text(value) if isinstance(value, float) else str(value)
    if plan.field_type == "integer":
        if isinstance(value, float) and not value.is_integer():
            raise RowError(
                plan.spec.column, f"'{_clip((raw or '').strip())}' is not a whole number"
            )
        return int(value)
    if plan.field_type == "duration" and value < 0:
        raise RowError(plan.spec.column, f"'{_clip((raw or '').strip())}' is a negative duration")
    return float(value)


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
        raise RowError(label, f"{names} {verb} empty but not the rest: {label} needs them all")

    return build


# Rows --------------------------------------------------------------------------------


def _is_empty(raw: str | None, mapping: MappingSpec) -> bool:
    return raw is None or raw.strip().casefold() in mapping._nulls


def _skipped(row: Mapping[str, str], mapping: MappingSpec) -> bool:
    """Whether any skip rule matches the row (comparisons ignore case)."""
    for rule in mapping.skip:
        raw = row.get(rule.column)
        text = (raw or "").strip()
        folded = text.casefold()
        if rule.empty is not None and _is_empty(raw, mapping) != rule.empty:
            continue
        if rule._equals is not None and folded != rule._equals:
            continue
        if rule._not_equals is not None and folded == rule._not_equals:
            continue
        if rule.in_ is not None and folded not in rule._in:
            continue
        if rule.not_in is not None and folded in rule._not_in:
            continue
        if rule._regex is not None and not rule._regex.search(text):
            continue
        return True
    return False


def _order_value(row: Mapping[str, str], mapping: MappingSpec) -> float:
    """The order_by cell as a number (datetimes as timestamps), to find the latest row.

    Read like the field that reads the same column, if any; otherwise a number, or a date
    in the format of the kind's main date field (created_at / evaluated_at).
    """
    column = mapping.order_by or ""
    raw = row.get(column)
    empty = RowError(column, "the cell is empty: latest_per needs it to find the latest row")
    if _is_empty(raw, mapping):
        raise empty
    text = (raw or "").strip()
    plan = next(
        (
            p
            for p in mapping._plan
            if p.spec.column == column
            and p.read_as in ("datetime", "number", "integer", "duration")
        ),
        None,
    )
    if plan is not None:
        value = parse_value(raw, plan.read_as, plan.spec, mapping)
    elif _NUMBER.fullmatch(text):
        value = float(text)
    else:
        main = mapping.fields.get(REQUIRED[mapping.kind][1])
        fmt = main.format if main is not None and (main.column or main.composite()) else None
        formats = list(dict.fromkeys((fmt or "iso", "iso")))
        value = None
        for attempt in formats:
            try:
                value = _datetime(text, attempt, mapping.zone)
                break
            except _Bad:
                continue
        else:
            expected = " or ".join(_DATE_EXPECTED.get(f, f) for f in formats)
            raise RowError(
                column,
                f"'{_clip(text)}' cannot order rows (expected a number or a date: {expected})",
            )
    if value is None:
        raise empty
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _categories(row: Mapping[str, str], mapping: MappingSpec, errors: list[RowError]) -> list:
    """The scorecard categories of a QA row; a None score means not scored (N/A)."""
    out = []
    for cat, score_spec, max_spec in mapping._category_plan:
        try:
            score = parse_value(row.get(cat.score), "number", score_spec, mapping)
        except RowError as exc:
            errors.append(exc)
            score = None
        high = cat.max_score
        if max_spec is not None:
            try:
                high = parse_value(row.get(cat.max_column or ""), "number", max_spec, mapping)
            except RowError as exc:
                errors.append(exc)
                high = None
            if high is None and score is not None:
                errors.append(RowError(cat.max_column, f"'{cat.name}' has a score but no maximum"))
            elif high is not None and high <= cat.min_score:
                errors.append(
                    RowError(
                        cat.max_column,
                        f"the maximum of '{cat.name}' must be above {_num_text(cat.min_score)}",
                    )
                )
                high = None
        if score is not None and high is not None and score > high:
            errors.append(
                RowError(
                    cat.score,
                    f"'{_num_text(score)}' is above the maximum {_num_text(high)} of '{cat.name}'",
                )
            )
        elif score is not None and score < cat.min_score:
            errors.append(
                RowError(
                    cat.score,
                    f"'{_num_text(score)}' is below the minimum {_num_text(cat.min_score)} of '{cat.name}'",
                )
            )
        out.append(
            {
                "name": cat.name,
                "score": score,
                "max_score": high,
                "min_score": cat.min_score,
                "weight": cat.weight,
                "critical": cat.critical,
            }
        )
    return out


def parse_row(line: int, row: Mapping[str, str], mapping: MappingSpec) -> ParsedRow | None:
    """A raw row read through the mapping; None when a skip rule matches.

    Raises RowErrors naming every bad column of the row, cross-field rules (check_record)
    included.
    """
    values = mapping._reader(line, row)
    return None if values is None else ParsedRow(line, values)


def row_reader(mapping: MappingSpec) -> Callable[[int, Mapping[str, str]], dict | None]:
    """parse_row for one mapping, as a function returning the values (not a ParsedRow).

    The mapping is worked out once, each column into a function that reads its cells.
    """
    return mapping._reader


# Reading rows fast: each mapped column compiled once --------------------------------------


def _cell_reader(plan: _FieldPlan, mapping: MappingSpec) -> Callable[[str | None], object]:
    """A function reading one cell of the plan's column as parse_value then _convert would.

    The common cells (ISO 8601 moments with an offset, plain digits, yes/no words, text)
    take a short path; anything else, and every cell that is not readable, goes the
    general way, so the values and the messages are the same.
    """
    spec = plan.spec

    def general(raw: str | None) -> object:
        return _convert(plan, parse_value(raw, plan.read_as, spec, mapping), raw)

    if spec.map or plan.read_as != plan.field_type:
        return general
    nulls = mapping._nulls
    # Case folding never shortens a text: one longer than every null marker is not one.
    longest = max(map(len, nulls), default=-1)
    kind = plan.read_as

    if kind == "text":
        limit = TEXT_LIMITS.get(plan.field, CSV_FIELD_LIMIT)

        def text_cell(raw: str | None) -> object:
            if raw is None:
                return None
            text = raw.strip()
            if len(text) <= longest and text.casefold() in nulls:
                return None
            if len(text) > limit or "\x00" in text:
                return general(raw)
            return text

        return text_cell

    if kind == "boolean":
        words: dict[str, bool | None] = dict.fromkeys(mapping._falses, False)
        words.update(dict.fromkeys(mapping._trues, True))
        words.update(dict.fromkeys(nulls, None))  # nulls first, then yes, then no

        def boolean_cell(raw: str | None) -> object:
            if raw is None:
                return None
            try:
                return words[raw.strip().casefold()]
            except KeyError:
                return general(raw)

        return boolean_cell

    if kind in ("number", "integer") or (
        kind == "duration" and spec.format in (None, "seconds", "minutes")
    ):
        scale = spec.scale if kind in ("number", "integer") else None
        low, high = scale if scale is not None else (None, None)
        factor = 60 if spec.format == "minutes" else 1

        def digits_cell(raw: str | None) -> object:
            if raw is None:
                return None
            text = raw.strip()
            # Up to 15 plain digits: exact as a float, finite, never negative, never a rating
            # out of scale unless the scale says so.
            if not (0 < len(text) <= 15 and text.isascii() and text.isdigit()) or text in nulls:
                if len(text) <= longest and text.casefold() in nulls:
                    return None
                return general(raw)
            if kind == "integer":
                value: float = int(text)
                if value > INTEGER_MAX:
                    return general(raw)
            elif kind == "number":
                value = float(text)
            else:
                value = float(text) * factor
            if scale is not None and not low <= value <= high:
                return general(raw)
            return value

        return digits_cell

    if kind == "datetime" and spec.format in (None, "iso"):
        zone = mapping.zone
        fixed = zone.key in ("UTC", "Etc/UTC")  # no summer time: every wall-clock time exists
        parse = datetime.fromisoformat

        def moment_cell(raw: str | None) -> object:
            if raw is None:
                return None
            text = raw.strip()
            if len(text) <= longest and text.casefold() in nulls:
                return None
            try:
                value = parse(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
            except (ValueError, OverflowError, OSError):
                return general(raw)
            if not 1 < value.year < 9999:
                return general(raw)
            if value.tzinfo is not None:
                return value
            if not fixed:
                return general(raw)
            return value.replace(tzinfo=zone)

        return moment_cell

    return general


def _composite_reader(
    plan: _FieldPlan, mapping: MappingSpec
) -> Callable[[Mapping[str, str]], object]:
    """A function reading a composite field from a row: its cells joined, then read as a cell."""
    build, cell = plan.build, _cell_reader(plan, mapping)
    assert build is not None

    def composite_cell(row: Mapping[str, str]) -> object:
        return cell(build(row))

    return composite_cell


# Contact fields that are never negative (check_record says so in words).
NON_NEGATIVE = (
    "handle_seconds", "first_response_seconds", "sla_target_seconds", "reopens",
    "contacts_to_resolve",
)  # fmt: skip


def _record_suspect(kind: str, fields: Iterable[str]) -> Callable[[dict], bool]:
    """Whether check_record could find anything in the values (cheap; check_record says what)."""
    mapped = set(fields)
    if kind == "contacts":
        moments = tuple(n for n in ("solved_at", "first_response_at") if n in mapped)
        if "created_at" not in mapped:
            moments = ()
        numbers = tuple(n for n in NON_NEGATIVE if n in mapped)

        def contact_suspect(values: dict) -> bool:
            created = values["created_at"] if moments else None
            if created is not None:
                for name in moments:
                    moment = values[name]
                    if moment is not None and moment < created:
                        return True
            for name in numbers:
                number = values[name]
                if number is not None and number < 0:
                    return True
            return False

        return contact_suspect

    def qa_suspect(values: dict) -> bool:
        score, high = values.get("score"), values.get("max_score")
        return high is not None and (high <= 0 or (score is not None and score > high))

    return qa_suspect


def _quick_reader(
    steps: list[tuple[str, str | None, Callable | None, bool]],
    constants: dict[str, object],
    agent_fields: tuple[str, ...],
) -> Callable[[Mapping[str, str]], dict | None]:
    """The usual row read with no bookkeeping: the values, or None to read it carefully.

    None when a cell is unreadable, a required cell is empty or there is no agent. The
    function is written out for the mapping, one statement per column, with no loop: the
    per-column loop cost as much as reading the cells. Names from the mapping (columns,
    fields, constants) reach it as variables, never as source text.
    """
    names: dict[str, object] = {"RowError": RowError}
    reads, checks, items = [], [], []
    for i, (field, column, cell, required) in enumerate(steps):
        names[f"f{i}"] = field
        if cell is None:
            names[f"k{i}"] = constants[field]
            items.append(f"f{i}: k{i}")
            continue
        names[f"c{i}"], names[f"k{i}"] = cell, column
        reads.append(
            f"        v{i} = c{i}(row)" if column is None else f"        v{i} = c{i}(get(k{i}))"
        )
        items.append(f"f{i}: v{i}")
        if required:
            checks.append(f"v{i} is None")
    agents = [
        f"{'k' if step[2] is None else 'v'}{i} is None"
        for i, step in enumerate(steps)
        if step[0] in agent_fields
    ]
    if agents:
        checks.append("(" + " and ".join(agents) + ")")
    source = "\n".join(
        [
            "def quick(row):",
            "    get = row.get",
            "    try:",
            *(reads or ["        pass"]),
            "    except RowError:",
            "        return None",
            *([f"    if {' or '.join(checks)}:", "        return None"] if checks else []),
            "    return {" + ", ".join(items) + "}",
        ]
    )
    exec(compile(source, "<mapping row reader>", "exec"), names)
    return names["quick"]  # type: ignore[return-value]


def _compile_reader(mapping: MappingSpec) -> Callable[[int, Mapping[str, str]], dict | None]:
    """The function behind parse_row for this mapping (see parse_row)."""
    steps: list[tuple[str, str | None, Callable | None, bool]] = []
    for plan in mapping._plan:
        if plan.build is not None:  # several columns: the cell reader takes the whole row
            steps.append((plan.field, None, _composite_reader(plan, mapping), plan.required))
        elif plan.spec.column is None:
            steps.append((plan.field, None, None, False))
        else:
            steps.append((plan.field, plan.spec.column, _cell_reader(plan, mapping), plan.required))
    constants = {p.field: p.constant for p in mapping._plan if p.spec.column is None}
    agents = mapping._agent_plans
    agent_fields = tuple(p.field for p in agents)
    no_agent = (
        RowError(
            agents[0].spec.column,
            f"no agent: {' and '.join(agent_fields)} "
            + ("are both empty" if len(agents) > 1 else "is empty"),
        )
        if agents
        else None
    )
    skips = bool(mapping.skip)
    categories = mapping.kind == "qa" and bool(mapping.categories)
    scale = mapping._rating_scale if "csat_rating" in mapping.fields else None
    rated = "csat_rating" in mapping.fields
    latest_per = mapping.latest_per
    suspect = _record_suspect(mapping.kind, mapping.fields)
    columns = mapping._field_columns
    kind = mapping.kind

    quick = _quick_reader(steps, constants, agent_fields)
    simple = not (categories or latest_per)

    def read(line: int, row: Mapping[str, str]) -> dict | None:
        if skips and _skipped(row, mapping):
            return None
        if simple and not row.get(EXTRA_CELLS):
            values = quick(row)
            if values is not None and not suspect(values):
                if rated:
                    values["_csat_scale"] = scale
                return values
        return careful(line, row)

    def careful(line: int, row: Mapping[str, str]) -> dict | None:
        errors: list[RowError] = []
        if row.get(EXTRA_CELLS):
            errors.append(
                RowError(
                    None, "the row has more cells than the header has columns (a stray delimiter?)"
                )
            )
        values: dict[str, object] = {}
        bad_fields: set[str] = set()
        get = row.get
        for field, column, cell, required in steps:
            if cell is None:
                values[field] = constants[field]
                continue
            try:
                value = cell(row) if column is None else cell(get(column))
            except RowError as exc:
                errors.append(exc)
                bad_fields.add(field)
                value = None
            else:
                if value is None and required:
                    errors.append(
                        RowError(columns[field], f"{field} is required, but the cell is empty")
                    )
                    bad_fields.add(field)
            values[field] = value
        if no_agent is not None:
            for field in agent_fields:
                if values[field] is not None or field in bad_fields:
                    break
            else:
                errors.append(RowError(no_agent.column, no_agent.message))
        if categories:
            values["categories"] = _categories(row, mapping, errors)
        if rated:
            values["_csat_scale"] = scale
        if latest_per:
            values["_key"] = (get(latest_per) or "").strip()
            try:
                values["_order"] = _order_value(row, mapping)
            except RowError as exc:
                errors.append(exc)
        if suspect(values):
            for err in check_record(values, kind):
                errors.append(RowError(columns.get(err.field or ""), err.message, err.field))
        if errors:
            raise RowErrors(line, errors)
        return values

    return read


def _when(value: datetime) -> str:
    return value.isoformat(sep=" ", timespec="minutes")


# The largest value of a numeric field that a real export holds (docs/mapping-format.md):
# past it a value is a row error, not a figure that would skew every mean it joins.
DAY, LARGEST_SCORE = 86_400, 1_000_000
CONTACT_LIMITS = {
    "handle_seconds": (DAY, "a day"),
    "first_response_seconds": (365 * DAY, "a year"),
    "sla_target_seconds": (365 * DAY, "a year"),
    "reopens": (1_000, "1,000"),
    "contacts_to_resolve": (1_000, "1,000"),
}
QA_LIMITS = {"score": (LARGEST_SCORE, "1,000,000"), "max_score": (LARGEST_SCORE, "1,000,000")}


def _implausible(values: Mapping[str, object], limits: Mapping[str, tuple]) -> list[RowError]:
    """A row error for each field past its plausible range (NaN included)."""
    out = []
    for name, (largest, words) in limits.items():
        number = values.get(name)
        if not isinstance(number, int | float) or isinstance(number, bool):
            continue
        if not (abs(number) <= largest):  # also true for NaN
            out.append(
                RowError(
                    None,
                    f"{name} of {_num_text(number)} is not plausible (at most {words})",
                    name,
                )
            )
    return out


def check_record(values: Mapping[str, object], kind: str) -> list[RowError]:
    """Rules across the fields of one record; each error names its field (column None)."""
    out: list[RowError] = []
    if kind == "contacts":
        created = values.get("created_at")
        for name, what in (
            ("solved_at", "solved before it was created"),
            ("first_response_at", "first response before it was created"),
        ):
            moment = values.get(name)
            if isinstance(moment, datetime) and isinstance(created, datetime) and moment < created:
                out.append(
                    RowError(
                        None,
                        f"{what} ({name} {_when(moment)} is before created_at {_when(created)})",
                        name,
                    )
                )
        for name, what in (
            ("handle_seconds", "negative handle time"),
            ("first_response_seconds", "negative first response time"),
            ("sla_target_seconds", "negative SLA target"),
            ("reopens", "negative number of reopens"),
            ("contacts_to_resolve", "negative number of contacts to resolve"),
        ):
            number = values.get(name)
            if isinstance(number, int | float) and not isinstance(number, bool) and number < 0:
                out.append(RowError(None, f"{what} ({name} is {_num_text(number)})", name))
        out += _implausible(values, CONTACT_LIMITS)
    elif kind == "qa":
        out += _implausible(values, QA_LIMITS)
        score, high = values.get("score"), values.get("max_score")
        if isinstance(high, int | float) and high <= 0:
            out.append(
                RowError(
                    None,
                    f"the maximum score must be more than 0 (max_score is {_num_text(high)})",
                    "max_score",
                )
            )
        elif isinstance(score, int | float) and isinstance(high, int | float) and score > high:
            out.append(
                RowError(
                    None,
                    f"score above the maximum ({_num_text(score)} > {_num_text(high)})",
                    "score",
                )
            )
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return out


# Reading files -----------------------------------------------------------------------


def _joined_lines(sample: str, stream: TextIO) -> Iterator[str]:
    """The sample's lines then the rest of the stream, the cut line made whole again."""
    lines = io.StringIO(sample, newline="").readlines()
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += stream.readline()
    return itertools.chain(lines, stream)


def _detect_delimiter(sample: str, columns: Iterable[str]) -> str:
    """The delimiter among , ; tab | that finds most of the mapping's columns in the header.

    csv.Sniffer's guess breaks ties (a header that names none of them, say).
    """
    try:
        # The sniffer's patterns take time growing faster than the text: a few KiB suffice.
        head = sample[:SNIFF_SIZE]
        sniffed: str | None = csv.Sniffer().sniff(head, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    wanted = {c.casefold() for c in columns}

    def score(delimiter: str) -> tuple[int, bool, int]:
        header = next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), [])
        found = {cell.strip().casefold() for cell in header}
        return len(wanted & found), delimiter == sniffed, len(header)

    return max(DELIMITERS, key=score)


class _CsvRows(Iterator[tuple[int, dict[str, str]]]):
    """CSV records as (line where the record starts, header -> cell)."""

    def __init__(self, stream: TextIO, mapping: MappingSpec):
        if csv.field_size_limit() < CSV_FIELD_LIMIT:
            csv.field_size_limit(CSV_FIELD_LIMIT)
        sample = stream.read(SAMPLE_SIZE)
        if sample.endswith("\r"):
            sample += stream.read(1)
        sample = sample.removeprefix("\ufeff")
        wanted = mapping.column_list()
        self._delimiter = mapping.delimiter or _detect_delimiter(sample, wanted)
        self._reader = csv.reader(_joined_lines(sample, stream), delimiter=self._delimiter)
        self._start = 1
        first = self._record()
        header = [cell.strip() for cell in first[1]] if first else []
        if any("\x00" in name for name in header):
            raise CsvBroken(
                1, "its header holds NUL characters: is it UTF-16? Export it again as CSV UTF-8"
            )
        exact = {name: i for i, name in reversed(list(enumerate(header)))}
        folded = {name.casefold(): i for i, name in reversed(list(enumerate(header)))}
        names = list(header)
        missing = []
        for column in wanted:
            if column in exact:
                continue
            if column.casefold() in folded:
                names[folded[column.casefold()]] = column  # spelled as in the mapping
            else:
                missing.append(column)
        if missing:
            raise MappingColumnsError(missing, [h for h in header if h])
        firsts: dict[str, int] = {}
        for i, name in enumerate(names):
            firsts.setdefault(name, i)
        self._positions = list(firsts.items())
        self._width = len(names)
        # A row as wide as a header without repeated names zips with it, cell by cell.
        self._names = names if len(firsts) == len(names) else None

    def _record(self) -> tuple[int, list[str]] | None:
        """The next record that has any text, with the line it starts on."""
        for cells in self._reader:
            start = self._start
            self._start = self._reader.line_num + 1
            if _has_text(cells):
                return start, cells
        return None

    def __next__(self) -> tuple[int, dict[str, str]]:
        try:
            return self._next()
        except csv.Error as exc:
            message = str(exc)
            if "field larger than field limit" in message:
                message = (
                    f"a cell is longer than {CSV_FIELD_LIMIT // (1024 * 1024)} MiB"
                    " (a quote opened and never closed?)"
                )
            raise CsvBroken(self._start, message) from None

    def _next(self) -> tuple[int, dict[str, str]]:
        reader = self._reader
        for cells in reader:  # as _record, inline: this runs once per row
            line = self._start
            self._start = reader.line_num + 1
            joined = "".join(cells)  # _has_text, inline
            if not joined or joined.isspace():
                continue
            width = self._width
            if len(cells) == width and self._names is not None:
                return line, dict(zip(self._names, cells, strict=True))
            row = {name: cells[i] if i < len(cells) else "" for name, i in self._positions}
            if len(cells) > width:
                extra = cells[width:]
                if _has_text(extra):
                    row[EXTRA_CELLS] = self._delimiter.join(extra)
            return line, row
        raise StopIteration


def _has_text(cells: list[str]) -> bool:
    """Whether any cell holds more than white space."""
    joined = "".join(cells)
    return bool(joined) and not joined.isspace()


def _flatten(obj: Mapping[str, object], prefix: str = "") -> dict[str, str]:
    """A JSON object's values as text; nested objects as dotted keys (agent.email)."""
    out: dict[str, str] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        elif isinstance(value, list):
            out[name] = json.dumps(value, ensure_ascii=False)
        elif value is None:
            out[name] = ""
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = str(value)
    return out


def _key_columns(mapping: MappingSpec) -> list[str]:
    """Columns a JSON lines file must have somewhere in its first objects."""
    out = [
        column
        for name, spec in mapping.fields.items()
        if spec.required or name in REQUIRED[mapping.kind]
        for column in spec.source_columns()
    ]
    return out + [c for c in (mapping.latest_per, mapping.order_by) if c]


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # \ud800 to \udfff: half a character


def _encodable(obj: object) -> bool:
    """Whether a JSON value's texts are all whole characters (no lone surrogate)."""
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _JsonRows(Iterator[tuple[int, dict[str, str]]]):
    """JSON lines as (line number, key -> value as text); a bad line raises RowErrors."""

    def __init__(self, stream: TextIO, mapping: MappingSpec):
        self._lines = enumerate(stream, start=1)
        self._ahead: deque[tuple[int, dict[str, str]] | RowErrors] = deque()
        seen: set[str] = set()
        while len(self._ahead) < JSON_SAMPLE_ROWS and (item := self._read()) is not None:
            self._ahead.append(item)
            if isinstance(item, tuple):
                seen.update(item[1])
        missing = [c for c in _key_columns(mapping) if c not in seen]
        agents = [
            c for n, f in mapping.fields.items() if n in AGENT_FIELDS for c in f.source_columns()
        ]
        if agents and not any(c in seen for c in agents):
            missing += agents
        if missing:
            raise MappingColumnsError(list(dict.fromkeys(missing)), sorted(seen))

    def _read(self) -> tuple[int, dict[str, str]] | RowErrors | None:
        for line, text in self._lines:
            text = text.removeprefix("\ufeff") if line == 1 else text
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
                if not isinstance(obj, dict):
                    return RowErrors(
                        line, [RowError(None, "each line must be a JSON object {...}")]
                    )
                if _SURROGATE_ESCAPE.search(text) and not _encodable(obj):
                    message = "not usable JSON: a \\u escape of half a character (a lone surrogate)"
                    return RowErrors(line, [RowError(None, message)])
                return line, _flatten(obj)
            except json.JSONDecodeError as exc:
                message = f"not valid JSON: {exc.msg} (column {exc.colno})"
            except RecursionError:
                message = "not usable JSON: objects or lists nested too deeply"
            except ValueError as exc:  # a number of more digits than Python reads
                message = f"not usable JSON: {exc}"
            return RowErrors(line, [RowError(None, message)])
        return None

    def __next__(self) -> tuple[int, dict[str, str]]:
        item = self._ahead.popleft() if self._ahead else self._read()
        if item is None:
            raise StopIteration
        if isinstance(item, RowErrors):
            raise item
        return item


def read_rows(stream: TextIO, mapping: MappingSpec) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream the rows of an export as (line, column -> raw text), in constant memory.

    CSV: the delimiter is detected unless the mapping gives one; a byte-order mark is
    dropped; quoted newlines are kept and `line` is the physical line a record starts on
    (the header is line 1); blank rows are left out; header names match the mapping's
    columns ignoring case and surrounding spaces; cells past the header's width land under
    EXTRA_CELLS. An unreadable file raises csv.Error. JSON lines: one object per line,
    values as text (null as "", nested objects as dotted keys). A bad JSON line raises
    RowErrors from next(); the iterator goes on with the next line when called again.
    Columns the mapping reads but the file lacks raise MappingColumnsError before any row
    (for JSON lines: the key columns, looked for in the first 1000 objects).
    """
    if mapping.format == "jsonl":
        return _JsonRows(stream, mapping)
    return _CsvRows(stream, mapping)


R = TypeVar("R", ParsedRow, tuple[int, dict[str, str]])
T = TypeVar("T")


def reduce_latest(rows: Iterable[R], mapping: MappingSpec) -> Iterator[R]:
    """Only the latest row per value of mapping.latest_per, by order_by; in file order.

    Takes parsed rows (their "_key" and "_order" values) or raw (line, row) pairs (which
    may raise RowErrors for an unusable order_by cell). Ties go to the later line. Rows
    with an empty key are kept as they are. Without latest_per the rows pass through
    lazily; with it, memory grows with the number of distinct keys, not rows.
    """
    if not mapping.latest_per:
        return iter(rows)
    latest: LatestRows[R] = LatestRows()
    for item in rows:
        if isinstance(item, ParsedRow):
            latest.add(item.line, item.values.get("_key"), item.values.get("_order"), item)
            continue
        line, raw = item
        key = (raw.get(mapping.latest_per) or "").strip()
        if not key:
            latest.add(line, None, None, item)
            continue
        try:
            order = _order_value(raw, mapping)
        except RowError as exc:
            raise RowErrors(line, [exc]) from None
        latest.add(line, key, order, item)
    return iter(latest.rows())


class LatestRows(Generic[T]):
    """The latest item per key, by order (ties: the later line); items with no key, or no
    order, kept as they are. Memory grows with the number of keys, not of items."""

    def __init__(self) -> None:
        self._latest: dict[str, tuple[float, int, T]] = {}
        self._unkeyed: list[tuple[int, T]] = []

    def add(self, line: int, key: object, order: object, item: T) -> bool:
        """Keep the item if it is the latest of its key; True when the key was met before
        (one of the two items is then an older event, dropped)."""
        key = str(key or "")
        if not key or not isinstance(order, float):
            self._unkeyed.append((line, item))
            return False
        previous = self._latest.get(key)
        if previous is None or (order, line) >= previous[:2]:
            self._latest[key] = (order, line, item)
        return previous is not None

    def rows(self) -> list[T]:
        """The items kept, in line order."""
        kept = [(line, item) for _, line, item in self._latest.values()] + self._unkeyed
        return [item for _, item in sorted(kept, key=lambda pair: pair[0])]
