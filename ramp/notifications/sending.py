"""Sending what the outbox holds: each due message claimed, tried, and marked sent, failed
(with the reason) or queued again after a wait that doubles with each try, up to
NOTIFY_TRIES tries. A failure that trying again cannot mend fails at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from ramp import clock
from ramp.accounts.models import User
from ramp.errors import ValidationError
from ramp.extensions import db
from ramp.jobs import jobs
from ramp.notifications import skill_hook
from ramp.notifications.channels import Undeliverable, post_webhook, send_email
from ramp.notifications.models import (
    EMAIL,
    FAILED,
    QUEUED,
    SENT,
    SKILLS,
    Notification,
    TeamChannel,
)
from ramp.notifications.render import email_parts, from_payload

# How long a claimed message is left alone by other senders while this one tries it.
CLAIM_SECONDS = 300


@dataclass
class SendReport:
    """What one run of the sender did."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.failed} failed, {self.retrying} to try again later"


def wait_after(tries: int) -> timedelta:
    """The wait before the next try, after `tries` tries: the base, doubled after each."""
    base = float(current_app.config.get("NOTIFY_RETRY_BASE_SECONDS", 60))
    return timedelta(seconds=base * 2 ** max(tries - 1, 0))


def due_ids(now: datetime, limit: int) -> list[int]:
    """The queued messages whose time has come, oldest first."""
    return list(
        db.session.execute(
            select(Notification.id)
            .where(
                Notification.status == QUEUED,
                or_(Notification.next_try_at.is_(None), Notification.next_try_at <= now),
            )
            .order_by(Notification.id)
            .limit(limit)
        ).scalars()
    )


def _claim(message_id: int, now: datetime) -> bool:
    """Take a message for this sender (one try used), committed, or False when another has it."""
    won = db.session.execute(
        update(Notification)
        .where(
            Notification.id == message_id,
            Notification.status == QUEUED,
            or_(Notification.next_try_at.is_(None), Notification.next_try_at <= now),
        )
        .values(tries=Notification.tries + 1, next_try_at=now + timedelta(seconds=CLAIM_SECONDS))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return won == 1


def deliver(message: Notification) -> None:
    """Send one message through its channel; Undeliverable when it does not go."""
    if message.kind == EMAIL:
        user = db.session.get(User, message.user_id) if message.user_id else None
        if user is None or not user.is_active_account:
            raise Undeliverable("the recipient no longer has an active account", retry=False)
        subject, text, html = message.subject, message.body_text, message.body_html
        if message.payload:  # a single event's e-mail, written out now in its language
            subject, text, html = email_parts(from_payload(message.payload), message.locale)
        send_email(user.email, subject, text, html, message.locale)
        return
    if message.kind == SKILLS:
        hook = skill_hook.current_webhook(db.session)
        if hook is None:
            raise Undeliverable("the skills webhook was removed", retry=False)
        payload = message.payload or {}
        body, headers = skill_hook.signed_headers(
            hook.secret, payload, int(clock.now().timestamp())
        )
        post_webhook(hook.url, payload, data=body, headers=headers)
        return
    channel = db.session.get(TeamChannel, message.channel_id) if message.channel_id else None
    if channel is None:
        raise Undeliverable("the team's channel was removed", retry=False)
    post_webhook(channel.url, message.payload or {})


def send_due(now: datetime | None = None, limit: int = 500) -> SendReport:
    """Send every queued message that is due (committing as it goes); what happened."""
    now = now or clock.now()
    tries = int(current_app.config.get("NOTIFY_TRIES", 5))
    report = SendReport()
    for message_id in due_ids(now, limit):
        if not _claim(message_id, now):
            continue
        message = db.session.get(Notification, message_id)
        try:
            deliver(message)
        except Undeliverable as exc:
            message.last_error = exc.reason[:2000]
            if exc.retry and message.tries < tries:
                message.next_try_at = now + wait_after(message.tries)
                report.retrying += 1
            else:
                message.status = FAILED
                message.next_try_at = None
                if exc.retry:
                    message.last_error = f"{exc.reason} (gave up after {message.tries} tries)"[
                        :2000
                    ]
                report.failed += 1
        else:
            message.status = SENT
            message.sent_at = clock.now()
            message.next_try_at = None
            message.last_error = None
            report.sent += 1
        db.session.commit()
    return report


def next_due_at() -> datetime | None:
    """When the next queued message is due, if any."""
    return db.session.execute(
        select(Notification.next_try_at)
        .where(Notification.status == QUEUED)
        .order_by(Notification.next_try_at)
        .limit(1)
    ).scalar_one_or_none()


def send_job(progress=None) -> str:
    """The background job: send what is due; with Redis, come back when the next try is due."""
    report = send_due()
    later = next_due_at()
    if later is not None:
        jobs.submit_at(later, "notifications", "ramp.notifications.sending.send_job")
    return str(report)


def dispatch() -> None:
    """Hand the sending to the background queue (after a commit that queued messages)."""
    jobs.submit("notifications", "ramp.notifications.sending.send_job")


def retry(message: Notification) -> Notification:
    """Queue a failed message again, its tries counted afresh (an admin's hand retry)."""
    if message.status != FAILED:
        raise ValidationError(_("Only a failed message can be retried."))
    message.status = QUEUED
    message.tries = 0
    message.next_try_at = clock.now()
    db.session.flush()
    return message
