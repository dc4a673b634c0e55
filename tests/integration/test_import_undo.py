"""Undoing an import: new records removed, updated ones given back their earlier values,
weekly figures worked out again; refused while a later import holds the records, and twice."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ramp import clock
from ramp.audit.models import AuditEvent
from ramp.errors import ValidationError
from ramp.metrics.imports import ImportRefused, import_and_update, load_mapping
from ramp.metrics.models import (
    Contact,
    HireWeekMetric,
    ImportRun,
    QAEvaluation,
    replaced_qa_evaluations,
)
from ramp.metrics.undo import undo_import, undo_plan
from tests.conftest import FIXTURES

QA_MAPPING = FIXTURES / "mappings" / "qa-basic.yaml"
CONTACTS_MAPPING = FIXTURES / "mappings" / "contacts-basic.yaml"
HEADER = "Review ID,Agent,Reviewed,Score,Max,Auto-fail\n"


def count(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def reviews(tmp_path, name: str, email: str, ids: range, score: int) -> Path:
    day = clock.today() - timedelta(days=1)
    path = tmp_path / name
    path.write_text(
        HEADER
        + "".join(f"R{i},{email},{day.strftime('%d/%m/%Y')} 12:00,{score},100,no\n" for i in ids)
    )
    return path


def percents(db) -> dict[str, float]:
    db.session.expire_all()
    return dict(db.session.execute(select(QAEvaluation.external_id, QAEvaluation.percent)).all())


def qa_week(db, hire_id: int) -> tuple[float, int] | None:
    row = db.session.execute(
        select(HireWeekMetric.value, HireWeekMetric.sample).where(
            HireWeekMetric.hire_id == hire_id, HireWeekMetric.metric == "qa_score"
        )
    ).one_or_none()
    return None if row is None else tuple(row)


def test_undo_the_second_import_then_the_first(db, tmp_path, ramp_world):
    w = ramp_world
    hire = w.hire(name="Ana Silva")
    email = hire.user.email
    mapping = load_mapping(path=str(QA_MAPPING))
    assert count(db, QAEvaluation) == 0 and qa_week(db, hire.id) is None

    first, _ = import_and_update(reviews(tmp_path, "may.csv", email, range(1, 5), 90), mapping)
    db.session.commit()
    assert percents(db) == {"R1": 90.0, "R2": 90.0, "R3": 90.0, "R4": 90.0}
    assert qa_week(db, hire.id) == (90.0, 4)
    assert count(db, replaced_qa_evaluations) == 0  # nothing replaced: new records only

    # The second export has two of the same reviews, rescored, and two new ones.
    second, _ = import_and_update(reviews(tmp_path, "june.csv", email, range(3, 7), 70), mapping)
    db.session.commit()
    assert (second.created, second.updated) == (2, 2)
    assert percents(db) == {"R1": 90.0, "R2": 90.0, "R3": 70.0, "R4": 70.0, "R5": 70.0, "R6": 70.0}
    assert qa_week(db, hire.id) == (pytest.approx((2 * 90 + 4 * 70) / 6), 6)
    assert count(db, replaced_qa_evaluations) == 2  # only the updated records

    # The first run's records were updated since: its undo waits for the second's.
    plan = undo_plan(first.import_run_id)
    assert not plan.possible and [r.id for r in plan.later_runs] == [second.import_run_id]
    with pytest.raises(ValidationError) as refused:
        undo_import(first.import_run_id, w.admin)
    assert f"Undo run {second.import_run_id} first" in str(refused.value)
    db.session.rollback()
    assert count(db, QAEvaluation) == 6

    plan = undo_plan(second.import_run_id)
    assert (plan.removed, plan.restored, plan.agents, plan.possible) == (2, 2, 1, True)
    result = undo_import(second.import_run_id, w.admin, reason="June export was wrong")
    db.session.commit()
    assert (result.removed, result.restored) == (2, 2)
    assert percents(db) == {"R1": 90.0, "R2": 90.0, "R3": 90.0, "R4": 90.0}
    runs = set(db.session.execute(select(QAEvaluation.import_run_id)).scalars())
    assert runs == {first.import_run_id}
    assert qa_week(db, hire.id) == (90.0, 4)
    assert db.session.get(ImportRun, second.import_run_id).status == "undone"
    assert count(db, replaced_qa_evaluations) == 0

    with pytest.raises(ValidationError, match="already undone"):
        undo_import(second.import_run_id, w.admin)
    db.session.rollback()

    undo_import(first.import_run_id, w.admin)
    db.session.commit()
    assert count(db, QAEvaluation) == 0
    assert qa_week(db, hire.id) is None
    undos = select(AuditEvent).where(AuditEvent.action.like("import.%")).order_by(AuditEvent.id)
    events = db.session.execute(undos).scalars().all()
    assert [(e.action, e.subject) for e in events] == [
        ("import.undo", f"import:{second.import_run_id}"),
        ("import.undo", f"import:{first.import_run_id}"),
    ]
    assert events[0].reason == "June export was wrong"
    assert events[0].details["removed"] == 2 and events[0].details["restored"] == 2
    assert events[0].actor_id == w.admin.id


def test_undo_gives_back_every_column_of_an_updated_contact(db, tmp_path, make_user):
    agent = make_user("agent", email="ana.silva@example.com")
    full = load_mapping(path=str(CONTACTS_MAPPING))
    header = "Ticket,Agent,Created,Solved,Handle,CSAT\n"
    path = tmp_path / "first.csv"
    path.write_text(
        header + "T1,ana.silva@example.com,2026-03-01T10:00:00Z,2026-03-01T12:00:00Z,0:05:00,5\n"
    )
    import_and_update(path, full)
    db.session.commit()
    columns = [c for c in Contact.__table__.columns]
    before = dict(db.session.execute(select(*columns)).one()._mapping)
    second = tmp_path / "second.csv"
    second.write_text(
        header + "T1,ana.silva@example.com,2026-03-02T10:00:00Z,2026-03-02T10:30:00Z,0:09:00,2\n"
    )
    again, _ = import_and_update(second, full)
    db.session.commit()
    changed = dict(db.session.execute(select(*columns)).one()._mapping)
    assert changed["handle_seconds"] == 540 and changed["csat_good"] is False
    undo_import(again.import_run_id, None)
    db.session.commit()
    db.session.expire_all()
    assert dict(db.session.execute(select(*columns)).one()._mapping) == before
    assert agent.id == before["user_id"]


def test_a_refused_import_is_kept_as_failed_and_cannot_be_undone(db, tmp_path, make_user):
    make_user("agent", email="ana.silva@example.com")
    mapping = load_mapping(path=str(QA_MAPPING))
    path = reviews(tmp_path, "bad.csv", "ghost@example.com", range(1, 3), 80)
    with pytest.raises(ImportRefused) as exc:
        import_and_update(path, mapping, filename="reviews-march.csv")
    db.session.rollback()  # as every caller does: the failed run stays
    run = db.session.get(ImportRun, exc.value.report.import_run_id)
    assert (run.status, run.filename, run.rows_read, run.rows_rejected) == (
        "failed",
        "reviews-march.csv",
        2,
        2,
    )
    assert "nothing written" in run.error and run.finished_at is not None
    # Both rows name the same unknown agent: one problem, with its row count.
    assert run.error.endswith("First problem: line 2: unknown agent 'ghost@example.com': 2 rows")
    assert count(db, QAEvaluation) == 0 and count(db, ImportRun) == 1
    with pytest.raises(ValidationError, match="nothing to undo"):
        undo_import(run.id, None)


def test_an_import_that_crashes_is_kept_as_failed(db, tmp_path, make_user, monkeypatch):
    import ramp.metrics.weekly as weekly

    make_user("agent", email="ana.silva@example.com")

    def broken(_users, today=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr(weekly, "refresh_weeks", broken)
    path = reviews(tmp_path, "ok.csv", "ana.silva@example.com", range(1, 3), 80)
    with pytest.raises(RuntimeError):
        import_and_update(path, load_mapping(path=str(QA_MAPPING)))
    db.session.rollback()
    run = db.session.execute(select(ImportRun)).scalar_one()
    assert run.status == "failed" and "disk full" in run.error
    assert count(db, QAEvaluation) == 0


def test_undo_restores_in_batches(db, tmp_path, make_user, monkeypatch):
    import ramp.metrics.undo as undo

    monkeypatch.setattr(undo, "RESTORE_BATCH", 2)
    make_user("agent", email="ana.silva@example.com")
    mapping = load_mapping(path=str(QA_MAPPING))
    email = "ana.silva@example.com"
    import_and_update(reviews(tmp_path, "a.csv", email, range(1, 6), 80), mapping)
    second, _ = import_and_update(reviews(tmp_path, "b.csv", email, range(1, 6), 60), mapping)
    db.session.commit()
    assert set(percents(db).values()) == {60.0}
    result = undo_import(second.import_run_id, None)
    db.session.commit()
    assert (result.restored, result.removed) == (5, 0)
    assert percents(db) == {f"R{i}": 80.0 for i in range(1, 6)}
