"""One import at a time, and a long import never locks learners out (SQLite's single writer).

While an import (or an undo) runs, a second one is refused at once with a message naming
the running one, through every door (the domain, the CLI, the API), and nothing changes.
The lock is dropped by the system when its process dies, so a crashed import blocks nothing.
Pages read while another connection holds SQLite's write lock; a change that cannot wait
that long is answered 503 with a clear message, never a 500.
"""

import os
import signal
import subprocess
import sys
import textwrap
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from ramp.metrics.api import SCOPES, create_token
from ramp.metrics.import_lock import ImportBusy, exclusive_import
from ramp.metrics.imports import import_and_update, load_mapping
from ramp.metrics.models import ImportRun, QAEvaluation
from ramp.metrics.undo import undo_import
from tests.conftest import login
from tests.integration.test_import_undo import QA_MAPPING, reviews

HOLDER = "big-export.csv, lead@example.com, since 09:30 UTC"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def count(db, model) -> int:
    db.session.remove()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@contextmanager
def held_elsewhere(app):
    """The import lock held by another thread (its own file handle or connection)."""
    taken, done = threading.Event(), threading.Event()

    def hold():
        with app.app_context(), exclusive_import(HOLDER):
            taken.set()
            done.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(30)
    try:
        yield
    finally:
        done.set()
        thread.join()


def test_a_second_import_is_refused_through_every_door(app, db, client, make_user, tmp_path):
    admin = make_user("admin")
    make_user("agent", email="ana.silva@example.com")
    _, secret = create_token("QA tool", admin, scopes=list(SCOPES))
    db.session.commit()
    path = reviews(tmp_path, "a.csv", "ana.silva@example.com", range(1, 4), 80)
    mapping = load_mapping(path=str(QA_MAPPING))
    first, _ = import_and_update(path, mapping)
    db.session.commit()
    runs = count(db, ImportRun)
    with held_elsewhere(app):
        with pytest.raises(ImportBusy) as refused:
            import_and_update(path, mapping)
        db.session.rollback()
        assert f"Another import is running ({HOLDER})" in str(refused.value)

        result = app.test_cli_runner().invoke(
            args=["records", "import", str(path), "--mapping", str(QA_MAPPING)]
        )
        assert result.exit_code == 1
        assert f"error: Another import is running ({HOLDER})" in result.output
        assert "Traceback" not in result.output

        record = {
            "external_id": "X1",
            "agent_email": "ana.silva@example.com",
            "score": 1,
            "max_score": 2,
            "evaluated_at": "2026-03-17T12:00:00Z",
        }
        response = client.post(
            "/api/v1/records/qa",
            json={"source": "qa-tool", "records": [record]},
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert response.status_code == 409
        assert response.headers["Retry-After"] == "30"
        assert HOLDER in response.json["problems"][0]
        upload = client.post(
            "/api/v1/imports",
            data={"file": (path.open("rb"), "a.csv"), "mapping": QA_MAPPING.read_text()},
            headers={"Authorization": f"Bearer {secret}"},
            content_type="multipart/form-data",
        )
        assert upload.status_code == 409, upload.json
        assert HOLDER in upload.json["problems"][0]

        with pytest.raises(ImportBusy):
            undo_import(first.import_run_id, None)
        db.session.rollback()
    assert count(db, QAEvaluation) == 3  # nothing written, nothing undone
    assert count(db, ImportRun) == runs  # refused before it started: no run in the history
    # The lock is free again: the next import goes through.
    again, _ = import_and_update(path, mapping)
    db.session.commit()
    assert again.updated == 3


def test_the_lock_is_given_back_when_its_transaction_ends(app, db, make_user, tmp_path):
    make_user("agent", email="ana.silva@example.com")
    path = reviews(tmp_path, "a.csv", "ana.silva@example.com", range(1, 4), 80)
    mapping = load_mapping(path=str(QA_MAPPING))
    import_and_update(path, mapping)
    import_and_update(path, mapping)  # the same transaction holds it: goes on
    db.session.rollback()  # rolled back: given back
    with app.app_context(), exclusive_import("check"):
        pass
    import_and_update(path, mapping, dry_run=True)
    db.session.commit()
    with app.app_context(), exclusive_import("check"):
        pass


def test_a_killed_import_leaves_no_lock_behind(app, db, make_user, tmp_path, migrated):
    make_user("agent", email="ana.silva@example.com")
    db.session.commit()
    script = textwrap.dedent(f"""
        import time
        from sqlalchemy.pool import NullPool
        from ramp import create_app
        from ramp.metrics.import_lock import exclusive_import
        app = create_app({{"TESTING": True, "SQLALCHEMY_DATABASE_URI": {migrated!r},
                           "SQLALCHEMY_ENGINE_OPTIONS": {{"poolclass": NullPool}}}})
        with app.app_context(), exclusive_import({HOLDER!r}):
            print("held", flush=True)
            time.sleep(120)
    """)
    env = {**os.environ, "PYTHONPATH": ROOT}
    holder = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        path = reviews(tmp_path, "a.csv", "ana.silva@example.com", range(1, 4), 80)
        mapping = load_mapping(path=str(QA_MAPPING))
        with pytest.raises(ImportBusy, match=r"big-export\.csv"):
            import_and_update(path, mapping)
        db.session.rollback()
        os.kill(holder.pid, signal.SIGKILL)  # kill -9 mid-import
        holder.wait(30)
        report, _ = import_and_update(path, mapping)
        db.session.commit()
        assert report.created == 3
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(30)
        holder.stdout.close()


@pytest.mark.skipif(
    os.environ.get("RAMP_TEST_DB", "sqlite") != "sqlite",
    reason="SQLite's single write lock; PostgreSQL writers lock rows, not the database",
)
def test_learners_read_while_an_import_holds_the_write_lock(client, db, ramp_world, migrated):
    import sqlite3

    hire = ramp_world.hire(name="Learner During Import")
    enrollment = hire.enrollment
    db.session.commit()
    login(client, hire.user.email)
    lesson = f"/learn/{enrollment.id}/basics/lessons/lifecycle"
    writer = sqlite3.connect(migrated.removeprefix("sqlite:///"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # what a long import's transaction holds
    try:
        # A read that wrote would wait out the busy timeout, then fail.
        assert client.get(lesson).status_code == 200
        assert client.get(f"/learn/{enrollment.id}/").status_code == 200
        page = client.get(lesson).get_data(as_text=True)
        token = page.split('"X-CSRFToken": "')[1].split('"')[0]
        busy = client.post(f"{lesson}/complete", data={"csrf_token": token})
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "30"
        assert "ramp is busy saving a large import" in busy.get_data(as_text=True)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    done = client.post(f"{lesson}/complete", data={"csrf_token": token})
    assert done.status_code == 303
