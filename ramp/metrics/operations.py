"""Changes to metrics settings. They flush; the caller commits."""

from __future__ import annotations

from sqlalchemy import func, select

from ramp.accounts.models import User
from ramp.errors import ValidationError
from ramp.extensions import db
from ramp.metrics.models import TargetsVersion
from ramp.metrics.targets import TargetsFileError, parse_targets, targets_to_document


def publish_targets(text: str, published_by: User | None = None) -> TargetsVersion:
    """Check a targets document and publish it as the next version (the one in force)."""
    try:
        spec = parse_targets(text, "targets")
    except TargetsFileError as exc:
        raise ValidationError(exc.report().splitlines()) from None
    number = (db.session.execute(select(func.max(TargetsVersion.number))).scalar() or 0) + 1
    version = TargetsVersion(
        number=number,
        name=spec.name,
        document=targets_to_document(spec),
        published_by_id=published_by.id if published_by else None,
    )
    db.session.add(version)
    db.session.flush()
    return version
