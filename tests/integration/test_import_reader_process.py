"""A large file is read in a second process: the same rows, report and refusals as in one."""

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ramp.metrics import rows as rows_module
from ramp.metrics.imports import ImportRefused, import_file, load_mapping, preset_names
from ramp.metrics.models import Contact, ImportRun, QAEvaluation
from ramp.metrics.rows import Reading, open_chunks
from tests.conftest import FIXTURES
from tests.integration.test_imports import BAD_ROWS, HEADER
from tests.integration.test_presets import sample_agents, sample_for

QA_MAPPING = FIXTURES / "mappings" / "qa-basic.yaml"


@pytest.fixture
def started(monkeypatch):
    """The reading processes started during the test."""
    seen: list[subprocess.Popen] = []
    real = subprocess.Popen

    def spy(*args, **kwargs):
        process = real(*args, **kwargs)
        seen.append(process)
        return process

    monkeypatch.setattr(rows_module.subprocess, "Popen", spy)
    return seen


def failing_program(path: Path) -> str:
    """A program at `path` that exits at once with status 3."""
    path.write_text("#!/bin/sh\nexit 3\n")
    path.chmod(0o755)
    return str(path)


def stored(db, model) -> list[tuple]:
    """Every stored record as a tuple, without its id and import run."""
    columns = [c for c in model.__table__.c if c.name not in ("id", "import_run_id")]
    return sorted(tuple(r) for r in db.session.execute(select(*columns)))


def outcome(report) -> tuple:
    return (
        report.rows_read,
        report.rows_skipped,
        report.rows_valid,
        report.rows_rejected,
        report.created,
        report.updated,
        [str(p) for p in report.problems],
        report.unknown_agents,
    )


def both_ways(db, path, mapping, **options) -> list[tuple]:
    """The import in one process, undone, then in two: (report outcome, stored rows) of each."""
    model = QAEvaluation if mapping.kind == "qa" else Contact
    results = []
    for separate in (False, True):
        try:
            report = import_file(path, mapping, reader_process=separate, **options)
        except ImportRefused as exc:
            report = exc.report
        results.append((outcome(report), stored(db, model)))
        db.session.rollback()
    return results


@pytest.mark.parametrize("preset", preset_names())
def test_every_preset_reads_the_same_in_a_second_process(db, make_user, started, preset):
    mapping = load_mapping(preset=preset)
    path = sample_for(preset)
    sample_agents(db, make_user, mapping, path)
    here, there = both_ways(db, path, mapping)
    assert there == here
    assert here[0][4] > 0 and here[1]  # rows were written
    assert len(started) == 1 and started[0].returncode == 0


def test_bad_rows_and_the_rejects_file_are_the_same(db, tmp_path, make_user, started):
    make_user("agent", email="ana.silva@example.com")
    mapping = load_mapping(path=str(QA_MAPPING))
    path = tmp_path / "bad.csv"
    path.write_text(BAD_ROWS, encoding="utf-8")
    here, there = both_ways(db, path, mapping)
    assert there == here
    assert here[0][3] == 5 and here[0][7] == [("nobody@example.com", 1)]
    assert here[1] == []  # refused: nothing written
    saved = []
    for separate in (False, True):
        rejects = tmp_path / f"rejects-{separate}.csv"
        report = import_file(
            path, mapping, accept_good=True, rejects_path=rejects, reader_process=separate
        )
        assert report.created == 2
        saved.append(rejects.read_text(encoding="utf-8"))
        db.session.rollback()
    assert saved[0] == saved[1]
    assert "nobody@example.com" in saved[1] and "appears more than once" in saved[1]
    assert len(started) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Review ID,Agent\nR1,a@example.com\n", "line 1: missing column(s): 'Reviewed'"),
        (
            "Review ID,Agent,Reviewed,Score,Max,Auto-fail\nR1,caf\xe9,01/03/2026,1,2,no\n".encode(
                "latin-1"
            ),
            "line 1: the file is not UTF-8 text",
        ),
    ],
    ids=["missing columns", "latin-1"],
)
def test_an_unreadable_file_is_refused_the_same(db, tmp_path, started, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ImportRefused) as exc:
        import_file(path, load_mapping(path=str(QA_MAPPING)), reader_process=True)
    assert str(exc.value.report.problems[0]).startswith(message)
    assert len(started) == 1
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(ImportRun)).scalar_one() == 0


def test_files_from_the_configured_size_use_the_second_process(app, db, tmp_path, started):
    path = tmp_path / "small.csv"
    path.write_text(HEADER, encoding="utf-8")
    size = path.stat().st_size
    mapping = load_mapping(path=str(QA_MAPPING))
    for threshold, expected in ((size + 1, 0), (size, 1), (0, 1)):
        app.config["IMPORT_READER_PROCESS_BYTES"] = threshold
        with pytest.raises(ImportRefused) as exc:
            import_file(path, mapping)
        assert "no rows" in str(exc.value.report.problems[0])
        db.session.rollback()
        assert len(started) == expected  # 0: never


def test_a_reading_process_that_dies_stops_the_import_and_writes_nothing(
    db, tmp_path, make_user, monkeypatch
):
    make_user("agent", email="ana.silva@example.com")
    path = tmp_path / "good.csv"
    path.write_text(HEADER + "R1,ana.silva@example.com,01/03/2026 10:00,80,100,no\n")
    monkeypatch.setattr(sys, "executable", failing_program(tmp_path / "python3-broken"))
    with pytest.raises(RuntimeError, match=r"the process reading the file stopped \(exit code 3\)"):
        import_file(path, load_mapping(path=str(QA_MAPPING)), reader_process=True)
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(QAEvaluation)).scalar_one() == 0
    assert db.session.execute(select(func.count()).select_from(ImportRun)).scalar_one() == 0


def test_leaving_early_stops_the_reading_process(app, tmp_path, make_user, started):
    user = make_user("agent", email="ana.silva@example.com")
    path = tmp_path / "big.csv"
    line = "R{},ana.silva@example.com,01/03/2026 10:00,80,100,no\n"
    path.write_text(HEADER + "".join(line.format(i) for i in range(50_000)), encoding="utf-8")
    mapping = load_mapping(path=str(QA_MAPPING))
    reading = Reading(str(path), mapping, {("email", user.email): user.id}, True, False)
    with open_chunks(reading, separate=True) as chunks:
        first = next(chunks)
    assert first.read == 1000 and first.rows[0][0] == 2
    [process] = started
    assert process.returncode is not None  # stopped and waited for, not left running
    with open_chunks(reading, separate=True) as chunks:
        assert sum(c.read for c in chunks) == 50_000
    assert started[1].returncode == 0
    assert Path(path).exists()


def test_under_a_server_that_is_not_python_the_file_is_read_here(
    db, tmp_path, make_user, monkeypatch, started
):
    make_user("agent", email="ana.silva@example.com")
    path = tmp_path / "good.csv"
    path.write_text(HEADER + "R1,ana.silva@example.com,01/03/2026 10:00,80,100,no\n")
    monkeypatch.setattr(sys, "executable", failing_program(tmp_path / "uwsgi"))
    report = import_file(path, load_mapping(path=str(QA_MAPPING)), reader_process=True)
    assert report.created == 1 and started == []


def test_a_quote_left_open_is_placed_on_its_line_either_way(db, tmp_path, make_user):
    make_user("agent", email="ana.silva@example.com")
    good = "R{},ana.silva@example.com,01/03/2026 10:00,80,100,no\n"
    text = HEADER + "".join(good.format(i) for i in range(1500))
    # Line 1502 opens a quote that never closes: the cell runs on past the 16 MiB limit.
    text += 'R1500,"ana.silva@example.com,01/03/2026 10:00,80,100,no\n' + "x" * 60 + "\n"
    path = tmp_path / "open-quote.csv"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        for _ in range(300_000):
            fh.write("y" * 60 + "\n")
    for separate in (False, True):
        with pytest.raises(ImportRefused) as exc:
            import_file(path, load_mapping(path=str(QA_MAPPING)), reader_process=separate)
        assert [str(p) for p in exc.value.report.problems] == [
            "line 1502: the file is not valid CSV: a cell is longer than 16 MiB"
            " (a quote opened and never closed?)"
        ]
        db.session.rollback()
        assert db.session.execute(select(func.count()).select_from(QAEvaluation)).scalar() == 0
