"""Identity providers, the identities they vouch for, sign-ins in flight, and the policy."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ramp.accounts.models import User, utcnow
from ramp.extensions import db


class IdentityProvider(db.Model):
    """An OpenID Connect or SAML 2.0 provider people sign in with, as an admin configured it."""

    __tablename__ = "identity_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # "oidc" or "saml"
    protocol: Mapped[str] = mapped_column(String(8))
    enabled: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # OIDC: the issuer (discovery is read from it). SAML: the IdP's entity id.
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str | None] = mapped_column(String(255))
    # Encrypted with a key derived from SECRET_KEY (ramp.sso.secrets); never shown back.
    client_secret: Mapped[str | None] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(String(500), default="openid email profile")
    # SAML: the IdP's metadata document (its certificate and single sign-on URL).
    saml_metadata: Mapped[str | None] = mapped_column(Text)
    email_claim: Mapped[str] = mapped_column(String(120), default="email")
    name_claim: Mapped[str] = mapped_column(String(120), default="name")
    groups_claim: Mapped[str | None] = mapped_column(String(120))
    allow_jit: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    allow_email_match: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Whether an e-mail must come with email_verified=true before it creates or matches a user.
    require_verified_email: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # [{"group": "support-leads", "role": "manager", "team": "Tier 1"}, ...]
    group_mapping: Mapped[list] = mapped_column(JSON, default=list)
    # OpenID Connect: signing out of ramp also signs out at the provider (RP-initiated logout).
    sign_out_at_provider: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserIdentity(db.Model):
    """A provider's user (issuer and subject), bound to one ramp user for good."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("identity_providers.id", ondelete="SET NULL"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]
    # The ID token of the last sign-in, encrypted, kept only while the provider signs out
    # with ramp: the hint its end-session endpoint asks for. Each sign-in replaces it.
    sign_out_hint: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship()
    provider: Mapped[IdentityProvider | None] = relationship()


class SsoLoginState(db.Model):
    """One sign-in in flight: its state and nonce (OIDC) or request id (SAML); used up once."""

    __tablename__ = "sso_login_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(64), unique=True)
    # OIDC: the nonce of the ID token. SAML: the AuthnRequest's ID (InResponseTo).
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    code_verifier: Mapped[str | None] = mapped_column(String(128))
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("identity_providers.id", ondelete="CASCADE"), index=True
    )
    next_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class SamlAssertionSeen(db.Model):
    """A SAML assertion already used to sign in: the same ID again is a replay."""

    __tablename__ = "saml_assertions_seen"

    id: Mapped[int] = mapped_column(primary_key=True)
    assertion_id: Mapped[str] = mapped_column(String(255), unique=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("identity_providers.id", ondelete="CASCADE"), index=True
    )
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Setting(db.Model):
    """One organisation-wide setting, by key (the local-password policy: "sign_in")."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
