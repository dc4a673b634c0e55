"""The daily run (a scan for sign-offs that wait and certificates that run out, then each
user's digest of what they chose to batch) and the weekly digest to each manager."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, select, update
from sqlalchemy.orm import aliased

from ramp import clock
from ramp.accounts.models import Role, User
from ramp.certificates.codes import format_code
from ramp.certificates.models import Certificate
from ramp.coaching.models import OPEN, CoachingAssignment
from ramp.events import announce
from ramp.extensions import db
from ramp.formatting import format_date
from ramp.i18n import DEFAULT_LOCALE, supported
from ramp.milestones.models import Hire, PlanMilestone
from ramp.notifications import kinds, render
from ramp.notifications.models import DIGESTED, EMAIL, HELD, QUEUED, Notification
from ramp.notifications.outbox import base_url
from ramp.skills.models import REMOVED
from ramp.skills.operations import expire_skills

EXPIRING_DAYS = 30


@dataclass
class DailyReport:
    """What one daily run found and wrote."""

    sign_offs: int = 0
    expiring: int = 0
    digests: int = 0
    skills_removed: int = 0

    def __str__(self) -> str:
        return (
            f"{self.sign_offs} sign-offs waiting, {self.expiring} certificates expiring, "
            f"{self.skills_removed} skills of expired certificates removed, "
            f"{self.digests} digests queued"
        )


def scan(today: date) -> tuple[int, int]:
    """Announce the sign-offs waiting longer than NOTIFY_SIGNOFF_DAYS and the certificates
    that expire within 30 days (each is notified once: the outbox drops repeats)."""
    days = int(current_app.config.get("NOTIFY_SIGNOFF_DAYS", 3))
    waiting = 0
    rows = db.session.execute(
        select(
            PlanMilestone.id,
            PlanMilestone.hire_id,
            PlanMilestone.title,
            PlanMilestone.checks,
            PlanMilestone.status_since,
        )
        .join(Hire, Hire.id == PlanMilestone.hire_id)
        .where(
            Hire.active.is_(True),
            PlanMilestone.status.not_in(("achieved", "waived", "upcoming")),
            PlanMilestone.status_since <= today - timedelta(days=days),
        )
    )
    for row in rows:
        checks = row.checks or []
        sign_off = [c for c in checks if c.get("criterion") == "sign_off"]
        others = [c for c in checks if c.get("criterion") != "sign_off"]
        if sign_off and not sign_off[0].get("met") and all(c.get("met") for c in others):
            waiting += 1
            announce(
                "signoff.awaited",
                milestone_id=row.id,
                hire_id=row.hire_id,
                milestone=row.title,
                days=(today - row.status_since).days,
            )
    now = clock.now()
    newer = aliased(Certificate)
    expiring = list(
        db.session.execute(
            select(Certificate.id).where(
                Certificate.revoked_at.is_(None),
                Certificate.expires_at > now,
                Certificate.expires_at <= now + timedelta(days=EXPIRING_DAYS),
                ~exists().where(newer.replaces_id == Certificate.id),
            )
        ).scalars()
    )
    for cert_id in expiring:
        announce("certificate.expiring", certificate_id=cert_id)
    return waiting, len(expiring)


def _digest_row(user: User, event: str, key: str, subject: str, text: str, html: str) -> dict:
    now = clock.now()
    return {
        "event": event,
        "dedupe_key": key,
        "kind": EMAIL,
        "user_id": user.id,
        "locale": supported(user.locale) or DEFAULT_LOCALE,
        "subject": subject,
        "body_text": text,
        "body_html": html,
        "link": base_url(),
        "status": QUEUED,
        "tries": 0,
        "next_try_at": now,
        "created_at": now,
    }


def _add_once(row: dict) -> bool:
    """Add a digest unless one with its key exists (a second run the same day adds none)."""
    taken = db.session.execute(
        select(Notification.id).where(Notification.dedupe_key == row["dedupe_key"])
    ).first()
    if taken:
        return False
    db.session.add(Notification(**row))
    return True


def daily_digests(today: date) -> int:
    """Gather each user's held messages into one digest e-mail; return how many were queued."""
    held = db.session.execute(
        select(Notification)
        .where(Notification.status == HELD, Notification.user_id.is_not(None))
        .order_by(Notification.user_id, Notification.id)
    ).scalars()
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for message in held:
        by_user[message.user_id].append(message)
    queued = 0
    for user_id, messages in by_user.items():
        user = db.session.get(User, user_id)
        locale = supported(user.locale) or DEFAULT_LOCALE
        with force_locale(locale):
            sections = []
            by_event: dict[str, list[render.Message]] = defaultdict(list)
            for m in messages:
                by_event[m.event].append(
                    render.Message(m.event, m.subject, (), m.link or base_url(), "")
                )
            for event, items in by_event.items():
                label = kinds.KINDS[event].label if event in kinds.KINDS else event
                sections.append((str(label), items))
            title = _("Your ramp digest for %(date)s", date=format_date(today))
        subject, text, html = render.digest_email(title, sections, locale)
        row = _digest_row(
            user, "digest.daily", f"digest.daily:{user_id}:{today.isoformat()}", subject, text, html
        )
        if _add_once(row):
            queued += 1
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_([m.id for m in messages]))
            .values(status=DIGESTED)
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    return queued


def run_daily(today: date | None = None) -> DailyReport:
    """The daily run: scan, then digests (the caller commits)."""
    today = today or clock.today()
    report = DailyReport()
    report.sign_offs, report.expiring = scan(today)
    # Skills granted by certificates that have run out are removed (ramp.skills).
    report.skills_removed = sum(c.action == REMOVED for c in expire_skills())
    # The scan's events become outbox rows at a commit: flush them through one first, so
    # those the users batch are in today's digest.
    db.session.commit()
    report.digests = daily_digests(today)
    return report


def team_summary(manager_id: int, today: date) -> dict[str, list[dict]]:
    """What a manager's weekly digest lists: hires newly at risk or missed this week, open
    refreshers (overdue first), certificates due within 30 days."""
    week_ago = today - timedelta(days=7)
    at_risk = [
        row._asdict()
        for row in db.session.execute(
            select(Hire.id, User.name, Hire.status)
            .join(User, User.id == Hire.user_id)
            .where(
                Hire.manager_id == manager_id,
                Hire.active.is_(True),
                Hire.status.in_(("at_risk", "missed")),
                exists().where(
                    PlanMilestone.hire_id == Hire.id,
                    PlanMilestone.status.in_(("at_risk", "missed")),
                    PlanMilestone.status_since >= week_ago,
                ),
            )
            .order_by(User.name)
        )
    ]
    coaching = [
        row._asdict() | {"overdue": row.due_on < today}
        for row in db.session.execute(
            select(
                CoachingAssignment.id,
                CoachingAssignment.title,
                CoachingAssignment.due_on,
                User.name,
            )
            .join(Hire, Hire.id == CoachingAssignment.hire_id)
            .join(User, User.id == CoachingAssignment.user_id)
            .where(Hire.manager_id == manager_id, CoachingAssignment.status == OPEN)
            .order_by(CoachingAssignment.due_on, User.name)
        )
    ]
    coaching.sort(key=lambda a: (not a["overdue"], a["due_on"]))
    now = clock.now()
    newer = aliased(Certificate)
    certificates = [
        row._asdict()
        for row in db.session.execute(
            select(Certificate.id, Certificate.code, Certificate.expires_at, User.name)
            .join(Hire, Hire.id == Certificate.hire_id)
            .join(User, User.id == Hire.user_id)
            .where(
                Hire.manager_id == manager_id,
                Certificate.revoked_at.is_(None),
                Certificate.expires_at > now,
                Certificate.expires_at <= now + timedelta(days=EXPIRING_DAYS),
                ~exists().where(newer.replaces_id == Certificate.id),
            )
            .order_by(Certificate.expires_at)
        )
    ]
    return {"at_risk": at_risk, "coaching": coaching, "certificates": certificates}


def weekly_digests(today: date | None = None) -> int:
    """Queue each manager's weekly summary of their team; return how many were queued."""
    today = today or clock.today()
    year, week, _day = today.isocalendar()
    url = base_url()
    managers = db.session.execute(
        select(User).where(User.role == Role.MANAGER, User.is_active_account.is_(True))
    ).scalars()
    queued = 0
    for manager in managers:
        summary = team_summary(manager.id, today)
        if not any(summary.values()):
            continue
        locale = supported(manager.locale) or DEFAULT_LOCALE
        with force_locale(locale):
            sections = []
            if summary["at_risk"]:
                sections.append(
                    (
                        _("New at-risk hires"),
                        [
                            render.Message(
                                "weekly",
                                _(
                                    "%(name)s: %(status)s",
                                    name=h["name"],
                                    status=render.status_word(h["status"]),
                                ),
                                (),
                                f"{url}/board/hires/{h['id']}",
                                "",
                            )
                            for h in summary["at_risk"]
                        ],
                    )
                )
            if summary["coaching"]:
                sections.append(
                    (
                        _("Open refreshers"),
                        [
                            render.Message(
                                "weekly",
                                (
                                    _(
                                        "%(name)s: %(title)s, overdue since %(date)s",
                                        name=a["name"],
                                        title=a["title"],
                                        date=format_date(a["due_on"]),
                                    )
                                    if a["overdue"]
                                    else _(
                                        "%(name)s: %(title)s, due %(date)s",
                                        name=a["name"],
                                        title=a["title"],
                                        date=format_date(a["due_on"]),
                                    )
                                ),
                                (),
                                f"{url}/learn/refreshers/{a['id']}",
                                "",
                            )
                            for a in summary["coaching"]
                        ],
                    )
                )
            if summary["certificates"]:
                sections.append(
                    (
                        _("Certificates due for renewal"),
                        [
                            render.Message(
                                "weekly",
                                _(
                                    "%(name)s: %(code)s expires on %(date)s",
                                    name=c["name"],
                                    code=format_code(c["code"]),
                                    date=format_date(c["expires_at"]),
                                ),
                                (),
                                f"{url}/verify/{c['code']}",
                                "",
                            )
                            for c in summary["certificates"]
                        ],
                    )
                )
            title = _("Your team this week (week %(week)s)", week=week)
        subject, text, html = render.digest_email(title, sections, locale)
        row = _digest_row(
            manager,
            "digest.weekly",
            f"digest.weekly:{manager.id}:{year}-W{week:02d}",
            subject,
            text,
            html,
        )
        queued += _add_once(row)
    db.session.flush()
    return queued
