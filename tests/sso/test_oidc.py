"""OpenID Connect sign-in against a real provider on loopback: the happy paths and every
refused check, each a clear page with a 4xx."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ramp.accounts.models import Role, User
from ramp.audit.models import AuditEvent
from ramp.sso.models import UserIdentity
from tests.sso.conftest import callback_url, oidc_sign_in
from tests.sso.provider import Person, rsa_key


def _actions(db) -> list[str]:
    db.session.remove()
    return [
        e.action for e in db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
    ]


def test_first_sign_in_creates_the_user_with_the_mapped_role_and_team(
    client, db, op, make_oidc, make_team
):
    make_team("Tier 1")
    provider = make_oidc(group_mapping="support-leads: manager, Tier 1")
    person = op.add(
        Person("op-sub-1", "maria@acme.example", "Maria Lopez", groups=["support-leads"])
    )
    response = oidc_sign_in(client, provider.id, person)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    db.session.remove()
    user = db.session.execute(select(User).where(User.email == "maria@acme.example")).scalar_one()
    assert user.role is Role.MANAGER and user.team.name == "Tier 1" and user.name == "Maria Lopez"
    assert user.password_hash is None
    identity = db.session.execute(select(UserIdentity)).scalar_one()
    assert (identity.issuer, identity.subject, identity.user_id) == (op.issuer, "op-sub-1", user.id)
    assert _actions(db)[-4:] == ["user.create", "sso.create", "sso.bind", "sso.sign_in"]
    sign_in = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "sso.sign_in")
    ).scalar_one()
    assert sign_in.actor_id == user.id and sign_in.subject == f"user:{user.id}"
    assert sign_in.details["provider"] == "Acme SSO" and sign_in.details["protocol"] == "oidc"
    # Signed in: the home page sends a manager to the board.
    assert client.get("/").headers["Location"].startswith("/board")


def test_the_next_sign_in_finds_the_bound_subject_and_keeps_the_key_set(client, db, op, make_oidc):
    provider = make_oidc()
    person = op.add(Person("op-sub-2", "lee@acme.example", "Lee"))
    assert oidc_sign_in(client, provider.id, person).status_code == 302
    client.post("/auth/logout", data={"csrf_token": _csrf(client)})
    person.email = "lee.renamed@acme.example"  # the subject decides, not the address
    op.people[person.email] = person
    assert oidc_sign_in(client, provider.id, person).status_code == 302
    db.session.remove()
    assert db.session.execute(select(User.email)).scalars().all() == ["lee@acme.example"]
    assert op.key_set_fetches == 1  # warm: the second sign-in used the cached key set


def _csrf(client) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, "/auth/language")


def test_an_existing_user_is_matched_by_verified_email(client, db, op, make_oidc, make_user):
    existing = make_user("agent", email="ana@acme.example")
    provider = make_oidc(allow_jit=False)
    person = op.add(Person("op-sub-3", "ana@acme.example", "Ana"))
    assert oidc_sign_in(client, provider.id, person).status_code == 302
    db.session.remove()
    identity = db.session.execute(select(UserIdentity)).scalar_one()
    assert identity.user_id == existing.id


def _refused(response, status: int, words: str) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == status, body
    assert "Sign-in refused" in body and words in body, body


@pytest.mark.parametrize(
    ("spoil", "status", "words"),
    [
        ({"iss": "https://evil.example"}, 401, "not by"),
        ({"aud": ["someone-else"]}, 401, "meant for another client"),
        ({"exp": -600}, 401, "has expired"),
        ({"nonce": "a-nonce-from-another-sign-in"}, 401, "nonce"),
    ],
    ids=["wrong-issuer", "wrong-audience", "expired", "replayed-nonce"],
)
def test_a_spoiled_id_token_is_refused(client, db, op, make_oidc, spoil, status, words):
    provider = make_oidc()
    person = op.add(Person("op-sub-4", "kim@acme.example", "Kim"))
    op.spoil.update(spoil)
    _refused(oidc_sign_in(client, provider.id, person), status, words)
    db.session.remove()
    assert db.session.execute(select(User)).first() is None


def test_a_token_signed_by_another_key_with_the_same_kid_is_refused(client, db, op, make_oidc):
    provider = make_oidc()
    person = op.add(Person("op-sub-5", "kai@acme.example", "Kai"))
    op.spoil["sign_with"] = rsa_key("attacker-key")  # header still names the provider's kid
    _refused(oidc_sign_in(client, provider.id, person), 401, "signature does not verify")


def test_a_replayed_state_is_refused(client, db, op, make_oidc):
    provider = make_oidc()
    provider_id = provider.id
    person = op.add(Person("op-sub-6", "jo@acme.example", "Jo"))
    url = callback_url(client, provider_id, person)
    assert client.get(url).status_code == 302
    _refused(client.get(url), 403, "already used")
    # The refused attempt is in the audit log: which provider, which check, the answer.
    db.session.remove()
    [event] = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "sso.refused")
    ).scalars()
    assert event.subject == f"identity_provider:{provider_id}" and event.actor_id is None
    assert event.details["status"] == 403 and "already used" in event.reason


def test_a_nonce_replayed_from_an_earlier_sign_in_is_refused(client, db, op, make_oidc):
    provider = make_oidc()
    person = op.add(Person("op-sub-7", "al@acme.example", "Al"))
    first = callback_url(client, provider.id, person)
    first_nonce = next(iter(op.codes.values())).nonce
    assert client.get(first).status_code == 302
    op.spoil["nonce"] = first_nonce  # the provider echoes an old nonce into a new sign-in
    _refused(oidc_sign_in(client, provider.id, person), 401, "nonce")


def test_a_state_from_another_browser_is_refused(client, app, db, op, make_oidc):
    provider = make_oidc()
    person = op.add(Person("op-sub-8", "bo@acme.example", "Bo"))
    url = callback_url(client, provider.id, person)
    with app.test_client() as other:
        _refused(other.get(url), 403, "another browser")


def test_an_unverified_email_is_refused_where_verification_is_required(client, db, op, make_oidc):
    provider = make_oidc()
    person = op.add(Person("op-sub-9", "un@acme.example", "Un", email_verified=False))
    _refused(oidc_sign_in(client, provider.id, person), 403, "verified")
    db.session.remove()
    assert db.session.execute(select(User)).first() is None


def test_a_user_bound_to_another_subject_is_not_bound_again(client, db, op, make_oidc, make_user):
    provider = make_oidc()
    first = op.add(Person("op-sub-10", "sam@acme.example", "Sam"))
    assert oidc_sign_in(client, provider.id, first).status_code == 302
    client.post("/auth/logout", data={"csrf_token": _csrf(client)})
    # Another provider account claims the same e-mail: it must not take over Sam's account.
    impostor = Person("op-sub-11", "sam@acme.example", "Not Sam")
    op.people[impostor.email] = impostor
    _refused(oidc_sign_in(client, provider.id, impostor), 409, "already linked")
    db.session.remove()
    assert [i.subject for i in db.session.execute(select(UserIdentity)).scalars()] == ["op-sub-10"]


def test_a_disabled_provider_is_refused(client, db, op, make_oidc):
    provider = make_oidc(enabled=False)
    _refused(client.get(f"/auth/sso/{provider.id}"), 403, "switched off")
    _refused(client.get(f"/auth/sso/{provider.id}/callback?code=x&state=y"), 403, "switched off")


def test_a_provider_error_and_garbage_answers_are_4xx(client, db, op, make_oidc):
    provider = make_oidc()
    _refused(
        client.get(f"/auth/sso/{provider.id}/callback?error=access_denied"), 400, "access_denied"
    )
    _refused(client.get(f"/auth/sso/{provider.id}/callback?code=x"), 400, "no state")
    _refused(client.get(f"/auth/sso/{provider.id}/callback?code=x&state=forged"), 403, "not issued")
    _refused(client.get("/auth/sso/999"), 404, "no such")


def test_a_deactivated_user_cannot_sign_in(client, db, op, make_oidc):
    provider_id = make_oidc().id
    person = op.add(Person("op-sub-12", "gone@acme.example", "Gone"))
    assert oidc_sign_in(client, provider_id, person).status_code == 302
    client.post("/auth/logout", data={"csrf_token": _csrf(client)})
    db.session.remove()
    user = db.session.execute(select(User)).scalar_one()
    user.is_active_account = False
    db.session.commit()
    _refused(oidc_sign_in(client, provider_id, person), 403, "deactivated")


def test_the_client_secret_is_stored_encrypted(app, db, make_oidc, op):
    provider = make_oidc()
    db.session.remove()
    from ramp.sso.models import IdentityProvider

    stored = db.session.get(IdentityProvider, provider.id).client_secret
    assert op.client_secret not in stored


def test_groups_change_role_and_team_but_never_demote_the_last_admin(
    client, db, op, make_oidc, make_team, make_user
):
    make_team("Tier 1")
    provider_id = make_oidc(group_mapping="support-leads: manager, Tier 1\nagents: agent").id
    lead = op.add(Person("op-sub-20", "lead@acme.example", "Lead", groups=["agents"]))
    assert oidc_sign_in(client, provider_id, lead).status_code == 302
    client.post("/auth/logout", data={"csrf_token": _csrf(client)})
    lead.groups = ["support-leads"]  # promoted in the provider: a manager at the next sign-in
    assert oidc_sign_in(client, provider_id, lead).status_code == 302
    client.post("/auth/logout", data={"csrf_token": _csrf(client)})
    db.session.remove()
    user = db.session.execute(select(User).where(User.email == "lead@acme.example")).scalar_one()
    assert user.role is Role.MANAGER and user.team.name == "Tier 1"
    assert "sso.groups" in _actions(db)

    # The only admin signs in with a group that maps to agent: they stay admin.
    make_user("admin", email="boss@acme.example")
    boss = op.add(Person("op-sub-21", "boss@acme.example", "Boss", groups=["agents"]))
    assert oidc_sign_in(client, provider_id, boss).status_code == 302
    db.session.remove()
    user = db.session.execute(select(User).where(User.email == "boss@acme.example")).scalar_one()
    assert user.role is Role.ADMIN


def test_a_rotated_provider_key_is_fetched_again_by_its_new_kid(
    client, db, op, make_oidc, monkeypatch
):
    from ramp.sso import oidc

    provider_id = make_oidc().id
    person = op.add(Person("op-sub-30", "rot@acme.example", "Rot"))
    assert oidc_sign_in(client, provider_id, person).status_code == 302
    client.post("/auth/logout", data={"csrf_token": _csrf(client)})
    op.key = rsa_key("op-key-2")  # the provider rotates: new kid, new key set
    monkeypatch.setattr(oidc, "KEY_SET_REFETCH_FLOOR", 0.0)
    assert oidc_sign_in(client, provider_id, person).status_code == 302
    assert op.key_set_fetches == 2


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_unsigned_and_symmetric_id_tokens_are_refused(app, op, alg):
    import base64
    import json

    from ramp.sso import oidc
    from ramp.sso.errors import SignInRefused

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    claims = {"iss": op.issuer, "aud": op.client_id, "sub": "x", "nonce": "n", "exp": 2**40}
    forged = f"{part({'alg': alg, 'kid': op.key.kid})}.{part(claims)}.c2ln"
    with pytest.raises(SignInRefused) as refused:
        oidc.validate_id_token(forged, op.issuer, op.client_id, "n")
    assert refused.value.check == "signature" and refused.value.status == 401


# -- signing out at the provider (RP-initiated logout) ------------------------------------------

LOGIN_URL = "http://localhost/auth/login"


def _sign_out(client):
    """Sign out of ramp: ramp's answer."""
    return client.post("/auth/logout", data={"csrf_token": _csrf(client)})


def _still_signed_in(client) -> bool:
    """Whether a page that needs a sign-in opens (any role), rather than sending to sign-in.
    (The tests keep one application context, so the user Flask-Login keeps in `g` goes.)"""
    from flask import g

    g.pop("_login_user", None)
    answer = client.get("/learn/")
    return not (answer.status_code == 302 and "/auth/login" in answer.headers["Location"])


def test_signing_out_also_signs_out_at_the_provider_with_the_id_token_as_hint(
    client, app, db, op, make_oidc
):
    import re
    from html import unescape
    from urllib.parse import parse_qs, urlsplit

    import requests
    from joserfc import jwt

    provider_id = make_oidc(sign_out_at_provider=True).id
    op.post_logout_uris.append(LOGIN_URL)
    person = op.add(Person("op-sub-20", "desk@acme.example", "Shared Desk"))
    assert oidc_sign_in(client, provider_id, person).status_code == 302
    db.session.remove()
    assert db.session.execute(select(UserIdentity)).scalar_one().sign_out_hint  # kept, sealed
    answer = _sign_out(client)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "You are signed out of ramp." in html
    assert "Signing you out of Acme SSO" in html
    assert answer.headers["Cache-Control"] == "no-store"  # the ID token is in the page
    assert "vendor/htmx" not in html
    refresh = unescape(re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', html).group(1))
    link = unescape(re.search(r'id="sign-out-elsewhere" href="([^"]+)"', html).group(1))
    assert refresh == link and link.startswith(op.issuer + "/logout?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    assert query["client_id"] == op.client_id
    assert query["post_logout_redirect_uri"] == LOGIN_URL
    hint = jwt.decode(query["id_token_hint"], op.key)  # the provider's own signature
    assert hint.claims["sub"] == "op-sub-20" and op.client_id in hint.claims["aud"]
    # The token stays out of the session cookie, which is signed but readable.
    assert query["id_token_hint"] not in answer.headers.get("Set-Cookie", "")
    assert len(answer.headers.get("Set-Cookie", "")) < 1000
    back = requests.get(link, allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"] == LOGIN_URL
    assert op.sign_outs == [query]
    assert not _still_signed_in(client)
    # The hint stays for another device's sign-out, until the setting is switched off.
    from ramp.sso.models import IdentityProvider
    from ramp.sso.providers import save_provider

    db.session.remove()
    assert db.session.execute(select(UserIdentity)).scalar_one().sign_out_hint
    save_provider(
        db.session.get(IdentityProvider, provider_id),
        actor=None,
        secret_key=app.config["SECRET_KEY"],
        allow_http=True,
        name="Acme SSO",
        issuer=op.issuer,
        client_id=op.client_id,
        sign_out_at_provider=False,
    )
    db.session.commit()
    assert db.session.execute(select(UserIdentity)).scalar_one().sign_out_hint is None


@pytest.mark.parametrize("case", ["not set", "switched off", "password"])
def test_ramp_signs_out_alone_when_the_provider_is_not_to_be_visited(
    client, db, op, make_oidc, make_user, case
):
    from ramp.sso.models import IdentityProvider

    provider = make_oidc(sign_out_at_provider=case != "not set")
    if case == "password":
        user = make_user("agent")
        from tests.conftest import login

        login(client, user.email)
    else:
        person = op.add(Person("op-sub-21", "alone@acme.example", "Alone"))
        assert oidc_sign_in(client, provider.id, person).status_code == 302
    if case == "switched off":
        db.session.get(IdentityProvider, provider.id).enabled = False
        db.session.commit()
    answer = _sign_out(client)
    assert answer.status_code == 302 and answer.headers["Location"] == "/auth/login"
    assert "You are signed out." in client.get("/auth/login").get_data(as_text=True)
    assert op.sign_outs == [] and not _still_signed_in(client)
    db.session.remove()
    hints = db.session.execute(select(UserIdentity.sign_out_hint)).scalars().all()
    if case == "password":
        assert hints == []
    else:  # kept only while the provider signs out with ramp
        assert bool(hints[0]) is (case != "not set")


def test_a_provider_that_cannot_be_visited_is_said_and_ramp_still_signs_out(
    client, db, op, make_oidc
):
    """No end-session endpoint in its discovery document: ramp signs out and says that the
    provider's session may still be open."""
    provider = make_oidc(sign_out_at_provider=True)
    op.offers_sign_out = False
    person = op.add(Person("op-sub-22", "nolink@acme.example", "No Link"))
    assert oidc_sign_in(client, provider.id, person).status_code == 302
    answer = _sign_out(client)
    assert answer.status_code == 302 and answer.headers["Location"] == "/auth/login"
    page = client.get("/auth/login").get_data(as_text=True)
    assert "ramp could not sign you out at Acme SSO" in page
    assert op.sign_outs == [] and not _still_signed_in(client)


def test_a_second_identity_of_the_user_does_not_stop_the_sign_out(client, app, db, op, make_oidc):
    """The session names the identity signed in with, so another identity of the same user
    at the same provider (its issuer changed since, say) changes nothing."""
    provider_id = make_oidc(sign_out_at_provider=True).id
    op.post_logout_uris.append(LOGIN_URL)
    person = op.add(Person("op-sub-23", "two@acme.example", "Two Ids"))
    assert oidc_sign_in(client, provider_id, person).status_code == 302
    db.session.remove()
    first = db.session.execute(select(UserIdentity)).scalar_one()
    db.session.add(
        UserIdentity(
            provider_id=provider_id,
            issuer="https://old.acme.example",
            subject="old-sub",
            user_id=first.user_id,
        )
    )
    db.session.commit()
    answer = _sign_out(client)
    assert answer.status_code == 200 and "op-sub-23" not in answer.headers.get("Set-Cookie", "")
    assert "Signing you out of Acme SSO" in answer.get_data(as_text=True)
    assert not _still_signed_in(client)


def test_a_later_password_sign_in_in_the_same_browser_is_not_sent_to_the_provider(
    client, db, op, make_oidc
):
    """An OpenID session ended elsewhere (another device signed out) leaves its cookie here;
    a password sign-in afterwards, even the same person's, does not inherit its provider."""
    from tests.conftest import PASSWORD, login

    provider = make_oidc(sign_out_at_provider=True)
    op.post_logout_uris.append(LOGIN_URL)
    person = op.add(Person("op-sub-24", "desk2@acme.example", "Desk Two"))
    assert oidc_sign_in(client, provider.id, person).status_code == 302
    db.session.remove()
    user = db.session.execute(select(User).where(User.email == "desk2@acme.example")).scalar_one()
    user.set_password(PASSWORD)
    user.end_sessions()  # signed out on another device: this browser's session ends too
    db.session.commit()
    assert not _still_signed_in(client)
    assert login(client, user.email).status_code == 302 and _still_signed_in(client)
    answer = _sign_out(client)
    assert answer.status_code == 302 and answer.headers["Location"] == "/auth/login"
    assert op.sign_outs == [] and not _still_signed_in(client)


def test_an_admin_sets_sign_out_at_the_provider_and_reads_the_address_to_list(
    client, db, op, make_oidc, make_user
):
    from ramp.sso.models import IdentityProvider
    from tests.conftest import csrf_token, login

    provider = make_oidc()
    admin = make_user("admin")
    login(client, admin.email)
    page = client.get(f"/admin/sign-in/providers/{provider.id}").get_data(as_text=True)
    assert f'<code id="post-logout-uri">{LOGIN_URL}</code>' in page
    assert (
        'id="sign_out_at_provider"' in page
        and "checked" not in page.split('id="sign_out_at_provider"')[1].split(">")[0]
    )
    form = {
        "csrf_token": csrf_token(client, f"/admin/sign-in/providers/{provider.id}"),
        "name": "Acme SSO",
        "enabled": "y",
        "issuer": op.issuer,
        "client_id": op.client_id,
        "scopes": "openid email profile",
        "email_claim": "email",
        "name_claim": "name",
        "groups_claim": "groups",
        "require_verified_email": "y",
        "sign_out_at_provider": "y",
    }
    answer = client.post(f"/admin/sign-in/providers/{provider.id}", data=form)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    db.session.remove()
    assert db.session.get(IdentityProvider, provider.id).sign_out_at_provider is True
    events = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "sso.provider_update")
    ).scalars()
    assert [e.details["sign_out_at_provider"] for e in events] == [True]
