"""Changes to metrics settings. They flush; the caller commits. Each change is audited."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select

from ramp.accounts.models import User
from ramp.audit.operations import record
from ramp.errors import ValidationError
from ramp.extensions import db
from ramp.metrics.display import active_targets
from ramp.metrics.models import TargetsVersion
from ramp.metrics.targets import (
    TargetsFileError,
    TargetsSpec,
    parse_targets,
    targets_to_document,
)
from ramp.metrics.targets_table import TableProblems, describe, document_from_tables
from ramp.yamlspec import dump_yaml


def publish_targets(text: str, published_by: User | None = None) -> TargetsVersion:
    """Check a targets document and publish it as the next version (the one in force)."""
    try:
        spec = parse_targets(text, "targets")
    except TargetsFileError as exc:
        raise ValidationError(exc.report().splitlines()) from None
    return _publish(spec, published_by, "yaml")


def publish_targets_table(
    fields: Mapping[str, str], published_by: User | None = None
) -> TargetsVersion:
    """Publish the targets edited as tables, through the YAML path's checks, in table terms."""
    try:
        document, places = document_from_tables(fields, active_targets())
    except TableProblems as exc:
        raise ValidationError(exc.problems) from None
    try:
        spec = parse_targets(dump_yaml(document), "targets table")
    except TargetsFileError as exc:
        raise ValidationError([describe(err, places) for err in exc.errors]) from None
    return _publish(spec, published_by, "table")


def _publish(spec: TargetsSpec, published_by: User | None, editor: str) -> TargetsVersion:
    number = (db.session.execute(select(func.max(TargetsVersion.number))).scalar() or 0) + 1
    version = TargetsVersion(
        number=number,
        name=spec.name,
        document=targets_to_document(spec),
        published_by_id=published_by.id if published_by else None,
    )
    db.session.add(version)
    db.session.flush()
    record(
        published_by,
        "targets.publish",
        f"targets:{version.number}",
        name=spec.name,
        rules=len(spec.targets),
        editor=editor,
    )
    return version
