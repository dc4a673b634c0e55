"""API tokens and records pushed as JSON: the same checks and writes as a file import."""

from __future__ import annotations

import hashlib
import json
import secrets
import tempfile
from pathlib import Path

from sqlalchemy import select

from ramp.accounts.models import User, utcnow
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


def create_token(name: str, created_by: User | None = None) -> tuple[ApiToken, str]:
    """A new token; the secret is returned once and only its hash is stored."""
    if not name.strip():
        raise ValidationError("Give the token a name (the system that will use it).")
    if len(name.strip()) > 120:
        raise ValidationError("The token's name is longer than 120 characters.")
    secret = "ramp_" + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name.strip(),
        token_hash=_digest(secret),
        created_by_id=created_by.id if created_by else None,
    )
    db.session.add(token)
    db.session.flush()
    record(created_by, "token.create", f"token:{token.id}", name=token.name)
    return token, secret


def revoke_token(token: ApiToken, actor: User | None = None, reason: str | None = None) -> ApiToken:
    """Stop a token authenticating, for good; the row stays for the record."""
    if token.revoked:
        raise ValidationError(f"token {token.id} ({token.name}) is already revoked")
    token.revoked = True
    db.session.flush()
    record(actor, "token.revoke", f"token:{token.id}", reason=reason or None, name=token.name)
    return token


def authenticate(secret: str | None) -> ApiToken | None:
    """The live token matching a bearer secret, or None."""
    if not secret:
        return None
    token = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == _digest(secret), ApiToken.revoked.is_(False))
    ).scalar_one_or_none()
    if token is not None:
        token.last_used_at = utcnow()
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
        {"name": f"api-{kind}", "title": f"JSON API ({kind})", "kind": kind, "source": source,
         "format": "jsonl", "fields": fields}
    )  # fmt: skip


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
