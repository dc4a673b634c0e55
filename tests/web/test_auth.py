"""Signing in and out, CSRF, headers, the schema check and the login rate limit."""

from tests.conftest import PASSWORD, csrf_token, login, make_app


def test_login_and_logout(client, make_user):
    user = make_user("agent")
    response = login(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/", follow_redirects=True).request.path == "/learn/"
    token = csrf_token(client, "/learn/")
    response = client.post("/auth/logout", data={"csrf_token": token}, follow_redirects=True)
    assert "You are signed out." in response.get_data(as_text=True)
    assert client.get("/learn/").status_code == 302


def test_wrong_password_says_so(client, make_user):
    user = make_user("agent")
    response = login(client, user.email, "not the password")
    assert response.status_code == 422
    assert "do not match an account" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, make_user):
    user = make_user("agent")
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)


def test_next_only_redirects_within_the_site(client, make_user):
    user = make_user("agent")
    token = csrf_token(client)
    data = {"email": user.email, "password": PASSWORD, "csrf_token": token}
    response = client.post("/auth/login?next=https://evil.example/x", data=data)
    assert response.headers["Location"] == "/"


def test_manager_lands_on_board_and_agent_is_refused_team_page(client, make_user, make_team):
    manager = make_user("manager")
    make_team("Chat", manager)
    agent = make_user("agent", team="Chat")
    login(client, manager.email)
    assert client.get("/", follow_redirects=True).request.path == "/board/"
    page = client.get("/team")
    assert agent.name in page.get_data(as_text=True)
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/team")})
    login(client, agent.email)
    assert client.get("/team").status_code == 403


def test_manager_sees_only_own_team(client, make_user, make_team):
    lead, other = make_user("manager"), make_user("manager")
    make_team("Chat", lead)
    make_team("Phone", other)
    mine = make_user("agent", team="Chat", name="Mine Agent")
    theirs = make_user("agent", team="Phone", name="Theirs Agent")
    login(client, lead.email)
    html = client.get("/team").get_data(as_text=True)
    assert mine.name in html and theirs.name not in html


def test_security_headers(client):
    response = client.get("/auth/login")
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie


def test_unmigrated_database_gets_a_clear_page(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    response = app.test_client().get("/auth/login")
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "The database is not migrated" in html
    assert "ramp db upgrade" in html


def test_login_is_rate_limited(migrated, app, make_user):
    limited = make_app(migrated, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    statuses = [login(client, "nobody@example.com", "wrong password").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]


def test_an_empty_ramp_asks_for_its_first_admin_then_never_again(client, db):
    from sqlalchemy import func, select

    from ramp.accounts.models import Role, User
    from ramp.audit.models import AuditEvent

    assert 'href="/auth/setup"' in client.get("/auth/login").get_data(as_text=True)
    page = client.get("/auth/setup")
    assert page.status_code == 200 and "ramp has no accounts yet" in page.get_data(as_text=True)
    token = csrf_token(client, "/auth/setup")
    short = {"csrf_token": token, "name": "Dana Lee", "email": "dana@acme.test", "password": "x"}
    assert client.post("/auth/setup", data=short).status_code == 422
    db.session.remove()
    assert db.session.execute(select(func.count(User.id))).scalar_one() == 0

    form = {**short, "password": "long enough password"}
    created = client.post("/auth/setup", data=form)
    assert created.status_code == 302 and created.headers["Location"].endswith("/admin/people")
    assert client.get("/admin/people").status_code == 200  # signed in as the new admin
    db.session.remove()
    [admin] = db.session.execute(select(User)).scalars()
    assert (admin.email, admin.role) == ("dana@acme.test", Role.ADMIN)
    assert db.session.execute(
        select(AuditEvent.action).where(AuditEvent.action == "user.first_admin")
    ).scalar_one()

    # Once anyone exists, the page is gone: it only ever sends people to sign in.
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/admin/people")})
    again = client.post("/auth/setup", data={**form, "email": "eve@acme.test"})
    assert again.status_code == 302 and again.headers["Location"].endswith("/auth/login")
    db.session.remove()
    assert db.session.execute(select(func.count(User.id))).scalar_one() == 1
