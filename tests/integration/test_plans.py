"""Ramp plans on the database: hiring, evaluation, actions, placements, rosters."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from ramp.errors import NotAllowed, ValidationError
from ramp.metrics.generator import generate_for_hire, insert_records
from ramp.metrics.weekly import weeks_of
from ramp.milestones import operations
from ramp.milestones.models import Hire, HireEvent, Placement, PlanMilestone
from ramp.milestones.roster import RosterError, parse_roster
from tests.conftest import finish_modules


def count(db, model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for k, v in where.items():
        stmt = stmt.where(getattr(model, k) == v)
    return db.session.execute(stmt).scalar_one()


def latest_event(db, hire) -> HireEvent:
    return db.session.execute(
        select(HireEvent).where(HireEvent.hire_id == hire.id).order_by(HireEvent.id.desc()).limit(1)
    ).scalar_one()


def milestone(hire, key) -> PlanMilestone:
    return next(m for m in hire.milestones if m.key == key)


def finish_module(hire, slug):
    finish_modules(hire.enrollment, slug)


def test_hiring_builds_the_plan(db, ramp_world):
    hire = ramp_world.hire()
    assert [m.key for m in hire.milestones] == [
        "basics-done",
        "classroom",
        "floor-ready",
        "nesting-quality",
    ]
    assert milestone(hire, "classroom").due_date == ramp_world.start + timedelta(days=14)
    assert milestone(hire, "nesting-quality").parent_key == "floor-ready"
    assert hire.enrollment.version_id == ramp_world.cohort.curriculum_version_id
    assert [p.queue for p in hire.placements] == ["general"]
    assert latest_event(db, hire).action == "hired"
    assert hire.phase == "training"
    # Day 5 of 7 with nothing done, and a 3-day warning window: at risk already.
    assert hire.status == "at_risk"
    assert "due in 2 days" in milestone(hire, "basics-done").reason
    assert milestone(hire, "floor-ready").status == "upcoming"


def test_evaluation_records_evidence_and_is_idempotent(any_day, db, ramp_world):
    hire = ramp_world.hire()
    finish_module(hire, "basics")
    db.session.flush()
    today = ramp_world.start + timedelta(days=6)
    assert operations.evaluate_hires([hire.id], today) > 0
    db.session.commit()
    basics = milestone(hire, "basics-done")
    assert basics.status == "achieved" and basics.achieved_on == today
    assert any("1 of 1" in c["summary"] for c in basics.checks)
    before = [(m.status, m.reason, m.checks, m.status_since) for m in hire.milestones]
    assert operations.evaluate_hires([hire.id], today) == 0
    assert operations.evaluate_hires(None, today) == 0
    assert [(m.status, m.reason, m.checks, m.status_since) for m in hire.milestones] == before


def test_statuses_over_time(any_day, db, ramp_world):
    hire = ramp_world.hire()
    start = ramp_world.start
    operations.evaluate_hires([hire.id], start + timedelta(days=5))
    assert milestone(hire, "basics-done").status == "at_risk"  # due in 2 days, warning window 3
    operations.evaluate_hires([hire.id], start + timedelta(days=8))
    assert milestone(hire, "basics-done").status == "missed"
    # Waiting for QA data never fails: past due it is at risk, not missed.
    operations.evaluate_hires([hire.id], start + timedelta(days=30))
    assert milestone(hire, "nesting-quality").status == "at_risk"
    assert "waiting for data" in milestone(hire, "nesting-quality").reason
    assert hire.status == "missed" and hire.phase == "ramp"


def test_sign_off_by_the_manager_counts(db, ramp_world):
    hire = ramp_world.hire()
    for slug in ("basics", "tone", "kb"):
        finish_module(hire, slug)
    operations.sign_off(hire, "classroom", ramp_world.lead, "Ready.")
    db.session.commit()
    classroom = milestone(hire, "classroom")
    assert classroom.status == "achieved"
    assert any(c["criterion"] == "sign_off" and c["met"] for c in classroom.checks)
    event = latest_event(db, hire)
    assert (event.action, event.milestone_key, event.reason, event.actor_id) == (
        "sign_off",
        "classroom",
        "Ready.",
        ramp_world.lead.id,
    )


def test_sign_off_by_someone_who_does_not_manage_the_hire_is_refused(db, ramp_world, make_user):
    hire = ramp_world.hire()
    for intruder in (ramp_world.other_lead, make_user("agent")):
        with pytest.raises(NotAllowed, match="do not manage"):
            operations.sign_off(hire, "classroom", intruder)
    db.session.rollback()
    assert milestone(hire, "classroom").signed_off_on is None
    assert count(db, HireEvent, action="sign_off") == 0
    operations.sign_off(hire, "classroom", ramp_world.admin)  # admins may


def test_sign_off_where_none_is_asked_is_refused(db, ramp_world):
    hire = ramp_world.hire()
    with pytest.raises(ValidationError, match="does not ask for a manager's sign-off"):
        operations.sign_off(hire, "basics-done", ramp_world.lead)


def test_waive_needs_a_reason(db, ramp_world):
    hire = ramp_world.hire()
    for reason in (None, "", "   "):
        with pytest.raises(ValidationError, match="Give a reason"):
            operations.waive(hire, "basics-done", ramp_world.lead, reason)
    db.session.rollback()
    assert not milestone(hire, "basics-done").waived
    operations.waive(
        hire, "basics-done", ramp_world.lead, "Came from our reseller team; knows the basics."
    )
    assert milestone(hire, "basics-done").status == "waived"
    assert latest_event(db, hire).reason.startswith("Came from")


def test_extend_moves_the_due_date_with_a_reason(db, ramp_world):
    hire = ramp_world.hire()
    m = milestone(hire, "basics-done")
    with pytest.raises(ValidationError, match="after the current one"):
        operations.extend(hire, "basics-done", m.due_date, ramp_world.lead, "sick leave")
    with pytest.raises(ValidationError, match="Give a reason"):
        operations.extend(hire, "basics-done", m.due_date + timedelta(days=7), ramp_world.lead, "")
    original = m.due_date
    operations.extend(
        hire, "basics-done", original + timedelta(days=7), ramp_world.lead, "Sick leave, 5 days"
    )
    assert m.due_date == original + timedelta(days=7) and m.original_due_date == original
    assert latest_event(db, hire).details == {
        "from": original.isoformat(),
        "to": (original + timedelta(days=7)).isoformat(),
    }


def test_re_placement_keeps_history_and_answers_placement_on_a_date(db, ramp_world):
    hire = ramp_world.hire()
    start = ramp_world.start
    later = start + timedelta(days=14)
    operations.re_place(
        hire,
        later,
        {"queue": "billing", "channel": "phone", "skills": "refunds, disputes"},
        ramp_world.lead,
        "Nesting on billing",
    )
    db.session.commit()
    assert [p.queue for p in hire.placements] == ["general", "billing"]
    assert operations.placement_on(hire.placements, later - timedelta(days=1)).queue == "general"
    assert operations.placement_on(hire.placements, later).queue == "billing"
    assert operations.placement_on(hire.placements, later).skills == ["refunds", "disputes"]
    assert operations.placement_on(hire.placements, start - timedelta(days=1)) is None
    with pytest.raises(ValidationError) as exc:
        operations.re_place(
            hire, start - timedelta(days=1), {"channel": "fax"}, ramp_world.lead, "x"
        )
    assert "unknown channel 'fax'" in str(exc.value) and "before the hire's start date" in str(
        exc.value
    )
    db.session.rollback()
    assert count(db, Placement, hire_id=hire.id) == 2


def test_a_hire_of_an_agent_with_records_has_weekly_figures_at_once(db, ramp_world, make_user):
    # Records imported before the agent became a hire (or under an earlier hire) count for
    # the new hire now, not from the next import on.
    agent = make_user("agent")
    start = date.today() - timedelta(days=40)  # records from nesting (week 4) on
    contacts, reviews = generate_for_hire(agent.id, start, date.today())
    insert_records(contacts, reviews)
    item = operations.NewHire(
        agent.name, agent.email, start, ramp_world.lead, ramp_world.cohort, {"queue": "general"}
    )
    [hire] = operations.add_hires([item], ramp_world.lead)
    db.session.commit()
    figures = weeks_of([hire.id])[hire.id]
    week_4 = {f.week: f for f in figures["qa_score"]}[4]
    in_week_4 = [
        r["percent"]
        for r in reviews
        if start + timedelta(days=21) <= r["metric_date"] <= start + timedelta(days=27)
    ]
    assert week_4.sample == len(in_week_4) > 0
    assert week_4.value == pytest.approx(sum(in_week_4) / len(in_week_4))
    assert set(figures) >= {"qa_score", "aht", "csat", "resolution_time"}


ROSTER = """name,email,start_date,manager,cohort,queue,channel,skills
Ana Silva,ana.silva@example.com,{start},{lead},Wave A,general,chat,"refunds;billing"
Ben Ode,ben.ode@example.com,{start},{lead},Wave A,general,email,
"""


def test_roster_import(db, ramp_world):
    text = ROSTER.format(start=ramp_world.start.isoformat(), lead=ramp_world.lead.email)
    created = operations.add_hires(parse_roster(text), ramp_world.lead)
    db.session.commit()
    assert sorted(h.user.email for h in created) == ["ana.silva@example.com", "ben.ode@example.com"]
    assert created[0].placements[0].skills == ["refunds", "billing"]


def test_roster_with_semicolons_and_bom(db, ramp_world):
    text = "\ufeff" + ROSTER.format(
        start=ramp_world.start.isoformat(), lead=ramp_world.lead.email
    ).replace(",", ";").replace('"refunds;billing"', "refunds")
    assert len(parse_roster(text)) == 2


def test_bad_roster_lists_every_problem_and_creates_nothing(db, ramp_world):
    ramp_world.hire()  # hire1@example.com in Wave A
    text = (
        "name,email,start_date,manager,cohort,channel\n"
        f"Ana,ana@example.com,2026-13-01,{ramp_world.lead.email},Wave A,chat\n"
        "Ben,ben@example.com,2026-11-02,nobody@example.com,Wave Z,chat\n"
        f"Ana again,ana@example.com,2026-11-02,{ramp_world.lead.email},Wave A,fax\n"
        f"Old,hire1@example.com,2026-11-02,{ramp_world.lead.email},Wave A,chat\n"
    )
    hires_before = count(db, Hire)
    with pytest.raises(RosterError) as exc:
        parse_roster(text)
    lines = [str(p) for p in exc.value.problems]
    assert "line 2, column start_date: '2026-13-01' is not a date (use YYYY-MM-DD)" in lines
    assert "line 3, column manager: unknown manager 'nobody@example.com'" in lines
    assert "line 3, column cohort: unknown cohort 'Wave Z'" in lines
    assert "line 4, column email: ana@example.com appears twice (also line 2)" in lines
    assert "line 4, column channel: unknown channel 'fax' (phone, chat, email or social)" in lines
    assert "line 5, column email: hire1@example.com is already a hire in Wave A" in lines
    assert count(db, Hire) == hires_before


def test_roster_missing_columns(db, ramp_world):
    with pytest.raises(RosterError, match="missing column\\(s\\): manager, cohort"):
        parse_roster("name,email,start_date\nA,a@example.com,2026-01-01\n")


def test_cohort_template_must_fit_the_curriculum(db, ramp_world):
    from ramp.curricula.operations import publish_curriculum
    from ramp.curricula.spec import parse_curriculum

    other = publish_curriculum(
        parse_curriculum(
            "slug: other\ntitle: Other\nmodules:\n  - slug: x\n    title: X\n    lessons:\n      - {slug: y, title: Y, body: z}\n"
        )
    ).version
    with pytest.raises(ValidationError, match="does not have: basics, kb, tone"):
        operations.create_cohort("Wave C", date.today(), ramp_world.template, other)
