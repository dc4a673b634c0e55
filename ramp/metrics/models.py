"""Imported QA evaluations and contacts, agents' ids in other tools, and import runs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ramp.accounts.models import User, utcnow
from ramp.extensions import db


class AgentIdentity(db.Model):
    """An agent's id in another tool (a Zendesk user id, a MaestroQA agent id...)."""

    __tablename__ = "agent_identities"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    user: Mapped[User] = relationship()


class ImportRun(db.Model):
    """One import of a file: what was read, written, skipped and rejected, and by whom."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(64))
    mapping: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_written: Mapped[int] = mapped_column(default=0)
    rows_skipped: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    report: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Why a failed run failed (refused file, or the error that stopped it); nothing of it stayed.
    error: Mapped[str | None] = mapped_column(Text)
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    undone_by: Mapped[User | None] = relationship(foreign_keys=[undone_by_id])


class QAEvaluation(db.Model):
    """A QA review of one interaction, with its percent worked out at import."""

    __tablename__ = "qa_evaluations"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_qa_evaluations_user_day", "user_id", "metric_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    interaction_id: Mapped[str | None] = mapped_column(String(200))
    interaction_at: Mapped[datetime | None]
    evaluated_at: Mapped[datetime]
    scorecard: Mapped[str | None] = mapped_column(String(200))
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    critical_fail: Mapped[bool] = mapped_column(default=False)
    categories: Mapped[list] = mapped_column(JSON, default=list)
    percent: Mapped[float | None] = mapped_column(Float)
    metric_date: Mapped[date] = mapped_column(Date)
    import_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_runs.id", ondelete="SET NULL")
    )


class QACategoryScore(db.Model):
    """One scorecard category of an evaluation, as a row: written by the import from the
    evaluation's categories (the same transaction), replaced when it is imported again and
    removed with it. Queries read categories across evaluations from here.

    key is the name with case and spacing folded (category_key), so that "Empathy" and
    " empathy" from two exports are one category; name is as the mapping wrote it.
    percent is (score − min) ÷ (max − min) × 100, as formulas.py works it out; None when the
    category was not scored (N/A).
    """

    __tablename__ = "qa_category_scores"
    __table_args__ = (PrimaryKeyConstraint("evaluation_id", "position"),)

    evaluation_id: Mapped[int] = mapped_column(ForeignKey("qa_evaluations.id", ondelete="CASCADE"))
    position: Mapped[int]  # the category's place in the scorecard, from 0
    name: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    min_score: Mapped[float] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float)
    critical: Mapped[bool]
    not_applicable: Mapped[bool]
    percent: Mapped[float | None] = mapped_column(Float)


class Contact(db.Model):
    """A contact (ticket, chat, call) as exported, with its derived outcomes worked out at import."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_contacts_user_day", "user_id", "metric_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str | None] = mapped_column(String(32))
    queue: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    solved_at: Mapped[datetime | None]
    handle_seconds: Mapped[float | None] = mapped_column(Float)
    reopens: Mapped[int | None]
    contacts_to_resolve: Mapped[int | None]
    csat_rating: Mapped[float | None] = mapped_column(Float)
    csat_min: Mapped[float | None] = mapped_column(Float)
    csat_max: Mapped[float | None] = mapped_column(Float)
    sla_met: Mapped[bool | None]
    sla_target_seconds: Mapped[float | None] = mapped_column(Float)
    # Derived at import, so the database can aggregate without re-deriving per row.
    first_response_seconds: Mapped[float | None] = mapped_column(Float)
    resolution_seconds: Mapped[float | None] = mapped_column(Float)
    first_contact_resolved: Mapped[bool | None]
    csat_good: Mapped[bool | None]
    sla_outcome: Mapped[bool | None]
    metric_date: Mapped[date] = mapped_column(Date)
    import_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_runs.id", ondelete="SET NULL")
    )


class HireWeekMetric(db.Model):
    """One hire's figure for one metric in one tenure week, kept up to date by every import.

    sample, total and hits are the exact parts the cohort comparison pools: a mean is
    total ÷ sample, a share is 100 × hits ÷ sample. value is the hire's own figure for the
    week (for resolution and first response time: the median).
    """

    __tablename__ = "hire_week_metrics"
    __table_args__ = (UniqueConstraint("hire_id", "metric", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hire_id: Mapped[int] = mapped_column(ForeignKey("hires.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(32))
    week: Mapped[int]
    sample: Mapped[int]
    total: Mapped[float | None] = mapped_column(Float)
    hits: Mapped[int | None]
    value: Mapped[float | None] = mapped_column(Float)


class TargetsVersion(db.Model):
    """A published version of the team's graduated targets; the latest is in force."""

    __tablename__ = "targets_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ApiToken(db.Model):
    """A token other systems use to push records and read progress; only its hash is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(default=False)
    # What the token may do, space-separated (see ramp.metrics.api.SCOPES).
    scopes: Mapped[str] = mapped_column(String(200), default="")
    # Refused from this day on (UTC); None: until revoked.
    expires_on: Mapped[date | None]
    # Made before tokens had scopes: the migration gave it every scope to keep it working.
    predates_scopes: Mapped[bool] = mapped_column(default=False)

    created_by: Mapped[User | None] = relationship()

    @property
    def scope_list(self) -> list[str]:
        """The token's scopes, in the order they were stored."""
        return self.scopes.split()


def _replaced_table(model: type[db.Model], name: str) -> Table:
    """A table of the values an import run replaced, one row per record it updated.

    It has every column of the record (the values as they were before the run), the
    record's id, and the run that replaced them: undoing that run writes them back. Written
    only for updated records, so new records cost nothing more.
    """
    columns = [
        Column("id", Integer, primary_key=True),
        Column(
            "replaced_by_run_id",
            ForeignKey("import_runs.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("record_id", Integer, nullable=False),
    ]
    columns += [
        Column(c.name, c.type, nullable=True) for c in model.__table__.columns if c.name != "id"
    ]
    return Table(name, db.metadata, *columns)


replaced_contacts = _replaced_table(Contact, "replaced_contacts")
replaced_qa_evaluations = _replaced_table(QAEvaluation, "replaced_qa_evaluations")
