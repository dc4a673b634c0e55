"""The rules across a mapping document, each problem placed at its key, and parse_mapping and
load_mapping_file, which raise MappingFileError with every problem found. The problems are
worded through gettext (English outside a request)."""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import re2
from flask_babel import gettext as _

from ramp.metrics.mapping.fields import (
    AGENT_FIELDS,
    DATETIME_FORMATS,
    DURATION_FORMATS,
    FIELDS,
    KINDS,
    READ_AS,
    REQUIRED,
    TYPES,
    category_key,
)
from ramp.metrics.mapping.spec import (
    FieldSpec,
    MappingSpec,
    _FieldPlan,
    _with_scale,
    linear_regex,
    template_parts,
)
from ramp.metrics.mapping.values import RowError, _coerce, _convert
from ramp.metrics.problem_words import word_problem
from ramp.yamlspec import Problem, SpecFileError, parse_document, read_text

# A mapping file that cannot be used: the shared error with every problem placed.
MappingFileError = SpecFileError


def _or(words) -> str:
    """Words joined as alternatives in the reader's language ("a, b or c")."""
    items = list(words)
    if len(items) == 1:
        return items[0]
    return _("%(names)s or %(last)s", names=", ".join(items[:-1]), last=items[-1])


def _pattern_problem(pattern: str) -> str | None:
    """Why a strptime pattern is unusable, or None when it is fine."""
    if "%" not in pattern:
        return _(
            "unknown datetime format '%(pattern)s' (%(formats)s, "
            "or a strptime pattern like %%d/%%m/%%Y %%H:%%M)",
            pattern=pattern,
            formats=_or(DATETIME_FORMATS),
        )
    try:
        datetime.strptime("", pattern)
    except ValueError as exc:
        if "directive" in str(exc) or "stray %" in str(exc):
            return _("not a usable strptime pattern: %(reason)s", reason=str(exc))
    return None


def _format_problem(read_as: str, fmt: str) -> str | None:
    if read_as == "datetime":
        return None if fmt in DATETIME_FORMATS else _pattern_problem(fmt)
    if read_as == "duration":
        if fmt not in DURATION_FORMATS:
            return _(
                "unknown duration format '%(format)s' (%(formats)s)",
                format=fmt,
                formats=_or(DURATION_FORMATS),
            )
        return None
    return _("format only applies to datetime and duration values, not %(type)s", type=read_as)


def _scale_backwards() -> str:
    return _("the low end of the scale must be below the high end")


SOURCES = ("column", "value", "template", "date")  # where a field's value can come from


def _source_problems(name: str, fs: FieldSpec, read_as: str, loc: tuple) -> list[Problem]:
    """One source per field: a column, a value, a template, or a date with a time."""
    given = [key for key in SOURCES if getattr(fs, key) is not None]
    if not given and fs.time is None:
        return [
            (
                loc,
                _(
                    "%(field)s needs a column "
                    "(or a constant value, a template, or a date and a time)",
                    field=name,
                ),
            )
        ]
    if len(given) > 1:
        if given[:2] == ["column", "value"]:
            return [(loc, _("%(field)s has both a column and a value: use one", field=name))]
        return [
            (
                loc,
                _(
                    "%(field)s has both a %(first)s and a %(second)s: use one",
                    field=name,
                    first=given[0],
                    second=given[1],
                ),
            )
        ]
    out: list[Problem] = []
    if fs.template is not None:
        try:
            template_parts(fs.template)
        except ValueError as exc:
            out.append(
                ((*loc, "template"), _("not a usable template: %(reason)s", reason=str(exc)))
            )
    if fs.date is not None or fs.time is not None:
        if read_as != "datetime":
            key = "date" if fs.date is not None else "time"
            out.append(
                (
                    (*loc, key),
                    _(
                        "date and time only build datetime fields, not %(type)s",
                        type=read_as,
                    ),
                )
            )
        elif fs.date is None:
            out.append(((*loc, "time"), _("time goes with date: the column holding the day")))
        elif fs.time is None:
            out.append(
                (
                    (*loc, "date"),
                    _("date goes with time (a date and time in one column: use column)"),
                )
            )
        elif fs.format == "epoch":
            out.append(
                (
                    (*loc, "format"),
                    _("epoch reads one number: it cannot join a date and a time"),
                )
            )
        if fs.map is not None:
            out.append(
                ((*loc, "map"), _("map translates one column's values: not a date and a time"))
            )
    return out


def _field_problems(spec: MappingSpec, values_ok: bool) -> list[Problem]:
    """Field names, sources, types, formats, scales, maps and constants."""
    known = FIELDS[spec.kind]
    out: list[Problem] = []
    for name, fs in spec.fields.items():
        loc = ("fields", name)
        if name not in known:
            out.append(
                (
                    loc,
                    _(
                        "unknown field '%(field)s' for %(kind)s (known: %(known)s)",
                        field=name,
                        kind=spec.kind,
                        known=", ".join(known),
                    ),
                )
            )
            continue
        field_type = known[name]
        read_as = fs.type or field_type
        out += _source_problems(name, fs, read_as, loc)
        if fs.type is not None and fs.type not in READ_AS[field_type]:
            if fs.type not in TYPES:
                message = _("unknown type '%(type)s' (%(types)s)", type=fs.type, types=_or(TYPES))
            else:
                message = _(
                    "%(field)s is a %(field_type)s field: it can be read as %(types)s, not %(type)s",
                    field=name,
                    field_type=field_type,
                    types=_or(READ_AS[field_type]),
                    type=fs.type,
                )
            out.append(((*loc, "type"), message))
            continue
        ok = True
        if fs.format is not None and (problem := _format_problem(read_as, fs.format)):
            out.append(((*loc, "format"), problem))
            ok = False
        if fs.scale is not None:
            if read_as not in ("number", "integer") or field_type not in ("number", "integer"):
                out.append(((*loc, "scale"), _("scale only applies to number fields")))
            elif fs.scale[0] >= fs.scale[1]:
                out.append(((*loc, "scale"), _scale_backwards()))
                ok = False
        if fs.map is not None:
            if fs.value is not None and fs.column is None:
                out.append(
                    ((*loc, "map"), _("map translates column values: a constant needs none"))
                )
            seen: dict[str, str] = {}
            for key in fs.map:
                folded = key.strip().casefold()
                if folded in seen:
                    out.append(
                        (
                            (*loc, "map", key),
                            _(
                                "'%(key)s' is mapped twice (also '%(first)s'; case is ignored)",
                                key=key,
                                first=seen[folded],
                            ),
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
                # The reader's row problem, worded for the reader of the mapping.
                out.append((where, word_problem(exc.message)))
    for name in REQUIRED[spec.kind]:
        if name not in spec.fields:
            out.append(
                (
                    ("fields",),
                    _(
                        "the required field '%(field)s' is not mapped "
                        "(a %(kind)s mapping needs %(required)s)",
                        field=name,
                        kind=spec.kind,
                        required=_(" and ").join(REQUIRED[spec.kind]),
                    ),
                )
            )
    if not any(name in spec.fields for name in AGENT_FIELDS):
        out.append(
            (
                ("fields",),
                _("map agent_email or agent_id (or both): records are matched to agents by them"),
            )
        )
    return out


def _category_problems(spec: MappingSpec) -> list[Problem]:
    """Categories belong to QA mappings, have unique names and a usable maximum."""
    if not spec.categories:
        return []
    if spec.kind != "qa":
        return [(("categories",), _("categories are only for qa mappings"))]
    out: list[Problem] = []
    seen: dict[str, int] = {}
    for i, cat in enumerate(spec.categories):
        loc = ("categories", i)
        # Names that differ only in case or spacing are one category (category_key).
        key = category_key(cat.name)
        if key in seen:
            out.append(
                (
                    (*loc, "name"),
                    _(
                        "duplicate category '%(name)s' (also categories[%(first)s])",
                        name=cat.name,
                        first=seen[key],
                    ),
                )
            )
        seen.setdefault(key, i)
        if (cat.max_score is None) == (cat.max_column is None):
            out.append((loc, _("a category needs max_score (a number) or max_column, one of them")))
        elif cat.max_score is not None and cat.max_score <= cat.min_score:
            out.append(((*loc, "max_score"), _("max_score must be above min_score")))
        if cat.weight < 0:
            out.append(((*loc, "weight"), _("the weight must be 0 or more")))
    return out


def _skip_problems(spec: MappingSpec) -> list[Problem]:
    """Each skip rule has a test, and its regular expression compiles."""
    out: list[Problem] = []
    for i, rule in enumerate(spec.skip):
        loc = ("skip", i)
        if not rule.has_test():
            out.append(
                (loc, _("a skip rule needs equals, not_equals, in, not_in, empty or matches"))
            )
        if rule.matches is not None:
            try:
                linear_regex(rule.matches)
            except re2.error as exc:
                reason = exc.args[0].decode() if isinstance(exc.args[0], bytes) else exc
                out.append(
                    (
                        (*loc, "matches"),
                        _("not a regular expression ramp can run: %(reason)s", reason=str(reason)),
                    )
                )
    return out


def _top_problems(spec: MappingSpec) -> list[Problem]:
    """Kind, time zone, delimiter, encoding, scales, value words, latest_per."""
    out: list[Problem] = []
    if spec.kind not in KINDS:
        out.append(
            (("kind",), _("unknown kind '%(kind)s' (%(kinds)s)", kind=spec.kind, kinds=_or(KINDS)))
        )
    try:
        ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        out.append(
            (
                ("timezone",),
                _(
                    "unknown time zone '%(zone)s' (an IANA name like Europe/Berlin or UTC)",
                    zone=spec.timezone,
                ),
            )
        )
    if spec.delimiter is not None:
        if spec.format != "csv":
            out.append((("delimiter",), _("delimiter only applies to csv files")))
        elif len(spec.delimiter) != 1 or spec.delimiter in '"\r\n':
            out.append(
                (("delimiter",), _("the delimiter must be one character, such as , ; | or tab"))
            )
    if spec.encoding != "utf-8":
        out.append(
            (
                ("encoding",),
                _(
                    "only utf-8 is supported, not '%(encoding)s': export the file as UTF-8",
                    encoding=spec.encoding,
                ),
            )
        )
    if spec.csat_scale[0] >= spec.csat_scale[1]:
        out.append((("csat_scale",), _scale_backwards()))
    both = sorted(spec._trues & spec._falses)
    if both:
        out.append(
            (
                ("false_values",),
                _("%(words)s cannot mean both yes and no", words=", ".join(both)),
            )
        )
    for key, words in (("true_values", spec._trues), ("false_values", spec._falses)):
        nulls = sorted(words & spec._nulls)
        if nulls:
            out.append(
                (
                    (key,),
                    _("%(words)s also mark an empty value (null_values)", words=", ".join(nulls)),
                )
            )
    if spec.latest_per and not spec.order_by:
        out.append(
            (
                ("latest_per",),
                _("latest_per needs order_by: the column that says which row is the latest"),
            )
        )
    if spec.order_by and not spec.latest_per:
        out.append((("order_by",), _("order_by only applies with latest_per")))
    return out


def _rule_errors(spec: MappingSpec) -> list[Problem]:
    """Checks across the document; every problem found, each with its place."""
    out = _top_problems(spec)
    if spec.kind in KINDS:
        # Constants and map values are read with the time zone and the value words.
        readers = ("timezone", "csat_scale", "true_values", "false_values")
        values_ok = not any(loc[0] in readers for loc, _message in out)
        out += _field_problems(spec, values_ok)
    return out + _category_problems(spec) + _skip_problems(spec)


def parse_mapping(text: str, filename: str = "<mapping>") -> MappingSpec:
    """Parse and check a mapping; raise MappingFileError with every problem."""
    spec, _document = parse_document(
        text, filename, MappingSpec, _rule_errors, what=_("mapping file")
    )
    return spec


def load_mapping_file(path: str | os.PathLike[str]) -> MappingSpec:
    """Read and check a mapping file."""
    return parse_mapping(read_text(str(path)), filename=str(path))
