"""Tokens made before scopes keep working after the migration: every scope they had, and a
flag."""

import hashlib

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from ramp.metrics.api import SCOPES, authenticate


def test_tokens_from_before_scopes_get_every_scope_and_are_flagged(app, db):
    db.session.remove()
    downgrade(revision="0015-1")
    try:
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO api_tokens (name, token_hash, created_at, revoked) "
                    "VALUES ('Old job', :hash, :at, :no)"
                ),
                {
                    "hash": hashlib.sha256(b"ramp_old").hexdigest(),
                    "at": "2026-01-05 10:00:00+00:00",
                    "no": False,
                },
            )
    finally:
        upgrade()
    token = authenticate("ramp_old")
    # What a token could do before scopes existed; undoing imports and the other scopes came
    # later, each on its own.
    assert token.scope_list == ["records:write", "hires:read", "certificates:read"]
    assert set(token.scope_list) < set(SCOPES)
    assert token.predates_scopes
    assert token.expires_on is None
