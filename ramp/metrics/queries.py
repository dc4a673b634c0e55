"""Read side of metrics settings: API tokens and published targets versions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ramp.extensions import db
from ramp.metrics.models import ApiToken, TargetsVersion


def list_tokens() -> list[ApiToken]:
    """Every API token, live ones first, newest first, with who created it."""
    return list(
        db.session.execute(
            select(ApiToken)
            .options(selectinload(ApiToken.created_by))
            .order_by(ApiToken.revoked, ApiToken.id.desc())
        ).scalars()
    )


def targets_versions(limit: int = 10) -> list[TargetsVersion]:
    """The newest published targets versions."""
    return list(
        db.session.execute(
            select(TargetsVersion).order_by(TargetsVersion.number.desc()).limit(limit)
        ).scalars()
    )
