"""People, teams, tokens and enrollment: one operation per action, each audited, shared by CLI and web."""

import pytest
from sqlalchemy import select

from ramp.accounts import operations as accounts
from ramp.accounts.models import Role
from ramp.audit.models import AuditEvent
from ramp.audit.operations import recent_events
from ramp.curricula.models import Enrollment
from ramp.curricula.operations import enroll_users
from ramp.errors import ValidationError
from ramp.metrics.api import TokenRefused, authenticate, create_token, revoke_token


def actions(db) -> list[str]:
    return [
        e.action for e in db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
    ]


def test_create_user_is_audited_with_its_actor(db, make_user):
    admin = make_user("admin")
    user = accounts.create_user("Ana@Example.com", " Ana ", "long enough", "agent", None, admin)
    [event] = recent_events(limit=1)
    assert (event.action, event.subject, event.actor_id) == (
        "user.create",
        f"user:{user.id}",
        admin.id,
    )
    assert event.details["email"] == "ana@example.com" and event.details["name"] == "Ana"


def test_update_user_changes_role_and_team_and_records_both(db, make_user, make_team):
    admin = make_user("admin")
    make_team("Chat")
    user = make_user("agent")
    accounts.update_user(user, role="manager", team="Chat", actor=admin)
    assert user.role is Role.MANAGER and user.team.name == "Chat"
    [event] = recent_events(limit=1)
    assert event.action == "user.update"
    assert event.details == {
        "role": {"from": "agent", "to": "manager"},
        "team": {"from": None, "to": "Chat"},
    }
    accounts.update_user(user, team="", actor=admin)
    assert user.team is None


def test_update_user_refuses_unknown_team_and_changes_nothing(db, make_user):
    user = make_user("agent")
    before = len(actions(db))
    with pytest.raises(ValidationError) as exc:
        accounts.update_user(user, role="admin", team="Nope")
    assert exc.value.problems == ["unknown team 'Nope'"]
    assert user.role is Role.AGENT and len(actions(db)) == before


def test_admin_cannot_demote_or_deactivate_themselves(db, make_user):
    admin, other = make_user("admin"), make_user("admin")
    with pytest.raises(ValidationError, match="your own role"):
        accounts.update_user(admin, role="agent", actor=admin)
    with pytest.raises(ValidationError, match="your own account"):
        accounts.deactivate_user(admin, admin)
    assert admin.is_admin and admin.is_active_account
    accounts.update_user(admin, role="manager", actor=other)
    assert admin.role is Role.MANAGER


def test_last_active_admin_stays(db, make_user):
    admin, second = make_user("admin"), make_user("admin")
    accounts.deactivate_user(second, admin, reason="left the company")
    with pytest.raises(ValidationError, match="last active admin"):
        accounts.update_user(admin, role="agent")
    with pytest.raises(ValidationError, match="last active admin"):
        accounts.deactivate_user(admin)
    assert admin.is_admin and admin.is_active_account
    accounts.reactivate_user(second, admin)
    accounts.deactivate_user(admin, second)
    assert not admin.is_active_account and not admin.is_active
    assert actions(db)[-3:] == ["user.deactivate", "user.reactivate", "user.deactivate"]


def test_a_team_lead_cannot_become_an_agent(db, make_user, make_team):
    lead = make_user("manager")
    make_team("Chat", lead)
    with pytest.raises(ValidationError, match="leads Chat"):
        accounts.update_user(lead, role="agent")


def test_deactivated_user_keeps_history(db, make_user, mini_version):
    admin, agent = make_user("admin"), make_user("agent")
    enroll_users([agent.email], mini_version, admin)
    accounts.deactivate_user(agent, admin)
    db.session.commit()
    assert db.session.execute(select(Enrollment).where(Enrollment.user_id == agent.id)).scalar_one()
    assert not agent.check_password("x") and not agent.is_active


def test_teams_create_rename_manager_members(db, make_user):
    admin, lead, agent = make_user("admin"), make_user("manager"), make_user("agent")
    team = accounts.create_team("Chat", lead.email, admin)
    accounts.update_team(team, "Chat EMEA", admin.email, admin)
    assert team.name == "Chat EMEA" and team.manager_id == admin.id
    accounts.add_to_team(agent.email, "Chat EMEA", admin)
    assert agent.team_id == team.id
    with pytest.raises(ValidationError, match="is not in"):
        accounts.remove_from_team(lead.email, "Chat EMEA", admin)
    accounts.remove_from_team(agent.email, "Chat EMEA", admin)
    assert agent.team_id is None
    assert actions(db)[-4:] == [
        "team.create",
        "team.update",
        "team.add_member",
        "team.remove_member",
    ]
    [update] = [e for e in recent_events() if e.action == "team.update"]
    assert update.details == {
        "name": {"from": "Chat", "to": "Chat EMEA"},
        "manager": {"from": lead.email, "to": admin.email},
    }


def test_team_refuses_empty_name_duplicate_and_agent_manager(db, make_user, make_team):
    agent = make_user("agent")
    team = make_team("Chat")
    make_team("Phone")
    with pytest.raises(ValidationError) as exc:
        accounts.update_team(team, "Phone", agent.email)
    assert exc.value.problems == [
        "a team named 'Phone' already exists",
        f"{agent.email} is an agent; a team is led by a manager or an admin",
    ]
    with pytest.raises(ValidationError, match="the team name is empty"):
        accounts.create_team("  ")
    assert team.name == "Chat"


def test_enroll_users_refuses_all_when_one_is_unknown(db, make_user, mini_version):
    agent = make_user("agent")
    with pytest.raises(ValidationError) as exc:
        enroll_users([agent.email, "ghost@example.com"], mini_version)
    assert exc.value.problems == ["no user with e-mail ghost@example.com"]
    assert db.session.execute(select(Enrollment)).first() is None
    [enrollment] = enroll_users([agent.email, agent.email], mini_version)
    assert enrollment.user_id == agent.id


def test_revoked_token_no_longer_authenticates(db, make_user):
    admin = make_user("admin")
    token, secret = create_token("QA tool", admin, scopes=["records:write"])
    assert authenticate(secret) is token and token.last_used_at is not None
    revoke_token(token, admin, reason="rotated")
    with pytest.raises(TokenRefused, match="revoked"):
        authenticate(secret)
    with pytest.raises(ValidationError, match="already revoked"):
        revoke_token(token, admin)
    assert actions(db)[-2:] == ["token.create", "token.revoke"]


def test_templates_and_cohorts_are_audited(db, ramp_world):
    from datetime import date

    from ramp.milestones.operations import create_cohort

    cohort = create_cohort("Wave C", date(2026, 4, 6), ramp_world.template, actor=ramp_world.admin)
    [event] = recent_events(limit=1)
    assert (event.action, event.subject, event.actor_id) == (
        "cohort.create",
        f"cohort:{cohort.id}",
        ramp_world.admin.id,
    )
    assert event.details["start_date"] == "2026-04-06" and event.details["team"] is None
    assert "template.publish" in actions(db)


def test_names_too_long_are_refused(db, make_user, make_team):
    user = make_user("agent")
    with pytest.raises(ValidationError, match="longer than 120 characters"):
        accounts.update_user(user, name="x" * 121)
    with pytest.raises(ValidationError, match="the team name is longer than 120"):
        accounts.create_team("t" * 121)
    with pytest.raises(ValidationError, match="longer than 120"):
        create_token("n" * 121, scopes=["hires:read"])


def test_a_team_keeps_its_deactivated_lead_when_renamed(db, make_user):
    admin, lead = make_user("admin"), make_user("manager")
    team = accounts.create_team("Chat", lead.email)
    accounts.deactivate_user(lead, admin)
    accounts.update_team(team, "Chat EMEA", lead.email.upper(), admin)
    assert team.name == "Chat EMEA" and team.manager_id == lead.id
    other = accounts.create_team("Phone")
    with pytest.raises(ValidationError, match="is deactivated"):
        accounts.update_team(other, "Phone", lead.email)
