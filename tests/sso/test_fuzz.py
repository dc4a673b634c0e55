"""The sign-in answers (the OIDC callback, the SAML ACS) take any input with a clear 4xx."""

from __future__ import annotations

import base64
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ramp.blueprints.admin.sign_in import FIELDS

TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.~", min_size=1, max_size=80),
    st.sampled_from(["", " ", "\x00", "%00", "../../etc", "<script>", "a" * 5000, "é" * 40]),
)
SAML = st.one_of(
    TEXT,
    st.binary(max_size=2000).map(lambda raw: base64.b64encode(raw).decode()),
    st.sampled_from(
        [
            base64.b64encode(
                b"<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'/>"
            ).decode(),
            base64.b64encode(
                b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>"
            ).decode(),
            base64.b64encode(b"\xff\xfe not xml").decode(),
        ]
    ),
)
FUZZ = settings(
    max_examples=int(os.environ.get("RAMP_FUZZ_EXAMPLES") or 25),
    deadline=None,
    database=None,
    derandomize=os.environ.get("RAMP_FUZZ_EXAMPLES") is None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(
    query=st.dictionaries(
        st.sampled_from(["code", "state", "error", "session_state", "iss"]), TEXT, max_size=4
    )
)
def test_the_oidc_callback_answers_garbage_with_a_4xx(client, make_oidc, app, query):
    if not getattr(app, "_fuzz_provider", None):
        app._fuzz_provider = make_oidc().id
    response = client.get(f"/auth/sso/{app._fuzz_provider}/callback", query_string=query)
    assert 400 <= response.status_code < 500, (query, response.status_code)
    assert "Sign-in refused" in response.get_data(as_text=True)


@FUZZ
@given(form=st.fixed_dictionaries({}, optional={"SAMLResponse": SAML, "RelayState": TEXT}))
def test_the_saml_acs_answers_garbage_with_a_4xx(client, app, db, form, tmp_path_factory):
    if not getattr(app, "_fuzz_saml", None):
        from ramp.sso.providers import save_provider
        from tests.sso.saml_idp import IdentityProvider

        idp = IdentityProvider(tmp_path_factory.mktemp("idp"))
        app._fuzz_saml = save_provider(
            None,
            actor=None,
            secret_key=app.config["SECRET_KEY"],
            protocol="saml",
            name="Fuzz SAML",
            saml_metadata=idp.metadata(),
        ).id
        db.session.commit()
    response = client.post(f"/auth/saml/{app._fuzz_saml}/acs", data=form)
    assert 400 <= response.status_code < 500, (form, response.status_code)


# Every field of the provider form (an OpenID one: its SAML metadata field is not shown).
PROVIDER_FIELDS = [name for name in FIELDS if name != "saml_metadata"]


@FUZZ
@given(form=st.dictionaries(st.sampled_from(PROVIDER_FIELDS), TEXT, max_size=8))
def test_the_provider_form_answers_any_input_without_a_500(
    client, app, db, make_oidc, make_user, form
):
    """An admin's provider form with anything in it: saved, or a 4xx with the problems; the
    provider is left as it was when refused."""
    from ramp.sso.models import IdentityProvider
    from tests.conftest import csrf_token, login

    if not getattr(app, "_fuzz_admin", None):
        app._fuzz_provider = make_oidc().id
        app._fuzz_admin = make_user("admin").email
        login(client, app._fuzz_admin)

    def saved() -> tuple:
        db.session.remove()
        p = db.session.get(IdentityProvider, app._fuzz_provider)
        return (p.name, p.issuer, p.client_id, p.client_secret, p.enabled, p.sign_out_at_provider)

    before = saved()
    address = f"/admin/sign-in/providers/{app._fuzz_provider}"
    response = client.post(address, data={**form, "csrf_token": csrf_token(client, address)})
    assert response.status_code in (303, 422), (form, response.status_code)
    if response.status_code == 422:
        assert saved() == before, form
