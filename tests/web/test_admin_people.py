"""Admins manage people and teams in the browser: the same rules as the CLI, each change audited."""

from html import unescape

from flask import g
from sqlalchemy import func, select

from ramp.accounts.models import Role, Team, User
from ramp.audit.models import AuditEvent
from tests.conftest import csrf_token, login


def end_session(db) -> None:
    """Drop the test's session, and the signed-in user cached in `g` with it (pytest-flask
    keeps one application context, so `g` outlives each request)."""
    db.session.remove()
    g.pop("_login_user", None)


def count(db, model) -> int:
    end_session(db)
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def fresh(db, model, id_):
    end_session(db)
    return db.session.get(model, id_)


def test_people_page_lists_everyone(client, make_user, make_team, as_user):
    admin = make_user("admin", name="Dana Admin")
    make_team("Chat")
    make_user("agent", team="Chat", name="Ari Ng", email="ari@example.com")
    page = text(as_user(admin).get("/admin/people"))
    assert "Ari Ng" in page and "ari@example.com" in page and "Chat" in page
    assert '<label for="password">Initial password</label>' in page


def test_create_person_with_a_generated_password_shown_once(
    client, db, make_user, make_team, as_user
):
    admin = make_user("admin")
    make_team("Chat")
    as_user(admin)
    token = csrf_token(client, "/admin/people")
    response = client.post(
        "/admin/people",
        data={
            "csrf_token": token,
            "name": "Ari Ng",
            "email": "Ari@Example.com",
            "role": "agent",
            "team": "Chat",
            "password": "",
        },
    )
    page = text(response)
    assert response.status_code == 200 and "shown only this once" in page
    password = page.split('id="generated-password">')[1].split("</code>")[0]
    assert len(password) >= 12
    assert password not in text(client.get("/admin/people"))
    end_session(db)
    user = db.session.execute(select(User).where(User.email == "ari@example.com")).scalar_one()
    assert user.team.name == "Chat" and user.role is Role.AGENT and user.check_password(password)
    event = (
        db.session.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "user.create")
            .order_by(AuditEvent.id.desc())
        )
        .scalars()
        .first()
    )
    assert event.actor_id == admin.id and event.subject == f"user:{user.id}"
    client.post("/auth/logout", data={"csrf_token": token})
    assert login(client, "ari@example.com", password).status_code == 302


def test_create_person_refuses_bad_fields_and_changes_nothing(client, db, make_user, as_user):
    admin = make_user("admin", email="boss@example.com")
    as_user(admin)
    token = csrf_token(client, "/admin/people")
    before = count(db, User), count(db, AuditEvent)
    response = client.post(
        "/admin/people",
        data={
            "csrf_token": token,
            "name": "Boss Two",
            "email": "Boss@example.com",
            "role": "agent",
            "team": "Nope",
            "password": "short",
        },
    )
    page = text(response)
    assert response.status_code == 422
    assert "A user with e-mail boss@example.com already exists" in page
    assert "Unknown team 'Nope'" in page and "at least 8 characters" in page
    assert (count(db, User), count(db, AuditEvent)) == before
    response = client.post(
        "/admin/people",
        data={"csrf_token": token, "name": "  ", "email": "x@example.com", "role": "agent"},
    )
    assert response.status_code == 422 and "Give the person's name." in text(response)
    response = client.post(
        "/admin/people",
        data={"csrf_token": token, "name": "X", "email": "x@example.com", "role": "boss"},
    )
    assert response.status_code == 422 and "Not a valid choice" in text(response)
    assert count(db, User) == before[0]


def test_edit_role_and_team(client, db, make_user, make_team, as_user):
    admin = make_user("admin")
    make_team("Chat")
    agent = make_user("agent")
    as_user(admin)
    token = csrf_token(client, f"/admin/people/{agent.id}")
    response = client.post(
        f"/admin/people/{agent.id}",
        data={"csrf_token": token, "name": "Ari Ng", "role": "manager", "team": "Chat"},
    )
    assert response.status_code == 303
    user = fresh(db, User, agent.id)
    assert (user.name, user.role, user.team.name) == ("Ari Ng", Role.MANAGER, "Chat")
    page = text(client.get(f"/admin/people/{agent.id}"))
    assert "user.update" in page and "agent → manager" in page
    response = client.post(
        f"/admin/people/{agent.id}",
        data={"csrf_token": token, "name": "Ari Ng", "role": "manager", "team": "Ghosts"},
    )
    assert response.status_code == 422 and "Unknown team 'Ghosts'" in text(response)
    assert fresh(db, User, agent.id).team.name == "Chat"


def test_admin_cannot_demote_or_deactivate_themselves(client, db, make_user, as_user):
    admin = make_user("admin")
    make_user("admin")
    as_user(admin)
    token = csrf_token(client, f"/admin/people/{admin.id}")
    response = client.post(
        f"/admin/people/{admin.id}",
        data={"csrf_token": token, "name": admin.name, "role": "agent", "team": ""},
    )
    assert response.status_code == 422 and "You cannot change your own role" in text(response)
    response = client.post(f"/admin/people/{admin.id}/deactivate", data={"csrf_token": token})
    assert response.status_code == 422 and "You cannot deactivate your own account" in text(
        response
    )
    user = fresh(db, User, admin.id)
    assert user.is_admin and user.is_active_account


def test_last_active_admin_cannot_be_removed(client, db, make_user, as_user):
    admin, other = make_user("admin"), make_user("admin")
    as_user(admin)
    token = csrf_token(client, f"/admin/people/{other.id}")
    assert (
        client.post(f"/admin/people/{other.id}/deactivate", data={"csrf_token": token}).status_code
        == 303
    )
    # `admin` is now the last active admin; another session of theirs is refused as themselves,
    # and a manager-level edit of them by anyone would leave no admin.
    from ramp.accounts.operations import update_user
    from ramp.errors import ValidationError

    try:
        update_user(fresh(db, User, admin.id), role="manager")
    except ValidationError as exc:
        assert "last active admin" in exc.problems[0]
    else:
        raise AssertionError("the last admin was demoted")


def test_deactivated_person_is_signed_out_and_cannot_sign_in(client, db, make_user, as_user):
    admin, agent = make_user("admin"), make_user("agent")
    agent_id, email = agent.id, agent.email
    as_user(agent)
    assert client.get("/learn/").status_code == 200
    from ramp.accounts.operations import deactivate_user, reactivate_user

    deactivate_user(agent, admin, reason="Left")
    db.session.commit()
    end_session(db)
    assert client.get("/learn/").status_code == 302  # the open session ends
    assert login(client, email).status_code == 422
    g.pop("_login_user", None)
    user = fresh(db, User, agent_id)
    assert user.check_password("correct horse battery")  # the account and its data stay
    reactivate_user(user, None)
    db.session.commit()
    end_session(db)
    client.delete_cookie("session")  # a new visitor: the sign-in form accepts them again
    g.pop("csrf_token", None)
    assert login(client, email).status_code == 302


def test_deactivate_and_reactivate_in_the_browser(client, db, make_user, as_user):
    admin, agent = make_user("admin"), make_user("agent")
    agent_id = agent.id
    as_user(admin)
    token = csrf_token(client, f"/admin/people/{agent_id}")
    response = client.post(
        f"/admin/people/{agent_id}/deactivate", data={"csrf_token": token, "reason": "Left"}
    )
    assert response.status_code == 303
    assert fresh(db, User, agent_id).is_active_account is False
    page = text(client.get(f"/admin/people/{agent_id}"))
    assert "user.deactivate" in page and "Left" in page and "Reactivate" in page
    assert "No, deactivated" in text(client.get("/admin/people"))
    response = client.post(f"/admin/people/{agent_id}/reactivate", data={"csrf_token": token})
    assert response.status_code == 303
    assert fresh(db, User, agent_id).is_active_account is True


def test_teams_create_rename_manager_members(client, db, make_user, as_user):
    admin = make_user("admin")
    lead = make_user("manager", name="Lee Lead")
    agent = make_user("agent", name="Ari Ng")
    as_user(admin)
    token = csrf_token(client, "/admin/teams")
    response = client.post(
        "/admin/teams", data={"csrf_token": token, "name": "Chat", "manager": lead.email}
    )
    assert response.status_code == 303
    team_id = int(response.headers["Location"].rsplit("/", 1)[1])
    response = client.post(
        f"/admin/teams/{team_id}", data={"csrf_token": token, "name": "Chat EMEA", "manager": ""}
    )
    assert response.status_code == 303
    response = client.post(
        f"/admin/teams/{team_id}/members", data={"csrf_token": token, "email": agent.email}
    )
    assert response.status_code == 303
    team = fresh(db, Team, team_id)
    assert (
        team.name == "Chat EMEA"
        and team.manager is None
        and [m.name for m in team.members] == ["Ari Ng"]
    )
    assert "Remove Ari Ng" in text(client.get(f"/admin/teams/{team_id}"))
    response = client.post(
        f"/admin/teams/{team_id}/members/{agent.id}/remove", data={"csrf_token": token}
    )
    assert response.status_code == 303
    assert fresh(db, User, agent.id).team_id is None
    actions = list(
        db.session.execute(
            select(AuditEvent.action)
            .where(AuditEvent.subject == f"team:{team_id}")
            .order_by(AuditEvent.id)
        ).scalars()
    )
    assert actions == ["team.create", "team.update", "team.add_member", "team.remove_member"]


def test_team_forms_refuse_bad_fields(client, db, make_user, make_team, as_user):
    admin, agent = make_user("admin"), make_user("agent")
    team = make_team("Chat")
    make_team("Phone")
    agent_email, team_id = agent.email, team.id
    as_user(admin)
    token = csrf_token(client, "/admin/teams")
    before = count(db, AuditEvent)
    response = client.post("/admin/teams", data={"csrf_token": token, "name": "", "manager": ""})
    assert response.status_code == 422 and "Give the team a name." in text(response)
    response = client.post(
        "/admin/teams", data={"csrf_token": token, "name": "Phone", "manager": agent_email}
    )
    page = text(response)
    assert response.status_code == 422 and "A team named 'Phone' already exists" in page
    assert "is an agent; a team is led by a manager or an admin" in page
    response = client.post(f"/admin/teams/{team_id}", data={"csrf_token": token, "name": "Phone"})
    assert response.status_code == 422 and fresh(db, Team, team_id).name == "Chat"
    response = client.post(
        f"/admin/teams/{team_id}/members", data={"csrf_token": token, "email": "ghost@example.com"}
    )
    assert response.status_code == 422 and "No user with e-mail ghost@example.com" in text(response)
    assert count(db, AuditEvent) == before


def test_managers_and_agents_cannot_post_to_admin_forms(client, db, make_user, make_team, as_user):
    make_team("Chat")
    manager = make_user("manager")
    as_user(manager)
    token = csrf_token(client, "/learn/ramp")
    before = count(db, User), count(db, Team), count(db, AuditEvent)
    forms = {
        "/admin/people": {
            "name": "X",
            "email": "x@example.com",
            "role": "admin",
            "password": "long enough",
        },
        "/admin/teams": {"name": "Mine", "manager": ""},
        "/admin/tokens": {"name": "Mine"},
        "/admin/curricula": {"document": "slug: x"},
        "/admin/curricula/enroll": {"version": "1", "people": ["x@example.com"]},
        "/admin/targets": {"document": "name: x"},
    }
    for path, data in forms.items():
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403, path
    assert (count(db, User), count(db, Team), count(db, AuditEvent)) == before
