"""Identity providers as admins configure them: checked, saved, listed, and offered."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select, update

from ramp.accounts.models import Role, User
from ramp.accounts.operations import find_team
from ramp.audit.operations import record
from ramp.errors import ValidationError
from ramp.extensions import db
from ramp.sso import oidc
from ramp.sso.errors import SignInRefused
from ramp.sso.models import IdentityProvider, UserIdentity
from ramp.sso.saml import idp_entity_id
from ramp.sso.secrets import seal

PROTOCOLS = ("oidc", "saml")
# "group: role[, team]"; the group may hold colons itself (SAML group URIs).
MAPPING_LINE = re.compile(
    r"^\s*(?P<group>.+?)\s*:\s*(?P<role>agent|manager|admin)\s*(?:,\s*(?P<team>.+?))?\s*$",
    re.IGNORECASE,
)


def parse_group_mapping(text: str) -> list[dict]:
    """Lines "group: role[, team]" as a mapping; ValidationError naming each bad line."""
    mapping, problems = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = MAPPING_LINE.match(line)
        role = match and match["role"].lower()
        if not match or role not in {r.value for r in Role}:
            problems.append(
                _(
                    "group mapping, line %(line)d: write 'group: role' or 'group: role, team', "
                    "with role agent, manager or admin",
                    line=number,
                )
            )
            continue
        team = match["team"]
        if team and find_team(team) is None:
            problems.append(
                _("group mapping, line %(line)d: unknown team '%(team)s'", line=number, team=team)
            )
            continue
        mapping.append({"group": match["group"], "role": role, "team": team or None})
    if problems:
        raise ValidationError(problems)
    return mapping


def format_group_mapping(mapping: list) -> str:
    """The mapping as the lines an admin edits."""
    return "\n".join(
        f"{m['group']}: {m['role']}" + (f", {m['team']}" if m.get("team") else "")
        for m in mapping or []
    )


def _check_url(url: str, what: str, problems: list[str], allow_http: bool) -> None:
    parts = urlsplit(url or "")
    if parts.scheme not in (("https", "http") if allow_http else ("https",)) or not parts.netloc:
        problems.append(_("%(what)s must be an https:// address", what=what))


def save_provider(
    provider: IdentityProvider | None,
    *,
    actor: User | None,
    secret_key: str,
    allow_http: bool = False,
    **fields,
) -> IdentityProvider:
    """Create a provider (None) or change one; the client secret is kept only when given."""
    problems: list[str] = []
    creating = provider is None
    protocol = fields.get("protocol") if creating else provider.protocol
    if protocol not in PROTOCOLS:
        problems.append(_("choose OpenID Connect or SAML"))
    name = (fields.get("name") or "").strip()
    if not name or len(name) > 120:
        problems.append(_("give the provider a name of at most 120 characters"))
    else:
        taken = db.session.execute(
            select(IdentityProvider.id).where(IdentityProvider.name == name)
        ).scalar()
        if taken is not None and (creating or taken != provider.id):
            problems.append(_("another provider is already named %(name)s", name=name))
    issuer = (fields.get("issuer") or "").strip()
    secret = fields.get("client_secret") or ""
    metadata = (fields.get("saml_metadata") or "").strip()
    if protocol == "oidc":
        _check_url(issuer, _("The issuer"), problems, allow_http)
        if not (fields.get("client_id") or "").strip():
            problems.append(_("give the client id the provider issued to ramp"))
        if creating and not secret:
            problems.append(_("give the client secret the provider issued to ramp"))
    elif protocol == "saml":
        if not metadata:
            problems.append(_("paste the identity provider's SAML metadata (XML)"))
        else:
            try:
                issuer = idp_entity_id(metadata)
            except ValueError as exc:
                problems.append(str(exc))
    for claim in ("email_claim", "name_claim", "groups_claim"):
        if len(fields.get(claim) or "") > 120:
            problems.append(_("a claim name has at most 120 characters"))
    mapping = []
    try:
        mapping = parse_group_mapping(fields.get("group_mapping") or "")
    except ValidationError as exc:
        problems.extend(exc.problems)
    if problems:
        raise ValidationError(problems)
    if creating:
        provider = IdentityProvider(protocol=protocol)
        db.session.add(provider)
    provider.name = name
    provider.issuer = issuer[:500]
    provider.enabled = bool(fields.get("enabled", True))
    provider.client_id = (fields.get("client_id") or "").strip() or None
    if secret:
        provider.client_secret = seal(secret, secret_key)
    provider.scopes = (fields.get("scopes") or "openid email profile").strip()[:500]
    if "openid" not in provider.scopes.split():
        provider.scopes = "openid " + provider.scopes
    provider.saml_metadata = metadata or None
    provider.email_claim = (fields.get("email_claim") or "email").strip()
    provider.name_claim = (fields.get("name_claim") or "name").strip()
    provider.groups_claim = (fields.get("groups_claim") or "").strip() or None
    provider.allow_jit = bool(fields.get("allow_jit"))
    provider.allow_email_match = bool(fields.get("allow_email_match"))
    provider.require_verified_email = bool(fields.get("require_verified_email", True))
    provider.group_mapping = mapping
    provider.sign_out_at_provider = protocol == "oidc" and bool(fields.get("sign_out_at_provider"))
    db.session.flush()
    if not provider.sign_out_at_provider:  # the ID tokens kept as sign-out hints go
        db.session.execute(
            update(UserIdentity)
            .where(UserIdentity.provider_id == provider.id)
            .values(sign_out_hint=None)
        )
    oidc.forget_caches()
    record(
        actor,
        "sso.provider_create" if creating else "sso.provider_update",
        f"identity_provider:{provider.id}",
        name=provider.name,
        protocol=provider.protocol,
        issuer=provider.issuer,
        enabled=provider.enabled,
        sign_out_at_provider=provider.sign_out_at_provider,
        secret_changed=bool(secret),
    )
    return provider


def enabled_providers() -> list[IdentityProvider]:
    """The providers offered on the sign-in page, by name."""
    return list(
        db.session.execute(
            select(IdentityProvider).where(IdentityProvider.enabled).order_by(IdentityProvider.name)
        ).scalars()
    )


def all_providers() -> list[IdentityProvider]:
    """Every provider, by name (the admin's list)."""
    return list(
        db.session.execute(select(IdentityProvider).order_by(IdentityProvider.name)).scalars()
    )


def usable_provider(
    provider_id: int, protocol: str | None = None, *, enabled_only: bool = True
) -> IdentityProvider:
    """The provider to sign in with; refused when unknown or (unless told) switched off."""
    provider = db.session.get(IdentityProvider, provider_id)
    if provider is None or (protocol and provider.protocol != protocol):
        raise SignInRefused("provider", _("There is no such sign-in provider."), 404)
    if enabled_only and not provider.enabled:
        raise SignInRefused(
            "provider",
            _("Signing in with %(name)s is switched off; ask an admin.", name=provider.name),
            403,
        )
    return provider
