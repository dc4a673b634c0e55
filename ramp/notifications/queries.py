"""Reading the outbox for the admin page: messages by status, each channel's last failure."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ramp.database import page_of
from ramp.extensions import db
from ramp.notifications.models import FAILED, SKILLS, STATUSES, Notification, TeamChannel

OUTBOX_PAGE = 100


@dataclass
class OutboxPage:
    messages: list[Notification]
    page: int
    pages: int
    total: int


def outbox(status: str | None = None, page: int = 1, size: int = OUTBOX_PAGE) -> OutboxPage:
    """The newest messages first, only those of one status when given, a page at a time (a
    page past the last shows the last)."""
    where = [Notification.status == status] if status in STATUSES else []
    count = select(func.count()).select_from(Notification).where(*where)
    total = db.session.execute(count).scalar_one()
    page, pages = page_of(total, size, page)
    query = (
        select(Notification)
        .where(*where)
        .options(joinedload(Notification.user), joinedload(Notification.channel))
        .order_by(Notification.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    )
    return OutboxPage(list(db.session.execute(query).scalars()), page, pages, total)


def status_counts() -> dict[str, int]:
    """How many messages each status holds."""
    counts = dict(
        db.session.execute(
            select(Notification.status, func.count()).group_by(Notification.status)
        ).all()
    )
    return {status: counts.get(status, 0) for status in STATUSES}


def channel_failures() -> list[tuple[TeamChannel, Notification | None]]:
    """Every team channel with its last failed message (None when none failed)."""
    channels = list(
        db.session.execute(
            select(TeamChannel).options(joinedload(TeamChannel.team)).order_by(TeamChannel.id)
        ).scalars()
    )
    out = []
    for channel in channels:
        last = db.session.execute(
            select(Notification)
            .where(Notification.channel_id == channel.id, Notification.status == FAILED)
            .order_by(Notification.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        out.append((channel, last))
    return out


def last_failure(channel_id: int) -> Notification | None:
    """A channel's last failed message."""
    return db.session.execute(
        select(Notification)
        .where(Notification.channel_id == channel_id, Notification.status == FAILED)
        .order_by(Notification.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def last_skills_failure() -> Notification | None:
    """The skills webhook's last failed message."""
    return db.session.execute(
        select(Notification)
        .where(Notification.kind == SKILLS, Notification.status == FAILED)
        .order_by(Notification.id.desc())
        .limit(1)
    ).scalar_one_or_none()
