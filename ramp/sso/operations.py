"""Providers as admins configure them, sign-ins begun and completed, and who they sign in as.

A provider's user is known by (issuer, subject) and bound to one ramp user for good: a later
sign-in with that subject is that user whatever e-mail it carries, and a ramp user already
bound to another subject of the same issuer is never bound to a second one by e-mail.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, select, update

from ramp.accounts.models import Role, Team, User, utcnow
from ramp.accounts.operations import EMAIL_RE, create_user, find_team, find_user_by_email
from ramp.audit.operations import record
from ramp.errors import ValidationError
from ramp.extensions import db
from ramp.sso import oidc
from ramp.sso.errors import SignInRefused
from ramp.sso.models import IdentityProvider, SsoLoginState, UserIdentity
from ramp.sso.policy import password_policy
from ramp.sso.secrets import seal, unseal

STATE_LIFETIME = timedelta(minutes=10)
# The shape of the states ramp issues (secrets.token_urlsafe(32)); anything else is not one.
STATE_FORM = re.compile(r"[A-Za-z0-9_-]{20,100}")
STATE_KEPT = timedelta(hours=1)  # used and expired states stay this long, so a replay is named
ROLE_RANK = {Role.AGENT: 0, Role.MANAGER: 1, Role.ADMIN: 2}


# -- states ------------------------------------------------------------------------------------

_states = SsoLoginState.__table__
_USE_STATE = (
    update(_states)
    .where(
        _states.c.state == bindparam("given_state"),
        _states.c.used_at.is_(None),
        _states.c.expires_at > bindparam("now"),
    )
    .values(used_at=bindparam("now"))
    .returning(_states.c.provider_id, _states.c.nonce, _states.c.code_verifier, _states.c.next_url)
)


@dataclass(frozen=True)
class UsedState:
    """What the answer to a sign-in needs of its state, once it is used up."""

    provider_id: int
    nonce: str
    code_verifier: str | None
    next_url: str | None


_last_cleanup = float("-inf")


def cleanup_states(force: bool = False) -> None:
    """Delete states past their keeping time; at most once a minute unless forced."""
    global _last_cleanup
    now = time.monotonic()
    if not force and now - _last_cleanup < 60:
        return
    _last_cleanup = now
    db.session.execute(
        delete(SsoLoginState).where(SsoLoginState.expires_at < utcnow() - STATE_KEPT)
    )


def new_state(
    provider: IdentityProvider, next_url: str | None, nonce: str | None = None
) -> SsoLoginState:
    """A state for one sign-in, with its nonce (or SAML request id) and PKCE verifier."""
    cleanup_states()
    now = utcnow()
    row = SsoLoginState(
        state=secrets.token_urlsafe(32),
        nonce=nonce or secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(64) if provider.protocol == "oidc" else None,
        provider_id=provider.id,
        next_url=next_url,
        created_at=now,
        expires_at=now + STATE_LIFETIME,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def use_state(state: str | None, bound: str | None, provider_id: int) -> UsedState:
    """Use up a sign-in's state, once; refuse a forged, expired, replayed or unbound one.

    `bound` is the state this browser's session began; anything else is a login CSRF.
    """
    if not state:
        raise SignInRefused("state", _("The answer carries no state ramp issued."), 400)
    if not STATE_FORM.fullmatch(state):
        raise SignInRefused("state", _("The answer's state was not issued by ramp."), 403)
    now = utcnow()
    if bound == state:
        used = db.session.execute(_USE_STATE, {"given_state": state, "now": now}).first()
        if used is not None:
            if used.provider_id != provider_id:
                raise SignInRefused("state", _("This answer is for another provider."), 400)
            return UsedState(used.provider_id, used.nonce, used.code_verifier, used.next_url)
    row = db.session.execute(
        select(SsoLoginState.used_at, SsoLoginState.expires_at).where(SsoLoginState.state == state)
    ).first()
    if row is None:
        raise SignInRefused("state", _("The answer's state was not issued by ramp."), 403)
    if row.used_at is not None:
        raise SignInRefused(
            "state", _("This sign-in was already used (a replayed answer). Sign in again."), 403
        )
    if _aware(row.expires_at) <= now:
        raise SignInRefused("state", _("This sign-in took too long. Sign in again."), 403)
    raise SignInRefused(
        "state", _("This sign-in was begun in another browser. Sign in again here."), 403
    )


# -- OpenID Connect ----------------------------------------------------------------------------


def begin_oidc(
    provider: IdentityProvider, redirect_uri: str, next_url: str | None
) -> tuple[str, str]:
    """The provider's authentication URL and the state to bind to this browser."""
    row = new_state(provider, next_url)
    url = oidc.authorization_url(
        provider.issuer,
        provider.client_id or "",
        provider.scopes,
        redirect_uri,
        row.state,
        row.nonce,
        row.code_verifier or "",
    )
    return url, row.state


def complete_oidc(
    provider: IdentityProvider,
    used: UsedState,
    code: str | None,
    redirect_uri: str,
    secret_key: str,
) -> tuple[User, int]:
    """Exchange the code, check the ID token, and sign in as the user it names: the user and
    the identity they signed in as. With the provider set to sign out with ramp, the ID
    token is kept, sealed, as the hint of that sign-out."""
    if not code or len(code) > 2000:
        raise SignInRefused("code", _("The answer carries no authorization code."), 400)
    id_token = oidc.exchange_code(
        provider.issuer,
        provider.client_id or "",
        unseal(provider.client_secret or "", secret_key),
        code,
        redirect_uri,
        used.code_verifier or "",
    )
    claims = oidc.validate_id_token(id_token, provider.issuer, provider.client_id or "", used.nonce)
    user = sign_in_as(provider, provider.issuer, claims["sub"], claims)
    identity = _identity(provider.issuer, claims["sub"])
    if provider.sign_out_at_provider:  # the hint its sign-out asks for (provider_sign_out)
        identity.sign_out_hint = seal(id_token, secret_key)
    return user, identity.id


@dataclass(frozen=True)
class ProviderSignOut:
    """Signing out at the provider a user signed in with: its name, and the address of its
    sign-out (None when it could not be worked out: the browser must be told)."""

    provider: str
    url: str | None


def provider_sign_out(
    identity_id: int | None, user: User, post_logout_redirect_uri: str, secret_key: str
) -> ProviderSignOut | None:
    """The sign-out to visit at the OpenID provider through which `user` signed in (the
    identity the session names), or None when there is none to visit: no such identity of
    this user, a SAML or switched-off provider, or one not set to sign out with ramp. The
    hint is the ID token of the user's last sign-in through it (each sign-in replaces it),
    so a second device's sign-out carries one too. It only reads; a provider that cannot
    be reached gives a sign-out without an address, never an error."""
    identity = db.session.get(UserIdentity, identity_id) if isinstance(identity_id, int) else None
    if identity is None or identity.user_id != user.id or identity.provider is None:
        return None
    provider = identity.provider
    if not (provider.protocol == "oidc" and provider.enabled and provider.sign_out_at_provider):
        return None
    hint = None
    if identity.sign_out_hint:
        try:
            hint = unseal(identity.sign_out_hint, secret_key)
        except SignInRefused:
            hint = None  # sealed under an earlier SECRET_KEY: the provider may ask to confirm
    url = oidc.end_session_url(
        provider.issuer, provider.client_id or "", hint, post_logout_redirect_uri
    )
    return ProviderSignOut(provider.name, url)


# -- who signs in ------------------------------------------------------------------------------


def _claim(claims: dict, name: str | None):
    value = claims.get(name) if name else None
    if isinstance(value, list) and len(value) == 1 and name != "groups":
        value = value[0]
    return value


def _groups(claims: dict, name: str | None) -> list[str]:
    value = claims.get(name) if name else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [g for g in value if isinstance(g, str)]
    return []


def _verified(claims: dict) -> bool:
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.lower() == "true")


def mapped_role_and_team(
    provider: IdentityProvider, groups: list[str]
) -> tuple[Role | None, Team | None]:
    """The highest role any of the groups maps to, and the first mapped team."""
    role, team = None, None
    for entry in provider.group_mapping or []:
        if entry.get("group") not in groups:
            continue
        mapped = Role(entry["role"])
        if role is None or ROLE_RANK[mapped] > ROLE_RANK[role]:
            role = mapped
        if team is None and entry.get("team"):
            team = find_team(entry["team"])
    return role, team


def _identity(issuer: str, subject: str) -> UserIdentity | None:
    return db.session.execute(
        select(UserIdentity).where(UserIdentity.issuer == issuer, UserIdentity.subject == subject)
    ).scalar_one_or_none()


def sign_in_as(provider: IdentityProvider, issuer: str, subject: str, claims: dict) -> User:
    """The ramp user this provider's user signs in as: bound, matched by e-mail, or created."""
    email = _claim(claims, provider.email_claim)
    email = email.strip().lower() if isinstance(email, str) else None
    name = _claim(claims, provider.name_claim)
    groups = _groups(claims, provider.groups_claim)
    verified = _verified(claims) or not provider.require_verified_email
    identity = _identity(issuer, subject)
    via = {"provider": provider.name, "provider_id": provider.id, "protocol": provider.protocol}
    if identity is not None:
        user = identity.user
    else:
        user = _match_or_create(provider, issuer, email, verified, name, groups, via)
        identity = UserIdentity(
            provider_id=provider.id, issuer=issuer, subject=subject, user_id=user.id
        )
        db.session.add(identity)
        db.session.flush()
        record(user, "sso.bind", f"user:{user.id}", issuer=issuer, provider_subject=subject, **via)
    if not user.is_active:
        raise SignInRefused("account", _("This ramp account is deactivated."), 403)
    _apply_groups(provider, user, groups, via)
    identity.last_sign_in_at = utcnow()
    identity.provider_id = provider.id
    record(user, "sso.sign_in", f"user:{user.id}", **via)
    return user


def _match_or_create(
    provider: IdentityProvider,
    issuer: str,
    email: str | None,
    verified: bool,
    name,
    groups: list[str],
    via: dict,
) -> User:
    if not email or not EMAIL_RE.match(email) or len(email) > 254:
        raise SignInRefused(
            "email",
            _(
                "%(provider)s did not send an e-mail address (claim %(claim)s), so ramp cannot "
                "find your account.",
                provider=provider.name,
                claim=provider.email_claim,
            ),
            403,
        )
    existing = find_user_by_email(email)
    if existing is not None and not provider.allow_email_match:
        raise SignInRefused(
            "email",
            _(
                "Your %(provider)s account is not linked to a ramp account yet; ask an admin.",
                provider=provider.name,
            ),
            403,
        )
    if (existing is not None or provider.allow_jit) and not verified:
        raise SignInRefused(
            "email_verified",
            _(
                "%(provider)s does not say your e-mail address is verified, which ramp "
                "requires before it signs you in.",
                provider=provider.name,
            ),
            403,
        )
    if existing is not None:
        bound = db.session.execute(
            select(UserIdentity.id).where(
                UserIdentity.user_id == existing.id, UserIdentity.issuer == issuer
            )
        ).first()
        if bound is not None:
            raise SignInRefused(
                "subject",
                _(
                    "The ramp account for %(email)s is already linked to another %(provider)s "
                    "user; ask an admin.",
                    email=email,
                    provider=provider.name,
                ),
                409,
            )
        return existing
    if not provider.allow_jit:
        raise SignInRefused(
            "account",
            _("There is no ramp account for %(email)s; ask an admin.", email=email),
            403,
        )
    role, team = mapped_role_and_team(provider, groups)
    display = name.strip()[:120] if isinstance(name, str) and name.strip() else email
    try:
        user = create_user(
            email,
            display,
            None,
            role or Role.AGENT,
            team.name if team else None,
        )
    except ValidationError as exc:
        raise SignInRefused("account", "; ".join(exc.problems), 403) from None
    record(user, "sso.create", f"user:{user.id}", email=email, groups=groups[:50], **via)
    return user


def _keeps_ramp_open(user: User) -> bool:
    """Whether `user` is the last active admin, or the break-glass admin of the policy."""
    if password_policy().break_glass_user_id == user.id:
        return True
    admins = db.session.execute(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN, User.is_active_account.is_(True))
    ).scalar_one()
    return admins <= 1


def _apply_groups(provider: IdentityProvider, user: User, groups: list[str], via: dict) -> None:
    """Role and team follow the provider's groups when the mapping names one of them."""
    if not provider.groups_claim or not provider.group_mapping:
        return
    role, team = mapped_role_and_team(provider, groups)
    if role is not None and user.is_admin and role is not Role.ADMIN and _keeps_ramp_open(user):
        role = None  # the provider's groups never take away the admin ramp cannot do without
    changes = {}
    if role is not None and role is not user.role:
        changes["role"] = [user.role.value, role.value]
        user.role = role
    if team is not None and team.id != user.team_id:
        changes["team"] = [user.team.name if user.team else None, team.name]
        user.team = team
    if changes:
        db.session.flush()
        record(user, "sso.groups", f"user:{user.id}", changes=changes, **via)
