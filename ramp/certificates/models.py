"""Readiness sign-offs, certificates with their frozen evidence, and issuing batches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ramp.accounts.models import User, utcnow
from ramp.extensions import db
from ramp.milestones.models import Cohort, Hire


class ReadinessSignOff(db.Model):
    """A manager's statement that a hire is ready; one per hire, withdrawn by deleting it."""

    __tablename__ = "readiness_sign_offs"

    id: Mapped[int] = mapped_column(primary_key=True)
    hire_id: Mapped[int] = mapped_column(ForeignKey("hires.id", ondelete="CASCADE"), unique=True)
    signed_off_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    signed_off_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)

    hire: Mapped[Hire] = relationship()
    signed_off_by: Mapped[User | None] = relationship()


class Certificate(db.Model):
    """A readiness certificate. Its evidence is a frozen snapshot; it expires or is revoked."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The code printed on the certificate; found by its first characters (the selector),
    # then compared whole in constant time, so lookups leak nothing about other codes.
    selector: Mapped[str] = mapped_column(String(8), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    hire_id: Mapped[int | None] = mapped_column(
        ForeignKey("hires.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    override_reason: Mapped[str | None] = mapped_column(Text)
    replaces_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificates.id", ondelete="SET NULL")
    )
    snapshot: Mapped[dict] = mapped_column(JSON)
    credential: Mapped[str] = mapped_column(Text)
    # This certificate's position in the published revocation bitstring (random, unique).
    status_index: Mapped[int | None] = mapped_column(unique=True)
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revocation_reason: Mapped[str | None] = mapped_column(Text)

    hire: Mapped[Hire | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])
    replaces: Mapped[Certificate | None] = relationship(remote_side=[id])


class CertificateBatch(db.Model):
    """Issuing for a whole cohort in the background, with its progress and outcome."""

    __tablename__ = "certificate_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    issued: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[list] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)

    cohort: Mapped[Cohort] = relationship()
    requested_by: Mapped[User | None] = relationship()
