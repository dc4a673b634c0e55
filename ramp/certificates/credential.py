"""The Open Badges 3.0 credential of a certificate, signed as a VC-JWT.

The credential follows the Open Badges 3.0 data model (an ``OpenBadgeCredential`` in the
Verifiable Credentials 2.0 shape): the issuer profile, the achievement and the public key
set are served by ramp at the URLs named inside it. The recipient is identified by a salted
SHA-256 hash of their e-mail address, so the credential shows nobody's address. The JWT
carries the credential's members as its payload, with ``iss``, ``jti``, ``nbf`` and ``exp``
mirroring ``issuer.id``, ``id``, ``validFrom`` and ``validUntil``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from ramp.certificates.codes import format_code
from ramp.keys.operations import sign

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
STATUS_TYPE = "1EdTechRevocationList"


def _iso(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def urls(base_url: str, code: str | None = None, template_slug: str | None = None) -> dict:
    """The public URLs a credential names, all under the app's base URL."""
    base = base_url.rstrip("/")
    out = {
        "issuer": f"{base}/certificates/issuer",
        "jwks": f"{base}/certificates/jwks.json",
        "revocations": f"{base}/certificates/revocations",
    }
    if code:
        out["verify"] = f"{base}/verify/{format_code(code)}"
    if template_slug:
        out["achievement"] = f"{base}/certificates/achievements/{template_slug}"
    return out


def issuer_profile(base_url: str, organization: str) -> dict:
    """The issuer's Open Badges profile."""
    return {
        "@context": CONTEXT,
        "id": urls(base_url)["issuer"],
        "type": ["Profile"],
        "name": organization,
        "url": base_url.rstrip("/") + "/",
    }


def achievement(base_url: str, template: dict, curriculum: dict | None) -> dict:
    """The achievement a readiness certificate stands for: finishing one ramp template."""
    what = f"the {curriculum['title']} curriculum and " if curriculum else ""
    return {
        "id": urls(base_url, template_slug=template["slug"])["achievement"],
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": f"Ready: {template['title']}",
        "description": (
            f"Completed {what}the ramp plan “{template['title']}”, met its readiness "
            "milestones, and was signed off as ready by a manager."
        ),
        "criteria": {
            "narrative": (
                "Every module and knowledge check the ramp template requires, every required "
                "milestone achieved or waived, and a manager's readiness sign-off."
            )
        },
    }


def recipient_identity(email: str, salt: str) -> dict:
    """A hashed e-mail identity object: verifiable by whoever knows the address, nobody else."""
    digest = hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()
    return {
        "type": "IdentityObject",
        "identityHash": f"sha256${digest}",
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }


def build_credential(cert, email: str, base_url: str) -> dict:
    """The unsigned OpenBadgeCredential of a certificate."""
    snap = cert.snapshot
    where = urls(base_url, cert.code, snap["template"]["slug"])
    return {
        "@context": CONTEXT,
        "id": where["verify"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"Ready: {snap['template']['title']}",
        "issuer": {
            "id": where["issuer"],
            "type": ["Profile"],
            "name": snap["organization"],
        },
        "validFrom": _iso(cert.issued_at),
        "validUntil": _iso(cert.expires_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [recipient_identity(email, secrets.token_hex(8))],
            "achievement": achievement(base_url, snap["template"], snap["curriculum"]),
        },
        "credentialStatus": {"id": where["revocations"], "type": STATUS_TYPE},
    }


def sign_credential(credential: dict) -> str:
    """The credential as a compact VC-JWT, signed with the issuer's active key."""
    valid_from = datetime.strptime(credential["validFrom"], "%Y-%m-%dT%H:%M:%SZ")
    valid_until = datetime.strptime(credential["validUntil"], "%Y-%m-%dT%H:%M:%SZ")
    claims = {
        **credential,
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "nbf": int(valid_from.replace(tzinfo=UTC).timestamp()),
        "exp": int(valid_until.replace(tzinfo=UTC).timestamp()),
    }
    return sign("credentials", claims, {"typ": "JWT"}, embed_jwk=True)
