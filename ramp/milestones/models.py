"""Ramp templates, cohorts, hires, placements, plan milestones and the audit trail."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ramp.accounts.models import Team, User, utcnow
from ramp.curricula.models import CurriculumVersion, Enrollment
from ramp.extensions import db


class RampTemplate(db.Model):
    """A ramp template, known by its slug; its content lives in published versions."""

    __tablename__ = "ramp_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[RampTemplateVersion]] = relationship(
        back_populates="template", order_by="RampTemplateVersion.number"
    )


class RampTemplateVersion(db.Model):
    """One published, immutable version of a ramp template (the checked document as JSON)."""

    __tablename__ = "ramp_template_versions"
    __table_args__ = (UniqueConstraint("template_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("ramp_templates.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    template: Mapped[RampTemplate] = relationship(back_populates="versions")

    @property
    def label(self) -> str:
        return f"{self.title} (v{self.number})"


class Cohort(db.Model):
    """A hiring class: a start date, a curriculum version, a ramp template and a team."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    start_date: Mapped[date] = mapped_column(Date)
    curriculum_version_id: Mapped[int] = mapped_column(
        ForeignKey("curriculum_versions.id", ondelete="RESTRICT")
    )
    template_version_id: Mapped[int] = mapped_column(
        ForeignKey("ramp_template_versions.id", ondelete="RESTRICT")
    )
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    curriculum_version: Mapped[CurriculumVersion] = relationship()
    template_version: Mapped[RampTemplateVersion] = relationship()
    team: Mapped[Team | None] = relationship()
    hires: Mapped[list[Hire]] = relationship(back_populates="cohort")


class Hire(db.Model):
    """One new agent in one cohort, with a manager, placements and a ramp plan.

    The summary columns (phase, worst status, next milestone, progress, current queue) are
    kept by the evaluation, so the ramp board is one query however many hires there are.
    """

    __tablename__ = "hires"
    __table_args__ = (
        UniqueConstraint("user_id", "cohort_id"),
        Index("ix_hires_board", "active", "status_rank", "next_due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    enrollment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollments.id", ondelete="SET NULL")
    )
    start_date: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    phase: Mapped[str] = mapped_column(String(16), default="upcoming")
    status: Mapped[str] = mapped_column(String(16), default="upcoming")
    status_rank: Mapped[int] = mapped_column(default=0)
    next_milestone: Mapped[str | None] = mapped_column(String(200))
    next_status: Mapped[str | None] = mapped_column(String(16))
    next_due: Mapped[date | None] = mapped_column(Date)
    progress_percent: Mapped[int] = mapped_column(default=0)
    queue: Mapped[str | None] = mapped_column(String(120), index=True)
    placement_label: Mapped[str | None] = mapped_column(String(300))
    evaluated_on: Mapped[date | None] = mapped_column(Date)
    # A digest of everything the last evaluation read (ramp/milestones/inputs.py): the next
    # evaluation skips the hire when nothing in it changed.
    evaluation_key: Mapped[str | None] = mapped_column(String(64))
    # The earliest due date of the hire's open coaching refreshers (ramp/coaching), kept by
    # the coaching operations; an overdue one raises the hire to at risk (docs/statuses.md).
    coaching_due: Mapped[date | None] = mapped_column(Date)
    # Set when a manager marks the hire as left (ramp/milestones/leaving.py): the hire leaves
    # the active board (active is False) and keeps its history; None for a hire still here
    # or one that ended by a transfer.
    left_on: Mapped[date | None] = mapped_column(Date)
    left_reason: Mapped[str | None] = mapped_column(String(32))
    left_note: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    manager: Mapped[User | None] = relationship(foreign_keys=[manager_id])
    cohort: Mapped[Cohort] = relationship(back_populates="hires")
    enrollment: Mapped[Enrollment | None] = relationship()
    placements: Mapped[list[Placement]] = relationship(
        back_populates="hire",
        order_by="(Placement.effective_from, Placement.id)",
        cascade="all, delete-orphan",
    )
    milestones: Mapped[list[PlanMilestone]] = relationship(
        back_populates="hire", order_by="PlanMilestone.position", cascade="all, delete-orphan"
    )
    events: Mapped[list[HireEvent]] = relationship(
        back_populates="hire", order_by="HireEvent.id.desc()", cascade="all, delete-orphan"
    )


class Placement(db.Model):
    """Where a hire works from a date on: queue, channel, tier, product line, language, skills."""

    __tablename__ = "placements"

    id: Mapped[int] = mapped_column(primary_key=True)
    hire_id: Mapped[int] = mapped_column(ForeignKey("hires.id", ondelete="CASCADE"), index=True)
    effective_from: Mapped[date] = mapped_column(Date)
    queue: Mapped[str | None] = mapped_column(String(120))
    channel: Mapped[str | None] = mapped_column(String(16))
    tier: Mapped[str | None] = mapped_column(String(40))
    product_line: Mapped[str | None] = mapped_column(String(120))
    language: Mapped[str | None] = mapped_column(String(40))
    skills: Mapped[list] = mapped_column(JSON, default=list)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    hire: Mapped[Hire] = relationship(back_populates="placements")
    created_by: Mapped[User | None] = relationship()

    @property
    def label(self) -> str:
        return placement_label(self)


def placement_label(placement) -> str:
    """How a placement (a Placement or a plain row with its fields) reads on the board."""
    parts = [
        placement.queue,
        placement.channel,
        placement.tier,
        placement.product_line,
        placement.language,
    ]
    return " · ".join(p for p in parts if p) or "unplaced"


class PlanMilestone(db.Model):
    """A milestone of one hire's plan, with its last evaluated status and evidence."""

    __tablename__ = "plan_milestones"
    __table_args__ = (UniqueConstraint("hire_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hire_id: Mapped[int] = mapped_column(ForeignKey("hires.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    parent_key: Mapped[str | None] = mapped_column(String(64))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    phase: Mapped[str] = mapped_column(String(16))
    optional: Mapped[bool] = mapped_column(default=False)
    # A copy of the template version's criteria for this key, made when the hire was taken
    # on and never changed: the evaluation reads them from the version, parsed once.
    criteria: Mapped[dict] = mapped_column(JSON)
    due_date: Mapped[date] = mapped_column(Date)
    original_due_date: Mapped[date] = mapped_column(Date)

    status: Mapped[str] = mapped_column(String(16), default="upcoming")
    reason: Mapped[str | None] = mapped_column(Text)
    # The reason's parts, [{"code": ..., "args": {...}}] (plain JSON values), which pages word
    # in the reader's language (ramp/milestones/wording.py); None on rows evaluated before
    # they were kept, which show `reason` as stored. `reason` stays the English text.
    reason_parts: Mapped[list | None] = mapped_column(JSON)
    checks: Mapped[list] = mapped_column(JSON, default=list)
    status_since: Mapped[date | None] = mapped_column(Date)
    achieved_on: Mapped[date | None] = mapped_column(Date)

    waived: Mapped[bool] = mapped_column(default=False)
    waived_reason: Mapped[str | None] = mapped_column(Text)
    signed_off_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    signed_off_on: Mapped[date | None] = mapped_column(Date)

    hire: Mapped[Hire] = relationship(back_populates="milestones")
    signed_off_by: Mapped[User | None] = relationship()


class HireEvent(db.Model):
    """The audit trail: who did what to a hire's record, when and why."""

    __tablename__ = "hire_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    hire_id: Mapped[int] = mapped_column(ForeignKey("hires.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    milestone_key: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    hire: Mapped[Hire] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
