"""The import path never breaks on hostile input: through the domain, the CLI, the admin
upload pages (upload, preview, run) and the JSON API.

Whatever a file or a request holds (random bytes, text that is not UTF-8, UTF-16, NUL bytes,
a 10 MB cell, 100,000 columns, quotes left open, every preset's columns filled with
placeholders, impossible numbers and ratings at and past the ends of every scale), an import
either writes or is refused with a clear message: no exception escapes, the command exits
with 0 or 1 and prints no traceback, the admin pages and the API never answer 500, and a
refused import leaves the stored contacts and evaluations exactly as they were.

Hostile mappings too: skip rules whose regular expressions backtrack catastrophically in
engines that backtrack, and mapping documents and JSON bodies nested thousands deep or holding
integers thousands of digits long. Every example runs under a time limit
(RAMP_FUZZ_EXAMPLE_SECONDS, 60 by default): a hang is a failure, not a stuck suite.

The default run is small and the same on every run; RAMP_FUZZ_EXAMPLES=500 (say) runs that
many examples per test, drawn at random (see docs/imports.md).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ramp.accounts.models import User
from ramp.extensions import db as _db
from ramp.metrics.api import create_token
from ramp.metrics.imports import ImportRefused, import_file, load_mapping, preset_names
from ramp.metrics.models import AgentIdentity, Contact, QAEvaluation

FUZZ_EXAMPLES = os.environ.get("RAMP_FUZZ_EXAMPLES")
EXAMPLES = int(FUZZ_EXAMPLES or 12)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=FUZZ_EXAMPLES is None,  # the default run is the same every time
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

EXAMPLE_SECONDS = int(os.environ.get("RAMP_FUZZ_EXAMPLE_SECONDS") or 60)


class ExampleTooSlow(AssertionError):
    """An example ran past its time limit: a hang, or work out of all proportion to its input."""


def time_limited(test):
    """Run each example of a Hypothesis test under EXAMPLE_SECONDS (SIGALRM, main thread)."""

    @functools.wraps(test)
    def limited(*args, **kwargs):
        def expire(_signum, _frame):
            raise ExampleTooSlow(f"an example ran past {EXAMPLE_SECONDS} s")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, EXAMPLE_SECONDS)
        try:
            return test(*args, **kwargs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    return limited


AGENT_NAME, AGENT_EMAIL = "Ana Silva", "ana.silva@example.com"
PRESETS = preset_names()
MAPPINGS = {name: load_mapping(preset=name) for name in PRESETS}

# Cells an export should never hold, and some it should, for any column.
HOSTILE = [
    "",
    " ",
    "?",
    "N/A",
    "n/a",
    "-",
    "null",
    "None",
    "0000-00-00",
    "0000-00-00 00:00:00",
    "00/00/0000 00:00",
    "31/02/2026 10:00",
    "2026-13-45",
    "-1",
    "-0",
    "-5:00",
    "-0:00:01",
    "99:99",
    "-1e308",
    "1e308",
    "1e309",
    "9" * 40,
    "2147483648",
    "99999999999999",
    "-99999999999999",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "1,5",
    "0x10",
    "1_000",
    "１２",
    "٣",
    "5%",
    "%",
    "1e-400",
    "yes",
    "no",
    "Good",
    "Bad",
    "Offered",
    "Unoffered",
    "2026-03-14 09:00:00",
    "2026-03-14T09:00:00Z",
    "2026-03-14T09:00:00+14:00",
    "14/03/2026 09:00",
    "03/14/2026 9:00 AM",
    "13/13/13 13:13 PM",
    "0001-01-01",
    "0001-01-01T00:30:00+01:00",
    "9999-12-31",
    "9999-12-31T23:59:59-01:00",
    "2026-03-29 02:30:00",
    "1773480000",
    "-62135596801",
    "1e20",
    '"',
    "'",
    '""',
    "\\",
    "a\nb",
    "\r",
    "\t",
    "\x00",
    "x\x00y",
    "\ufeff",
    "\u202e",
    "😀",
    "Z" * 300,
    "\ud800",
    "x\udc00",
]
# Ratings and scores at, inside and past the ends of every scale the presets use (0–1, 1–5,
# 0–10, 0–100).
SCALE_EDGES = [
    "0",
    "1",
    "5",
    "10",
    "100",
    "0.0",
    "1.0",
    "-0.0001",
    "1.0001",
    "0.9999",
    "4.9999",
    "5.0001",
    "6",
    "11",
    "100.0001",
    "101",
    "-1",
    "0.5",
    "3",
]

cells = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(SCALE_EDGES),
    st.sampled_from([AGENT_NAME, AGENT_EMAIL, "ghost@example.com", "Ghost"]),
    st.text(max_size=12),
)
json_values = st.one_of(
    cells,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(), max_size=2),
)
CORRUPTIONS = ["none", "utf-16", "nul", "cut", "quote", "latin-1", "crlf", "bom"]


@pytest.fixture
def world(db, make_user):
    """A known agent, linked under the name every preset's source may name them by."""
    user = make_user("agent", email=AGENT_EMAIL, name=AGENT_NAME)
    for mapping in MAPPINGS.values():
        db.session.add(
            AgentIdentity(source=mapping.source, external_id=AGENT_NAME, user_id=user.id)
        )
    db.session.commit()
    return user.id


def stored(db) -> tuple[int, int]:
    """How many contacts and evaluations are stored (read afresh)."""
    db.session.remove()
    return tuple(
        db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (Contact, QAEvaluation)
    )  # type: ignore[return-value]


def export_text(preset: str, rows: list[dict]) -> str:
    """Rows as the preset's file: CSV with its columns as header, or JSON lines."""
    mapping = MAPPINGS[preset]
    if mapping.format == "jsonl":
        return "".join(json.dumps(row) + "\n" for row in rows)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=mapping.delimiter or ",")
    writer.writerow(mapping.column_list())
    for row in rows:
        writer.writerow([row.get(c, "") for c in mapping.column_list()])
    return out.getvalue()


def corrupt(text: str, how: str) -> bytes:
    """The file's bytes, spoilt in one of the ways real exports are."""
    data = text.encode("utf-8", "surrogatepass")
    if how == "utf-16":
        return text.encode("utf-16", "surrogatepass")  # with its byte-order mark
    if how == "nul":
        return data.replace(b",", b",\x00", 3)
    if how == "cut":
        return data[: max(1, len(data) * 2 // 3)]
    if how == "quote":
        return data.replace(b"\n", b'\n"', 1)
    if how == "latin-1":
        return text.encode("latin-1", "replace")
    if how == "crlf":
        return data.replace(b"\n", b"\r\n").replace(b"\r\n", b"\r", 1)
    if how == "bom":
        return b"\xef\xbb\xbf" + data
    return data


def import_here(db, path: Path, mapping, accept_good: bool = False, **options) -> bool:
    """import_file: it writes or refuses, and a refusal leaves the records as they were."""
    before = stored(db)
    try:
        import_file(
            path, mapping, accept_good=accept_good, rejects_path=path.with_suffix(".rej"), **options
        )
    except ImportRefused as exc:
        assert exc.report.problems, "a refused import says why"
        _db.session.rollback()
        assert stored(db) == before
        return False
    _db.session.rollback()  # written, then undone: every example starts from the same records
    return True


def forget(db) -> None:
    """Delete what an import committed, so the next example starts from the same records."""
    from sqlalchemy import delete

    from ramp.metrics.models import ImportRun

    for model in (Contact, QAEvaluation, ImportRun):
        _db.session.execute(delete(model))
    _db.session.commit()


def import_by_cli(db, runner, path: Path, preset: str, accept_good: bool = False) -> bool:
    """`ramp records import`: exit status 0 or 1, no traceback, nothing changed when refused."""
    before = stored(db)
    args = ["records", "import", str(path), "--preset", preset]
    result = runner.invoke(args=args + (["--accept-good"] if accept_good else []))
    assert "Traceback" not in result.output
    # An exception escaping the command would also end it with 1: only sys.exit may.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), (result.exit_code, result.output[-2000:])
    if result.exit_code == 1:
        assert "error: " in result.output
        assert stored(db) == before
    else:
        forget(db)
    return result.exit_code == 0


def good_rows(preset: str) -> list[dict[str, str]]:
    """The rows of the preset's sample export, naming the known agent."""
    from ramp.metrics.mapping import read_rows
    from tests.integration.test_presets import sample_for

    mapping = MAPPINGS[preset]
    with open(sample_for(preset), encoding="utf-8-sig", newline="") as fh:
        rows = [raw for _, raw in read_rows(fh, mapping)]
    for name, spec in mapping.fields.items():
        if name in ("agent_email", "agent_id") and spec.column:
            for raw in rows:
                raw[spec.column] = AGENT_EMAIL if name == "agent_email" else AGENT_NAME
    return [{c: raw.get(c, "") for c in mapping.column_list()} for raw in rows]


GOOD_ROWS = {name: good_rows(name) for name in PRESETS}


def preset_rows(preset: str):
    """Rows of the preset's own columns: its sample's rows, some of their cells made hostile."""
    columns = MAPPINGS[preset].column_list()
    values = json_values if MAPPINGS[preset].format == "jsonl" else cells

    def spoilt(base: dict, changes: dict) -> dict:
        return {**base, **changes}

    row = st.builds(
        spoilt,
        st.sampled_from(GOOD_ROWS[preset]),
        st.dictionaries(st.sampled_from(columns), values, max_size=3),
    )
    return st.lists(row, min_size=1, max_size=6)


exports = st.sampled_from(PRESETS).flatmap(lambda p: st.tuples(st.just(p), preset_rows(p)))


@FUZZ
@given(export=exports, how=st.sampled_from(CORRUPTIONS), accept_good=st.booleans())
@time_limited
def test_hostile_preset_exports_through_the_domain(db, world, tmp_path, export, how, accept_good):
    preset, rows = export
    path = tmp_path / f"export-{preset}.txt"
    path.write_bytes(corrupt(export_text(preset, rows), how))
    import_here(db, path, MAPPINGS[preset], accept_good=accept_good)


@FUZZ
@given(export=exports, how=st.sampled_from(CORRUPTIONS), accept_good=st.booleans())
@time_limited
def test_hostile_preset_exports_through_the_cli(
    db, world, runner, tmp_path, export, how, accept_good
):
    preset, rows = export
    path = tmp_path / f"export-{preset}.txt"
    path.write_bytes(corrupt(export_text(preset, rows), how))
    import_by_cli(db, runner, path, preset, accept_good)


@FUZZ
@given(blob=st.binary(max_size=2000), preset=st.sampled_from(PRESETS))
@time_limited
def test_random_bytes_through_the_domain_and_the_cli(db, world, runner, tmp_path, blob, preset):
    path = tmp_path / "random.bin"
    path.write_bytes(blob)
    import_here(db, path, MAPPINGS[preset])
    import_by_cli(db, runner, path, preset)


# A mapping of its own: a template id, a date and a time apart, negated skip rules.

CALLS = """\
name: phone-calls
title: Phone calls
kind: contacts
source: pbx
timezone: Europe/Berlin
fields:
  external_id: {template: "{VRU}-{Call ID}"}
  created_at: {date: Date, time: Time, format: day_first}
  handle_seconds: {column: Talk, format: hms}
  reopens: Reopens
  csat_rating: {column: Rating, scale: [0, 10]}
  agent_id: Agent
skip:
  - {column: Direction, not_in: [inbound, outbound]}
  - {column: Status, not_equals: answered}
"""
CALL = {
    "VRU": "vru1",
    "Call ID": "00017",
    "Date": "14/03/2026",
    "Time": "09:30",
    "Talk": "4:05",
    "Reopens": "0",
    "Rating": "8",
    "Agent": AGENT_NAME,
    "Direction": "inbound",
    "Status": "answered",
}
call_rows = st.lists(
    st.builds(
        lambda changes: {**CALL, **changes},
        st.dictionaries(st.sampled_from(list(CALL)), cells, max_size=3),
    ),
    min_size=1,
    max_size=6,
)


@FUZZ
@given(rows=call_rows, how=st.sampled_from(CORRUPTIONS), accept_good=st.booleans())
@time_limited
def test_hostile_cells_through_a_mapping_of_its_own(
    db, world, runner, tmp_path, rows, how, accept_good
):
    from ramp.metrics.mapping import parse_mapping

    mapping_path = tmp_path / "calls.yaml"
    mapping_path.write_text(CALLS)
    mapping = parse_mapping(CALLS)
    _db.session.add(AgentIdentity(source="pbx", external_id=AGENT_NAME, user_id=world))
    _db.session.commit()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(CALL))
    writer.writerows([row[c] for c in CALL] for row in rows)
    path = tmp_path / "calls.csv"
    path.write_bytes(corrupt(out.getvalue(), how))
    import_here(db, path, mapping, accept_good=accept_good)
    before = stored(db)
    args = ["records", "import", str(path), "--mapping", str(mapping_path)]
    result = runner.invoke(args=args + (["--accept-good"] if accept_good else []))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1) and "Traceback" not in result.output
    if result.exit_code == 1:
        assert stored(db) == before
    else:
        forget(db)
    _db.session.execute(AgentIdentity.__table__.delete().where(AgentIdentity.source == "pbx"))
    _db.session.commit()


# Files too large to draw at random: each through the domain (in this process and in a
# reading process) and the CLI.


def _sample(preset: str) -> str:
    from tests.integration.test_presets import sample_for

    return sample_for(preset).read_text(encoding="utf-8")


def wide(preset: str, found: bool) -> str:
    """A header of 100,000 columns (the mapping's among them when found) and one row."""
    names = [f"col{i}" for i in range(100_000)]
    if found:
        names[-len(MAPPINGS[preset].column_list()) :] = MAPPINGS[preset].column_list()
    return ",".join(names) + "\n" + ",".join("1" for _ in names) + "\n"


def long_cell(preset: str) -> str:
    """The preset's sample with a 10 MB cell in its first column."""
    head, first, *rest = _sample(preset).splitlines(keepends=True)
    if MAPPINGS[preset].format == "jsonl":
        obj = json.loads(first)
        key = next(iter(obj))
        obj[key] = "x" * 10_000_000
        return "".join([head, json.dumps(obj) + "\n", *rest])
    return "".join([head, '"' + "x" * 10_000_000 + '"' + first[first.index(",") :], *rest])


BIG_FILES = {
    "invalid-utf-8": lambda p: b"ID,Assignee\n\xff\xfe\xfa,\xc3\x28\n" + _sample(p).encode(),
    "utf-16-bom": lambda p: _sample(p).encode("utf-16"),
    "utf-16-no-bom": lambda p: _sample(p).encode("utf-16-le"),
    "nul-bytes": lambda p: _sample(p).replace(",", ",\x00").encode(),
    "ten-mb-cell": lambda p: long_cell(p).encode(),
    "100k-columns-missing": lambda p: wide(p, False).encode(),
    "100k-columns-found": lambda p: wide(p, True).encode(),
    "unbalanced-quote": lambda p: _sample(p).replace(",", ',"', 1).encode(),
    "quote-at-the-end": lambda p: (_sample(p) + '"').encode(),
    "deep-json": lambda p: ('{"a":' * 100_000 + "1" + "}" * 100_000 + "\n").encode(),
    "huge-json-number": lambda p: ('{"_id": ' + "9" * 5000 + ', "id": 1}\n').encode(),
    "surrogate-json": lambda p: _sample(p).replace('"', '"\\ud800', 1).encode(),
}


# Each kind of file with a CSV preset, and those that concern JSON lines with one too.
AWKWARD = [(kind, "zendesk") for kind in BIG_FILES] + [
    (kind, "playvox")
    for kind in (
        "invalid-utf-8",
        "utf-16-bom",
        "nul-bytes",
        "ten-mb-cell",
        "unbalanced-quote",
        "deep-json",
        "huge-json-number",
        "surrogate-json",
    )
]


@pytest.mark.parametrize(("kind", "preset"), AWKWARD)
def test_awkward_files_are_refused_or_read(db, world, runner, tmp_path, kind, preset):
    path = tmp_path / f"{kind}.txt"
    path.write_bytes(BIG_FILES[kind](preset))
    import_here(db, path, MAPPINGS[preset])
    import_here(db, path, MAPPINGS[preset], accept_good=True, reader_process=True)
    import_by_cli(db, runner, path, preset)


# The JSON API


@pytest.fixture
def bearer(db, world):
    _, secret = create_token("fuzz", _db.session.get(User, world), scopes=["records:write"])
    _db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def api_records(kind: str):
    from ramp.metrics.mapping import FIELDS

    names = st.sampled_from([*FIELDS[kind], "extra", ""])
    record = st.dictionaries(names, json_values, max_size=len(FIELDS[kind]) + 2)
    return st.one_of(st.lists(record, min_size=0, max_size=5), json_values)


@FUZZ
@given(
    batch=st.sampled_from(["contacts", "qa"]).flatmap(
        lambda kind: st.tuples(st.just(kind), api_records(kind))
    ),
    source=st.one_of(st.sampled_from(["zendesk", "api", "Bad Source", ""]), json_values),
    accept_good=st.booleans(),
)
@time_limited
def test_hostile_records_through_the_api(client, db, bearer, batch, source, accept_good):
    kind, records = batch
    body = {"source": source, "records": records}
    before = stored(db)
    query = "?accept_good=true" if accept_good else ""
    response = client.post(f"/api/v1/records/{kind}{query}", json=body, headers=bearer)
    assert response.status_code in (200, 400, 422), response.get_data(as_text=True)[:2000]
    if response.status_code != 200:
        assert stored(db) == before
    else:
        forget(db)


@FUZZ
@given(body=st.binary(max_size=500), kind=st.sampled_from(["contacts", "qa"]))
@time_limited
def test_bodies_that_are_not_json_get_400(client, db, bearer, body, kind):
    response = client.post(
        f"/api/v1/records/{kind}", data=body, headers={**bearer, "Content-Type": "application/json"}
    )
    assert response.status_code == 400


@pytest.fixture
def admin_client(client, world, make_user):
    """The test client, signed in as an admin, and a CSRF token for its forms."""
    from tests.conftest import csrf_token, login

    admin = make_user("admin")
    login(client, admin.email)
    return client, csrf_token(client, "/admin/imports")


def import_by_admin_page(db, admin_client, data: bytes, preset: str, accept_good: bool) -> None:
    """Upload, preview and run on the admin pages: never a 500, nothing changed when refused."""
    client, token = admin_client
    before = stored(db)
    upload = client.post(
        "/admin/imports",
        data={"csrf_token": token, "preset": preset, "export": (io.BytesIO(data), "export.csv")},
        content_type="multipart/form-data",
    )
    assert upload.status_code in (303, 422), upload.status_code
    if upload.status_code == 422:
        assert stored(db) == before
        return
    preview_url = upload.headers["Location"]
    preview = client.get(preview_url)
    assert preview.status_code in (200, 422), preview.status_code
    run = client.post(
        preview_url + "/run", data={"csrf_token": token, "accept_good": "1" if accept_good else ""}
    )
    assert run.status_code in (200, 303, 422), run.status_code
    if run.status_code == 422:
        assert stored(db) == before
    else:
        forget(db)


@FUZZ
@given(export=exports, how=st.sampled_from(CORRUPTIONS), accept_good=st.booleans())
@time_limited
def test_hostile_preset_exports_through_the_admin_pages(db, admin_client, export, how, accept_good):
    preset, rows = export
    data = corrupt(export_text(preset, rows), how)
    import_by_admin_page(db, admin_client, data, preset, accept_good)


@FUZZ
@given(blob=st.binary(max_size=2000), preset=st.sampled_from(PRESETS))
@time_limited
def test_random_bytes_through_the_admin_pages(db, admin_client, blob, preset):
    import_by_admin_page(db, admin_client, blob, preset, accept_good=False)


# Skip rules that take exponential time in an engine that backtracks, and cells that make
# them try every split; patterns RE2 cannot run (backreferences, look-arounds) are refused.
CATASTROPHIC = ["^(a+)+$", "(a|aa)+$", "^(a|a?)+$", "(x+x+)+y", "(.*a){25}", "^(\\w+\\s?)*$"]
UNRUNNABLE = ["(a)\\1", "(?=a)a", "(?<!b)a", "(?P<x>a)(?P=x)"]
BACKTRACKING_CELLS = ["a" * 35 + "!", "x" * 40, "a" * 5000, "word " * 2000 + "!"]


@FUZZ
@given(
    pattern=st.sampled_from(CATASTROPHIC + UNRUNNABLE),
    cell=st.sampled_from(BACKTRACKING_CELLS),
    rows=st.integers(min_value=1, max_value=30),
)
@time_limited
def test_hostile_skip_rules_are_refused_or_run_in_linear_time(
    db, world, runner, tmp_path, pattern, cell, rows
):
    from ramp.metrics.mapping import parse_mapping
    from ramp.yamlspec import SpecFileError

    text = CALLS + f"  - {{column: Status, matches: {json.dumps(pattern)}}}\n"
    mapping_path = tmp_path / "calls.yaml"
    mapping_path.write_text(text)
    try:
        mapping = parse_mapping(text)
    except SpecFileError as exc:
        assert pattern in UNRUNNABLE, exc.report()
        assert "matches" in exc.report()
        return
    assert pattern not in UNRUNNABLE
    if not _db.session.execute(select(AgentIdentity.id)).first():
        _db.session.add(AgentIdentity(source="pbx", external_id=AGENT_NAME, user_id=world))
        _db.session.commit()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(CALL))
    writer.writerows([{**CALL, "Status": cell}[c] for c in CALL] for _ in range(rows))
    path = tmp_path / "calls.csv"
    path.write_text(out.getvalue())
    import_here(db, path, mapping)
    import_by_cli_with_mapping(runner, path, mapping_path)


def import_by_cli_with_mapping(runner, path: Path, mapping_path: Path) -> None:
    """`ramp records import --mapping`: exit 0 or 1, and no traceback."""
    result = runner.invoke(args=["records", "import", str(path), "--mapping", str(mapping_path)])
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    forget(_db)


@FUZZ
@given(depth=st.sampled_from([64, 1_000, 100_000]), opener=st.sampled_from(["[", "{a: "]))
@time_limited
def test_mapping_documents_nested_deep_are_refused_by_the_cli(db, runner, tmp_path, depth, opener):
    closer = "]" if opener == "[" else "}"
    nested = opener * depth + "1" + closer * depth
    mapping_path = tmp_path / "deep.yaml"
    mapping_path.write_text(f"name: deep\ntitle: Deep\nkind: qa\nsource: s\nfields: {nested}\n")
    export = tmp_path / "export.csv"
    export.write_text("Review ID\nR1\n")
    result = runner.invoke(args=["records", "import", str(export), "--mapping", str(mapping_path)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert stored(db) == (0, 0)


def _json_body(value: str) -> bytes:
    record = '{"external_id": "1", "agent_email": "ana.silva@example.com", "reopens": %s}'
    return ('{"source": "api", "records": [%s]}' % (record % value)).encode()


HOSTILE_BODIES = [
    b"[" * 100_000,
    b'{"source": "api", "records": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    b'{"a": ' * 20_000 + b"1" + b"}" * 20_000,
    _json_body("9" * 5_000),  # past Python's 4,300-digit limit for int()
    _json_body("9" * 4_000),
    _json_body("1" + "0" * 30),
    _json_body("1e308"),
    _json_body("-1e308"),
    _json_body("1e400"),
]


@FUZZ
@given(which=st.sampled_from(range(len(HOSTILE_BODIES))), kind=st.sampled_from(["contacts", "qa"]))
@time_limited
def test_bodies_nested_deep_or_with_huge_numbers_are_refused(client, db, bearer, which, kind):
    body = HOSTILE_BODIES[which]
    response = client.post(
        f"/api/v1/records/{kind}", data=body, headers={**bearer, "Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422), response.get_data(as_text=True)[:500]
    assert response.is_json
    assert stored(db) == (0, 0)


def test_the_time_limit_stops_a_hanging_example(monkeypatch):
    import time

    monkeypatch.setitem(globals(), "EXAMPLE_SECONDS", 1)
    with pytest.raises(ExampleTooSlow):
        time_limited(lambda: time.sleep(30))()


# `ramp users import`: hostile users files through the CLI.

USER_COLUMNS = ["email", "name", "role", "team", "agent_id:zendesk", "agent_id:maestroqa"]
USER_ROW = {
    "email": "new.agent@example.com",
    "name": "New Agent",
    "role": "agent",
    "team": "",
    "agent_id:zendesk": "9001",
    "agent_id:maestroqa": "new.agent",
}
user_cells = st.one_of(
    cells,
    st.sampled_from([AGENT_EMAIL, AGENT_NAME, "admin", "manager", "AGENT", "a@b", "@", "x" * 300]),
)
user_rows = st.lists(
    st.builds(
        lambda changes: {**USER_ROW, **changes},
        st.dictionaries(st.sampled_from(USER_COLUMNS), user_cells, max_size=4),
    ),
    min_size=1,
    max_size=6,
)
user_headers = st.one_of(
    st.just(USER_COLUMNS),
    st.lists(
        st.sampled_from([*USER_COLUMNS, "agent_id:", "agent_id:Zen Desk", "colour", "", "EMAIL"]),
        max_size=8,
    ),
)


def people(db) -> tuple[set, set]:
    """Every user (e-mail, name, role, team) and every agent id link, read afresh."""
    db.session.remove()
    users = set(db.session.execute(select(User.email, User.name, User.role, User.team_id)))
    ids = set(
        db.session.execute(
            select(AgentIdentity.source, AgentIdentity.external_id, AgentIdentity.user_id)
        )
    )
    return users, ids


def import_users_by_cli(db, runner, path: Path, accept_good: bool) -> None:
    """`ramp users import`: exit status 0 or 1, no traceback, nothing changed when refused;
    what it wrote is removed again, so every example starts from the same people."""
    from sqlalchemy import delete

    from ramp.audit.models import AuditEvent

    before = people(db)
    args = ["users", "import", str(path)] + (["--accept-good"] if accept_good else [])
    result = runner.invoke(args=args)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), (result.exit_code, result.output[-2000:])
    if result.exit_code == 1:
        assert "error: " in result.output
        assert people(db) == before
        return
    known = [user_id for (_, _, user_id) in before[1]]
    _db.session.execute(delete(AgentIdentity).where(AgentIdentity.user_id.not_in(known)))
    _db.session.execute(delete(AuditEvent))
    _db.session.execute(delete(User).where(User.email != AGENT_EMAIL))
    _db.session.execute(User.__table__.update().values(name=AGENT_NAME, role="agent"))
    _db.session.commit()


def users_text(header: list[str], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in header])
    return out.getvalue()


@FUZZ
@given(
    header=user_headers,
    rows=user_rows,
    how=st.sampled_from(CORRUPTIONS),
    accept_good=st.booleans(),
)
@time_limited
def test_hostile_users_files_through_the_cli(
    db, world, runner, tmp_path, header, rows, how, accept_good
):
    path = tmp_path / "users.csv"
    path.write_bytes(corrupt(users_text(header, rows), how))
    import_users_by_cli(db, runner, path, accept_good)


@FUZZ
@given(blob=st.binary(max_size=2000), accept_good=st.booleans())
@time_limited
def test_random_bytes_as_a_users_file(db, world, runner, tmp_path, blob, accept_good):
    path = tmp_path / "users.bin"
    path.write_bytes(blob)
    import_users_by_cli(db, runner, path, accept_good)


USERS_SAMPLE = users_text(USER_COLUMNS, [USER_ROW, {**USER_ROW, "email": "b@example.com"}])
AWKWARD_USERS = {
    "invalid-utf-8": b"email,name\n\xff\xfe\xfa,\xc3\x28\n" + USERS_SAMPLE.encode(),
    "utf-16-bom": USERS_SAMPLE.encode("utf-16"),
    "nul-bytes": USERS_SAMPLE.replace(",", ",\x00").encode(),
    "ten-mb-cell": ('"' + "x" * 10_000_000 + '"' + USERS_SAMPLE[5:]).encode(),
    "ten-mb-name": USERS_SAMPLE.replace("New Agent", "x" * 10_000_000).encode(),
    "100k-columns": (",".join(f"col{i}" for i in range(100_000)) + "\n1,2\n").encode(),
    "100k-id-columns": (
        "email,name," + ",".join(f"agent_id:s{i}" for i in range(100_000)) + "\n"
        "a@example.com,A," + ",".join(str(i) for i in range(100_000)) + "\n"
    ).encode(),
    "unbalanced-quote": USERS_SAMPLE.replace(",", ',"', 1).encode(),
    "quote-at-the-end": (USERS_SAMPLE + '"').encode(),
}


@pytest.mark.parametrize("kind", AWKWARD_USERS)
def test_awkward_users_files_are_refused_or_read(db, world, runner, tmp_path, kind):
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(AWKWARD_USERS[kind])
    import_users_by_cli(db, runner, path, accept_good=False)
    import_users_by_cli(db, runner, path, accept_good=True)
