"""A manager cannot make another team's agent a hire of theirs; an admin transfers them."""

from html import unescape
from io import BytesIO

import pytest
from sqlalchemy import func, select

from ramp.audit.models import AuditEvent
from ramp.errors import ValidationError
from ramp.milestones.models import Hire, HireEvent
from ramp.milestones.operations import NewHire, add_hires, transfer_hire
from tests.conftest import csrf_token, login

REFUSAL = "is managed by another team; ask an admin to transfer them"


def html_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def count(db, model, **where) -> int:
    """Committed rows only: read on a connection of its own, not the test's session."""
    stmt = select(func.count()).select_from(model)
    for k, v in where.items():
        stmt = stmt.where(getattr(model, k) == v)
    with db.engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


@pytest.fixture
def world(ramp_world):
    w = ramp_world
    w.mine = w.hire(name="Mia Mine")
    w.theirs = w.hire(cohort=w.other_cohort, manager=w.other_lead, name="Theo Theirs")
    w.theirs_email, w.theirs_id, w.theirs_user_id = (
        w.theirs.user.email,
        w.theirs.id,
        w.theirs.user_id,
    )
    w.mine_email, w.mine_user_id = w.mine.user.email, w.mine.user_id
    w.cohort_id, w.team_id, w.lead_id = w.cohort.id, w.cohort.team_id, w.lead.id
    w.theirs_start = w.theirs.start_date
    return w


def _form(world, email, **changes):
    data = {
        "name": "Someone",
        "email": email,
        "start_date": world.start.isoformat(),
        "cohort": world.cohort.id,
        "manager": world.lead.id,
        "queue": "general",
        "channel": "chat",
    }
    data.update(changes)
    return data


def test_form_refuses_another_teams_agent_and_changes_nothing(client, world, db):
    login(client, world.lead.email)
    token = csrf_token(client, "/board/hires/new")
    hires, events = count(db, Hire), count(db, HireEvent)
    response = client.post(
        "/board/hires/new", data={"csrf_token": token, **_form(world, world.theirs_email)}
    )
    assert response.status_code == 422
    html = html_of(response)
    assert f"{world.theirs_email} {REFUSAL}" in html
    assert world.other_lead.name not in html and "Wave B" not in html  # nothing about them
    assert count(db, Hire) == hires and count(db, HireEvent) == events
    # And the agent's page stays closed to this manager.
    assert client.get(f"/board/hires/{world.theirs_id}").status_code == 404


def test_form_same_hire_twice_answers_with_a_message(client, world, db):
    login(client, world.lead.email)
    token = csrf_token(client, "/board/hires/new")
    data = {"csrf_token": token, **_form(world, world.mine_email)}
    hires = count(db, Hire)
    response = client.post("/board/hires/new", data=data)
    assert response.status_code == 422
    assert f"{world.mine_email} is already a hire in Wave A" in html_of(response)
    assert count(db, Hire) == hires


def test_form_accepts_own_teams_agent_in_another_cohort(client, world, db, make_user):
    from ramp.milestones.operations import create_cohort

    second = create_cohort("Wave A2", world.start, world.template, None, world.cohort.team)
    db.session.commit()
    login(client, world.lead.email)
    token = csrf_token(client, "/board/hires/new")
    response = client.post(
        "/board/hires/new",
        data={"csrf_token": token, **_form(world, world.mine_email, cohort=second.id)},
    )
    assert response.status_code == 303
    assert count(db, Hire, user_id=world.mine_user_id) == 2


def test_roster_refuses_another_teams_agent(client, world, db):
    login(client, world.lead.email)
    token = csrf_token(client, "/board/roster")
    csv = (
        "name,email,start_date,manager,cohort\n"
        f"New One,new.one@example.com,{world.start},{world.lead.email},Wave A\n"
        f"Theo,{world.theirs_email},{world.start},{world.lead.email},Wave A\n"
    ).encode()
    hires = count(db, Hire)
    response = client.post(
        "/board/roster",
        data={"csrf_token": token, "roster": (BytesIO(csv), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert f"{world.theirs_email} {REFUSAL}" in html_of(response)
    assert count(db, Hire) == hires  # the good row was not written either


def test_teamless_agent_with_a_hire_elsewhere_is_refused(world, db, make_user):
    agent = make_user("agent")
    hire = world.hire(cohort=world.other_cohort, manager=world.other_lead)
    hire.user.team_id = None
    db.session.commit()
    item = NewHire("X", hire.user.email, world.start, world.lead, world.cohort, {})
    with pytest.raises(ValidationError, match=REFUSAL):
        add_hires([item], world.lead)
    db.session.rollback()
    # A team-less agent with no hire anywhere may be taken on (and joins the cohort's team).
    [created] = add_hires(
        [NewHire("Y", agent.email, world.start, world.lead, world.cohort, {})], world.lead
    )
    assert created.user.team_id == world.cohort.team_id


def test_admin_may_add_anyone(world, db):
    item = NewHire("X", world.theirs_email, world.start, world.lead, world.cohort, {})
    [created] = add_hires([item], world.admin)
    assert created.cohort_id == world.cohort.id


def test_transfer_moves_the_agent_and_is_audited(world, db):
    user = world.theirs.user
    hire = transfer_hire(user.email, world.cohort, world.lead, world.admin, "Moved to chat")
    db.session.commit()
    old = db.session.get(Hire, world.theirs_id)
    assert old.active is False
    new = db.session.get(Hire, hire.id)
    assert new.active and new.cohort_id == world.cohort.id and new.manager_id == world.lead.id
    assert new.user.team_id == world.cohort.team_id
    assert new.start_date == world.theirs_start
    [audit] = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "hire.transfer")
    ).scalars()
    assert audit.subject == f"user:{user.id}" and audit.reason == "Moved to chat"
    assert audit.details["to_cohort"] == "Wave A" and audit.details["from_cohorts"] == ["Wave B"]
    actions = {e.action for e in db.session.execute(select(HireEvent)).scalars()}
    assert "transfer_out" in actions


def test_transfer_is_for_admins_and_needs_a_reason(world, db):
    with pytest.raises(ValidationError, match="Only an admin"):
        transfer_hire(world.theirs_email, world.cohort, world.lead, world.lead, "mine now")
    with pytest.raises(ValidationError, match="reason"):
        transfer_hire(world.theirs_email, world.cohort, world.lead, world.admin, " ")
    with pytest.raises(ValidationError, match="already a hire in Wave A"):
        transfer_hire(world.mine_email, world.cohort, world.lead, world.admin, "again")
    with pytest.raises(ValidationError, match="no one with the e-mail"):
        transfer_hire("nobody@example.com", world.cohort, world.lead, world.admin, "r")
    db.session.rollback()
    assert count(db, AuditEvent, action="hire.transfer") == 0


def test_transfer_page_action(client, world, db):
    login(client, world.admin.email)
    user = world.theirs.user
    token = csrf_token(client, f"/admin/people/{user.id}")
    data = {"csrf_token": token, "cohort": world.cohort.id, "manager": world.lead.id}
    response = client.post(f"/admin/people/{user.id}/transfer", data=data)
    assert response.status_code == 422
    assert "Give a reason" in html_of(response)
    assert count(db, AuditEvent, action="hire.transfer") == 0
    response = client.post(
        f"/admin/people/{user.id}/transfer", data={**data, "reason": "Moved to chat"}
    )
    assert response.status_code == 303
    assert count(db, AuditEvent, action="hire.transfer") == 1
    assert count(db, Hire, user_id=user.id, cohort_id=world.cohort.id, active=True) == 1


def test_transfer_cli(runner, world, db):
    user = world.theirs.user
    result = runner.invoke(
        args=[
            "hires",
            "transfer",
            user.email,
            "--cohort",
            "Wave A",
            "--manager",
            world.lead.email,
            "--reason",
            "Moved to chat",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Wave A" in result.output
    assert count(db, Hire, user_id=user.id, cohort_id=world.cohort.id, active=True) == 1
    assert count(db, AuditEvent, action="hire.transfer") == 1
    result = runner.invoke(
        args=[
            "hires",
            "transfer",
            user.email,
            "--cohort",
            "Nope",
            "--manager",
            world.lead.email,
            "--reason",
            "r",
        ],
    )
    assert result.exit_code == 1 and "no cohort named 'Nope'" in result.output


def test_course_roster_skips_another_teams_agent(world, db):
    from ramp.lti.identity import ensure_hire

    agent = db.session.get(Hire, world.theirs_id).user
    assert ensure_hire(world.cohort, agent) is None
    db.session.commit()
    assert count(db, Hire, user_id=world.theirs_user_id) == 1
    newcomer = world.hire(cohort=world.other_cohort, manager=world.other_lead).user
    newcomer.team_id = world.team_id
    db.session.commit()
    # One of the lead's own team is taken on.
    assert ensure_hire(world.cohort, newcomer) is not None


def test_former_manager_loses_sight_after_a_transfer(client, world, db):
    transfer_hire(world.theirs_email, world.cohort, world.lead, world.admin, "Moved to chat")
    db.session.commit()
    login(client, world.other_lead.email)
    assert client.get(f"/board/hires/{world.theirs_id}").status_code == 404
