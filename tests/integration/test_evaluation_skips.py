"""The evaluation skips a hire whose inputs are unchanged since its last evaluation, and
evaluates it again when any one of them changes: each kind of input is changed here on its
own, and the stored result must be the one a full evaluation gives."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from ramp.curricula import operations as learning
from ramp.curricula import queries as cq
from ramp.metrics import models as metric_models
from ramp.metrics.models import Contact, QAEvaluation
from ramp.metrics.operations import publish_targets
from ramp.metrics.targets import dump_targets, load_targets_file
from ramp.milestones import inputs, operations
from ramp.milestones.models import Hire, PlanMilestone
from ramp.milestones.template_spec import load_template_file
from tests.conftest import FIXTURES, finish_modules

STARTER_TARGETS = Path(metric_models.__file__).parent / "starter" / "targets.yaml"
DAY = 22  # the hire's day: nesting (tenure week 4), the nesting QA milestone due on day 28


def stored(db, hire_id: int) -> tuple:
    """Everything the evaluation writes for a hire, as the database holds it."""
    db.session.expire_all()
    hire = db.session.get(Hire, hire_id)
    milestones = db.session.execute(
        select(PlanMilestone).where(PlanMilestone.hire_id == hire_id).order_by(PlanMilestone.id)
    ).scalars()
    return (
        tuple(getattr(hire, name) for name in inputs.HIRE_SUMMARY),
        tuple(
            (m.key, m.status, m.reason, m.checks, m.status_since, m.achieved_on) for m in milestones
        ),
    )


def key_of(db, hire_id: int) -> str | None:
    return db.session.execute(select(Hire.evaluation_key).where(Hire.id == hire_id)).scalar_one()


def assert_as_a_full_evaluation_gives(db, hire_id: int, today) -> None:
    """What is stored is what evaluating with nothing skipped gives."""
    before = stored(db, hire_id)
    db.session.execute(update(Hire).where(Hire.id == hire_id).values(evaluation_key=None))
    assert operations.evaluate_hires([hire_id], today) == 0
    assert stored(db, hire_id) == before


def status(db, hire_id: int, key: str) -> str:
    return db.session.execute(
        select(PlanMilestone.status).where(
            PlanMilestone.hire_id == hire_id, PlanMilestone.key == key
        )
    ).scalar_one()


def qa(hire, n: int, percent: float, today) -> QAEvaluation:
    at = datetime.combine(today - timedelta(days=n % 10), datetime.min.time(), UTC)
    return QAEvaluation(
        source="test",
        external_id=f"Q{hire.id}-{n}",
        user_id=hire.user_id,
        evaluated_at=at,
        score=percent,
        max_score=100,
        percent=percent,
        metric_date=at.date(),
    )


@pytest.fixture
def world(db, ramp_world):
    """A hire on day 22 with 12 QA reviews at 88 %, evaluated once today; returns (world,
    hire, today)."""
    today = ramp_world.start + timedelta(days=DAY)
    hire = ramp_world.hire(start_date=ramp_world.start)
    db.session.add_all([qa(hire, n, 88.0, today) for n in range(12)])
    db.session.commit()
    operations.evaluate_hires([hire.id], today)
    db.session.commit()
    assert status(db, hire.id, "nesting-quality") == "achieved"
    return ramp_world, hire, today


def test_an_unchanged_hire_is_skipped(db, world):
    _, hire, today = world
    key = key_of(db, hire.id)
    assert key is not None
    # Tamper with an output: only the evaluation writes it, so a skipped hire keeps it.
    db.session.execute(
        update(PlanMilestone)
        .where(PlanMilestone.hire_id == hire.id, PlanMilestone.key == "classroom")
        .values(reason="left alone")
    )
    assert operations.evaluate_hires([hire.id], today) == 0
    assert operations.evaluate_hires(None, today) == 0
    assert key_of(db, hire.id) == key
    reason = db.session.execute(
        select(PlanMilestone.reason).where(
            PlanMilestone.hire_id == hire.id, PlanMilestone.key == "classroom"
        )
    ).scalar_one()
    assert reason == "left alone"


def test_a_changed_qa_score_re_evaluates(db, world):
    _, hire, today = world
    # Same records, same count, one value lower: the mean drops below 75.
    db.session.execute(
        update(QAEvaluation).where(QAEvaluation.user_id == hire.user_id).values(percent=60.0)
    )
    operations.evaluate_hires([hire.id], today)
    # Achieved sticks, but the evidence shown is today's.
    assert nesting_quality(db, hire.id)["value"] == 60.0
    assert_as_a_full_evaluation_gives(db, hire.id, today)


def nesting_quality(db, hire_id: int) -> dict:
    checks = db.session.execute(
        select(PlanMilestone.checks).where(
            PlanMilestone.hire_id == hire_id, PlanMilestone.key == "nesting-quality"
        )
    ).scalar_one()
    return checks[0]["figures"]


def test_new_records_re_evaluate(db, ramp_world):
    today = ramp_world.start + timedelta(days=DAY)
    hire = ramp_world.hire(start_date=ramp_world.start)
    operations.evaluate_hires([hire.id], today)
    assert nesting_quality(db, hire.id)["state"] == "waiting"
    db.session.add(qa(hire, 0, 90.0, today))
    db.session.flush()
    assert operations.evaluate_hires([hire.id], today) > 0
    assert nesting_quality(db, hire.id)["sample"] == 1  # 1 of 10 reviews: not enough data
    assert status(db, hire.id, "nesting-quality") == "on_track"
    assert_as_a_full_evaluation_gives(db, hire.id, today)
    db.session.add_all([qa(hire, n, 90.0, today) for n in range(1, 10)])
    db.session.flush()
    assert operations.evaluate_hires([hire.id], today) > 0
    assert status(db, hire.id, "nesting-quality") == "achieved"


def test_a_contact_record_counts_as_an_input(db, world):
    _, hire, today = world
    key = key_of(db, hire.id)
    created = datetime.combine(today, datetime.min.time(), UTC)
    db.session.add(
        Contact(
            source="test",
            external_id="C1",
            user_id=hire.user_id,
            created_at=created,
            metric_date=today,
        )
    )
    db.session.flush()
    operations.evaluate_hires([hire.id], today)
    assert key_of(db, hire.id) != key


def test_lesson_completions_and_passed_checks_re_evaluate(db, world):
    _, hire, today = world
    assert status(db, hire.id, "basics-done") == "missed"
    finish_modules(hire.enrollment, "basics")
    db.session.flush()
    assert operations.evaluate_hires([hire.id], today) > 0
    assert status(db, hire.id, "basics-done") == "achieved"
    progress = db.session.get(Hire, hire.id).progress_percent
    assert progress > 0
    # A lesson alone (no check): progress moves, and the hire is evaluated again.
    tone = next(m for m in cq.load_version(hire.enrollment.version_id).modules if m.slug == "tone")
    lesson = tone.lessons[0]
    learning.complete_lesson(hire.enrollment, lesson)
    db.session.flush()
    operations.evaluate_hires([hire.id], today)
    assert db.session.get(Hire, hire.id).progress_percent > progress
    assert_as_a_full_evaluation_gives(db, hire.id, today)


def test_a_sign_off_a_waiver_and_an_extension_re_evaluate(db, world):
    w, hire, today = world
    operations.sign_off(hire, "floor-ready", w.lead, today=today)
    db.session.commit()
    assert status(db, hire.id, "floor-ready") == "achieved"
    operations.waive(hire, "classroom", w.lead, "Done elsewhere", today=today)
    db.session.commit()
    assert status(db, hire.id, "classroom") == "waived"
    assert status(db, hire.id, "basics-done") == "missed"
    operations.extend(hire, "basics-done", today + timedelta(days=10), w.lead, "Sick", today)
    db.session.commit()
    assert status(db, hire.id, "basics-done") != "missed"
    assert_as_a_full_evaluation_gives(db, hire.id, today)


def test_the_signers_name_is_an_input(db, world):
    w, hire, today = world
    operations.sign_off(hire, "floor-ready", w.lead, today=today)
    db.session.commit()
    w.lead.name = "Renamed Lead"
    db.session.flush()
    operations.evaluate_hires([hire.id], today)
    checks = db.session.execute(
        select(PlanMilestone.checks).where(
            PlanMilestone.hire_id == hire.id, PlanMilestone.key == "floor-ready"
        )
    ).scalar_one()
    assert any("Renamed Lead" in c["summary"] for c in checks)


def test_a_new_placement_re_evaluates(db, world):
    w, hire, today = world
    operations.re_place(hire, today, {"queue": "billing"}, w.lead, "Moved", today)
    db.session.commit()
    assert db.session.get(Hire, hire.id).queue == "billing"
    assert_as_a_full_evaluation_gives(db, hire.id, today)


def test_each_new_day_re_evaluates(db, world):
    _, hire, today = world
    # Day 27: the phase is the same, the day is not; day 28: the due date passes... day 29.
    operations.evaluate_hires([hire.id], today + timedelta(days=5))
    assert status(db, hire.id, "floor-ready") == "at_risk"
    assert db.session.get(Hire, hire.id).phase == "nesting"
    operations.evaluate_hires([hire.id], today + timedelta(days=7))
    assert status(db, hire.id, "floor-ready") == "missed"
    assert db.session.get(Hire, hire.id).phase == "ramp"
    operations.evaluate_hires([hire.id], today)  # and back: the result of that day again
    assert status(db, hire.id, "floor-ready") != "missed"
    assert db.session.get(Hire, hire.id).phase == "nesting"


def test_another_template_version_re_evaluates(db, world):
    w, hire, today = world
    modules = {"basics": True, "tone": True, "kb": False}
    spec = load_template_file(str(FIXTURES / "mini-template.yaml"), modules)
    # A longer warning window: "Ready for the floor", due in 6 days, is now at risk.
    assert status(db, hire.id, "floor-ready") == "on_track"
    wider = operations.publish_template(spec.model_copy(update={"warning_days": 10})).version
    db.session.execute(update(type(w.cohort)).values(template_version_id=wider.id))
    db.session.flush()
    operations.evaluate_hires([hire.id], today)
    assert status(db, hire.id, "floor-ready") == "at_risk"
    assert_as_a_full_evaluation_gives(db, hire.id, today)


def test_published_targets_re_evaluate(db, ramp_world):
    today = ramp_world.start + timedelta(days=DAY)
    hire = ramp_world.hire(start_date=ramp_world.start)
    db.session.add_all([qa(hire, n, 70.0, today) for n in range(12)])
    db.session.flush()
    operations.evaluate_hires([hire.id], today)
    # QA 70 in week 4: short of both the milestone (75) and the shipped target (75).
    assert status(db, hire.id, "nesting-quality") == "at_risk"
    starter = load_targets_file(str(STARTER_TARGETS))
    text = dump_targets(starter).replace("value: 75", "value: 65", 1)
    publish_targets(text)
    db.session.flush()
    operations.evaluate_hires([hire.id], today)
    # Behind the threshold but not behind the pace the team now expects in week 4.
    assert status(db, hire.id, "nesting-quality") == "on_track"
    assert_as_a_full_evaluation_gives(db, hire.id, today)


def test_a_change_of_rules_re_evaluates_everyone(db, world, monkeypatch):
    _, hire, today = world
    key = key_of(db, hire.id)
    monkeypatch.setattr(inputs, "rules_digest", lambda: "the next release")
    operations.evaluate_hires(None, today)
    assert key_of(db, hire.id) not in (None, key)
