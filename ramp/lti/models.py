"""Platforms ramp is registered with, their deployments, launches and what they link."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ramp.accounts.models import User, utcnow
from ramp.extensions import db
from ramp.milestones.models import Cohort


class LtiRegistration(db.Model):
    """A platform (an LMS) that launches ramp: looked up by issuer and client id."""

    __tablename__ = "lti_registrations"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    login_url: Mapped[str] = mapped_column(String(1000))
    token_url: Mapped[str] = mapped_column(String(1000))
    key_set_url: Mapped[str] = mapped_column(String(1000))
    # The `aud` of ramp's client assertion when the platform wants other than its token URL
    # (Brightspace: https://api.brightspace.com/auth/token).
    token_audience: Mapped[str | None] = mapped_column(String(1000))
    # Where the LMS's course pages are served, when not on the issuer's or login URL's host
    # (Canvas: https://school.instructure.com): they may frame ramp and host its services.
    lms_origins: Mapped[list] = mapped_column(JSON, default=list, server_default=sa.text("'[]'"))
    # Whether launches and rosters may find an existing ramp account by the e-mail address
    # the platform sends; only for platforms that verify their users' addresses.
    trust_emails: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deployments: Mapped[list[LtiDeployment]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="LtiDeployment.id"
    )


class LtiDeployment(db.Model):
    """One installation of ramp on a platform (a platform may have many)."""

    __tablename__ = "lti_deployments"
    __table_args__ = (UniqueConstraint("registration_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("lti_registrations.id", ondelete="CASCADE"), index=True
    )
    deployment_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    registration: Mapped[LtiRegistration] = relationship(back_populates="deployments")


class LtiLoginState(db.Model):
    """The state and nonce of one login initiation; used up by the launch that answers it."""

    __tablename__ = "lti_login_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("lti_registrations.id", ondelete="CASCADE"), index=True
    )
    # The login initiation's parameters, to start again in a new window when cookies are blocked.
    login_params: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class LtiIdentity(db.Model):
    """A platform user (issuer and subject) and the ramp user it signs in as."""

    __tablename__ = "lti_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_launch_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class LtiContext(db.Model):
    """A course on a platform, and the cohort it maps to."""

    __tablename__ = "lti_contexts"
    __table_args__ = (UniqueConstraint("registration_id", "deployment_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("lti_registrations.id", ondelete="CASCADE"), index=True
    )
    deployment_id: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(500))
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohorts.id", ondelete="SET NULL"), index=True
    )
    memberships_url: Mapped[str | None] = mapped_column(String(1000))
    lineitems_url: Mapped[str | None] = mapped_column(String(1000))
    ags_scopes: Mapped[list] = mapped_column(JSON, default=list)
    roster_synced_at: Mapped[datetime | None]
    roster_summary: Mapped[str | None] = mapped_column(String(500))
    # The last roster sync that failed, and why (cleared by the next one that succeeds).
    roster_failed_at: Mapped[datetime | None]
    roster_error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    registration: Mapped[LtiRegistration] = relationship()
    cohort = relationship(Cohort)


class LtiContextMember(db.Model):
    """A ramp user known to be in a platform course (by a launch or the roster)."""

    __tablename__ = "lti_context_members"
    __table_args__ = (UniqueConstraint("context_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(
        ForeignKey("lti_contexts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)


class LtiResourceLink(db.Model):
    """A placement of ramp in a course: what it opens, and its gradebook column if graded."""

    __tablename__ = "lti_resource_links"
    __table_args__ = (UniqueConstraint("context_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(
        ForeignKey("lti_contexts.id", ondelete="CASCADE"), index=True
    )
    resource_link_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(500))
    target: Mapped[str] = mapped_column(String(300))
    lineitem_url: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    context: Mapped[LtiContext] = relationship()


class LtiLineItem(db.Model):
    """A gradebook column ramp created or found on a platform, so it is never made twice."""

    __tablename__ = "lti_line_items"
    __table_args__ = (UniqueConstraint("context_id", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(
        ForeignKey("lti_contexts.id", ondelete="CASCADE"), index=True
    )
    resource_id: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(1000))
    label: Mapped[str] = mapped_column(String(300))


class LtiScorePost(db.Model):
    """One knowledge-check result on its way to a platform's gradebook, with its tries."""

    __tablename__ = "lti_score_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    context_id: Mapped[int] = mapped_column(
        ForeignKey("lti_contexts.id", ondelete="CASCADE"), index=True
    )
    subject: Mapped[str] = mapped_column(String(255))
    resource_id: Mapped[str] = mapped_column(String(300))
    label: Mapped[str] = mapped_column(String(300))
    lineitem_url: Mapped[str | None] = mapped_column(String(1000))
    score_given: Mapped[float]
    score_maximum: Mapped[float]
    # When the learner submitted the attempt: the score's timestamp on the platform.
    submitted_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued retrying sent failed
    tries: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    context: Mapped[LtiContext] = relationship()


class LtiDeepLink(db.Model):
    """A deep-linking request waiting for an instructor's choice, answered once."""

    __tablename__ = "lti_deep_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("lti_registrations.id", ondelete="CASCADE")
    )
    deployment_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    settings: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]

    registration: Mapped[LtiRegistration] = relationship()
