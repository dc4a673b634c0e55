"""Reading one value: a cell's text parsed as a number, duration, date or yes/no, converted to
its field's own type and checked to fit the database; and the errors that say why a row's
value cannot be read."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ramp.metrics.mapping.fields import INTEGER_MAX, TEXT_LIMITS

if TYPE_CHECKING:  # for annotations only: the spec's own methods call into this module
    from ramp.metrics.mapping.spec import FieldSpec, MappingSpec, _FieldPlan

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


def _clip(text: str, limit: int = 60) -> str:
    """A text shown in a message: at most `limit` characters, cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
