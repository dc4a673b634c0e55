"""Importing exports: checked whole, nothing half-written, re-imports update, metric milestones."""

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ramp.metrics.imports import ImportRefused, import_file, load_mapping
from ramp.metrics.models import Contact, ImportRun, QAEvaluation
from tests.conftest import FIXTURES

QA_MAPPING = FIXTURES / "mappings" / "qa-basic.yaml"
HEADER = "Review ID,Agent,Reviewed,Score,Max,Auto-fail\n"


def count(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def write(tmp_path, text: str, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def agent(make_user):
    return make_user("agent", email="ana.silva@example.com", name="Ana Silva")


def qa_rows(start: date, n: int, score: float = 90, first: int = 1) -> str:
    return "".join(
        f"R{i},ana.silva@example.com,{(start + timedelta(days=i % 5)).strftime('%d/%m/%Y')} 14:00,{score},100,no\n"
        for i in range(first, first + n)
    )


def test_import_writes_then_updates_never_duplicates(db, tmp_path, agent):
    mapping = load_mapping(path=str(QA_MAPPING))
    path = write(tmp_path, HEADER + qa_rows(date(2026, 11, 2), 4))
    report = import_file(path, mapping)
    db.session.commit()
    assert (report.created, report.updated, count(db, QAEvaluation)) == (4, 0, 4)
    again = import_file(write(tmp_path, HEADER + qa_rows(date(2026, 11, 2), 4, score=70)), mapping)
    db.session.commit()
    assert (again.created, again.updated, count(db, QAEvaluation)) == (0, 4, 4)
    percents = set(db.session.execute(select(QAEvaluation.percent)).scalars())
    assert percents == {70.0}
    assert count(db, ImportRun) == 2


def test_day_first_dates_in_the_mapping_time_zone(db, tmp_path, agent):
    mapping = load_mapping(path=str(QA_MAPPING))
    import_file(
        write(tmp_path, HEADER + "R1,ana.silva@example.com,03/04/2026 00:30,80,100,no\n"), mapping
    )
    row = db.session.execute(select(QAEvaluation)).scalar_one()
    assert row.metric_date == date(2026, 4, 3)  # 00:30 in Berlin is the evening before in UTC
    assert row.evaluated_at.replace(tzinfo=None) == __import__("datetime").datetime(
        2026, 4, 2, 22, 30
    )


# Lines 2 to 7 each wrong in their own way (a date, an agent, a score, a flag, a duplicate id).
BAD_ROWS = HEADER + (
    "R1,ana.silva@example.com,31/02/2026 10:00,80,100,no\n"
    "R2,nobody@example.com,01/03/2026 10:00,80,100,no\n"
    "R3,ana.silva@example.com,01/03/2026 10:00,120,100,no\n"
    "R4,ana.silva@example.com,01/03/2026 10:00,80,100,maybe\n"
    "R5,ana.silva@example.com,01/03/2026 10:00,80,100,no\n"
    "R5,ana.silva@example.com,02/03/2026 10:00,85,100,no\n"
    "R6,ana.silva@example.com,02/03/2026 10:00,85,100,no\n"
)


def test_every_bad_row_is_reported_and_nothing_is_written(db, tmp_path, agent):
    mapping = load_mapping(path=str(QA_MAPPING))
    with pytest.raises(ImportRefused) as exc:
        import_file(write(tmp_path, BAD_ROWS), mapping)
    report = exc.value.report
    lines = {(p.line, p.column) for p in report.problems}
    assert (2, "Reviewed") in lines
    assert (4, "Score") in lines
    assert (5, "Auto-fail") in lines
    assert (7, "Review ID") in lines
    assert any(
        p.line == 3 and "unknown agent 'nobody@example.com'" in p.message for p in report.problems
    )
    assert report.unknown_agents == [("nobody@example.com", 1)]
    assert report.rows_valid == 2 and report.rows_rejected == 5
    db.session.rollback()
    assert count(db, QAEvaluation) == 0 and count(db, ImportRun) == 0


def test_accept_good_writes_the_good_rows_and_saves_the_rest(db, tmp_path, agent):
    mapping = load_mapping(path=str(QA_MAPPING))
    text = (
        HEADER
        + "R1,ana.silva@example.com,01/03/2026 10:00,80,100,no\nR2,ghost@example.com,01/03/2026 10:00,80,100,no\n"
    )
    rejects = tmp_path / "rejects.csv"
    report = import_file(write(tmp_path, text), mapping, accept_good=True, rejects_path=rejects)
    db.session.commit()
    assert report.created == 1 and count(db, QAEvaluation) == 1
    saved = rejects.read_text()
    assert "ghost@example.com" in saved and "unknown agent" in saved and "R1" not in saved


def test_the_rejects_file_never_hands_a_spreadsheet_a_formula(db, tmp_path, agent):
    payload = "=cmd|' /C calc'!A0"
    text = (
        HEADER
        + "R1,ana.silva@example.com,01/03/2026 10:00,80,100,no\n"
        + f'"{payload}",ghost@example.com,01/03/2026 10:00,-5,100,no\n'
    )
    rejects = tmp_path / "rejects.csv"
    mapping = load_mapping(path=str(QA_MAPPING))
    import_file(write(tmp_path, text), mapping, accept_good=True, rejects_path=rejects)
    [row] = list(csv.DictReader(io.StringIO(rejects.read_text(encoding="utf-8"))))
    assert row["Review ID"] == "'" + payload  # shown as text, never run
    assert row["Score"] == "-5"  # a number stays a number


def test_dry_run_writes_nothing(db, tmp_path, agent):
    mapping = load_mapping(path=str(QA_MAPPING))
    report = import_file(
        write(tmp_path, HEADER + qa_rows(date(2026, 3, 2), 3)), mapping, dry_run=True
    )
    assert report.rows_valid == 3 and not report.written
    assert count(db, QAEvaluation) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "no rows"),
        (HEADER, "no rows"),
        ("Review ID,Agent\nR1,a@example.com\n", "missing column(s): "),
        (
            "Review ID,Agent,Reviewed,Score,Max,Auto-fail\nR1,caf\xe9,01/03/2026,1,2,no\n".encode(
                "latin-1"
            ),
            "not UTF-8",
        ),
    ],
    ids=["empty", "header only", "missing columns", "latin-1"],
)
def test_unusable_files_get_a_clear_message(db, tmp_path, agent, content, message):
    mapping = load_mapping(path=str(QA_MAPPING))
    path = tmp_path / "bad.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ImportRefused) as exc:
        import_file(path, mapping)
    assert message in str(exc.value.report.problems[0])
    assert count(db, QAEvaluation) == 0


def test_contact_rules_solved_before_created_negative_time_rating_out_of_scale(db, tmp_path, agent):
    mapping = load_mapping(path=str(FIXTURES / "mappings" / "contacts-basic.yaml"))
    text = (
        "Ticket,Agent,Created,Solved,Handle,CSAT\n"
        "T1,ana.silva@example.com,2026-03-01T10:00:00Z,2026-03-01T09:00:00Z,0:05:00,5\n"
        "T2,ana.silva@example.com,2026-03-01T10:00:00Z,2026-03-01T11:00:00Z,-0:05:00,5\n"
        "T3,ana.silva@example.com,2026-03-01T10:00:00Z,2026-03-01T11:00:00Z,0:05:00,7\n"
        "T4,ana.silva@example.com,2026-03-01T10:00:00Z,2026-03-01T11:00:00Z,1:05:00,4\n"
    )
    with pytest.raises(ImportRefused) as exc:
        import_file(write(tmp_path, text), mapping)
    messages = {p.line: p.message for p in exc.value.report.problems}
    assert "before it was created" in messages[2]
    assert "negative" in messages[3]
    assert "outside the rating scale" in messages[4]
    assert 5 not in messages
    report = import_file(
        write(tmp_path, text), mapping, accept_good=True, rejects_path=tmp_path / "r.csv"
    )
    db.session.commit()
    row = db.session.execute(select(Contact)).scalar_one()
    assert (row.external_id, row.handle_seconds, row.resolution_seconds, row.csat_good) == (
        "T4",
        3900,
        3600,
        True,
    )
    assert report.created == 1


def test_import_makes_a_metric_milestone_achieved(db, tmp_path, ramp_world):
    from ramp.milestones.models import PlanMilestone
    from ramp.milestones.operations import evaluate_users

    w = ramp_world
    # A hire 22 days in (nesting), whose nesting QA milestone needs QA >= 75 over 14 days, 10 reviews.
    hire = w.hire(name="Ana Silva", start_date=date.today() - timedelta(days=22))
    email = hire.user.email
    rows = "".join(
        f"R{i},{email},{(date.today() - timedelta(days=i % 10)).strftime('%d/%m/%Y')} 12:00,88,100,no\n"
        for i in range(12)
    )
    report = import_file(write(tmp_path, HEADER + rows), load_mapping(path=str(QA_MAPPING)))
    evaluate_users(report.affected_users)
    db.session.commit()
    m = db.session.execute(
        select(PlanMilestone).where(
            PlanMilestone.hire_id == hire.id, PlanMilestone.key == "nesting-quality"
        )
    ).scalar_one()
    assert m.status == "achieved", m.reason
    check = next(c for c in m.checks if c["criterion"] == "metric:qa_score")
    assert check["figures"]["value"] == 88.0 and check["figures"]["sample"] == 12


def test_reimport_with_a_smaller_mapping_keeps_the_fields_it_does_not_read(db, tmp_path, agent):
    full = load_mapping(path=str(FIXTURES / "mappings" / "contacts-basic.yaml"))
    text = "Ticket,Agent,Created,Solved,Handle,CSAT\nT1,ana.silva@example.com,2026-03-01T10:00:00Z,2026-03-01T12:00:00Z,0:05:00,5\n"
    import_file(write(tmp_path, text), full)
    smaller_text = (
        (FIXTURES / "mappings" / "contacts-basic.yaml")
        .read_text()
        .replace("  csat_rating: {column: CSAT, scale: [1, 5]}\n", "")
        .replace("  solved_at: {column: Solved, format: iso}\n", "")
    )
    smaller = tmp_path / "smaller.yaml"
    smaller.write_text(smaller_text)
    again = "Ticket,Agent,Created,Handle\nT1,ana.silva@example.com,2026-03-01T10:00:00Z,0:07:00\n"
    report = import_file(write(tmp_path, again, "again.csv"), load_mapping(path=str(smaller)))
    db.session.commit()
    assert report.updated == 1
    row = db.session.execute(select(Contact)).scalar_one()
    assert row.handle_seconds == 420  # read by both mappings: replaced
    assert (row.csat_rating, row.csat_good, row.resolution_seconds) == (5.0, True, 7200)  # kept
    assert row.metric_date.isoformat() == "2026-03-01"


def test_a_field_scale_decides_what_counts_as_good(db, tmp_path, agent):
    text = (
        (FIXTURES / "mappings" / "contacts-basic.yaml")
        .read_text()
        .replace("scale: [1, 5]", "scale: [0, 10]")
    )
    mapping_path = tmp_path / "ten.yaml"
    mapping_path.write_text(text)
    rows = "Ticket,Agent,Created,Solved,Handle,CSAT\n" + "".join(
        f"T{r},ana.silva@example.com,2026-03-01T10:00:00Z,2026-03-01T11:00:00Z,0:05:00,{r}\n"
        for r in (7, 8, 10)
    )
    import_file(write(tmp_path, rows), load_mapping(path=str(mapping_path)))
    good = dict(db.session.execute(select(Contact.external_id, Contact.csat_good)).all())
    assert good == {"T7": False, "T8": True, "T10": True}


def test_large_files_across_batches_update_and_find_duplicates(db, tmp_path, agent, monkeypatch):
    import ramp.metrics.imports as imports

    monkeypatch.setattr(imports, "BATCH", 2000)  # several batches, ids looked up in chunks
    mapping = load_mapping(path=str(QA_MAPPING))
    rows = qa_rows(date(2026, 3, 2), 2500)
    dupes = (
        HEADER
        + rows
        + qa_rows(date(2026, 3, 2), 1, first=5)
        + qa_rows(date(2026, 3, 2), 1, first=2400)
    )
    with pytest.raises(ImportRefused) as exc:
        import_file(write(tmp_path, dupes), mapping)
    problems = {(p.line, p.column, p.message) for p in exc.value.report.problems}
    assert problems == {
        (2502, "Review ID", "'R5' appears more than once in the file"),
        (2503, "Review ID", "'R2400' appears more than once in the file"),
    }
    db.session.rollback()
    assert count(db, QAEvaluation) == 0
    cache = "PRAGMA cache_size"  # SQLite: raised while an import runs, then given back
    before = (
        db.session.connection().exec_driver_sql(cache).scalar()
        if db.engine.name == "sqlite"
        else None
    )
    report = import_file(write(tmp_path, HEADER + rows), mapping)
    if before is not None:
        assert db.session.connection().exec_driver_sql(cache).scalar() == before
    db.session.commit()
    assert (report.created, report.updated, count(db, QAEvaluation)) == (2500, 0, 2500)
    again = import_file(write(tmp_path, HEADER + rows.replace(",90,", ",70,")), mapping)
    db.session.commit()
    assert (again.created, again.updated, count(db, QAEvaluation)) == (0, 2500, 2500)
    assert set(db.session.execute(select(QAEvaluation.percent)).scalars()) == {70.0}


def test_a_batch_of_nothing_but_duplicates(db, tmp_path, agent, monkeypatch):
    import ramp.metrics.imports as imports

    monkeypatch.setattr(imports, "BATCH", 2)
    mapping = load_mapping(path=str(QA_MAPPING))
    rows = qa_rows(date(2026, 3, 2), 2)
    report = import_file(
        write(tmp_path, HEADER + rows + rows),
        mapping,
        accept_good=True,
        rejects_path=tmp_path / "r.csv",
    )
    db.session.commit()
    assert (report.created, report.updated, report.rows_rejected) == (2, 0, 2)
    assert count(db, QAEvaluation) == 2


def test_the_preview_finds_the_unknown_agents_the_import_reports(db, tmp_path, make_user):
    from ramp.metrics.agents import link_agents, unknown_agents

    ana = make_user("agent", email="ana.silva@example.com", name="Ana Silva")
    mapping = load_mapping(preset="zendesk")
    path = FIXTURES / "exports" / "zendesk.csv"

    def reported() -> dict[str, int]:
        with pytest.raises(ImportRefused) as exc:
            import_file(path, mapping)
        db.session.rollback()
        return dict(exc.value.report.unknown_agents)

    def scanned() -> dict[str, int]:
        return {a.identifier: a.rows for a in unknown_agents(path, mapping)}

    assert scanned() == reported() == {"Ana Silva": 3, "Ben Ode": 2, "Cara Diaz": 2}
    link_agents("zendesk", [("Ana Silva", ana)], None)
    db.session.commit()
    assert scanned() == reported() == {"Ben Ode": 2, "Cara Diaz": 2}
    qa = write(tmp_path, HEADER + "R1,Ghost@Example.com,01/03/2026 10:00,80,100,no\n")
    [ghost] = unknown_agents(qa, load_mapping(path=str(QA_MAPPING)))
    assert (ghost.kind, ghost.identifier, ghost.rows, ghost.first_line) == (
        "email",
        "ghost@example.com",
        1,
        2,
    )


MISSPELT = (
    "Review ID,Agent,Reviewed at,Score,Max,Autofail\nR1,ana.silva@example.com,01/03/2026,1,2,no\n"
)


def test_a_missing_column_names_the_near_miss_everywhere(db, tmp_path, agent, runner):
    path = write(tmp_path, MISSPELT)
    for separate in (False, True):
        with pytest.raises(ImportRefused) as exc:
            import_file(path, load_mapping(path=str(QA_MAPPING)), reader_process=separate)
        [problem] = exc.value.report.problems
        assert str(problem) == (
            "line 1: missing column(s): 'Reviewed' (did you mean 'Reviewed at'?), "
            "'Auto-fail' (did you mean 'Autofail'?) "
            "(found: Review ID, Agent, Reviewed at, Score, Max, Autofail)"
        )
        db.session.rollback()
    result = runner.invoke(args=["records", "import", str(path), "--mapping", str(QA_MAPPING)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "'Reviewed' (did you mean 'Reviewed at'?)" in result.output
    assert "'Auto-fail' (did you mean 'Autofail'?)" in result.output
    # Nothing written; the refused command-line import stays in the history as failed.
    assert count(db, QAEvaluation) == 0
    assert [r.status for r in db.session.execute(select(ImportRun)).scalars()] == ["failed"]


def test_a_very_wide_header_is_listed_in_part(db, tmp_path, agent):
    header = ",".join(f"col{i}" for i in range(500))
    with pytest.raises(ImportRefused) as exc:
        import_file(
            write(tmp_path, header + "\n" + "x," * 499 + "x\n"), load_mapping(path=str(QA_MAPPING))
        )
    [problem] = exc.value.report.problems
    assert problem.message.endswith("col48, col49, ... and 450 more)")


CONTACTS_MAPPING = FIXTURES / "mappings" / "contacts-basic.yaml"
TICKETS = "Ticket,Agent,Created,Solved,Handle,CSAT\n"


def ticket(n: int, agent: str, updated: str = "2026-03-01T10:00:00Z", status: str = "open") -> str:
    return f"T{n},{agent},2026-03-01T09:00:00Z,,0:05:00,,{updated},{status}\n"


def history_mapping(tmp_path) -> Path:
    """contacts-basic reading a ticket history: the latest row per ticket, spam left out."""
    text = CONTACTS_MAPPING.read_text() + (
        "latest_per: Ticket\norder_by: Updated\nskip:\n  - {column: Status, equals: spam}\n"
    )
    path = tmp_path / "history.yaml"
    path.write_text(text)
    return path


def test_skip_rules_and_superseded_rows_are_counted_apart(db, tmp_path, agent, runner):
    me = "ana.silva@example.com"
    text = "Ticket,Agent,Created,Solved,Handle,CSAT,Updated,Status\n" + "".join(
        [
            ticket(1, me, "2026-03-01T10:00:00Z"),
            ticket(1, me, "2026-03-01T11:00:00Z"),
            ticket(1, me, "2026-03-01T12:00:00Z"),
            ticket(2, me, "2026-03-01T10:00:00Z"),
            ticket(3, me, status="spam"),
            ticket(4, me, status="Spam"),
            ticket(5, me, status="spam"),
        ]
    )
    path = write(tmp_path, text)
    mapping_path = history_mapping(tmp_path)
    report = import_file(path, load_mapping(path=str(mapping_path)), dry_run=True)
    assert (report.rows_read, report.rows_valid) == (7, 2)
    assert (report.rows_skipped_by_rule, report.rows_superseded, report.rows_skipped) == (3, 2, 5)
    assert report.summary() == (
        "7 rows read, 2 valid, 3 skipped by a skip rule, 2 superseded by a later row of the "
        "same record; dry run: nothing written."
    )
    result = runner.invoke(args=["records", "import", str(path), "--mapping", str(mapping_path)])
    assert result.exit_code == 0, result.output
    assert (
        "3 skipped by a skip rule, 2 superseded by a later row of the same record" in result.output
    )
    run = db.session.execute(select(ImportRun)).scalar_one()
    assert run.rows_skipped == 5
    assert (run.report["rows_skipped_by_rule"], run.report["rows_superseded"]) == (3, 2)


def test_unknown_agents_are_reported_once_each_with_their_row_count(db, tmp_path, agent, runner):
    rows = "".join(
        f"T{i},{who},2026-03-01T09:00:00Z,,0:05:00,\n"
        for i, who in enumerate(
            [
                "ghost@example.com",
                "ana.silva@example.com",
                "zed@example.com",
                "ghost@example.com",
                "ghost@example.com",
                "amy@example.com",
                "zed@example.com",
            ]
        )
    )
    path = write(tmp_path, TICKETS + rows)
    mapping = load_mapping(path=str(CONTACTS_MAPPING))
    with pytest.raises(ImportRefused) as exc:
        import_file(path, mapping)
    report = exc.value.report
    assert report.unknown_agents == [
        ("ghost@example.com", 3),
        ("zed@example.com", 2),
        ("amy@example.com", 1),
    ]
    assert [str(p) for p in report.problems] == [
        "line 2: unknown agent 'ghost@example.com': 3 rows",
        "line 4: unknown agent 'zed@example.com': 2 rows",
        "line 7: unknown agent 'amy@example.com': 1 row",
    ]
    assert (report.rows_rejected, report.problem_count, report.rows_valid) == (6, 3, 1)
    assert "6 with problems (3 problems), 3 unknown agents on 6 rows" in report.summary()
    db.session.rollback()

    # Each row is still rejected on its own, into the rejects file.
    rejects = tmp_path / "rejects.csv"
    report = import_file(path, mapping, accept_good=True, rejects_path=rejects)
    db.session.commit()
    assert report.created == 1 and count(db, Contact) == 1
    import csv

    saved = list(csv.DictReader(rejects.read_text().splitlines()))
    assert [(r["Ticket"], r["ramp_line"]) for r in saved] == [
        ("T0", "2"),
        ("T2", "4"),
        ("T3", "5"),
        ("T4", "6"),
        ("T5", "7"),
        ("T6", "8"),
    ]
    assert saved[0]["ramp_problem"] == (
        "unknown agent 'ghost@example.com': not a ramp user, and not linked to one"
    )

    result = runner.invoke(
        args=["records", "import", str(path), "--mapping", str(CONTACTS_MAPPING)]
    )
    assert result.exit_code == 1
    assert result.output.count("unknown agent 'ghost@example.com'") == 1
    assert "line 2: unknown agent 'ghost@example.com': 3 rows" in result.output
    assert "ghost@example.com (3), zed@example.com (2), amy@example.com (1)" in result.output


def test_unknown_agent_ids_name_their_source(db, tmp_path, make_user):
    from ramp.metrics.models import AgentIdentity

    user = make_user("agent", email="ben@example.com")
    db.session.add(AgentIdentity(source="zendesk", external_id="Ben Ode", user_id=user.id))
    db.session.commit()
    header = "ID,Assignee,Group,Via,Created at,First reply time in minutes,Solved at,Reopens,Satisfaction Score\n"
    rows = "".join(
        f"{i},{who},Billing,Mail,2026-03-01 09:00:00,5,,0,\n"
        for i, who in enumerate(["Ana Silva", "Ben Ode", "Ana Silva", "Cy"], start=1)
    )
    with pytest.raises(ImportRefused) as exc:
        import_file(write(tmp_path, header + rows), load_mapping(preset="zendesk"))
    report = exc.value.report
    assert report.unknown_agents == [("Ana Silva", 2), ("Cy", 1)]
    assert [p.message for p in report.problems] == [
        "unknown agent 'Ana Silva' (zendesk): 2 rows",
        "unknown agent 'Cy' (zendesk): 1 row",
    ]


CALLS_MAPPING = """\
name: phone-calls
title: Phone calls
kind: contacts
source: pbx
timezone: Europe/Berlin
fields:
  external_id: {template: "{VRU}-{Call ID}"}
  created_at: {date: Date, time: Time, format: "%d.%m.%Y %H:%M"}
  handle_seconds: Talk
  agent_email: Agent
"""


def test_a_template_id_and_a_date_with_its_time_are_imported(db, tmp_path, agent):
    from datetime import UTC, datetime

    mapping_path = tmp_path / "calls.yaml"
    mapping_path.write_text(CALLS_MAPPING)
    text = "VRU;Call ID;Date;Time;Talk;Agent\n" + "".join(
        f"vru{v};{n:05d};0{d}.03.2026;23:30;95;ana.silva@example.com\n"
        for v, n, d in ((1, 7, 1), (2, 7, 2), (1, 8, 3))
    )
    path = write(tmp_path, text)
    for separate in (False, True):
        report = import_file(path, load_mapping(path=str(mapping_path)), reader_process=separate)
        assert report.ok and report.rows_valid == 3
        stored = {
            c.external_id: (c.created_at.replace(tzinfo=UTC), c.metric_date)
            for c in db.session.execute(select(Contact)).scalars()
        }
        assert stored == {
            "vru1-00007": (datetime(2026, 3, 1, 22, 30, tzinfo=UTC), date(2026, 3, 1)),
            "vru2-00007": (datetime(2026, 3, 2, 22, 30, tzinfo=UTC), date(2026, 3, 2)),
            "vru1-00008": (datetime(2026, 3, 3, 22, 30, tzinfo=UTC), date(2026, 3, 3)),
        }
        db.session.rollback()
    twice = text + "vru1;00007;04.03.2026;10:00;95;ana.silva@example.com\n"
    with pytest.raises(ImportRefused) as exc:
        import_file(write(tmp_path, twice), load_mapping(path=str(mapping_path)))
    [problem] = exc.value.report.problems
    assert (
        str(problem)
        == "line 5, column {VRU}-{Call ID}: 'vru1-00007' appears more than once in the file"
    )


def test_cells_the_database_cannot_store_are_refused_not_crashed_on(db, tmp_path, runner):
    agent_linked_to_zendesk(db)
    header = "ID,Assignee,Group,Via,Created at,First reply time in minutes,Solved at,Reopens,Satisfaction Score\n"
    rows = (
        "A\x001,Ana Silva,Billing,Mail,2026-03-01 09:00:00,5,,0,\n"
        f"{'7' * 201},Ana Silva,Billing,Mail,2026-03-01 09:00:00,5,,0,\n"
        f"3,Ana Silva,{'G' * 121},Mail,2026-03-01 09:00:00,5,,0,\n"
        "4,Ana Silva,Billing,Mail,2026-03-01 09:00:00,5,,99999999999,\n"
        "5,Ana Silva,Billing,Mail,9999-12-31 23:59:59,5,,0,\n"
        "6,Ana Silva,Billing,Mail,2026-03-01 09:00:00,5,,0,Good\n"
    )
    path = write(tmp_path, header + rows)
    result = runner.invoke(args=["records", "import", str(path), "--preset", "zendesk"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "line 2, column ID: the text holds a NUL character" in result.output
    assert (
        "line 3, column ID: '77777" in result.output
        and "longer than 200 characters" in result.output
    )
    assert (
        "line 4, column Group: " in result.output
        and "longer than 120 characters (queue)" in result.output
    )
    assert "line 5, column Reopens: 99999999999 is too large a number (reopens)" in result.output
    assert (
        "line 6, column Created at: '9999-12-31 23:59:59' is too far in the past" in result.output
    )
    assert "5 with problems" in result.output
    assert count(db, Contact) == 0
    result = runner.invoke(
        args=["records", "import", str(path), "--preset", "zendesk", "--accept-good"]
    )
    assert result.exit_code == 0, result.output
    assert count(db, Contact) == 1
    assert db.session.execute(select(Contact.external_id)).scalar_one() == "6"


def agent_linked_to_zendesk(db) -> int:
    """An agent linked to the name 'Ana Silva' in Zendesk; returns their id."""
    from ramp.accounts.operations import create_user
    from ramp.metrics.models import AgentIdentity

    user = create_user("ana.silva@example.com", "Ana Silva", "correct horse battery", "agent", None)
    db.session.add(AgentIdentity(source="zendesk", external_id="Ana Silva", user_id=user.id))
    db.session.commit()
    return user.id


def test_a_utf16_export_without_a_byte_order_mark_gets_a_clear_message(db, tmp_path, agent):
    path = tmp_path / "utf16.csv"
    path.write_bytes((HEADER + qa_rows(date(2026, 3, 2), 2)).encode("utf-16-le"))
    with pytest.raises(ImportRefused) as exc:
        import_file(path, load_mapping(path=str(QA_MAPPING)))
    assert [str(p) for p in exc.value.report.problems] == [
        "line 1: the file is not valid CSV: its header holds NUL characters: is it UTF-16? "
        "Export it again as CSV UTF-8"
    ]


def test_json_lines_with_half_characters_are_refused_line_by_line(db, tmp_path, make_user):
    from ramp.metrics.models import AgentIdentity

    user = make_user("agent", email="ana.silva@example.com")
    db.session.add(AgentIdentity(source="playvox", external_id="Ana Silva", user_id=user.id))
    db.session.commit()
    good = (
        '{"_id": "e%d", "agent_id": "Ana Silva", "created_at": "2026-03-01T10:00:00Z", "score": 90}'
    )
    lines = [
        good % 1,
        good.replace("Ana Silva", "Ana\\udc00") % 2,
        good.replace('"e%d"', '"e%d\\ud800"') % 3,
        good.replace('"score"', '"sc\\ud83d\\ude00ore"').replace(
            ', "sc', ', "note": "\\ud83d\\ude00", "sc'
        )
        % 4,
    ]
    path = write(tmp_path, "\n".join(lines) + "\n", "reviews.jsonl")
    report = import_file(
        path, load_mapping(preset="playvox"), accept_good=True, rejects_path=tmp_path / "r.csv"
    )
    db.session.commit()
    assert [(p.line, p.message) for p in report.problems] == [
        (2, "not usable JSON: a \\u escape of half a character (a lone surrogate)"),
        (3, "not usable JSON: a \\u escape of half a character (a lone surrogate)"),
    ]
    assert sorted(db.session.execute(select(QAEvaluation.external_id)).scalars()) == ["e1", "e4"]
