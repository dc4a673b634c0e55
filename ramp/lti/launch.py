"""Login initiation and launch validation, per the 1EdTech Security Framework and LTI Core.

Every refusal is a LaunchError naming the failed check. The state and its nonce are single
use: the launch that answers a login initiation uses its state up, whatever else happens.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

import jwt
from sqlalchemy import bindparam, delete, insert, select, update

from ramp.accounts.models import utcnow
from ramp.extensions import db
from ramp.lti import claims as c
from ramp.lti.errors import CookiesBlocked, LaunchError
from ramp.lti.models import LtiLoginState
from ramp.lti.registrations import (
    LaunchPlatform,
    launch_platform,
    login_platform,
    platform_hosts,
    platform_key,
)

STATE_LIFETIME = timedelta(minutes=10)
# Used and expired states are kept this much longer, so a replay is named as one.
STATE_KEPT = timedelta(hours=1)
LEEWAY = 30  # seconds of clock difference allowed between platform and ramp
STATE_COOKIE = "ramp-lti-state-"
MAX_PARAM = 2000  # characters of one login initiation parameter
MAX_TEXT = 1000  # characters of a text claim ramp reads
MAX_ID = 255  # characters of an id claim ramp keeps (sub, context and resource link ids)
# An id_token is a few KiB; anything near these sizes is hostile, refused before parsing.
MAX_ID_TOKEN = 64 * 1024  # characters of an id_token
MAX_LAUNCH_BODY = 256 * 1024  # bytes of a launch's form body
LOGIN_PARAMS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "client_id",
    "lti_deployment_id",
)


# The statements of every login and launch, built once (see ramp.lti.registrations).
_states = LtiLoginState.__table__
_NEW_STATE = insert(_states)
# Uses the state up and reads what the launch needs of it, in one statement; no row when it
# is not one ramp issued, or is used or expired.
_USE_STATE = (
    update(_states)
    .where(
        _states.c.state == bindparam("launch_state"),
        _states.c.used_at.is_(None),
        _states.c.expires_at > bindparam("now"),
    )
    .values(used_at=bindparam("now"))
    .returning(_states.c.registration_id, _states.c.nonce)
)
_STATE = select(_states.c.used_at, _states.c.expires_at, _states.c.login_params).where(
    _states.c.state == bindparam("state")
)


@dataclass(frozen=True)
class LoginRedirect:
    """Where to send the browser after a login initiation, and the state to bind to it."""

    url: str
    state: str
    nonce: str


def begin_login(params: dict, redirect_uri: str, tool_origin: str) -> LoginRedirect:
    """Answer a third-party login initiation with an OIDC authentication request."""
    for name, value in params.items():
        if len(value) > MAX_PARAM:
            raise LaunchError(
                name, f"the login initiation's {name} is longer than {MAX_PARAM} characters", 400
            )
    issuer = (params.get("iss") or "").strip()
    if not issuer:
        raise LaunchError("iss", "the login initiation has no issuer (iss)", 400)
    if not params.get("login_hint"):
        raise LaunchError("login_hint", "the login initiation has no login_hint", 400)
    target = params.get("target_link_uri") or ""
    if not target.startswith(tool_origin + "/"):
        raise LaunchError(
            "target_link_uri",
            f"the login initiation asks to open {target or 'nothing'}, which is not part of ramp",
            400,
        )
    registration = login_platform(issuer, params.get("client_id"))
    if registration is None:
        raise LaunchError(
            "iss",
            f"no platform is registered with issuer {issuer}"
            + (f" and client id {params['client_id']}" if params.get("client_id") else ""),
            400,
        )
    cleanup_states()
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    db.session.execute(
        _NEW_STATE,
        {
            "state": state,
            "nonce": nonce,
            "registration_id": registration.id,
            "login_params": {k: params[k] for k in LOGIN_PARAMS if params.get(k)},
            "created_at": now,
            "expires_at": now + STATE_LIFETIME,
        },
    )
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": registration.client_id,
        "redirect_uri": redirect_uri,
        "login_hint": params["login_hint"],
        "state": state,
        "nonce": nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in registration.login_url else "?"
    return LoginRedirect(registration.login_url + separator + urlencode(query), state, nonce)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_last_cleanup = float("-inf")


def cleanup_states(force: bool = False) -> int:
    """Delete states past their keeping time; at most once a minute unless forced."""
    global _last_cleanup
    now = time.monotonic()
    if not force and now - _last_cleanup < 60:
        return 0
    _last_cleanup = now
    result = db.session.execute(
        delete(LtiLoginState).where(LtiLoginState.expires_at < utcnow() - STATE_KEPT)
    )
    return result.rowcount or 0


@dataclass(frozen=True)
class UsedState:
    """What the launch needs of its login state once it is used up: plain values, which the
    commit that records the use does not expire (nothing is read from the database again)."""

    registration_id: int
    nonce: str


def use_state(state: str | None, id_token: str | None, cookie: str | None) -> UsedState:
    """Use up the state of a launch, once; refuse a forged, expired, replayed or unbound one.

    `cookie` is the state cookie set at login initiation in this browser. Nothing else binds
    the launch to the browser that began it: a state echoed back by the page (from platform
    storage, say) proves nothing, since whoever began the login knows it too, and accepting
    it would let them sign a victim's browser in as themselves (login CSRF).
    """
    if not id_token:
        raise LaunchError("id_token", "the launch carries no id_token", 400)
    if len(id_token) > MAX_ID_TOKEN:
        raise LaunchError(
            "id_token", "the launch's id_token is larger than 64 KiB; ramp does not read it", 400
        )
    if not state:
        raise LaunchError("state", "the launch carries no state", 400)
    if len(state) > 200:
        raise LaunchError("state", "the launch's state is not one ramp issued (too long)", 403)
    now = utcnow()
    if cookie == state:
        # The usual launch: one statement uses the state up, if it is usable.
        used = db.session.execute(_USE_STATE, {"launch_state": state, "now": now}).first()
        if used is not None:
            return UsedState(used.registration_id, used.nonce)
    # Refused: read the state to say why, in the order the checks are named.
    row = db.session.execute(_STATE, {"state": state}).first()
    if row is None:
        raise LaunchError(
            "state", "the launch's state was not issued by ramp (forged or from elsewhere)", 403
        )
    if row.used_at is not None:
        raise LaunchError(
            "replay", "this launch was already used; a launch can be used only once", 403
        )
    if _aware(row.expires_at) <= now:
        raise LaunchError("state", "the launch took too long and its state expired", 403)
    if cookie != state:
        if cookie is None:
            raise CookiesBlocked(row.login_params)
        raise LaunchError("state", "the launch's state does not match this browser's", 403)
    # Usable when read, yet not used up a moment before: it expired or was used in between.
    raise LaunchError("state", "the launch took too long and its state expired", 403)


@dataclass(frozen=True)
class Launch:
    """A launch that passed every check: who, from where, what kind."""

    registration: LaunchPlatform
    deployment_id: str
    message_type: str
    claims: dict


def _audiences(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(a, str) for a in value):
        return value
    return []


def _segment(text: str) -> dict:
    """One base64url segment of a JWT, read as a JSON object."""
    if not text or len(text) % 4 == 1:
        raise ValueError("not base64url")
    value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _unverified(id_token: str) -> tuple[dict, dict]:
    """The header and claims of an id_token, read but not yet trusted: they only find the
    registration whose key then verifies these same bytes (jwt.decode, which reads them
    again, strictly). Read here with the standard library, since the library's own reading
    costs as much as the verification."""
    parts = id_token.split(".")
    try:
        if len(parts) != 3:
            raise ValueError("not three segments")
        return _segment(parts[0]), _segment(parts[1])
    except (ValueError, binascii.Error, RecursionError):
        raise LaunchError("id_token", "the id_token is not a well-formed JWT") from None


def validate_id_token(id_token: str, login: UsedState, now: datetime | None = None) -> Launch:
    """Check the id_token of a launch against its registration; every check by name."""
    header, unverified = _unverified(id_token)
    # Whether the deployment is registered is read now, beside the registration, and decided
    # on only once the signature verifies (the verified claims are these same bytes).
    deployment_id = unverified.get(c.DEPLOYMENT_ID)
    registration = launch_platform(
        login.registration_id, deployment_id if isinstance(deployment_id, str) else ""
    )
    if registration is None:
        raise LaunchError("iss", "the platform of this launch is no longer registered", 403)
    if header.get("alg") != "RS256":
        raise LaunchError("alg", f"the id_token is signed with {header.get('alg')!r}, not RS256")
    if unverified.get("iss") != registration.issuer:
        raise LaunchError(
            "iss",
            f"the id_token was issued by {unverified.get('iss')!r}, not by {registration.issuer}",
        )
    audiences = _audiences(unverified.get("aud"))
    if registration.client_id not in audiences:
        raise LaunchError(
            "aud", f"the id_token is meant for {unverified.get('aud')!r}, not for ramp's client id"
        )
    azp = unverified.get("azp")
    if (len(audiences) > 1 and azp is None) or (azp is not None and azp != registration.client_id):
        raise LaunchError("azp", f"the id_token's authorized party {azp!r} is not ramp's client id")
    kid = header.get("kid")
    if not kid:
        raise LaunchError("kid", "the id_token names no signing key (kid)")
    key = platform_key(registration, kid)
    try:
        verified = jwt.decode(
            id_token,
            key,
            algorithms=["RS256"],
            audience=registration.client_id,
            issuer=registration.issuer,
            leeway=LEEWAY,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except jwt.InvalidSignatureError:
        raise LaunchError("signature", "the id_token's signature does not verify") from None
    except jwt.ExpiredSignatureError:
        raise LaunchError("exp", "the id_token has expired") from None
    except jwt.ImmatureSignatureError:
        raise LaunchError("iat", "the id_token was issued in the future") from None
    except jwt.exceptions.InvalidSubjectError:
        raise LaunchError("sub", "the launch's sub claim is not a string", 400) from None
    except jwt.MissingRequiredClaimError as exc:
        raise LaunchError(exc.claim, f"the id_token has no {exc.claim} claim") from None
    except jwt.PyJWTError as exc:
        raise LaunchError("id_token", f"the id_token was refused: {exc}") from None
    now_ts = (now or utcnow()).timestamp()
    iat = verified.get("iat")
    if not isinstance(iat, int | float) or iat > now_ts + LEEWAY:
        raise LaunchError("iat", "the id_token was issued in the future")
    nonce = verified.get("nonce")
    if not nonce:
        raise LaunchError("nonce", "the id_token carries no nonce")
    if nonce != login.nonce:
        raise LaunchError("nonce", "the id_token's nonce is not the one of this launch")
    return check_message(registration, verified)


def _refuse(name: str, why: str):
    raise LaunchError(name, f"the launch's {name} claim {why}", 400)


def _text(value, name: str, limit: int = MAX_TEXT) -> str | None:
    """A string claim (or None when absent); refused when of another type or too long.

    Claims a launch must have are checked for presence first, by check_message."""
    if value is None:
        return None
    if not isinstance(value, str):
        _refuse(name, f"is a {type(value).__name__}, not a string")
    if len(value) > limit:
        _refuse(name, f"is longer than {limit} characters")
    return value


def _texts(value, name: str) -> list[str] | None:
    """A list-of-strings claim (or None when absent)."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 200:
        _refuse(name, "is not a list of strings")
    for item in value:
        _text(item, name)
    return value


def _object(value, name: str) -> dict:
    """An object claim ({} when absent)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        _refuse(name, f"is a {type(value).__name__}, not an object")
    return value


def _service_url(value, name: str, hosts: frozenset[str] | None):
    """An http(s) URL claim; a service ramp calls must be on one of the platform's hosts."""
    url = _text(value, name, limit=1000)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        _refuse(name, "is not an http(s) URL")
    if hosts is not None and parts.netloc.lower() not in hosts:
        _refuse(
            name,
            f"points at {parts.netloc}, which is not a host of the registered platform "
            "(an admin can add it to the registration's LMS origins)",
        )
    return url


def check_claims(registration: LaunchPlatform, claims: dict, message_type: str) -> None:
    """Every claim ramp reads has the type and size it should: a 400 naming the one that does
    not, so no later step meets a list where it expects a name, nor calls a foreign host."""
    hosts = platform_hosts(registration)
    _text(claims.get("sub"), "sub", limit=MAX_ID)
    for name in ("name", "given_name", "family_name", "email"):
        _text(claims.get(name), name)
    _texts(claims.get(c.ROLES), "roles")
    context = _object(claims.get(c.CONTEXT), "context")
    _text(context.get("id"), "context.id", limit=MAX_ID)
    _text(context.get("title"), "context.title")
    _text(context.get("label"), "context.label")
    custom = _object(claims.get(c.CUSTOM), "custom")
    _text(custom.get("ramp_target"), "custom.ramp_target", limit=300)
    ags = _object(claims.get(c.AGS_ENDPOINT), "endpoint")
    _service_url(ags.get("lineitems"), "endpoint.lineitems", hosts)
    _service_url(ags.get("lineitem"), "endpoint.lineitem", hosts)
    _texts(ags.get("scope"), "endpoint.scope")
    nrps = _object(claims.get(c.NRPS), "namesroleservice")
    _service_url(
        nrps.get("context_memberships_url"), "namesroleservice.context_memberships_url", hosts
    )
    if message_type == c.RESOURCE_LINK_REQUEST:
        link = _object(claims.get(c.RESOURCE_LINK), "resource_link")
        _text(link.get("id"), "resource_link.id", limit=MAX_ID)
        _text(link.get("title"), "resource_link.title")
        _service_url(claims.get(c.TARGET_LINK_URI), "target_link_uri", None)
    else:
        settings = _object(claims.get(c.DL_SETTINGS), "deep_linking_settings")
        _service_url(
            settings.get("deep_link_return_url"),
            "deep_linking_settings.deep_link_return_url",
            hosts,
        )
        _texts(settings.get("accept_types"), "deep_linking_settings.accept_types")
        _text(settings.get("title"), "deep_linking_settings.title")
        for flag in ("accept_multiple", "accept_lineitem"):
            if not isinstance(settings.get(flag, True), bool):
                _refuse(f"deep_linking_settings.{flag}", "is not true or false")


def check_message(registration: LaunchPlatform, verified: dict) -> Launch:
    """The LTI Core checks of a verified id_token: version, deployment, type, required claims."""
    if verified.get(c.VERSION) != c.LTI_VERSION:
        raise LaunchError(
            "version", f"the launch is LTI version {verified.get(c.VERSION)!r}, not 1.3.0", 400
        )
    deployment_id = verified.get(c.DEPLOYMENT_ID)
    if not deployment_id or not isinstance(deployment_id, str):
        raise LaunchError("deployment_id", "the launch names no deployment", 400)
    _text(deployment_id, "deployment_id", limit=MAX_ID)
    if deployment_id != registration.deployment_id:
        raise LaunchError(
            "deployment_id",
            f"deployment {deployment_id!r} of {registration.name} is not registered with ramp",
            403,
        )
    message_type = verified.get(c.MESSAGE_TYPE)
    if message_type not in c.MESSAGE_TYPES:
        raise LaunchError("message_type", f"ramp does not accept {message_type!r} messages", 400)
    if not verified.get("sub"):
        raise LaunchError("sub", "the launch names no user (sub)", 400)
    if not isinstance(verified.get(c.ROLES), list):
        raise LaunchError("roles", "the launch has no roles claim", 400)
    if message_type == c.RESOURCE_LINK_REQUEST:
        link = verified.get(c.RESOURCE_LINK)
        if not isinstance(link, dict) or not link.get("id"):
            raise LaunchError("resource_link.id", "the launch has no resource link id", 400)
        if not verified.get(c.TARGET_LINK_URI):
            raise LaunchError("target_link_uri", "the launch has no target link URI", 400)
    else:
        settings = verified.get(c.DL_SETTINGS)
        if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
            raise LaunchError(
                "deep_linking_settings", "the deep-linking request has no return URL", 400
            )
    check_claims(registration, verified, message_type)
    return Launch(registration, deployment_id, message_type, verified)
