"""An import stages its rows and writes the records only at the end, all of them or none.

While a file is read, other sessions see nothing of it and (SQLite) can still write; a
process killed while it streams rows into the stage (COPY on PostgreSQL) or after the merge
but before the commit leaves nothing written and no lock behind. An update that moves a
record to another agent brings both agents' figures up to date.
"""

import os
import signal
import sqlite3
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool

from ramp.metrics import imports
from ramp.metrics.imports import import_and_update, load_mapping
from ramp.metrics.models import ImportRun, QAEvaluation
from tests.integration.test_import_undo import QA_MAPPING, reviews

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SQLITE = os.environ.get("RAMP_TEST_DB", "sqlite") == "sqlite"


def stored(url: str) -> tuple[int, int]:
    """(evaluations, import runs) as another connection sees them."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return (
                conn.execute(select(func.count()).select_from(QAEvaluation)).scalar_one(),
                conn.execute(select(func.count()).select_from(ImportRun)).scalar_one(),
            )
    finally:
        engine.dispose()


def test_nothing_is_written_until_the_whole_file_is_read(app, db, make_user, tmp_path, migrated):
    make_user("agent", email="ana.silva@example.com")
    db.session.commit()
    path = reviews(tmp_path, "big.csv", "ana.silva@example.com", range(1, 25_002), 80)
    seen = []

    def progress(stage: str, done: int, total: int | None) -> None:
        if stage != "reading":
            return
        seen.append(stored(migrated))
        if SQLITE:
            # Another writer goes on at once: the import holds no write lock while it reads.
            other = sqlite3.connect(migrated.removeprefix("sqlite:///"), timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("UPDATE users SET name = name WHERE id = 1")
                other.execute("COMMIT")
            finally:
                other.close()

    report, _ = import_and_update(path, load_mapping(path=str(QA_MAPPING)), progress=progress)
    db.session.commit()
    assert len(seen) >= 2  # read in several chunks, nothing visible after any of them
    assert set(seen) == {(0, 0)}
    assert report.created == 25_001
    assert stored(migrated) == (25_001, 1)


def test_a_record_moved_to_another_agent_updates_both(db, make_user, tmp_path):
    ana = make_user("agent", email="ana.silva@example.com")
    bruno = make_user("agent", email="bruno.costa@example.com")
    mapping = load_mapping(path=str(QA_MAPPING))
    import_and_update(reviews(tmp_path, "a.csv", ana.email, range(1, 4), 80), mapping)
    db.session.commit()
    moved = reviews(tmp_path, "b.csv", bruno.email, range(3, 5), 90)
    report, _ = import_and_update(moved, mapping)
    db.session.commit()
    assert (report.created, report.updated) == (1, 1)
    assert report.affected_users == {ana.id, bruno.id}
    owners = dict(db.session.execute(select(QAEvaluation.external_id, QAEvaluation.user_id)).all())
    assert owners == {"R1": ana.id, "R2": ana.id, "R3": bruno.id, "R4": bruno.id}


def test_a_duplicate_in_a_later_batch_is_refused_by_its_line(db, make_user, tmp_path, monkeypatch):
    make_user("agent", email="ana.silva@example.com")
    monkeypatch.setattr(imports, "BATCH", 2)
    path = reviews(tmp_path, "d.csv", "ana.silva@example.com", [1, 2, 3, 1, 4, 3], 80)
    mapping = load_mapping(path=str(QA_MAPPING))
    with pytest.raises(imports.ImportRefused) as refused:
        import_and_update(path, mapping)
    problems = [(p.line, p.message) for p in refused.value.report.problems]
    assert problems == [
        (5, "'R1' appears more than once in the file"),
        (7, "'R3' appears more than once in the file"),
    ]
    report, _ = import_and_update(path, mapping, accept_good=True)
    db.session.commit()
    assert (report.created, report.rows_rejected) == (4, 2)
    assert db.session.execute(select(func.count()).select_from(QAEvaluation)).scalar_one() == 4


# The child imports a file and stops at the moment named, printing it; the test kills it.
CHILD = """
import sys, time
from sqlalchemy.pool import NullPool
from ramp import create_app
from ramp.metrics import imports

moment = sys.argv[1]
if moment == "copying":
    add = imports._Stage.add
    def add_then_stop(self, rows):
        add(self, rows)  # the stage holds rows
        if self.sqlite:
            print("copying", flush=True)
            time.sleep(120)
        cursor = self.connection.connection.dbapi_connection.cursor()
        with cursor.copy(self.copy_sql) as copy:  # and a COPY is left streaming
            copy.set_types(self.copy_types)
            copy.write_row((99_999, *rows[0][2], None))
            print("copying", flush=True)
            time.sleep(120)
    imports._Stage.add = add_then_stop
else:
    merge = imports._Stage.merge
    def merge_then_stop(self, run_id):
        out = merge(self, run_id)
        print("merged", flush=True)
        time.sleep(120)
        return out
    imports._Stage.merge = merge_then_stop
app = create_app({{"TESTING": True, "SQLALCHEMY_DATABASE_URI": {url!r},
                   "SQLALCHEMY_ENGINE_OPTIONS": {{"poolclass": NullPool}}}})
with app.app_context():
    mapping = imports.load_mapping(path={mapping!r})
    imports.import_and_update({path!r}, mapping)
    from ramp.extensions import db
    db.session.commit()
    print("committed", flush=True)
"""


@pytest.mark.parametrize("moment", ["copying", "merged"])
def test_a_process_killed_mid_import_leaves_nothing(db, make_user, tmp_path, migrated, moment):
    make_user("agent", email="ana.silva@example.com")
    db.session.commit()
    path = reviews(tmp_path, "k.csv", "ana.silva@example.com", range(1, 2_001), 80)
    script = CHILD.format(url=migrated, mapping=str(QA_MAPPING), path=str(path))
    env = {**os.environ, "PYTHONPATH": ROOT}
    child = subprocess.Popen(
        [sys.executable, "-c", script, moment], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout.readline().strip() == moment
        os.kill(child.pid, signal.SIGKILL)  # kill -9
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(30)
        child.stdout.close()
    assert stored(migrated) == (0, 0)
    if db.engine.name == "postgresql":
        engine = create_engine(migrated, poolclass=NullPool)
        with engine.connect() as conn:  # the server ended the dead session's transaction
            assert (
                conn.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar() == 0
            )
        engine.dispose()
    report, _ = import_and_update(path, load_mapping(path=str(QA_MAPPING)))
    db.session.commit()
    assert report.created == 2_000
    assert stored(migrated) == (2_000, 1)
