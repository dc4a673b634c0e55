"""parse_row reads each column through a function compiled once: the same values and problems
as reading every cell the general way (parse_value, then the field's own type)."""

from __future__ import annotations

import random

import pytest

from ramp.metrics import mapping as m
from ramp.metrics.mapping import RowError, RowErrors, parse_mapping, parse_row

CONTACTS = """\
name: t
title: T
kind: contacts
source: t
timezone: {zone}
null_values: ['', '-', 'n/a', '0000']
fields:
  external_id: {{column: Id, type: {id_type}}}
  agent_email: Email
  agent_id: {{value: '{agent_id}'}}
  channel: {{column: Channel, map: {{voice: phone}}}}
  queue: Queue
  created_at: Created
  first_response_at: {{column: First, format: iso}}
  solved_at: {{column: Solved, format: day_first}}
  handle_seconds: {{column: Handle, format: {handle}}}
  reopens: {{column: Reopens, scale: [0, 3]}}
  contacts_to_resolve: {{column: Contacts, type: number}}
  csat_rating: {{column: Rating, scale: [1, 5]}}
  sla_met: SLA
  sla_target_seconds: {{column: Target, required: true}}
"""

CELLS = {
    "Id": ["T1", " T2 ", "", "n/a", "12345.0", "12", "x", "0000"],
    "Email": ["ana@example.com", " ANA@example.com ", "", "-"],
    "Channel": ["chat", "Voice", "", "N/A"],
    "Queue": ["billing", "  ", "Ünïcode", "ß"],
    "Created": [
        "2026-03-01T10:00:00Z",
        "2026-03-01T10:00:00+02:00",
        "2026-03-29T02:30:00",
        "2026-03-01 10:00",
        "2026-03-01T10:00:00z",
        "2026-02-30T10:00:00Z",
        "",
        "yesterday",
        "2026-03-01T10:00:00.5+00:00",
        "20260301T100000Z",
    ],
    "First": ["2026-03-01T11:00:00+00:00", "2026-03-01T09:00:00Z", "", "0000", "soon"],
    "Solved": ["01/03/2026 12:00", "31/02/2026 12:00", "", "2026-03-01T12:00:00Z"],
    "Handle": ["95", " 120 ", "1:35", "1.5", "-3", "", "1e3", "inf", "١٢", "²", "0:61", "00"],
    "Reopens": ["0", "1", "3", "4", "1.0", "1.5", "", "-1", "123456789012345678"],
    "Contacts": ["1", "2", "0.5", "", "+2", "1_0"],
    "Rating": ["5", "1", "0", "6", "4.5", "", "4%", "nan", "0000"],
    "SLA": ["yes", "No", "TRUE", "f", "", "maybe", "N/A", " 1 "],
    "Target": ["60", "", "1:00", "-5", "3600"],
}


def reference(line: int, row: dict, spec) -> dict | None:
    """parse_row as it was written before it was compiled: every cell the general way."""
    if m._skipped(row, spec):
        return None
    errors: list[RowError] = []
    if row.get(m.EXTRA_CELLS):
        errors.append(
            RowError(
                None, "the row has more cells than the header has columns (a stray delimiter?)"
            )
        )
    values: dict = {}
    bad: set[str] = set()
    for plan in spec._plan:
        column = plan.spec.column
        if column is None:
            value = plan.constant
        else:
            raw = row.get(column)
            try:
                value = m._convert(plan, m.parse_value(raw, plan.read_as, plan.spec, spec), raw)
            except RowError as exc:
                errors.append(exc)
                bad.add(plan.field)
                value = None
            else:
                if value is None and plan.required:
                    errors.append(
                        RowError(column, f"{plan.field} is required, but the cell is empty")
                    )
                    bad.add(plan.field)
        values[plan.field] = value
    agents = spec._agent_plans
    if agents and all(values[p.field] is None and p.field not in bad for p in agents):
        errors.append(
            RowError(
                agents[0].spec.column,
                f"no agent: {' and '.join(p.field for p in agents)} "
                + ("are both empty" if len(agents) > 1 else "is empty"),
            )
        )
    if "csat_rating" in values:
        values["_csat_scale"] = spec._rating_scale
    columns = spec._field_columns
    for err in m.check_record(values, spec.kind):
        errors.append(RowError(columns.get(err.field or ""), err.message, err.field))
    if errors:
        raise RowErrors(line, errors)
    return values


def outcome(read, row: dict, spec) -> object:
    try:
        return read(2, row, spec)
    except RowErrors as exc:
        return [(e.column, e.message, e.field) for e in exc.errors]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
@pytest.mark.parametrize("id_type", ["text", "integer"])
@pytest.mark.parametrize("handle", ["seconds", "minutes", "hms"])
@pytest.mark.parametrize("agent_id", ["", "42"])
def test_compiled_reading_matches_the_general_way(zone, id_type, handle, agent_id):
    text = CONTACTS.format(zone=zone, id_type=id_type, handle=handle, agent_id=agent_id)
    if not agent_id:
        text = text.replace("  agent_id: {value: ''}\n", "")
    spec = parse_mapping(text)
    rng = random.Random(f"{zone}{id_type}{handle}{agent_id}")
    first = {
        "Id": "12" if id_type == "integer" else "T1",
        "Handle": "1:35" if handle == "hms" else "95",
    }
    columns = {c: [first.get(c, cells[0]), *cells] for c, cells in CELLS.items()}
    good = 0
    for _ in range(600):
        # Mostly the first (good) cell of each column, so that many rows are good.
        row = {
            c: rng.choice(cells) if rng.random() < 0.2 else cells[0] for c, cells in columns.items()
        }
        if rng.random() < 0.05:
            row[m.EXTRA_CELLS] = "stray"
        expected = outcome(reference, row, spec)
        got = outcome(lambda line, r, s: (p := parse_row(line, r, s)) and p.values, row, spec)
        assert got == expected, row
        if isinstance(expected, dict):  # the same moments, and in the same zones
            good += 1
            assert [getattr(v, "tzinfo", None) for v in got.values()] == [
                getattr(v, "tzinfo", None) for v in expected.values()
            ], row
    assert good > 100  # the short paths were taken


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
@pytest.mark.parametrize("handle", ["seconds", "hms"])
def test_reading_a_records_cells_by_place_matches_reading_its_row(zone, handle):
    """cells_reader gives parse_row's values for a record, or None when the row needs the
    careful way (parse_row then says what is wrong, or the values it finds)."""
    spec = parse_mapping(CONTACTS.format(zone=zone, id_type="text", handle=handle, agent_id="42"))
    header = ["Unused", *CELLS, "Other"]
    read = m.cells_reader(spec, header)
    assert read is not None
    rng = random.Random(f"{zone}{handle}")
    first = {"Handle": "1:35" if handle == "hms" else "95"}
    columns = {c: [first.get(c, cells[0]), *cells] for c, cells in CELLS.items()}
    quick = 0
    for _ in range(600):
        row = {
            c: rng.choice(cells) if rng.random() < 0.2 else cells[0] for c, cells in columns.items()
        }
        cells = ["x", *(row[c] for c in CELLS), "y"]
        got = read(cells)
        expected = outcome(lambda line, r, s: (p := parse_row(line, r, s)) and p.values, row, spec)
        if got is None:
            continue  # read the careful way, as a row
        quick += 1
        assert got == expected, row
        assert [getattr(v, "tzinfo", None) for v in got.values()] == [
            getattr(v, "tzinfo", None) for v in expected.values()
        ], row
    assert quick > 100


def test_no_cells_reader_where_rows_are_never_read_the_quick_way():
    base = "name: t\ntitle: T\nkind: contacts\nsource: t\n"
    fields = "fields:\n  external_id: Id\n  agent_email: Email\n  created_at: Created\n"
    header = ["Id", "Email", "Created", "Kind"]
    assert m.cells_reader(parse_mapping(base + fields), header) is not None
    skip = "skip:\n  - {column: Kind, equals: test}\n"
    assert m.cells_reader(parse_mapping(base + skip + fields), header) is None
    latest = "latest_per: Id\norder_by: Created\n"
    assert m.cells_reader(parse_mapping(base + latest + fields), header) is None
    composite = fields.replace("Created\n", "{date: Created, time: Kind}\n")
    assert m.cells_reader(parse_mapping(base + composite), header) is None
    assert m.cells_reader(parse_mapping(base + fields), [*header, m.EXTRA_CELLS]) is None
