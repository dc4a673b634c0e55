"""Targets as tables: one per placement (and the default), rows by tenure week, columns by metric.

The admin page edits the targets this way; what it sends back is turned into the same
targets document the YAML editor publishes, and checked by the same rules
(ramp.metrics.targets). A row starts at a tenure week and runs to the week before the next
row; the last row is open-ended. Consecutive rows with the same value make one step.
No database; the words go through gettext (the reader's language in a request).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _

from ramp.metrics.definitions import METRICS
from ramp.metrics.targets import (
    PLACEMENT_FIELDS,
    MetricTargets,
    PlacementMatch,
    TargetsSpec,
    span_words,
)
from ramp.yamlspec import SpecError

# Blank rows under each table, for new week ranges; and one blank table for a new placement.
SPARE_ROWS = 2


@dataclass
class Table:
    """One placement's targets (the default when `placement` is empty), as rows by metric."""

    placement: dict[str, str]
    starts: list[int | None]
    values: dict[str, list[float | None]]
    min_sample: dict[str, int | None] = field(default_factory=dict)

    @property
    def is_default(self) -> bool:
        return not self.placement

    def label(self) -> str:
        """How the table is named on the page and in messages."""
        return label_of(self.placement)

    def span(self, row: int) -> str:
        """Row `row`'s weeks in words, from its start to the week before the next row's."""
        start = self.starts[row]
        if start is None:
            return _("new row")
        later = [s for s in self.starts[row + 1 :] if s is not None]
        return span_words(start, later[0] - 1 if later else None)


def label_of(placement: Mapping[str, str]) -> str:
    """A placement in words, "Default" for none: "queue billing, channel phone"."""
    if not placement:
        return _("Default")
    return ", ".join(f"{f.replace('_', ' ')} {v}" for f, v in placement.items())


def _key(match: PlacementMatch | None) -> tuple[tuple[str, str], ...]:
    return tuple(match.named().items()) if match is not None else ()


def tables_of(spec: TargetsSpec) -> list[Table]:
    """The spec as tables: the default first, then each placement in the order written."""
    groups: dict[tuple[tuple[str, str], ...], list[MetricTargets]] = {(): []}
    for rule in spec.targets:
        groups.setdefault(_key(rule.placement), []).append(rule)
    tables = []
    for key, rules in groups.items():
        starts = sorted({step.from_ for rule in rules for step in rule.weeks}) or [1]
        values: dict[str, list[float | None]] = {m: [None] * len(starts) for m in METRICS}
        min_sample: dict[str, int | None] = {m: None for m in METRICS}
        for rule in rules:
            if rule.metric not in METRICS:
                continue
            min_sample[rule.metric] = rule.min_sample
            for i, start in enumerate(starts):
                step = next((s for s in rule.weeks if s.covers(start)), None)
                values[rule.metric][i] = step.value if step else None
        tables.append(Table(dict(key), list(starts), values, min_sample))
    return tables


def blank_table() -> Table:
    """An empty table for a new placement."""
    return Table({}, [1, None, None], {m: [None, None, None] for m in METRICS})


def with_spare_rows(table: Table) -> Table:
    """The table with blank rows under it, for new week ranges."""
    return Table(
        table.placement,
        table.starts + [None] * SPARE_ROWS,
        {m: v + [None] * SPARE_ROWS for m, v in table.values.items()},
        table.min_sample,
    )


def field_name(table: int, part: str, row: int | None = None) -> str:
    """The form field of one input: "t0-qa_score-3", "t2-from-1", "t1-queue"."""
    return f"t{table}-{part}" if row is None else f"t{table}-{part}-{row}"


def format_value(value: float | None) -> str:
    """A value as it is shown in its input: "85", "82.5", ""."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


# Reading the tables back


@dataclass(frozen=True)
class Place:
    """Where a rule of the built document came from: its table and, by step, its weeks."""

    table: str
    metric: str
    spans: tuple[str, ...]


class TableProblems(Exception):
    """Input the tables cannot be read from; one message per problem, in table terms."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", ".")) if text else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def _read_table(
    fields: Mapping[str, str], t: int, rows: int, problems: list[str]
) -> tuple[dict[str, str], list[tuple[int, dict[str, str]]], dict[str, str]] | None:
    """One table's placement, its filled rows (start week, cells) and minimum samples."""
    get = lambda name: (fields.get(name) or "").strip()  # noqa: E731
    placement = {f: v for f in PLACEMENT_FIELDS if t > 0 and (v := get(field_name(t, f)))}
    cells = [
        (get(field_name(t, "from", r)), {m: get(field_name(t, m, r)) for m in METRICS})
        for r in range(rows)
    ]
    samples = {m: get(field_name(t, f"{m}-min_sample")) for m in METRICS}
    filled = [(start, row) for start, row in cells if start or any(row.values())]
    if t > 0 and not placement:
        if filled and any(any(row.values()) for _start, row in filled):
            problems.append(
                _(
                    "Table %(table)s: name the placement (queue, channel, tier, product line or "
                    "language), or empty its cells",
                    table=t + 1,
                )
            )
        return None
    label = label_of(placement)
    out: list[tuple[int, dict[str, str]]] = []
    for start, row in filled:
        if not start:
            problems.append(_("%(table)s: a row has values but no first week", table=label))
        elif not start.isdecimal() or int(start) < 1:
            problems.append(
                _(
                    "%(table)s: '%(start)s' is not a week number (1, 2, 3 ...)",
                    table=label,
                    start=start,
                )
            )
        else:
            out.append((int(start), row))
    out.sort(key=lambda item: item[0])
    seen = set()
    for start, _row in out:
        if start in seen:
            problems.append(
                _("%(table)s: two rows start at week %(week)s", table=label, week=start)
            )
        seen.add(start)
    return placement, out, samples


def _span(starts: list[int], i: int) -> str:
    return span_words(starts[i], starts[i + 1] - 1 if i + 1 < len(starts) else None)


def document_from_tables(fields: Mapping[str, str], base: TargetsSpec) -> tuple[dict, list[Place]]:
    """The targets document the submitted tables describe, and where each rule came from.

    Raises TableProblems for what only the tables can get wrong (a non-number, a blank cell
    in a filled column, a row without a week); the targets rules check the rest.
    """
    problems: list[str] = []
    try:
        count = int(fields.get("tables") or 0)
    except ValueError:
        count = 0
    directions = {(r.metric, _key(r.placement)): r.direction for r in base.targets}
    rules: list[dict] = []
    places: list[Place] = []
    for t in range(min(count, 100)):
        if t > 0 and fields.get(field_name(t, "remove")):
            continue
        try:
            rows = min(int(fields.get(field_name(t, "rows")) or 0), 200)
        except ValueError:
            rows = 0
        read = _read_table(fields, t, rows, problems)
        if read is None:
            continue
        placement, filled, samples = read
        label = label_of(placement)
        starts = [start for start, _ in filled]
        for metric, definition in METRICS.items():
            column = [row[metric] for _, row in filled]
            if not any(column):
                continue
            where = f"{label}, {definition.label}"
            values: list[float] = []
            for i, text in enumerate(column):
                value = _number(text)
                place = f"{where}, {_span(starts, i)}"
                if not text:
                    problems.append(
                        _(
                            "%(place)s: no value (fill every row of the column, or none)",
                            place=place,
                        )
                    )
                elif value is None:
                    problems.append(
                        _(
                            "%(place)s: '%(text)s' is not a number",
                            place=place,
                            text=text,
                        )
                    )
                else:
                    values.append(value)
            rule: dict = {"metric": metric}
            if placement:
                rule["placement"] = dict(placement)
            direction = directions.get((metric, tuple(placement.items())))
            if direction:
                rule["direction"] = direction
            sample = samples[metric]
            if sample:
                if sample.isdecimal() and int(sample) >= 1:
                    rule["min_sample"] = int(sample)
                else:
                    problems.append(
                        _(
                            "%(place)s: minimum sample '%(sample)s' is not a whole number",
                            place=where,
                            sample=sample,
                        )
                    )
            if len(values) != len(column):
                continue
            steps: list[dict] = []
            for start, value in zip(starts, values, strict=True):
                if steps and steps[-1]["value"] == value:
                    continue
                if steps:
                    steps[-1]["to"] = start - 1
                steps.append({"from": start, "value": int(value) if value.is_integer() else value})
            spans = [
                _step_span(step["from"], steps[j + 1]["from"] - 1 if j + 1 < len(steps) else None)
                for j, step in enumerate(steps)
            ]
            rule["weeks"] = steps
            rules.append(rule)
            places.append(Place(label, definition.label, tuple(spans)))
    if problems:
        raise TableProblems(problems)
    document = {"name": base.name, "title": base.title}
    if base.description:
        document["description"] = base.description
    document["targets"] = rules
    return document, places


def _step_span(start: int, end: int | None) -> str:
    return span_words(start, end)


def describe(error: SpecError, places: list[Place]) -> str:
    """A targets-rule problem in table terms: "Default, QA score, weeks 1–6: ..."."""
    path = error.path
    rule = path[1] if len(path) >= 2 and path[0] == "targets" else None
    if not isinstance(rule, int) or rule >= len(places):
        return error.message
    place = places[rule]
    where = f"{place.table}, {place.metric}"
    step = path[3] if len(path) >= 4 and path[2] == "weeks" else None
    if isinstance(step, int) and step < len(place.spans):
        where += f", {place.spans[step]}"
    return f"{where}: {error.message}"
