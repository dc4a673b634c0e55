"""API tokens and records pushed as JSON: the same checks and writes as a file import."""

from __future__ import annotations

import hashlib
import json
import secrets
import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy import select

from ramp import clock
from ramp.accounts.models import User
from ramp.audit.operations import record
from ramp.errors import ValidationError
from ramp.extensions import db
from ramp.metrics.imports import ImportReport, import_and_update
from ramp.metrics.mapping import FIELDS, MappingSpec
from ramp.metrics.models import ApiToken
from ramp.yamlspec import SLUG_PATTERN

MAX_RECORDS = 10_000


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# What a token may do; each API operation needs exactly one of these.
SCOPES = {
    "records:write": "push QA evaluations and contacts",
    # Apart from records:write: a tool that pushes records cannot take back anyone's import.
    "imports:undo": "undo an import run (its new records removed, updated ones restored)",
    "hires:read": "read active hires: names, e-mails, phase and progress",
    "certificates:read": "read certificates, with their evidence and signed credentials",
    # The reads below show what the token's owner sees in ramp (a manager: their teams).
    "metrics:read": "read hires' metrics by tenure week and cohort comparisons",
    "teams:read": "read teams with their managers and members",
    "cohorts:read": "read cohorts and their numbers of active hires",
    "users:read": "read every user and their ids in other tools (the owner must be an admin)",
    "imports:write": "import a file with a preset or a mapping (the owner must be an admin)",
    "imports:read": "read the state of an import run (the owner must be an admin)",
    # Only for /scim/v2, which no other scope opens: an identity provider's token.
    "scim": "provision users and groups through SCIM 2.0 (an identity provider's token)",
}


class TokenRefused(Exception):
    """A bearer secret that does not authenticate: unknown, revoked or expired."""


def parse_scopes(scopes: list[str] | tuple[str, ...]) -> list[str]:
    """The scopes asked for, each known and once, in SCOPES order; at least one."""
    wanted = {s.strip() for s in scopes if s and s.strip()}
    problems = [
        f"Unknown scope '{s}': the scopes are {', '.join(SCOPES)}"
        for s in sorted(wanted - set(SCOPES))
    ]
    if not wanted and not problems:
        problems.append(f"Choose at least one scope for the token ({', '.join(SCOPES)}).")
    if problems:
        raise ValidationError(problems)
    return [s for s in SCOPES if s in wanted]


def token_state(token: ApiToken, today: date | None = None) -> str:
    """live, expired or revoked."""
    if token.revoked:
        return "revoked"
    if token.expires_on is not None and token.expires_on <= (today or clock.now().date()):
        return "expired"
    return "live"


def create_token(
    name: str,
    created_by: User | None = None,
    *,
    scopes: list[str] | tuple[str, ...],
    expires_on: date | None = None,
) -> tuple[ApiToken, str]:
    """A new token with its scopes; the secret is returned once and only its hash is stored."""
    problems = []
    if not name.strip():
        problems.append("Give the token a name (the system that will use it).")
    elif len(name.strip()) > 120:
        problems.append("The token's name is longer than 120 characters.")
    try:
        chosen = parse_scopes(scopes)
    except ValidationError as exc:
        problems.extend(exc.problems)
    if expires_on is not None and expires_on <= clock.now().date():
        problems.append(f"The expiry date {expires_on.isoformat()} is not after today.")
    if problems:
        raise ValidationError(problems)
    secret = "ramp_" + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name.strip(),
        token_hash=_digest(secret),
        created_by_id=created_by.id if created_by else None,
        scopes=" ".join(chosen),
        expires_on=expires_on,
    )
    db.session.add(token)
    db.session.flush()
    record(
        created_by,
        "token.create",
        f"token:{token.id}",
        name=token.name,
        scopes=chosen,
        expires_on=expires_on.isoformat() if expires_on else None,
    )
    return token, secret


def revoke_token(token: ApiToken, actor: User | None = None, reason: str | None = None) -> ApiToken:
    """Stop a token authenticating, for good; the row stays for the record."""
    if token.revoked:
        raise ValidationError(f"token {token.id} ({token.name}) is already revoked")
    token.revoked = True
    db.session.flush()
    record(actor, "token.revoke", f"token:{token.id}", reason=reason or None, name=token.name)
    return token


def authenticate(secret: str | None) -> ApiToken:
    """The live token matching a bearer secret, its last use noted; TokenRefused otherwise."""
    if not secret:
        raise TokenRefused("Send a valid API token: Authorization: Bearer <token>.")
    token = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == _digest(secret))
    ).scalar_one_or_none()
    if token is None:
        raise TokenRefused("Send a valid API token: Authorization: Bearer <token>.")
    state = token_state(token)
    if state == "revoked":
        raise TokenRefused("The token was revoked; ask an admin for a new one.")
    if state == "expired":
        raise TokenRefused(f"The token expired on {token.expires_on.isoformat()}.")
    token.last_used_at = clock.now()
    return token


def api_mapping(kind: str, source: str) -> MappingSpec:
    """The mapping of the JSON API: every field under its own name, ISO 8601 times, seconds."""
    fields = {}
    for name, ftype in FIELDS[kind].items():
        spec: dict = {"column": name}
        if ftype == "datetime":
            spec["format"] = "iso"
        elif ftype == "duration":
            spec["format"] = "seconds"
        fields[name] = spec
    return MappingSpec.model_validate(
        {
            "name": f"api-{kind}",
            "title": f"JSON API ({kind})",
            "kind": kind,
            "source": source,
            "format": "jsonl",
            "fields": fields,
        }
    )


def import_payload(
    kind: str, payload: object, accept_good: bool = False, token: ApiToken | None = None
) -> tuple[ImportReport, int]:
    """Import {"source": ..., "records": [...]} exactly as a JSON-lines file would be."""
    import re

    if not isinstance(payload, dict):
        raise ValidationError('The body must be a JSON object: {"source": "...", "records": [...]}')
    source, rows = payload.get("source"), payload.get("records")
    problems = []
    if not isinstance(source, str) or not re.match(SLUG_PATTERN, source):
        problems.append(
            "'source' must name the system the records come from (a slug, e.g. 'zendesk')"
        )
    if not isinstance(rows, list) or not rows:
        problems.append("'records' must be a non-empty list")
    elif len(rows) > MAX_RECORDS:
        problems.append(f"at most {MAX_RECORDS:,} records per request; send them in batches")
    elif not all(isinstance(r, dict) for r in rows):
        problems.append("every record must be a JSON object")
    if problems:
        raise ValidationError(problems)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.jsonl"
        with open(path, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps({k: v for k, v in row.items() if v is not None}) + "\n")
        # The history names the system that pushed the records by its token's name.
        name = f"API: {token.name}" if token is not None else "API"
        return import_and_update(
            path, api_mapping(kind, source), accept_good=accept_good, filename=name
        )
