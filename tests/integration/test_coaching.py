"""Coaching rules fire set-based on N of the last M evaluations or N within D days, for the
hires in their phases and placement, with a cooldown both ways; the evidence and baseline
are the ones worked out by hand; an overdue refresher raises the hire to at risk; imports
and undos run the rules for the agents they touch."""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from ramp import clock, events
from ramp.accounts.models import utcnow
from ramp.audit.models import AuditEvent
from ramp.coaching.models import COMPLETED, DISMISSED, OPEN, CoachingAssignment
from ramp.coaching.operations import daily, publish_rules_text, run_rules
from ramp.coaching.spec import RulesFileError
from ramp.errors import ValidationError
from ramp.metrics.imports import import_and_update, load_mapping
from ramp.metrics.models import HireWeekMetric, QACategoryScore, QAEvaluation
from ramp.metrics.undo import undo_import
from ramp.milestones.models import Hire, HireEvent
from tests.conftest import FIXTURES, finish_modules

MAPPING = FIXTURES / "mappings" / "qa-categories.yaml"
HEADER = "Review ID,Agent,Reviewed,Score,Max,Empathy,Verification,Resolution,Resolution max\n"
TODAY = date(2026, 3, 18)  # the tests' pinned day


def rules(*bodies: str) -> str:
    return "version: 1\nrules:\n" + "".join(bodies)


EMPATHY = """\
  - key: empathy
    title: Empathy refresher
    when: {category: "tone &  EMPATHY", below: 60, failing: 3, of_last: 4}
    for: {phases: [ramp]}
    assign: {curriculum: mini-onboarding, module: tone, due_in_days: 7, one_to_one: true}
"""
OVERALL_WEEK = """\
  - key: overall-week
    title: A bad week
    when: {overall: qa, below: 50, failing: 2, within_days: 7}
    assign: {curriculum: mini-onboarding, module: tone, lesson: acknowledge, due_in_days: 3}
    measure_over: 2
"""
CRITICAL = """\
  - key: critical
    title: Critical fails
    when: {critical: true, failing: 2, within_days: 14}
    for: {placement: {queue: Billing}}
    assign: {curriculum: mini-onboarding, due_in_days: 5}
"""
AHT = """\
  - key: slow
    title: Slow handling
    when: {metric: aht, above: 600, failing: 2, of_last: 3}
    assign: {curriculum: mini-onboarding, module: basics, due_in_days: 7}
"""


def evaluation(
    hire,
    review: str,
    ago: int,
    percent: float,
    empathy: float | None = None,
    *,
    critical: bool = False,
) -> None:
    """One QA evaluation of the hire's agent `ago` days before today, with its empathy
    category's percent when given."""
    from ramp.extensions import db

    day = clock.today() - timedelta(days=ago)
    e = QAEvaluation(
        source="test",
        external_id=review,
        user_id=hire.user_id,
        evaluated_at=datetime.combine(day, time(12), UTC),
        score=percent,
        max_score=100,
        critical_fail=critical,
        categories=[],
        percent=percent,
        metric_date=day,
    )
    db.session.add(e)
    db.session.flush()
    if empathy is not None:
        db.session.add(
            QACategoryScore(
                evaluation_id=e.id,
                position=0,
                name="Tone & Empathy",
                key="tone & empathy",
                score=empathy / 20,
                max_score=5,
                min_score=0,
                weight=1,
                critical=False,
                not_applicable=False,
                percent=empathy,
            )
        )
    db.session.flush()


def assignments(db, hire=None) -> list[CoachingAssignment]:
    db.session.expire_all()
    query = select(CoachingAssignment).order_by(CoachingAssignment.id)
    if hire is not None:
        query = query.where(CoachingAssignment.hire_id == hire.id)
    return list(db.session.execute(query).scalars())


@pytest.fixture(autouse=True)
def _own_listeners(monkeypatch):
    """The listeners a test adds are gone after it."""
    kept = defaultdict(list, {name: list(heard) for name, heard in events._listeners.items()})
    monkeypatch.setattr(events, "_listeners", kept)


@pytest.fixture
def world(db, ramp_world):
    """Hires 40 days in (phase ramp) and one 5 days in (training)."""
    return ramp_world


def ramp_hire(world, **kw):
    return world.hire(start_date=TODAY - timedelta(days=40), **kw)


def publish(db, *bodies: str):
    version = publish_rules_text(rules(*bodies))
    db.session.commit()
    return version


def test_a_category_rule_fires_on_n_of_the_last_m_with_its_evidence_and_baseline(db, world):
    heard = []
    events.listen("coaching.assigned", lambda **kw: heard.append(kw))
    fires, holds_off, training = ramp_hire(world), ramp_hire(world), world.hire()
    # Newest last: the last four are 40, 40, 80, 40 (three short); the oldest is not read.
    for review, ago, empathy in [
        ("A1", 10, 20),
        ("A2", 8, 40),
        ("A3", 6, 40),
        ("A4", 4, 80),
        ("A5", 2, 40),
    ]:
        evaluation(fires, review, ago, 70, empathy)
    # Two short of the last four: holds off.
    for review, ago, empathy in [("B1", 8, 40), ("B2", 6, 80), ("B3", 4, 40), ("B4", 2, 90)]:
        evaluation(holds_off, review, ago, 70, empathy)
    # Short every time, but in training: out of the rule's phases.
    for review, ago in [("C1", 4), ("C2", 3), ("C3", 2)]:
        evaluation(training, review, ago, 70, 10)
    db.session.commit()
    publish(db, EMPATHY)

    result = run_rules(TODAY)
    db.session.commit()
    assert result.counts == {"empathy": 1}
    [a] = assignments(db)
    assert (a.hire_id, a.user_id, a.rule_key, a.status) == (
        fires.id,
        fires.user_id,
        "empathy",
        OPEN,
    )
    assert a.evidence == [
        {"day": "2026-03-10", "review": "A2", "figure": 40.0, "short": True},
        {"day": "2026-03-12", "review": "A3", "figure": 40.0, "short": True},
        {"day": "2026-03-14", "review": "A4", "figure": 80.0, "short": False},
        {"day": "2026-03-16", "review": "A5", "figure": 40.0, "short": True},
    ]
    # The baseline: the mean over the last measure_over (3) evaluations up to the firing.
    assert a.baseline == pytest.approx((40 + 80 + 40) / 3)
    assert (a.baseline_count, a.measure_over) == (3, 3)
    assert (a.measure_kind, a.measure_key, a.measure_label) == (
        "category",
        "tone & empathy",
        "Tone & Empathy",
    )
    assert a.condition == {"kind": "category", "below": 60, "failing": 3, "of_last": 4}
    assert (a.curriculum_slug, a.module_slug, a.lesson_slug) == ("mini-onboarding", "tone", None)
    assert a.title == "Tone and empathy"  # the module's title
    assert (a.fired_on, a.due_on, a.one_to_one) == (TODAY, TODAY + timedelta(days=7), True)
    assert heard == [{"assignment_id": a.id, "hire_id": fires.id}]
    event = db.session.execute(
        select(HireEvent).where(HireEvent.action == "coaching_assigned")
    ).scalar_one()
    assert (event.hire_id, event.details) == (fires.id, {"rule": "empathy", "assignment_id": a.id})
    assert db.session.get(Hire, fires.id).coaching_due == TODAY + timedelta(days=7)

    # A second run the same day (and the next) opens nothing more: the refresher is open.
    assert run_rules(TODAY).total == 0
    assert run_rules(TODAY + timedelta(days=1)).total == 0
    db.session.commit()
    assert len(assignments(db)) == 1
    assert len(heard) == 1


def test_n_within_days_reads_only_the_window(db, world):
    hire = ramp_hire(world)
    evaluation(hire, "W1", 10, 20)  # short, but outside the last 7 days
    evaluation(hire, "W2", 5, 30)
    evaluation(hire, "W3", 3, 90)
    db.session.commit()
    publish(db, OVERALL_WEEK)
    assert run_rules(TODAY).total == 0  # one short in the window

    evaluation(hire, "W4", 0, 45)
    db.session.commit()
    assert run_rules(TODAY).counts == {"overall-week": 1}
    db.session.commit()
    [a] = assignments(db)
    assert [(e["review"], e["short"]) for e in a.evidence] == [
        ("W2", True),
        ("W3", False),
        ("W4", True),
    ]
    assert a.baseline == pytest.approx((90 + 45) / 2)  # measure_over: 2
    assert a.title == "Acknowledge first"  # the lesson's title
    assert a.measure_label == "QA score"


def test_placement_scope_and_critical_fails(db, world):
    billing, general = ramp_hire(world, queue="billing"), ramp_hire(world, queue="general")
    for hire in (billing, general):
        evaluation(hire, f"{hire.id}-1", 12, 0, critical=True)
        evaluation(hire, f"{hire.id}-2", 9, 88)
        evaluation(hire, f"{hire.id}-3", 1, 0, critical=True)
    db.session.commit()
    publish(db, CRITICAL)
    assert run_rules(TODAY).counts == {"critical": 1}
    db.session.commit()
    [a] = assignments(db)
    assert a.hire_id == billing.id  # matched ignoring case: "Billing" and "billing"
    assert [e["short"] for e in a.evidence] == [True, False, True]
    assert a.title == "Mini onboarding"  # the curriculum's title
    assert a.measure_kind == "critical" and a.measure_key is None


def test_cooldown_open_then_closed(db, world):
    hire = ramp_hire(world)
    for i, ago in enumerate((8, 6, 4)):
        evaluation(hire, f"K{i}", ago, 70, 30)
    db.session.commit()
    publish(db, EMPATHY)
    assert run_rules(TODAY).total == 1
    db.session.commit()

    # Open: more short evaluations open nothing more.
    evaluation(hire, "K3", 1, 70, 30)
    db.session.commit()
    assert run_rules(TODAY).total == 0

    # Completed today: what is dated up to today no longer counts.
    [a] = assignments(db)
    a.status, a.completed_on, a.completed_at = COMPLETED, TODAY, utcnow()
    db.session.commit()
    assert run_rules(TODAY).total == 0
    later = TODAY + timedelta(days=3)
    assert run_rules(later).total == 0

    # Three new short evaluations after the close day: it fires again, on them only.
    evaluation(hire, "N1", -1, 70, 30)
    evaluation(hire, "N2", -2, 70, 30)
    db.session.commit()
    assert run_rules(later).total == 0  # two of them so far
    evaluation(hire, "N3", -3, 70, 30)
    db.session.commit()
    assert run_rules(later).total == 1
    db.session.commit()
    first, second = assignments(db)
    assert first.status == COMPLETED
    assert [e["review"] for e in second.evidence] == ["N1", "N2", "N3"]

    # Dismissed: the same cooldown from the dismissal's day.
    second.status, second.dismissed_at, second.dismiss_reason = DISMISSED, utcnow(), "on leave"
    db.session.commit()
    assert run_rules(later).total == 0


def test_a_metric_rule_reads_completed_weeks_with_enough_data(db, world):
    hire = ramp_hire(world)  # day 40: week 6 under way, weeks 1-5 complete
    for week, value, sample in [
        (2, 900, 12),
        (3, 700, 12),
        (4, 500, 12),
        (5, 650, 3),
        (6, 990, 12),
    ]:
        db.session.add(
            HireWeekMetric(
                hire_id=hire.id,
                metric="aht",
                week=week,
                sample=sample,
                total=value * sample,
                value=value,
            )
        )
    db.session.commit()
    publish(db, AHT)
    # Week 6 is under way and week 5 has 3 records (minimum 10): the last three are 4, 3, 2.
    assert run_rules(TODAY).counts == {"slow": 1}
    db.session.commit()
    [a] = assignments(db)
    start = TODAY - timedelta(days=40)
    assert a.evidence == [
        {
            "day": (start + timedelta(days=7)).isoformat(),
            "review": "week 2",
            "figure": 900.0,
            "short": True,
        },
        {
            "day": (start + timedelta(days=14)).isoformat(),
            "review": "week 3",
            "figure": 700.0,
            "short": True,
        },
        {
            "day": (start + timedelta(days=21)).isoformat(),
            "review": "week 4",
            "figure": 500.0,
            "short": False,
        },
    ]
    assert a.baseline == pytest.approx((900 + 700 + 500) / 3)
    assert (a.measure_kind, a.measure_key, a.condition["above"]) == ("metric", "aht", 600)


def test_an_overdue_refresher_raises_the_hire_to_at_risk_and_back(db, world, clock):
    from ramp.coaching.due import overdue_reason, refresh_due
    from ramp.milestones.operations import evaluate_hires

    hire = world.hire(start_date=TODAY)
    finish_modules(hire.enrollment)  # on pace: only a sign-off, due day 14, outstanding
    evaluation(hire, "O1", 0, 30)
    evaluation(hire, "O2", 0, 40)
    db.session.commit()
    publish(db, OVERALL_WEEK)  # due in 3 days
    run_rules(TODAY)
    evaluate_hires([hire.id], TODAY)
    db.session.commit()
    assert db.session.get(Hire, hire.id).status == "on_track"

    heard = []
    events.listen("coaching.overdue", lambda **kw: heard.append(kw))
    due = TODAY + timedelta(days=3)
    clock.move_to(datetime.combine(due, time(9), UTC))
    assert daily(due).overdue == []  # due today is not yet overdue
    evaluate_hires([hire.id], due)
    db.session.commit()
    assert db.session.get(Hire, hire.id).status == "on_track"

    day_after = due + timedelta(days=1)
    clock.move_to(datetime.combine(day_after, time(9), UTC))
    result = daily(day_after)
    db.session.commit()
    [a] = assignments(db)
    assert result.overdue == [(a.id, hire.id)]
    assert heard == [{"assignment_id": a.id, "hire_id": hire.id}]
    db.session.expire_all()
    raised = db.session.get(Hire, hire.id)
    assert raised.status == "at_risk"
    assert overdue_reason(raised.coaching_due, day_after) == (
        "coaching refresher overdue since Mar 21, 2026"
    )
    # Announced once: the next run says nothing again, and a re-evaluation keeps the raise.
    assert daily(day_after).overdue == []
    evaluate_hires([hire.id], day_after)
    db.session.commit()
    assert db.session.get(Hire, hire.id).status == "at_risk"

    # Completed: the hire goes back to what the milestones say.
    a.status, a.completed_on = COMPLETED, day_after
    refresh_due([hire.id], day_after)
    db.session.commit()
    db.session.expire_all()
    back = db.session.get(Hire, hire.id)
    assert (back.coaching_due, back.status) == (None, "on_track")


def export(tmp_path, name: str, rows: list[tuple]) -> str:
    """Reviews as the test mapping reads them: (id, e-mail, days ago, empathy out of 5)."""
    lines = []
    for review, email, ago, empathy in rows:
        day = (clock.today() - timedelta(days=ago)).strftime("%d/%m/%Y")
        lines.append(f"{review},{email},{day} 12:00,80,100,{empathy},1,5,10\n")
    path = tmp_path / name
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return str(path)


def test_an_import_runs_the_rules_and_an_undo_runs_them_again(db, world, tmp_path):
    mapping = load_mapping(path=str(MAPPING))
    hire, other = ramp_hire(world), ramp_hire(world)
    email = hire.user.email
    # The category must have been imported before a rule can name it.
    import_and_update(
        export(
            tmp_path,
            "a.csv",
            [
                ("R1", email, 6, 1),
                ("R2", email, 5, 1),
                ("R3", email, 4, 1),
                ("X1", other.user.email, 4, 5),
            ],
        ),
        mapping,
    )
    db.session.commit()
    publish(db, EMPATHY)
    # The rescored reviews (now good) and one more: the import runs the rules, none fires.
    second, _ = import_and_update(
        export(
            tmp_path,
            "b.csv",
            [("R1", email, 6, 5), ("R2", email, 5, 5), ("R3", email, 4, 5), ("R4", email, 2, 1)],
        ),
        mapping,
    )
    db.session.commit()
    assert assignments(db) == []
    # Undone: R1-R3 are short again, and the undo runs the rules for the agents it touched.
    undo_import(second.import_run_id, None, "wrong scorecard")
    db.session.commit()
    [a] = assignments(db)
    assert a.hire_id == hire.id
    assert [e["review"] for e in a.evidence] == ["R1", "R2", "R3"]
    # A third import that adds short reviews does not open a second refresher.
    import_and_update(export(tmp_path, "c.csv", [("R5", email, 1, 1)]), mapping)
    db.session.commit()
    assert len(assignments(db)) == 1


def test_an_import_fires_a_rule_for_the_agents_it_touched(db, world, tmp_path):
    mapping = load_mapping(path=str(MAPPING))
    hire = ramp_hire(world)
    email = hire.user.email
    import_and_update(export(tmp_path, "a.csv", [("S1", email, 6, 1)]), mapping)
    db.session.commit()
    publish(db, EMPATHY)
    import_and_update(
        export(tmp_path, "b.csv", [("S2", email, 4, 2), ("S3", email, 2, 1)]), mapping
    )
    db.session.commit()
    [a] = assignments(db)
    assert [(e["review"], e["figure"]) for e in a.evidence] == [
        ("S1", 20.0),
        ("S2", 40.0),
        ("S3", 20.0),
    ]


def test_publishing_refuses_with_the_place_and_audits(db, world):
    with pytest.raises(ValidationError) as refused:
        publish_rules_text(rules(EMPATHY.replace("tone &  EMPATHY", "Courtesy")))
    assert any("rules[0].when.category" in p and "Courtesy" in p for p in refused.value.problems)
    db.session.rollback()
    hire = ramp_hire(world)
    evaluation(hire, "P1", 1, 70, 50)
    db.session.commit()
    version = publish(db, EMPATHY, AHT)
    assert version.number == 1 and [r["key"] for r in version.rules] == ["empathy", "slow"]
    audit = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "coaching.publish")
    ).scalar_one()
    assert audit.subject == "coaching-rules:1"
    bad = rules(EMPATHY.replace("module: tone", "module: nope"))
    with pytest.raises(ValidationError) as refused:
        publish_rules_text(bad)
    assert any("rules[0].assign.module" in p for p in refused.value.problems)
    phase = rules(EMPATHY.replace("[ramp]", "[onboarding]"))
    with pytest.raises(ValidationError) as refused:
        publish_rules_text(phase)
    assert any("rules[0].for.phases[0]" in p for p in refused.value.problems)
    assert (
        db.session.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "coaching.publish")
        ).scalar_one()
        == 1
    )
    assert RulesFileError  # the CLI's refusal type


def test_the_commands_publish_export_and_run(db, world, runner, tmp_path):
    hire = ramp_hire(world)
    for i, ago in enumerate((3, 2, 1)):
        evaluation(hire, f"C{i}", ago, 70, 30)
    db.session.commit()
    bad = tmp_path / "bad.yaml"
    bad.write_text(rules(EMPATHY.replace("failing: 3", "failing: 5")), encoding="utf-8")
    refused = runner.invoke(args=["coaching", "publish", str(bad)])
    assert refused.exit_code == 1
    assert f"{bad}:5:" in refused.output and "rules[0].when.failing" in refused.output
    assert "nothing was published" in refused.output
    good = tmp_path / "good.yaml"
    good.write_text(rules(EMPATHY), encoding="utf-8")
    checked = runner.invoke(args=["coaching", "publish", str(good), "--dry-run"])
    assert checked.exit_code == 0 and "nothing published" in checked.output
    assert runner.invoke(args=["coaching", "export"]).exit_code == 1  # none yet
    published = runner.invoke(args=["coaching", "publish", str(good)])
    assert published.exit_code == 0, published.output
    assert "published coaching rules version 1 (1 rule(s))" in published.output
    assert runner.invoke(args=["coaching", "export"]).output == rules(EMPATHY)
    assert runner.invoke(args=["coaching", "run", "--date", "18/03/2026"]).exit_code == 1
    ran = runner.invoke(args=["coaching", "run", "--date", "2026-03-18"])
    assert ran.exit_code == 0, ran.output
    assert "empathy: 1 assignment(s) opened" in ran.output
    assert "2026-03-18: 1 refresher(s) assigned, 0 newly overdue" in ran.output
    [a] = assignments(db)
    assert (a.hire_id, a.fired_on) == (hire.id, TODAY)
    later = runner.invoke(args=["coaching", "run", "--date", "2026-03-26"])
    assert "0 refresher(s) assigned, 1 newly overdue" in later.output
