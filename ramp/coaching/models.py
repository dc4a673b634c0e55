"""Coaching rules, versioned like targets, and the refreshers they assign."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ramp.accounts.models import User, utcnow
from ramp.extensions import db
from ramp.milestones.models import Hire

# An assignment's statuses: open until its lessons are reviewed and its checks passed
# (completed) or a manager dismisses it with a reason (dismissed).
OPEN = "open"
COMPLETED = "completed"
DISMISSED = "dismissed"


class CoachingRulesVersion(db.Model):
    """One published, immutable version of the coaching rules file (YAML as written, and
    the rules as checked). The newest version is the one in force."""

    __tablename__ = "coaching_rules_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    source: Mapped[str] = mapped_column(Text)
    rules: Mapped[list] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    published_by: Mapped[User | None] = relationship()


class CoachingAssignment(db.Model):
    """A refresher one rule gave one hire: what fired it (the evidence), what to work
    through, by when, and what became of it.

    measure_kind is "category" (measure_key the category's folded key), "overall" (the QA
    percent), "critical" (critical fails) or "metric" (measure_key a metric's key).
    evidence lists what the rule read, oldest first: {"day", "review", "figure", "short"}.
    baseline is the measure over the measure_over evaluations up to the firing, with
    baseline_count how many there were. done lists the parts worked through
    ("lesson:<module>/<lesson>", "module:<module>").

    At most one open assignment per hire and rule (a partial unique index): a rule does not
    fire again for a hire until its refresher is closed, and then only on evidence dated
    after that.
    """

    __tablename__ = "coaching_assignments"
    __table_args__ = (
        Index(
            "uq_coaching_assignments_open",
            "hire_id",
            "rule_key",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_coaching_assignments_status_due", "status", "due_on"),
        UniqueConstraint("hire_id", "rule_key", "fired_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hire_id: Mapped[int] = mapped_column(ForeignKey("hires.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    rules_version_id: Mapped[int] = mapped_column(
        ForeignKey("coaching_rules_versions.id", ondelete="RESTRICT")
    )
    rule_key: Mapped[str] = mapped_column(String(64))

    measure_kind: Mapped[str] = mapped_column(String(16))
    measure_key: Mapped[str | None] = mapped_column(String(200))
    measure_label: Mapped[str] = mapped_column(String(200))
    # What the rule asked: below/above threshold on failing of of_last (or within_days).
    condition: Mapped[dict] = mapped_column(JSON, default=dict)
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    baseline: Mapped[float | None] = mapped_column(Float)
    baseline_count: Mapped[int] = mapped_column(default=0)
    measure_over: Mapped[int] = mapped_column(default=3)

    curriculum_slug: Mapped[str] = mapped_column(String(64))
    module_slug: Mapped[str | None] = mapped_column(String(64))
    lesson_slug: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    done: Mapped[list] = mapped_column(JSON, default=list)

    fired_on: Mapped[date] = mapped_column(Date)
    fired_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    completed_on: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None]
    dismissed_at: Mapped[datetime | None]
    dismissed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    dismiss_reason: Mapped[str | None] = mapped_column(Text)
    overdue_announced: Mapped[bool] = mapped_column(default=False)

    # The manager's 1:1, when the rule asks for one.
    one_to_one: Mapped[bool] = mapped_column(default=False)
    one_to_one_at: Mapped[datetime | None]
    one_to_one_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    one_to_one_note: Mapped[str | None] = mapped_column(Text)

    hire: Mapped[Hire] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    rules_version: Mapped[CoachingRulesVersion] = relationship()
    dismissed_by: Mapped[User | None] = relationship(foreign_keys=[dismissed_by_id])
    one_to_one_by: Mapped[User | None] = relationship(foreign_keys=[one_to_one_by_id])
