"""Single sign-on in real Chromium: a new manager signs in on the OpenID provider's own page
and lands on the ramp board, with the role and team their provider groups map to; signing
out of ramp then signs out at the provider too, and comes back to ramp's sign-in page."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from ramp.accounts.models import Role, User
from ramp.extensions import db
from tests.conftest import make_app
from tests.sso.provider import OpenIDProvider, Person

pytestmark = pytest.mark.browser


@pytest.fixture
def op():
    provider = OpenIDProvider().start()
    yield provider
    provider.stop()


@pytest.fixture
def served(app, migrated):
    """ramp on 127.0.0.1, allowed to call the provider on loopback."""
    from ramp.sso import oidc

    oidc.forget_caches()
    app.config["LTI_ALLOW_PRIVATE_URLS"] = True
    served = make_app(migrated, LTI_ALLOW_PRIVATE_URLS=True)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with served.app_context():
        db.engine.dispose()
    oidc.forget_caches()


def test_a_manager_signs_in_through_the_provider_and_lands_on_the_board(
    app, served, op, page_factory, make_team
):
    from ramp.sso.providers import save_provider

    make_team("Tier 1")
    provider = save_provider(
        None,
        actor=None,
        secret_key=app.config["SECRET_KEY"],
        allow_http=True,
        protocol="oidc",
        name="Acme SSO",
        issuer=op.issuer,
        client_id=op.client_id,
        client_secret=op.client_secret,
        groups_claim="groups",
        group_mapping="support-leads: manager, Tier 1",
        allow_jit=True,
        sign_out_at_provider=True,
    )
    db.session.commit()
    op.redirect_uris.append(f"{served}/auth/sso/{provider.id}/callback")
    op.post_logout_uris.append(f"{served}/auth/login")
    op.add(Person("op-maria", "maria.sso@acme.example", "Maria SSO", groups=["support-leads"]))

    page = page_factory()
    page.goto(f"{served}/auth/login")
    page.get_by_role("link", name="Sign in with Acme SSO").click()
    expect(page.get_by_role("heading", name="Test provider")).to_be_visible()
    page.get_by_label("E-mail").fill("maria.sso@acme.example")
    page.get_by_label("Password").fill("provider-pass")
    page.locator("#op-submit").click()
    expect(page.get_by_role("heading", name="Ramp board")).to_be_visible()
    assert page.url.startswith(f"{served}/board")

    db.session.remove()
    user = db.session.execute(
        select(User).where(User.email == "maria.sso@acme.example")
    ).scalar_one()
    assert user.role is Role.MANAGER and user.team.name == "Tier 1"

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{served}/auth/login")  # through the provider's sign-out, and back
    assert [sorted(q) for q in op.sign_outs] == [
        ["client_id", "id_token_hint", "post_logout_redirect_uri"]
    ]
    page.goto(f"{served}/board/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
