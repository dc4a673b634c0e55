"""The test OpenID provider and SAML identity provider, and ramp configured to use them."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from tests.sso.provider import OpenIDProvider, Person

CALLBACK = "http://localhost/auth/sso/{id}/callback"


@pytest.fixture(autouse=True)
def _providers_on_loopback(app):
    """The test providers listen on 127.0.0.1, which ramp refuses to call by default."""
    from ramp.sso import oidc

    app.config["LTI_ALLOW_PRIVATE_URLS"] = True
    oidc.forget_caches()
    yield
    oidc.forget_caches()


@pytest.fixture
def op():
    """The OpenID provider, serving on 127.0.0.1."""
    provider = OpenIDProvider().start()
    yield provider
    provider.stop()


@pytest.fixture
def make_oidc(app, db, op, make_team):
    """Configure `op` in ramp as an admin would; options as keyword arguments."""
    from ramp.sso.providers import save_provider

    def make(**options):
        fields = {
            "protocol": "oidc",
            "name": "Acme SSO",
            "issuer": op.issuer,
            "client_id": op.client_id,
            "client_secret": op.client_secret,
            "groups_claim": "groups",
            "allow_jit": True,
            "allow_email_match": True,
            "require_verified_email": True,
        }
        fields.update(options)
        provider = save_provider(
            None, actor=None, secret_key=app.config["SECRET_KEY"], allow_http=True, **fields
        )
        db.session.commit()
        op.redirect_uris.append(CALLBACK.format(id=provider.id))
        return provider

    return make


def oidc_sign_in(client, provider_id: int, person: Person, password: str | None = None):
    """Begin at ramp, sign in on the provider's page, come back; ramp's answer to the callback."""
    begun = client.get(f"/auth/sso/{provider_id}")
    assert begun.status_code == 302, begun.get_data(as_text=True)
    authorize = begun.headers["Location"]
    page = requests.get(authorize, timeout=10)
    assert page.status_code == 200 and "Test provider" in page.text, page.text
    answer = requests.post(
        authorize,
        data={"username": person.email, "password": password or person.password},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    return client.get(back.path + "?" + back.query)


def callback_url(client, provider_id: int, person: Person) -> str:
    """The callback URL the provider sends back (code and state), without following it."""
    begun = client.get(f"/auth/sso/{provider_id}")
    authorize = begun.headers["Location"]
    answer = requests.post(
        authorize,
        data={"username": person.email, "password": person.password},
        allow_redirects=False,
        timeout=10,
    )
    back = urlsplit(answer.headers["Location"])
    return back.path + "?" + back.query
