"""OpenID Connect, authorization code flow with PKCE: discovery, the authentication request,
the code exchange and the ID token's checks (signature by the provider's key set, `iss`,
`aud`/`azp`, `exp`, `iat`, `nonce`).

Discovery documents and key sets are cached; a key set is fetched again when a token names
a key it lacks, at most every KEY_SET_REFETCH_FLOOR seconds. HTTP goes through ramp's
checked opener (ramp.lti.http): http(s) only, no private addresses unless configured.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import quote_plus, urlencode

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask_babel import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ramp import clock
from ramp.lti.errors import PlatformError
from ramp.lti.http import call
from ramp.sso.errors import SignInRefused

LEEWAY = 60  # seconds of clock difference allowed between provider and ramp
DISCOVERY_MAX_AGE = 3600.0
KEY_SET_MAX_AGE = 3600.0
KEY_SET_REFETCH_FLOOR = 10.0
# Asymmetric algorithms only: a provider's key set is public, so HS256 would be forgeable.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
MAX_ID_TOKEN = 64 * 1024


@dataclass
class _Cached:
    value: object = None
    fetched_at: float = float("-inf")
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_discoveries: dict[str, _Cached] = {}
_key_sets: dict[str, _Cached] = {}
_cache_lock = threading.Lock()


def forget_caches() -> None:
    """Forget every cached discovery document and key set (tests, and after an edit)."""
    with _cache_lock:
        _discoveries.clear()
        _key_sets.clear()


def _entry(cache: dict[str, _Cached], key: str) -> _Cached:
    with _cache_lock:
        return cache.setdefault(key, _Cached())


def _get_json(url: str, what: str, label: str) -> dict:
    try:
        document = call("GET", url, headers={"Accept": "application/json"}).json()
    except PlatformError as exc:
        raise SignInRefused(
            what,
            _("The provider's %(what)s could not be read: %(error)s", what=label, error=exc),
            502,
        ) from None
    if not isinstance(document, dict):
        raise SignInRefused(
            what, _("The provider's %(what)s is not a JSON object.", what=label), 502
        )
    return document


def discover(issuer: str) -> dict:
    """The provider's OpenID configuration (cached), checked to name the same issuer."""
    cached = _entry(_discoveries, issuer)
    with cached.lock:
        if cached.value is not None and time.monotonic() - cached.fetched_at < DISCOVERY_MAX_AGE:
            return cached.value  # type: ignore[return-value]
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = _get_json(url, "discovery document", _("discovery document"))
        if document.get("issuer") != issuer:
            raise SignInRefused(
                "issuer",
                _(
                    "The provider's discovery document names issuer %(found)s, not the "
                    "configured %(issuer)s.",
                    found=str(document.get("issuer"))[:200],
                    issuer=issuer,
                ),
                502,
            )
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(name), str):
                raise SignInRefused(
                    "discovery document",
                    _("The discovery document has no %(name)s.", name=name),
                    502,
                )
        cached.value, cached.fetched_at = document, time.monotonic()
        return document


def _key_set(url: str, kid: str | None) -> KeySet:
    cached = _entry(_key_sets, url)
    with cached.lock:
        now = time.monotonic()
        keys: KeySet | None = cached.value  # type: ignore[assignment]
        fresh = keys is not None and now - cached.fetched_at < KEY_SET_MAX_AGE
        if fresh and _has_kid(keys, kid):
            return keys
        if now - cached.fetched_at >= KEY_SET_REFETCH_FLOOR:
            cached.fetched_at = now  # counted before the fetch: a failure waits out the floor
            try:
                keys = KeySet.import_key_set(_get_json(url, "key set", _("key set")))  # type: ignore[arg-type]
            except (JoseError, ValueError, TypeError, KeyError):
                cached.error = _("The provider's key set cannot be read.")
                raise SignInRefused("key set", cached.error, 502) from None
            except SignInRefused as exc:
                cached.error = exc.message
                raise
            cached.value, cached.error = keys, None
        if keys is not None and _has_kid(keys, kid):
            return keys
    raise SignInRefused(
        "signature",
        _(
            "The ID token was signed with key %(kid)s, which is not in the provider's key set.",
            kid=str(kid)[:100],
        ),
    )


def _has_kid(keys: KeySet, kid: str | None) -> bool:
    if kid is None:
        return len(keys.keys) > 0
    return any(key.kid == kid for key in keys.keys)


def authorization_url(
    issuer: str,
    client_id: str,
    scopes: str,
    redirect_uri: str,
    state: str,
    nonce: str,
    verifier: str,
) -> str:
    """The provider's authentication request: code flow, PKCE (S256), state and nonce."""
    endpoint = discover(issuer)["authorization_endpoint"]
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(query)


def end_session_url(
    issuer: str, client_id: str, id_token: str | None, post_logout_redirect_uri: str
) -> str | None:
    """The provider's end-session request (OpenID Connect RP-Initiated Logout 1.0): its
    end_session_endpoint with the last ID token as the hint, ramp's client id, and where to
    send the browser back. None when the provider names no such endpoint (or an address that
    is not http(s)), or its discovery document cannot be read: then ramp signs out alone."""
    try:
        endpoint = discover(issuer).get("end_session_endpoint")
    except SignInRefused:
        return None
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        return None
    query = {"client_id": client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
    if id_token:
        query["id_token_hint"] = id_token
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(query)


def exchange_code(
    issuer: str, client_id: str, client_secret: str, code: str, redirect_uri: str, verifier: str
) -> str:
    """Trade the authorization code for tokens; the ID token."""
    document = discover(issuer)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    headers = {"Accept": "application/json"}
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if "client_secret_basic" in methods:
        pair = f"{_form_quote(client_id)}:{_form_quote(client_secret)}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    else:
        form.update(client_id=client_id, client_secret=client_secret)
    try:
        answer = call("POST", document["token_endpoint"], headers=headers, form=form)
        tokens = json.loads(answer.body)
    except PlatformError as exc:
        status = 400 if exc.status and 400 <= exc.status < 500 else 502
        raise SignInRefused(
            "code",
            _("The provider refused to exchange the authorization code: %(error)s", error=exc),
            status,
        ) from None
    except ValueError:
        raise SignInRefused("code", _("The provider's token answer is not JSON."), 502) from None
    id_token = tokens.get("id_token") if isinstance(tokens, dict) else None
    if not isinstance(id_token, str) or not id_token:
        raise SignInRefused("id_token", _("The provider's token answer carries no ID token."), 502)
    return id_token


def _form_quote(value: str) -> str:
    # RFC 6749 2.3.1: client id and secret are form-encoded before Basic.
    return quote_plus(value)


def validate_id_token(
    id_token: str, issuer: str, client_id: str, nonce: str, now: float | None = None
) -> dict:
    """The ID token's claims, after every check; SignInRefused naming the first that fails."""
    if len(id_token) > MAX_ID_TOKEN:
        raise SignInRefused("id_token", _("The ID token is larger than 64 KiB."), 400)
    try:
        header = json.loads(_b64decode(id_token.split(".")[0]))
    except (ValueError, IndexError):
        raise SignInRefused("id_token", _("The ID token is not a JWT."), 400) from None
    if not isinstance(header, dict):
        raise SignInRefused("id_token", _("The ID token is not a JWT."), 400)
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise SignInRefused(
            "signature",
            _(
                "The ID token is signed with %(alg)s, which ramp does not accept.",
                alg=str(alg)[:40],
            ),
        )
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    keys = _key_set(discover(issuer)["jwks_uri"], kid)
    try:
        token = jwt.decode(id_token, keys, algorithms=[alg])
    except JoseError:
        raise SignInRefused("signature", _("The ID token's signature does not verify.")) from None
    except (ValueError, TypeError):
        raise SignInRefused("id_token", _("The ID token cannot be read."), 400) from None
    claims = token.claims
    now = clock.now().timestamp() if now is None else now
    if claims.get("iss") != issuer:
        raise SignInRefused(
            "iss",
            _(
                "The ID token was issued by %(found)s, not by %(issuer)s.",
                found=str(claims.get("iss"))[:200],
                issuer=issuer,
            ),
        )
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise SignInRefused("aud", _("The ID token is meant for another client (aud)."))
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise SignInRefused(
            "azp",
            _("The ID token names several audiences but not ramp as the authorized party (azp)."),
        )
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise SignInRefused("exp", _("The ID token has no expiry (exp)."))
    if exp + LEEWAY < now:
        raise SignInRefused("exp", _("The ID token has expired."))
    if not isinstance(iat, int | float) or isinstance(iat, bool) or iat - LEEWAY > now:
        raise SignInRefused(
            "iat", _("The ID token's issue time (iat) is missing or in the future.")
        )
    if claims.get("nonce") != nonce:
        raise SignInRefused(
            "nonce", _("The ID token's nonce is not this sign-in's (a replayed or forged token).")
        )
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise SignInRefused("sub", _("The ID token has no usable subject (sub)."))
    return claims


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
