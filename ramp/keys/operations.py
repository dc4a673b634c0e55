"""Create, rotate, publish and sign with the tool's keys.

Each purpose (``lti``, ``credentials``) has one active key that signs. Rotation makes a new
active key and keeps the old one published for an overlap, so a token signed a moment
before the rotation still verifies wherever the key set was cached.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta
from functools import lru_cache

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask_babel import gettext as _
from sqlalchemy import or_, select

from ramp.accounts.models import utcnow
from ramp.errors import ValidationError
from ramp.extensions import db
from ramp.keys.models import SigningKey

PURPOSES = ("lti", "credentials")
DEFAULT_OVERLAP = timedelta(days=7)


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def thumbprint(jwk: dict) -> str:
    """The RFC 7638 SHA-256 thumbprint of an RSA public JWK, base64url without padding."""
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValidationError(
            _(
                "unknown key purpose %(purpose)r (%(purposes)s)",
                purpose=purpose,
                purposes=_(
                    "%(items)s or %(last)s", items=", ".join(PURPOSES[:-1]), last=PURPOSES[-1]
                ),
            )
        )


def create_key(purpose: str) -> SigningKey:
    """A new 2048-bit RSA key for `purpose`, active at once."""
    _check_purpose(purpose)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = private.public_key().public_numbers()
    jwk = {"kty": "RSA", "n": _b64(numbers.n), "e": _b64(numbers.e)}
    kid = thumbprint(jwk)
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    key = SigningKey(purpose=purpose, kid=kid, private_pem=pem, public_jwk=jwk)
    db.session.add(key)
    db.session.flush()
    return key


def active_key(purpose: str) -> SigningKey:
    """The key that signs for `purpose` now, made on first use."""
    _check_purpose(purpose)
    key = db.session.execute(
        select(SigningKey)
        .where(SigningKey.purpose == purpose, SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc(), SigningKey.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return key if key is not None else create_key(purpose)


def rotate_key(purpose: str, overlap: timedelta = DEFAULT_OVERLAP) -> SigningKey:
    """Retire the active key (published for `overlap` more) and make a new active one."""
    if overlap < timedelta(0):
        raise ValidationError(_("the overlap cannot be negative"))
    now = utcnow()
    for old in db.session.execute(
        select(SigningKey).where(SigningKey.purpose == purpose, SigningKey.retired_at.is_(None))
    ).scalars():
        old.retired_at = now
        old.expires_at = now + overlap
    return create_key(purpose)


def published_keys(purpose: str, now: datetime | None = None) -> list[SigningKey]:
    """Keys of `purpose` that may still verify: the active one and those in their overlap."""
    _check_purpose(purpose)
    now = now or utcnow()
    return list(
        db.session.execute(
            select(SigningKey)
            .where(
                SigningKey.purpose == purpose,
                or_(SigningKey.expires_at.is_(None), SigningKey.expires_at > now),
            )
            .order_by(SigningKey.created_at.desc(), SigningKey.id.desc())
        ).scalars()
    )


def jwks(purpose: str) -> dict:
    """The public key set of `purpose` as served at its JWKS URL; makes the first key if none."""
    keys = published_keys(purpose)
    if not keys:
        keys = [active_key(purpose)]
    return {"keys": [dict(k.public_jwk) for k in keys]}


@lru_cache(maxsize=16)
def _load_private(kid: str, pem: str):
    return serialization.load_pem_private_key(pem.encode(), password=None)


def sign(purpose: str, claims: dict, headers: dict | None = None, *, kid_prefix: str = "") -> str:
    """A compact JWS of `claims` signed with the active key of `purpose` (RS256, with kid).

    With `kid_prefix` the ``kid`` header is that prefix followed by the key's thumbprint:
    a URL where verifiers fetch the key, as Open Badges asks of credentials.
    """
    key = active_key(purpose)
    header = {"kid": kid_prefix + key.kid, **(headers or {})}
    return jwt.encode(
        claims, _load_private(key.kid, key.private_pem), algorithm=key.algorithm, headers=header
    )


def find_key(purpose: str, kid: str) -> SigningKey | None:
    """Any key of `purpose` by its thumbprint, retired or not, so old signatures still verify."""
    return db.session.execute(
        select(SigningKey).where(SigningKey.purpose == purpose, SigningKey.kid == kid)
    ).scalar_one_or_none()


def all_keys() -> list[SigningKey]:
    """Every signing key, retired or not: by purpose, the oldest first."""
    return list(
        db.session.execute(
            select(SigningKey).order_by(SigningKey.purpose, SigningKey.created_at)
        ).scalars()
    )
