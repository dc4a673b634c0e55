"""Reading one mapped column fast: for each field, a function made once per mapping that
reads its cells as parse_value then _convert would, with a short path for common cells."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from ramp.metrics.mapping.fields import CSV_FIELD_LIMIT, INTEGER_MAX, TEXT_LIMITS
from ramp.metrics.mapping.values import _convert, parse_value

if TYPE_CHECKING:  # for annotations only: the spec compiles its reader from this module
    from ramp.metrics.mapping.spec import MappingSpec, _FieldPlan


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
