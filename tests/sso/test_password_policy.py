"""The local-password policy: passwords for everyone, for no one, or for one break-glass
admin; the sign-in page and POST /auth/login follow it, and admins set it."""

from __future__ import annotations

from sqlalchemy import select

from ramp.audit.models import AuditEvent
from ramp.sso.policy import BREAK_GLASS, OFF, password_policy, set_password_policy
from tests.conftest import PASSWORD, csrf_token


def _post_login(client, email: str, password: str = PASSWORD):
    token = csrf_token(client)
    return client.post(
        "/auth/login", data={"csrf_token": token, "email": email, "password": password}
    )


def test_passwords_sign_in_by_default_and_the_page_offers_providers(client, make_user, make_oidc):
    make_oidc(name="Okta")
    user = make_user("agent")
    page = client.get("/auth/login").get_data(as_text=True)
    assert "Sign in with Okta" in page and 'name="password"' in page
    assert _post_login(client, user.email).status_code == 302


def test_sso_only_refuses_every_password(client, db, make_user, make_oidc):
    make_oidc(name="Okta")
    admin = make_user("admin")
    set_password_policy(OFF, None, admin)
    db.session.commit()
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'name="password"' not in page and "Sign in with Okta" in page
    assert "switched off" in page
    refused = _post_login(client, admin.email)
    assert refused.status_code == 403
    assert client.get("/auth/language").status_code == 302  # still signed out


def test_break_glass_lets_one_admin_in_and_no_one_else(client, db, make_user, make_oidc):
    make_oidc(name="Okta")
    keeper = make_user("admin", email="keeper@example.com")
    other_admin = make_user("admin", email="other@example.com")
    agent = make_user("agent")
    set_password_policy(BREAK_GLASS, "keeper@example.com", keeper)
    db.session.commit()
    page = client.get("/auth/login").get_data(as_text=True)
    assert "break-glass" in page and 'name="password"' in page
    for refused in (other_admin, agent):
        answer = _post_login(client, refused.email)
        assert answer.status_code == 403
        assert "single sign-on" in answer.get_data(as_text=True)
    # A wrong password for someone who may not use one says the same: nothing about the password.
    assert _post_login(client, agent.email, "wrong").status_code == 403
    assert _post_login(client, keeper.email).status_code == 302


def test_a_policy_that_would_lock_everyone_out_is_refused(db, make_user):
    admin = make_user("admin")
    agent = make_user("agent")
    import pytest

    from ramp.errors import ValidationError

    with pytest.raises(ValidationError, match="provider first"):
        set_password_policy(OFF, None, admin)
    with pytest.raises(ValidationError, match="active admin"):
        set_password_policy(BREAK_GLASS, agent.email, admin)
    assert password_policy().mode == "allowed"


def test_admins_set_the_policy_on_the_sign_in_page(client, db, make_user, as_user, make_oidc):
    make_oidc(name="Okta")
    admin = make_user("admin")
    signed_in = as_user(admin)
    page = signed_in.get("/admin/sign-in")
    assert page.status_code == 200 and "Okta" in page.get_data(as_text=True)
    token = csrf_token(signed_in, "/admin/sign-in")
    bad = signed_in.post(
        "/admin/sign-in",
        data={"csrf_token": token, "mode": "break_glass", "break_glass": "nobody@x.example"},
    )
    assert bad.status_code == 422 and "active admin" in bad.get_data(as_text=True)
    good = signed_in.post(
        "/admin/sign-in",
        data={"csrf_token": token, "mode": "break_glass", "break_glass": admin.email},
    )
    assert good.status_code == 303
    db.session.remove()
    assert password_policy().mode == BREAK_GLASS
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "sign_in.policy")
    ).scalar_one()
    assert event.details["break_glass"] == admin.email


def test_admins_add_a_provider_and_see_what_to_paste(client, db, make_user, as_user, make_team):
    make_team("Tier 1")
    signed_in = as_user(make_user("admin"))
    token = csrf_token(signed_in, "/admin/sign-in/providers/new/oidc")
    data = {
        "csrf_token": token,
        "name": "Keycloak",
        "enabled": "y",
        "issuer": "https://sso.acme.example/realms/support",
        "client_id": "ramp",
        "client_secret": "very-secret-value",
        "scopes": "openid email profile",
        "email_claim": "email",
        "name_claim": "name",
        "groups_claim": "groups",
        "group_mapping": "support-leads: manager, Tier 1\nnonsense line",
        "require_verified_email": "y",
    }
    refused = signed_in.post("/admin/sign-in/providers/new/oidc", data=data)
    assert refused.status_code == 422 and "line 2" in refused.get_data(as_text=True)
    data["group_mapping"] = "support-leads: manager, Tier 1"
    saved = signed_in.post("/admin/sign-in/providers/new/oidc", data=data)
    assert saved.status_code == 303
    page = signed_in.get(saved.headers["Location"]).get_data(as_text=True)
    assert "/auth/sso/" in page and "/callback" in page
    assert "very-secret-value" not in page  # never shown back
    assert "support-leads: manager, Tier 1" in page
