"""The CLI's user, team and token commands call the same operations as the admin pages."""

import pytest
from sqlalchemy import func, select

from ramp.accounts.operations import find_user_by_email
from ramp.audit.models import AuditEvent
from ramp.metrics.api import SCOPES, TokenRefused, authenticate
from ramp.metrics.models import ApiToken


def test_users_update_deactivate_reactivate(runner, db, make_user, make_team):
    make_user("admin")
    make_team("Chat")
    agent = make_user("agent", email="ari@example.com")
    out = runner.invoke(
        args=["users", "update", "ari@example.com", "--role", "manager", "--team", "Chat"]
    )
    assert out.exit_code == 0 and "ari@example.com: Agent 2, manager, Chat" in out.output, (
        out.output
    )
    out = runner.invoke(args=["users", "update", "ari@example.com", "--team", "Nope"])
    assert out.exit_code == 1 and "unknown team 'Nope'" in out.output
    out = runner.invoke(args=["users", "deactivate", "ari@example.com", "--reason", "left"])
    assert out.exit_code == 0 and "can no longer sign in" in out.output
    assert "(deactivated)" in runner.invoke(args=["users", "list"]).output
    db.session.remove()
    assert not find_user_by_email("ari@example.com").is_active
    out = runner.invoke(args=["users", "deactivate", "ari@example.com"])
    assert out.exit_code == 1 and "already deactivated" in out.output
    assert runner.invoke(args=["users", "reactivate", "ari@example.com"]).exit_code == 0
    db.session.remove()
    events = db.session.execute(
        select(AuditEvent.action)
        .where(AuditEvent.subject == f"user:{agent.id}")
        .order_by(AuditEvent.id)
    ).scalars()
    assert list(events) == ["user.create", "user.update", "user.deactivate", "user.reactivate"]


def test_last_admin_cannot_be_deactivated_from_the_cli(runner, db, make_user):
    make_user("admin", email="boss@example.com")
    out = runner.invoke(args=["users", "deactivate", "boss@example.com"])
    assert out.exit_code == 1 and "last active admin" in out.output
    db.session.remove()
    assert find_user_by_email("boss@example.com").is_active


def test_teams_update_and_remove(runner, db, make_user, make_team):
    lead = make_user("manager", email="lead@example.com")
    make_team("Chat")
    make_user("agent", team="Chat", email="a@example.com")
    out = runner.invoke(
        args=["teams", "update", "Chat", "--name", "Chat EMEA", "--manager", lead.email]
    )
    assert out.exit_code == 0 and "team Chat EMEA, led by lead@example.com" in out.output
    out = runner.invoke(args=["teams", "remove", "Chat EMEA", "a@example.com"])
    assert out.exit_code == 0, out.output
    db.session.remove()
    assert find_user_by_email("a@example.com").team is None


def test_tokens_create_list_revoke(runner, db, make_user):
    make_user("admin", email="dana@example.com")
    out = runner.invoke(
        args=[
            "tokens",
            "create",
            "QA tool",
            "--scope",
            "records:write",
            "--scope",
            "hires:read",
            "--expires",
            "2027-06-30",
            "--owner",
            "dana@example.com",
        ]
    )
    assert out.exit_code == 0, out.output
    assert "(records:write, hires:read, until 2027-06-30)" in out.output
    secret = out.output.split(": ", 1)[1].split()[0]
    token_id = out.output.split()[1]
    listing = runner.invoke(args=["tokens", "list"]).output
    assert "QA tool" in listing and "live" in listing and "never used" in listing
    assert "dana@example.com" in listing and "2027-06-30" in listing
    assert "records:write hires:read" in listing
    db.session.remove()
    assert authenticate(secret).scope_list == ["records:write", "hires:read"]
    db.session.commit()
    out = runner.invoke(args=["tokens", "revoke", token_id, "--reason", "rotated"])
    assert out.exit_code == 0 and f"revoked token {token_id} (QA tool)" in out.output
    assert "revoked" in runner.invoke(args=["tokens", "list"]).output
    db.session.remove()
    with pytest.raises(TokenRefused, match="revoked"):
        authenticate(secret)
    out = runner.invoke(args=["tokens", "revoke", "999"])
    assert out.exit_code == 1 and "no API token has the id 999" in out.output


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "Choose at least one scope"),
        (
            ["--scope", "records:write", "--scope", "admin"],
            f"Unknown scope 'admin': the scopes are {', '.join(SCOPES)}",
        ),
        (["--scope", "hires:read", "--expires", "next year"], "is not a date like 2027-06-30"),
        (["--scope", "hires:read", "--expires", "2026-01-01"], "is not after today"),
    ],
)
def test_tokens_create_refuses_missing_or_unknown_scopes(runner, db, args, message):
    out = runner.invoke(args=["tokens", "create", "QA tool", *args])
    assert out.exit_code == 1 and message in out.output
    db.session.remove()
    assert db.session.execute(select(func.count()).select_from(ApiToken)).scalar_one() == 0
