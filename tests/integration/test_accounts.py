"""Users and teams: creation rules and who manages whom."""

import pytest

from ramp.accounts.operations import add_to_team, create_team, create_user, manages
from ramp.errors import ValidationError


def test_user_password_is_hashed(db):
    user = create_user("Ana@Example.com", "Ana", "long enough", "agent")
    assert user.email == "ana@example.com"
    assert user.password_hash != "long enough"
    assert user.check_password("long enough") and not user.check_password("wrong")


def test_user_problems_are_all_reported(db, make_user):
    make_user("agent", email="taken@example.com")
    with pytest.raises(ValidationError) as exc:
        create_user("TAKEN@example.com", " ", "short", "boss", "No such team")
    assert exc.value.problems == [
        "a user with e-mail taken@example.com already exists",
        "the name is empty",
        "the password must have at least 8 characters",
        "unknown role 'boss' (agent, manager or admin)",
        "unknown team 'No such team'",
    ]


def test_team_needs_a_manager_not_an_agent(db, make_user):
    agent = make_user("agent")
    with pytest.raises(ValidationError, match="is an agent"):
        create_team("Chat", agent.email)


def test_manages(db, make_user, make_team):
    lead = make_user("manager")
    other_lead = make_user("manager")
    admin = make_user("admin")
    make_team("Chat", lead)
    make_team("Phone", other_lead)
    agent = make_user("agent", team="Chat")
    assert manages(lead, agent)
    assert manages(admin, agent)
    assert not manages(other_lead, agent)
    assert not manages(make_user("agent", team="Chat"), agent)
    add_to_team(agent.email, "Phone")
    assert manages(other_lead, agent) and not manages(lead, agent)
