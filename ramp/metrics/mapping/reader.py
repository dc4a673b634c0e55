"""Reading a row through a mapping: skip rules, scorecard categories, the order_by value of
latest_per, and the function written once per mapping that parse_row and row_reader run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ramp.metrics.mapping.cells import _cell_reader, _composite_reader
from ramp.metrics.mapping.fields import EXTRA_CELLS, REQUIRED, category_key
from ramp.metrics.mapping.record_checks import _record_suspect, check_record
from ramp.metrics.mapping.values import (
    _DATE_EXPECTED,
    _NUMBER,
    RowError,
    RowErrors,
    _Bad,
    _clip,
    _datetime,
    _num_text,
    parse_value,
)

if TYPE_CHECKING:  # for annotations only: the spec compiles its reader from this module
    from ramp.metrics.mapping.spec import MappingSpec


@dataclass(frozen=True)
class ParsedRow:
    """One row read through a mapping: field -> value, with the line it started on.

    Only mapped fields appear (an unmapped field is not "empty", it is unknown). Beside the
    fields: "categories" (QA mappings with categories), "_csat_scale" (low, high) when
    csat_rating is mapped, and "_key" / "_order" when the mapping has latest_per.
    """

    line: int
    values: dict[str, object]


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
                "key": category_key(cat.name),
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


# Reading rows fast: each mapped column compiled once (cells.py), the row in one function ---


def _quick_reader(
    steps: list[tuple[str, str | None, Callable | None, bool]],
    constants: dict[str, object],
    agent_fields: tuple[str, ...],
    places: Mapping[str, int] | None = None,
) -> Callable[[Mapping[str, str]], dict | None]:
    """The usual row read with no bookkeeping: the values, or None to read it carefully.

    None when a cell is unreadable, a required cell is empty or there is no agent. The
    function is written out for the mapping, one statement per column, with no loop: the
    per-column loop cost as much as reading the cells. Names from the mapping (columns,
    fields, constants) reach it as variables, never as source text. With places (column ->
    its place in a record), the function reads a record's list of cells instead of a row.
    """
    names: dict[str, object] = {"RowError": RowError}
    reads, checks, items = [], [], []
    for i, (field, column, cell, required) in enumerate(steps):
        names[f"f{i}"] = field
        if cell is None:
            names[f"k{i}"] = constants[field]
            items.append(f"f{i}: k{i}")
            continue
        if places is not None:
            assert column is not None  # a composite field reads a row: no cells reader
            reads.append(f"        v{i} = c{i}(row[{int(places[column])}])")
        elif column is None:
            reads.append(f"        v{i} = c{i}(row)")
        else:
            reads.append(f"        v{i} = c{i}(get(k{i}))")
        names[f"c{i}"], names[f"k{i}"] = cell, column
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
            *(["    get = row.get"] if places is None else []),
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


def _steps(mapping: MappingSpec) -> list[tuple[str, str | None, Callable | None, bool]]:
    """(field, column, cell reader, required) of each mapped field; a composite field's
    reader takes the whole row (column None), a constant has no reader."""
    steps: list[tuple[str, str | None, Callable | None, bool]] = []
    for plan in mapping._plan:
        if plan.build is not None:  # several columns: the cell reader takes the whole row
            steps.append((plan.field, None, _composite_reader(plan, mapping), plan.required))
        elif plan.spec.column is None:
            steps.append((plan.field, None, None, False))
        else:
            steps.append((plan.field, plan.spec.column, _cell_reader(plan, mapping), plan.required))
    return steps


def cells_reader(
    mapping: MappingSpec, header: list[str]
) -> Callable[[list[str]], dict | None] | None:
    """row_reader's usual case for the full-width records of a file with this header (its
    names as the mapping spells its columns, none repeated), reading the cells by place.

    The function returns the values row_reader would, or None when the record needs the
    careful way: row_reader on the record as a row, which then says what is wrong. None
    (no such function) for a mapping whose rows are never read the quick way: skip rules,
    scorecard categories, latest_per, a field built from several columns.
    """
    if mapping.skip or mapping.latest_per or (mapping.kind == "qa" and mapping.categories):
        return None
    if any(plan.build is not None for plan in mapping._plan):
        return None
    if EXTRA_CELLS in header:  # a column of that name would read as cells past the header
        return None
    places = {name: i for i, name in enumerate(header)}
    steps = _steps(mapping)
    if any(column is not None and column not in places for _, column, _, _ in steps):
        return None
    constants = {p.field: p.constant for p in mapping._plan if p.spec.column is None}
    agent_fields = tuple(p.field for p in mapping._agent_plans)
    quick = _quick_reader(steps, constants, agent_fields, places)
    suspect = _record_suspect(mapping.kind, mapping.fields)
    rated = "csat_rating" in mapping.fields
    scale = mapping._rating_scale if rated else None

    def read_cells(cells: list[str]) -> dict | None:
        values = quick(cells)
        if values is None or suspect(values):
            return None
        if rated:
            values["_csat_scale"] = scale
        return values

    return read_cells


def _compile_reader(mapping: MappingSpec) -> Callable[[int, Mapping[str, str]], dict | None]:
    """The function behind parse_row for this mapping (see parse_row)."""
    steps = _steps(mapping)
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
