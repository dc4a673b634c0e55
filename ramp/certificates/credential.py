"""The Open Badges 3.0 credential of a certificate, signed as a VC-JWT.

The credential follows the Open Badges 3.0 data model (an ``OpenBadgeCredential`` in the
Verifiable Credentials 2.0 shape): the issuer profile, the achievement, the signing key and
the revocation status list are served by ramp at the URLs named inside it. The recipient
is a random ``urn:uuid`` plus a salted SHA-256 hash of their e-mail address, so the
credential shows nobody's address. The JWT carries the credential's members as its
payload, with ``iss``, ``jti``, ``sub``, ``nbf`` and ``exp`` mirroring ``issuer.id``,
``id``, ``credentialSubject.id``, ``validFrom`` and ``validUntil``; its ``kid`` is the URL
of the signing key. Revocation is a W3C Bitstring Status List (``ramp.certificates.status``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from ramp import clock
from ramp.certificates.codes import format_code
from ramp.keys.operations import sign
from ramp.metrics.records import utc

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
STATUS_TYPE = "BitstringStatusListEntry"


def _iso(moment: datetime) -> str:
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def urls(base_url: str, code: str | None = None, template_slug: str | None = None) -> dict:
    """The public URLs a credential names, all under the app's base URL."""
    base = base_url.rstrip("/")
    out = {
        "issuer": f"{base}/certificates/issuer",
        "jwks": f"{base}/certificates/jwks.json",
        "keys": f"{base}/certificates/keys/",
        "status_list": f"{base}/certificates/status/revocation",
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
        "@context": CONTEXT,
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
    achieved = achievement(base_url, snap["template"], snap["curriculum"])
    achieved.pop("@context")
    return {
        "@context": CONTEXT,
        "id": snap["credential_id"],
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
            "id": snap["subject_id"],
            "type": ["AchievementSubject"],
            "identifier": [recipient_identity(email, secrets.token_hex(8))],
            "achievement": achieved,
        },
        "credentialStatus": {
            "id": f"{where['status_list']}#{cert.status_index}",
            "type": STATUS_TYPE,
            "statusPurpose": "revocation",
            "statusListIndex": str(cert.status_index),
            "statusListCredential": where["status_list"],
        },
    }


def _timestamp(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def sign_credential(credential: dict, base_url: str) -> str:
    """The credential as a compact VC-JWT, signed with the issuer's active key."""
    issuer = credential["issuer"]
    claims = {
        **credential,
        "iss": issuer["id"] if isinstance(issuer, dict) else issuer,
        "jti": credential["id"],
        "nbf": _timestamp(credential["validFrom"]),
    }
    if "validUntil" in credential:
        claims["exp"] = _timestamp(credential["validUntil"])
    subject = credential["credentialSubject"]
    if subject.get("id"):
        claims["sub"] = subject["id"]
    return sign("credentials", claims, {"typ": "JWT"}, kid_prefix=urls(base_url)["keys"])


def status_list_credential(base_url: str, organization: str, encoded_list: str) -> dict:
    """The revocation status list, as a BitstringStatusListCredential."""
    where = urls(base_url)
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": where["status_list"],
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": where["issuer"], "type": ["Profile"], "name": organization},
        "validFrom": _iso(clock.now()),
        "credentialSubject": {
            "id": where["status_list"] + "#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list,
        },
    }
