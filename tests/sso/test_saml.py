"""SAML 2.0 sign-in with assertions signed by a pysaml2 identity provider: the happy path,
the metadata, and every refused check, each a clear page with a 4xx."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ramp.accounts.models import Role, User
from ramp.audit.models import AuditEvent
from ramp.sso.models import UserIdentity
from tests.sso.saml_idp import IdentityProvider


@pytest.fixture
def idp(tmp_path):
    return IdentityProvider(tmp_path)


@pytest.fixture
def saml_provider(app, db, idp, make_team):
    """ramp configured with the identity provider, which trusts ramp's published metadata."""
    from ramp.sso.providers import save_provider

    make_team("Tier 2")
    provider = save_provider(
        None,
        actor=None,
        secret_key=app.config["SECRET_KEY"],
        protocol="saml",
        name="Acme SAML",
        saml_metadata=idp.metadata(),
        email_claim="mail",
        name_claim="displayName",
        groups_claim="groups",
        group_mapping="support-leads: manager, Tier 2",
        allow_jit=True,
        allow_email_match=True,
    )
    db.session.commit()
    return provider


def _begin(client, idp, provider_id: int) -> tuple[str, str, str]:
    metadata = client.get(f"/auth/saml/{provider_id}/metadata")
    assert metadata.status_code == 200
    idp.trust(metadata.get_data(as_text=True))
    begun = client.get(f"/auth/sso/{provider_id}")
    assert begun.status_code == 302
    request_id, relay_state = idp.read_request(begun.headers["Location"])
    return request_id, relay_state, f"/auth/saml/{provider_id}/acs"


def _post(client, acs: str, response: str, relay_state: str):
    return client.post(acs, data={"SAMLResponse": response, "RelayState": relay_state})


def _refused(response, status: int, words: str) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == status, body
    assert "Sign-in refused" in body and words in body, body


def test_metadata_names_the_entity_and_the_acs(client, saml_provider):
    xml = client.get(f"/auth/saml/{saml_provider.id}/metadata").get_data(as_text=True)
    assert f'entityID="http://localhost/auth/saml/{saml_provider.id}/metadata"' in xml
    assert f"http://localhost/auth/saml/{saml_provider.id}/acs" in xml
    assert 'WantAssertionsSigned="true"' in xml


def test_a_signed_assertion_signs_in_and_creates_the_mapped_manager(client, db, idp, saml_provider):
    request_id, relay, acs = _begin(client, idp, saml_provider.id)
    response = idp.respond(
        request_id,
        subject="saml-sub-1",
        email="lena@acme.example",
        name="Lena",
        groups=("support-leads",),
        acs="http://localhost" + acs,
    )
    answer = _post(client, acs, response, relay)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    db.session.remove()
    user = db.session.execute(select(User)).scalar_one()
    assert (user.email, user.name, user.role, user.team.name) == (
        "lena@acme.example",
        "Lena",
        Role.MANAGER,
        "Tier 2",
    )
    identity = db.session.execute(select(UserIdentity)).scalar_one()
    assert identity.subject == "saml-sub-1"
    actions = [e.action for e in db.session.execute(select(AuditEvent)).scalars()]
    assert {"sso.create", "sso.bind", "sso.sign_in"} <= set(actions)


def test_an_unsigned_response_is_refused(client, db, idp, saml_provider):
    request_id, relay, acs = _begin(client, idp, saml_provider.id)
    response = idp.respond(
        request_id, subject="s2", email="u@acme.example", acs="http://localhost" + acs, sign=False
    )
    _refused(_post(client, acs, response, relay), 401, "signed")


def test_a_wrong_audience_is_refused(client, db, idp, saml_provider):
    request_id, relay, acs = _begin(client, idp, saml_provider.id)
    response = idp.respond(
        request_id,
        subject="s3",
        email="a@acme.example",
        acs="http://localhost" + acs,
        audience="https://other.example/sp",
    )
    _refused(_post(client, acs, response, relay), 401, "not meant for ramp")


def test_a_wrong_recipient_is_refused(client, db, idp, saml_provider):
    request_id, relay, acs = _begin(client, idp, saml_provider.id)
    response = idp.respond(
        request_id, subject="s4", email="r@acme.example", acs="https://evil.example/acs"
    )
    _refused(_post(client, acs, response, relay), 401, "addressed to another service")


def test_an_expired_assertion_is_refused(client, db, idp, saml_provider, clock):
    request_id, relay, acs = _begin(client, idp, saml_provider.id)
    response = idp.respond(
        request_id, subject="s5", email="e@acme.example", acs="http://localhost" + acs
    )
    clock.shift(timedelta(minutes=30))
    _refused(_post(client, acs, response, relay), 401, "expired")


def test_a_replayed_assertion_is_refused(client, db, idp, saml_provider):
    request_id, relay, acs = _begin(client, idp, saml_provider.id)
    response = idp.respond(
        request_id, subject="s6", email="p@acme.example", acs="http://localhost" + acs
    )
    assert _post(client, acs, response, relay).status_code == 302
    _refused(_post(client, acs, response, relay), 403, "already used")


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({}, 400),
        ({"SAMLResponse": "not base64 !!", "RelayState": "x"}, 400),
        ({"SAMLResponse": "PHhtbD48L3htbD4=", "RelayState": "x"}, 403),
        ({"SAMLResponse": "PHhtbD48L3htbD4=", "RelayState": "A" * 43}, 400),
        ({"SAMLResponse": "PHhtbD48L3htbD4="}, 400),
    ],
    ids=["empty", "not-base64", "forged-state", "not-saml", "no-relay-state"],
)
def test_garbage_at_the_acs_is_a_4xx(client, saml_provider, form, status):
    answer = client.post(f"/auth/saml/{saml_provider.id}/acs", data=form)
    assert answer.status_code == status, answer.get_data(as_text=True)
