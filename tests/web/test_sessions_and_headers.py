"""HSTS, no-store on private pages and downloads, server-side sign-out, per-account sign-in
limits, and a sign-in page whose framing never comes from its query string."""

from tests.conftest import csrf_token, login, make_app


def test_hsts_only_over_https(migrated):
    plain = make_app(migrated, HTTPS=False).test_client().get("/auth/login")
    assert "Strict-Transport-Security" not in plain.headers
    secure = make_app(migrated, HTTPS=True).test_client().get("/auth/login")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_https_comes_from_the_environment(tmp_path, monkeypatch):
    from ramp.config import build_config

    monkeypatch.setenv("RAMP_HTTPS", "1")
    assert build_config(str(tmp_path))["HTTPS"] is True
    monkeypatch.setenv("RAMP_HTTPS", "0")
    assert build_config(str(tmp_path))["HTTPS"] is False


def test_private_pages_are_never_cached(client, make_user):
    public = client.get("/auth/login")
    assert "no-store" not in public.headers.get("Cache-Control", "")
    agent = make_user("agent")
    login(client, agent.email)
    page = client.get("/", follow_redirects=True)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"


def test_downloads_are_never_cached(migrated):
    app = make_app(migrated)
    app.add_url_rule(
        "/export-probe",
        "export_probe",
        lambda: ("a,b\n", 200, {"Content-Disposition": 'attachment; filename="x.csv"'}),
    )
    answer = app.test_client().get("/export-probe")  # not signed in: still a download
    assert answer.headers["Cache-Control"] == "no-store"


def _cookie(client) -> str:
    return client.get_cookie("session").value


# These tests serve a second app: pytest-flask's pushed context would share flask.g (and
# Flask-Login's cached user) between the requests of the `client` fixture.


def test_a_copied_session_cookie_stops_working_after_sign_out(migrated, make_user):
    app = make_app(migrated)
    client = app.test_client()
    agent = make_user("agent")
    login(client, agent.email)
    copied = _cookie(client)
    assert client.get("/learn/ramp").status_code == 200
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/learn/ramp")})
    thief = app.test_client()
    thief.set_cookie("session", copied)
    answer = thief.get("/learn/ramp")
    assert answer.status_code == 302 and "/auth/login" in answer.headers["Location"]


def test_a_password_change_ends_other_sessions(migrated, make_user, db):
    client = make_app(migrated).test_client()
    agent = make_user("agent")
    login(client, agent.email)
    assert client.get("/learn/ramp").status_code == 200
    agent.set_password("a brand new password 42")
    db.session.commit()
    answer = client.get("/learn/ramp")
    assert answer.status_code == 302 and "/auth/login" in answer.headers["Location"]


def test_deactivation_ends_sessions_for_good(migrated, make_user, db):
    app = make_app(migrated)
    client = app.test_client()
    agent = make_user("agent")
    login(client, agent.email)
    copied = _cookie(client)
    assert client.get("/learn/ramp").status_code == 200
    agent.is_active_account = False
    db.session.commit()
    agent.is_active_account = True  # reactivated: the old session still does not come back
    db.session.commit()
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/learn/ramp").status_code == 302


def test_sign_in_is_limited_per_account_across_addresses(migrated, app, make_user):
    limited = make_app(migrated, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    target = make_user("agent")
    statuses = []
    for n in range(4):
        client = limited.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        statuses.append(login(client, target.email.upper(), "wrong password").status_code)
    assert statuses == [422, 422, 422, 429]
    other = limited.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.99"
    assert login(other, "someone-else@example.com", "wrong").status_code == 422


def test_the_sign_in_page_takes_no_framing_origin_from_its_query(client):
    next_url = "/lti/register?openid_configuration=https%3A%2F%2Fattacker.example%2F.well-known%2Fx"
    page = client.get("/auth/login", query_string={"next": next_url})
    csp = page.headers["Content-Security-Policy"]
    assert "attacker.example" not in csp
    assert "frame-ancestors 'self';" in csp + ";"


def test_the_rate_limit_store_follows_redis(tmp_path, monkeypatch):
    from ramp.config import build_config

    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/0")
    assert build_config(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "redis://cache.internal:6379/0"
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memcached://m:11211")
    assert build_config(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "memcached://m:11211"
    monkeypatch.delenv("RATELIMIT_STORAGE_URI")
    monkeypatch.delenv("REDIS_URL")
    assert build_config(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "memory://"
