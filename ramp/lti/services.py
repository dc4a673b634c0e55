"""OAuth 2 access tokens for platform services, got with a signed client assertion."""

from __future__ import annotations

import threading
import time
import uuid

from ramp.extensions import db
from ramp.keys.operations import active_key, sign
from ramp.lti.errors import PlatformError
from ramp.lti.http import Answer, call
from ramp.lti.models import LtiRegistration

_tokens: dict[tuple[int, str], tuple[str, float]] = {}
_lock = threading.Lock()


def forget_tokens() -> None:
    """Drop cached access tokens."""
    with _lock:
        _tokens.clear()


def publish_signing_key() -> None:
    """Make sure the tool's LTI key exists and is committed before a platform is asked to check it.

    The platform verifies the client assertion against ramp's published key set in another
    request; a key made inside this transaction would not be there yet.
    """
    active_key("lti")
    db.session.commit()


def client_assertion(registration: LtiRegistration) -> str:
    """A JWT proving ramp is the registered client, signed with the tool's LTI key."""
    now = int(time.time())
    return sign(
        "lti",
        {
            "iss": registration.client_id,
            "sub": registration.client_id,
            "aud": registration.token_audience or registration.token_url,
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
        },
    )


def access_token(registration: LtiRegistration, scopes: list[str]) -> str:
    """An access token for `scopes`, cached until shortly before it expires."""
    scope = " ".join(sorted(scopes))
    key = (registration.id, scope)
    with _lock:
        cached = _tokens.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
    answer = call(
        "POST",
        registration.token_url,
        form={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": client_assertion(registration),
            "scope": scope,
        },
        headers={"Accept": "application/json"},
    ).json()
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token or len(token) > 4096:
        raise PlatformError("the platform's token endpoint gave no access token")
    lifetime = answer.get("expires_in", 3600)
    if isinstance(lifetime, str) and lifetime.strip().isdecimal():
        lifetime = int(lifetime)  # some platforms send the number as a string
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or lifetime <= 0:
        raise PlatformError(
            f"the platform's token endpoint gave expires_in {lifetime!r}, not a number of seconds"
        )
    lifetime = min(float(lifetime), 24 * 3600.0)
    with _lock:
        _tokens[key] = (token, time.monotonic() + max(lifetime - 60, lifetime / 2))
    return token


def service_call(
    registration: LtiRegistration, scopes: list[str], method: str, url: str, **kwargs
) -> Answer:
    """A call to a platform service with a bearer token; one fresh token on a 401."""
    for attempt in range(2):
        headers = dict(kwargs.pop("headers", None) or {})
        headers["Authorization"] = "Bearer " + access_token(registration, scopes)
        try:
            return call(method, url, headers=headers, **kwargs)
        except PlatformError as exc:
            if exc.status == 401 and attempt == 0:
                forget_tokens()
                kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
                continue
            raise
    raise AssertionError("unreachable")
