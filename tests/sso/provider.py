"""An OpenID provider for the tests, built with Authlib's server side: the authorization code
grant with PKCE and the OpenID Connect extension, RS256 ID tokens from its own key set, a
real sign-in page, discovery and JWKS. It shares no code with ramp's client.

Switches for negative tests, in `spoil` (cleared by nothing: set per test): `iss`, `aud`,
`exp` (seconds from now), `nonce`, `email_verified`, `sign_with` (another key), `kid`.
"""

from __future__ import annotations

import html
import os
import secrets
import threading
import time
from dataclasses import dataclass, field

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Flask, jsonify, redirect, request
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

# The provider speaks plain http on loopback; Authlib refuses that unless told.
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")

_keys: dict[str, RSAKey] = {}


def rsa_key(kid: str) -> RSAKey:
    """An RSA signing key (made once per kid in a run: they are slow)."""
    if kid not in _keys:
        _keys[kid] = RSAKey.generate_key(
            2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}
        )
    return _keys[kid]


@dataclass
class Person:
    """Someone with an account at the provider."""

    sub: str
    email: str
    name: str
    password: str = "provider-pass"
    email_verified: bool = True
    groups: list = field(default_factory=list)


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        return " ".join(s for s in scope.split() if s in {"openid", "email", "profile", "groups"})

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    person: Person
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


class OpenIDProvider:
    """The provider, served on 127.0.0.1 in a thread."""

    def __init__(self, client_id: str = "ramp-client", client_secret: str = "s3cret-value"):
        self.client_id, self.client_secret = client_id, client_secret
        self.key = rsa_key("op-key-1")
        self.people: dict[str, Person] = {}
        self.codes: dict[str, Code] = {}
        self.spoil: dict = {}
        self.redirect_uris: list[str] = []
        # RP-initiated logout: whether discovery names the end-session endpoint, the
        # addresses a sign-out may send the browser back to, and each sign-out's query.
        self.offers_sign_out = True
        self.post_logout_uris: list[str] = []
        self.sign_outs: list[dict] = []
        self.key_set_fetches = 0
        self.app = self._build()

    # -- people --------------------------------------------------------------------------

    def add(self, person: Person) -> Person:
        self.people[person.email] = person
        return person

    # -- the server ----------------------------------------------------------------------

    def _build(self) -> Flask:
        provider = self
        app = Flask("test-openid-provider")
        app.config["SECRET_KEY"] = "provider"

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")

            def save_authorization_code(self, code, req):
                provider.codes[code] = Code(
                    code=code,
                    client_id=req.payload.client_id,
                    redirect_uri=req.payload.redirect_uri,
                    scope=req.payload.scope,
                    nonce=req.payload.data.get("nonce"),
                    person=req.user,
                    code_challenge=req.payload.data.get("code_challenge"),
                    code_challenge_method=req.payload.data.get("code_challenge_method"),
                    auth_time=int(time.time()),
                )

            def query_authorization_code(self, code, client):
                found = provider.codes.get(code)
                return found if found and found.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.person

        class IdTokens(OpenIDCode):
            def exists_nonce(self, nonce, req):
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client):
                return provider.spoil.get("sign_with", provider.key)

            def get_client_algorithm(self, client):
                return "RS256"

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": provider.spoil.get("kid", provider.key.kid)}

            def get_client_claims(self, client):
                now = int(time.time())
                claims = {
                    "iss": provider.spoil.get("iss", provider.issuer),
                    "aud": provider.spoil.get("aud", [client.get_client_id()]),
                    "iat": now,
                    "exp": now + provider.spoil.get("exp", 300),
                }
                if provider.spoil.get("exp", 300) < 0:
                    claims["iat"] = claims["exp"] - 300
                return claims

            def get_authorization_code_claims(self, authorization_code):
                claims = super().get_authorization_code_claims(authorization_code)
                if "nonce" in provider.spoil:
                    claims["nonce"] = provider.spoil["nonce"]
                return claims

            def generate_user_info(self, user, scope):
                info = UserInfo(sub=user.sub, name=user.name)
                if "email" in scope:
                    info["email"] = user.email
                    info["email_verified"] = provider.spoil.get(
                        "email_verified", user.email_verified
                    )
                info["groups"] = user.groups
                return info

        server = AuthorizationServer(
            app,
            query_client=lambda client_id: (
                Client(client_id, provider.client_secret, provider.redirect_uris)
                if client_id == provider.client_id
                else None
            ),
            save_token=lambda token, req: None,
        )
        server.register_grant(
            CodeGrant, [IdTokens(require_nonce=True), CodeChallenge(required=True)]
        )

        @app.get("/.well-known/openid-configuration")
        def discovery():
            base = provider.issuer
            sign_out = (
                {"end_session_endpoint": base + "/logout"} if provider.offers_sign_out else {}
            )
            return jsonify(
                **sign_out,
                issuer=base,
                authorization_endpoint=base + "/authorize",
                token_endpoint=base + "/token",
                jwks_uri=base + "/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                code_challenge_methods_supported=["S256"],
                token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
            )

        @app.get("/jwks")
        def jwks():
            provider.key_set_fetches += 1
            return jsonify(KeySet([provider.key]).as_dict(private=False))

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize():
            error = ""
            person = None
            if request.method == "POST":
                person = provider.people.get(request.form.get("username", ""))
                if person is None or request.form.get("password") != person.password:
                    person, error = None, "<p id='op-error'>Wrong username or password.</p>"
            try:
                grant = server.get_consent_grant(end_user=person)
            except Exception as exc:  # an invalid request: say so, as a provider would
                return f"<h1>Invalid request</h1><p>{html.escape(str(exc))}</p>", 400
            if person is not None:
                return server.create_authorization_response(grant=grant, grant_user=person)
            return (
                "<!doctype html><html lang='en'><head><title>Test provider sign-in</title></head>"
                "<body><h1>Test provider</h1>" + error + "<form method='post'>"
                "<label for='username'>E-mail</label><input id='username' name='username'>"
                "<label for='password'>Password</label>"
                "<input id='password' name='password' type='password'>"
                "<button id='op-submit' type='submit'>Sign in</button></form></body></html>"
            )

        @app.post("/token")
        def token():
            return server.create_token_response()

        @app.get("/logout")
        def logout():
            """End the provider's session; back to a listed address, as providers do."""
            provider.sign_outs.append(request.args.to_dict())
            back = request.args.get("post_logout_redirect_uri")
            if back not in provider.post_logout_uris:
                return "<h1>Invalid post_logout_redirect_uri</h1>", 400
            return redirect(back, 302)

        return app

    def start(self) -> OpenIDProvider:
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
