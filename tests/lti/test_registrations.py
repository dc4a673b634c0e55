"""Registering platforms: the admin page and the CLI; lookups by issuer and client id."""

from sqlalchemy import select

from ramp.audit.models import AuditEvent
from ramp.lti.models import LtiRegistration
from ramp.lti.registrations import find_registration, register_platform
from tests.conftest import csrf_token, login

FIELDS = {
    "name": "Moodle",
    "issuer": "https://moodle.example.com",
    "client_id": "abc123",
    "login_url": "https://moodle.example.com/mod/lti/auth.php",
    "token_url": "https://moodle.example.com/mod/lti/token.php",
    "key_set_url": "https://moodle.example.com/mod/lti/certs.php",
    "deployments": "1\n2, 3",
}


def test_an_admin_registers_a_platform_on_the_page(client, make_user, db):
    admin = make_user("admin")
    admin_id = admin.id
    login(client, admin.email)
    page = client.get("/lti/registrations").get_data(as_text=True)
    assert "http://localhost/lti/login" in page and "http://localhost/lti/jwks" in page
    token = csrf_token(client, "/lti/registrations")
    answer = client.post("/lti/registrations", data=dict(FIELDS, csrf_token=token))
    assert answer.status_code == 303
    db.session.expire_all()
    reg = db.session.execute(select(LtiRegistration)).scalar_one()
    assert [d.deployment_id for d in reg.deployments] == ["1", "2", "3"]
    again = client.post("/lti/registrations", data=dict(FIELDS, csrf_token=token))
    assert again.status_code == 422
    assert "already registered" in again.get_data(as_text=True)
    added = client.post(
        f"/lti/registrations/{reg.id}/deployments",
        data={"csrf_token": token, "deployments": "3, 4"},
    )
    assert added.status_code == 303
    db.session.expire_all()
    reg = db.session.get(LtiRegistration, reg.id)
    assert [d.deployment_id for d in reg.deployments] == ["1", "2", "3", "4"]
    events = db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    assert [(e.action, e.subject, e.actor_id) for e in events if e.action.startswith("lti.")] == [
        ("lti.register", f"lti:{reg.id}", admin_id),
        ("lti.add_deployments", f"lti:{reg.id}", admin_id),
    ]
    assert events[-1].details == {"deployments": ["4"]}


def test_bad_registrations_are_refused_with_reasons(client, make_user):
    login(client, make_user("admin").email)
    token = csrf_token(client, "/lti/registrations")
    answer = client.post(
        "/lti/registrations",
        data=dict(FIELDS, csrf_token=token, token_url="ftp://x", deployments=" , "),
    )
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "token URL must be an http(s) URL" in text


def test_registrations_are_found_by_issuer_and_client_id(app, db):
    base = {k: v for k, v in FIELDS.items() if k not in ("client_id", "deployments")}
    one = register_platform(client_id="one", deployments=["d"], **base)
    two = register_platform(client_id="two", deployments=["d"], **base)
    assert find_registration(FIELDS["issuer"], "one") is one
    assert find_registration(FIELDS["issuer"], "two") is two
    assert find_registration(FIELDS["issuer"], None) is None  # ambiguous without a client id
    assert find_registration("https://other.example", "one") is None


def test_the_cli_registers_lists_and_adds_deployments(runner, db):
    args = [
        "lti",
        "register",
        "--name",
        "Canvas",
        "--issuer",
        "https://canvas.instructure.com",
        "--client-id",
        "10000000000001",
        "--login-url",
        "https://sso.canvaslms.com/api/lti/authorize_redirect",
        "--token-url",
        "https://sso.canvaslms.com/login/oauth2/token",
        "--key-set-url",
        "https://sso.canvaslms.com/api/lti/security/jwks",
        "--deployment",
        "1:abc",
        "--deployment",
        "2:def",
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "2 deployment(s)" in result.output
    assert runner.invoke(args=args).exit_code == 1
    added = runner.invoke(
        args=[
            "lti",
            "add-deployment",
            "--issuer",
            "https://canvas.instructure.com",
            "--client-id",
            "10000000000001",
            "3:ghi",
        ]
    )
    assert added.exit_code == 0 and "added 1" in added.output
    listed = runner.invoke(args=["lti", "list"])
    assert "Canvas" in listed.output and "1:abc, 2:def, 3:ghi" in listed.output
    assert "removed 0" in runner.invoke(args=["lti", "cleanup"]).output


def test_the_client_assertion_names_the_token_audience_when_one_is_set(app, db):
    import jwt

    from ramp.lti.services import client_assertion

    base = {k: v for k, v in FIELDS.items() if k != "deployments"}
    plain = register_platform(deployments=["d"], **base)
    d2l = register_platform(
        **dict(base, client_id="d2l"),
        deployments=["d"],
        token_audience="https://api.brightspace.com/auth/token",
    )
    read = lambda reg: jwt.decode(client_assertion(reg), options={"verify_signature": False})  # noqa: E731
    assert read(plain)["aud"] == FIELDS["token_url"]
    claims = read(d2l)
    assert claims["aud"] == "https://api.brightspace.com/auth/token"
    assert claims["iss"] == claims["sub"] == "d2l" and claims["jti"]


def test_an_admin_sets_lms_origins_and_trusted_emails(client, make_user, db):
    from ramp.lti.registrations import platform_origins

    login(client, make_user("admin").email)
    token = csrf_token(client, "/lti/registrations")
    fields = dict(FIELDS, lms_origins="https://school.moodle.example\nnot-an-origin")
    answer = client.post("/lti/registrations", data=dict(fields, csrf_token=token))
    assert answer.status_code == 422 and "is not an origin like" in answer.get_data(True)
    fields = dict(FIELDS, lms_origins="https://School.Moodle.example/")
    assert client.post("/lti/registrations", data=dict(fields, csrf_token=token)).status_code == 303
    db.session.expire_all()
    reg = db.session.execute(select(LtiRegistration)).scalar_one()
    assert (reg.lms_origins, reg.trust_emails) == (["https://school.moodle.example"], False)
    answer = client.post(
        f"/lti/registrations/{reg.id}/options",
        data={
            "csrf_token": token,
            "lms_origins": "https://a.example, https://b.example",
            "trust_emails": "y",
        },
    )
    assert answer.status_code == 303
    db.session.expire_all()
    reg = db.session.get(LtiRegistration, reg.id)
    assert reg.lms_origins == ["https://a.example", "https://b.example"] and reg.trust_emails
    assert {"https://a.example", "https://b.example"} <= set(platform_origins())
    page = client.get("/lti/registrations").get_data(as_text=True)
    assert "https://a.example" in page and "checked" in page


def test_the_cli_sets_lms_origins_and_trusted_emails(runner, db):
    args = [
        "lti",
        "register",
        "--issuer",
        "https://canvas.instructure.com",
        "--client-id",
        "10000000000001",
        "--login-url",
        "https://sso.canvaslms.com/api/lti/authorize_redirect",
        "--token-url",
        "https://sso.canvaslms.com/login/oauth2/token",
        "--key-set-url",
        "https://sso.canvaslms.com/api/lti/security/jwks",
        "--deployment",
        "1:abc",
        "--lms-origin",
        "https://school.instructure.com",
    ]
    assert runner.invoke(args=args).exit_code == 0
    reg = db.session.execute(select(LtiRegistration)).scalar_one()
    assert reg.lms_origins == ["https://school.instructure.com"] and not reg.trust_emails
    result = runner.invoke(
        args=[
            "lti",
            "options",
            "--issuer",
            "https://canvas.instructure.com",
            "--client-id",
            "10000000000001",
            "--lms-origin",
            "https://other.instructure.com",
            "--trust-emails",
        ]
    )
    assert result.exit_code == 0 and "e-mails trusted" in result.output
    db.session.expire_all()
    reg = db.session.get(LtiRegistration, reg.id)
    assert reg.lms_origins == ["https://other.instructure.com"] and reg.trust_emails
    bad = runner.invoke(
        args=[
            "lti",
            "options",
            "--issuer",
            "https://canvas.instructure.com",
            "--client-id",
            "10000000000001",
            "--lms-origin",
            "ftp://x",
        ]
    )
    assert bad.exit_code == 1 and "not an origin" in bad.output
