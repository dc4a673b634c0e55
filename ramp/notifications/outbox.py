"""Turning a transaction's events into outbox messages: who hears each, how they chose to,
in which language, with which words; one message per event and recipient (dedupe_key)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ramp import clock
from ramp.accounts.models import Role, User
from ramp.certificates.codes import format_code
from ramp.certificates.models import Certificate
from ramp.coaching.models import CoachingAssignment
from ramp.i18n import DEFAULT_LOCALE, supported
from ramp.metrics.models import ImportRun
from ramp.milestones.models import Cohort, Hire, PlanMilestone
from ramp.notifications import kinds, render, skill_hook
from ramp.notifications.models import (
    EMAIL,
    HELD,
    QUEUED,
    SLACK,
    Notification,
    NotificationPreference,
    TeamChannel,
)


@dataclass
class Delivery:
    """One event, what it is about, and who hears it."""

    event: str
    key: str  # the event's part of the dedupe key
    facts: dict
    user_ids: list[int]
    team_id: int | None = None


def base_url() -> str:
    """Where links in messages point: RAMP_PUBLIC_URL (or the demo's local address)."""
    return current_app.config.get("PUBLIC_URL") or "http://localhost:5000"


def add_messages(session, pending: list[tuple[str, dict]]) -> int:
    """Add the outbox messages for these announced events (in the caller's transaction);
    return how many wait to be sent at once and can be."""
    seen: set = set()
    by_event: dict[str, list[dict]] = defaultdict(list)
    for name, payload in pending:
        marker = (name, tuple(sorted(payload.items())))
        if marker not in seen:
            seen.add(marker)
            by_event[name].append(payload)
    # A skill change goes to the skills webhook alone, signed when it is sent.
    skill_changes = [p["change_id"] for p in by_event.pop(skill_hook.EVENT, [])]
    deliveries: list[Delivery] = []
    for name, payloads in by_event.items():
        deliveries += GATHER[name](session, name, payloads)
    queued = _write(session, deliveries)
    return queued + _insert(session, skill_hook.rows(session, skill_changes, clock.now()))


def _today() -> str:
    return clock.today().isoformat()


def _hires(session, hire_ids) -> dict[int, dict]:
    rows = session.execute(
        select(
            Hire.id,
            Hire.manager_id,
            Hire.user_id,
            Hire.next_milestone,
            Hire.next_due,
            User.name,
            Cohort.name.label("cohort"),
            Cohort.team_id,
        )
        .join(User, User.id == Hire.user_id)
        .join(Cohort, Cohort.id == Hire.cohort_id)
        .where(Hire.id.in_(set(hire_ids)))
    )
    return {r.id: r._asdict() for r in rows}


def _hire_status(session, name, payloads) -> list[Delivery]:
    hires = _hires(session, [p["hire_id"] for p in payloads])
    out = []
    for p in payloads:
        hire = hires.get(p["hire_id"])
        if hire is None or p.get("new") not in ("at_risk", "missed"):
            continue
        facts = {
            "hire_id": hire["id"],
            "name": hire["name"],
            "cohort": hire["cohort"],
            "old": p.get("old"),
            "new": p["new"],
            "next_milestone": hire["next_milestone"],
            "next_due": hire["next_due"],
        }
        key = f"{name}:{hire['id']}:{p['new']}:{_today()}"
        managers = [hire["manager_id"]] if hire["manager_id"] else []
        out.append(Delivery(name, key, facts, managers, hire["team_id"]))
    return out


def _milestone(session, name, payloads) -> list[Delivery]:
    hires = _hires(session, [p["hire_id"] for p in payloads])
    titles = {
        (r.hire_id, r.key): r.title
        for r in session.execute(
            select(PlanMilestone.hire_id, PlanMilestone.key, PlanMilestone.title).where(
                PlanMilestone.hire_id.in_({p["hire_id"] for p in payloads}),
                PlanMilestone.key.in_({p["milestone_key"] for p in payloads}),
            )
        )
    }
    out = []
    for p in payloads:
        hire = hires.get(p["hire_id"])
        if hire is None:
            continue
        facts = {
            "hire_id": hire["id"],
            "name": hire["name"],
            "cohort": hire["cohort"],
            "milestone": titles.get((hire["id"], p["milestone_key"]), p["milestone_key"]),
        }
        key = f"{name}:{hire['id']}:{p['milestone_key']}"
        managers = [hire["manager_id"]] if hire["manager_id"] else []
        out.append(Delivery(name, key, facts, managers, hire["team_id"]))
    return out


def _signoff(session, name, payloads) -> list[Delivery]:
    hires = _hires(session, [p["hire_id"] for p in payloads])
    out = []
    for p in payloads:
        hire = hires.get(p["hire_id"])
        if hire is None:
            continue
        facts = {
            "hire_id": hire["id"],
            "name": hire["name"],
            "cohort": hire["cohort"],
            "milestone": p["milestone"],
            "days": p["days"],
        }
        key = f"{name}:{p['milestone_id']}"
        managers = [hire["manager_id"]] if hire["manager_id"] else []
        out.append(Delivery(name, key, facts, managers, hire["team_id"]))
    return out


def _coaching(session, name, payloads) -> list[Delivery]:
    rows = session.execute(
        select(
            CoachingAssignment.id,
            CoachingAssignment.user_id,
            CoachingAssignment.title,
            CoachingAssignment.measure_label,
            CoachingAssignment.measure_kind,
            CoachingAssignment.measure_key,
            CoachingAssignment.condition,
            CoachingAssignment.due_on,
            CoachingAssignment.hire_id,
            User.name,
            Cohort.team_id,
        )
        .join(User, User.id == CoachingAssignment.user_id)
        .join(Hire, Hire.id == CoachingAssignment.hire_id)
        .join(Cohort, Cohort.id == Hire.cohort_id)
        .where(CoachingAssignment.id.in_({p["assignment_id"] for p in payloads}))
    )
    out = []
    for r in rows:
        facts = {
            "assignment_id": r.id,
            "hire_id": r.hire_id,
            "name": r.name,
            "title": r.title,
            "measure": r.measure_label,
            # The rule's condition, worded in each recipient's language when rendered.
            "measure_kind": r.measure_kind,
            "measure_key": r.measure_key,
            "condition": r.condition,
            "due_on": r.due_on,
        }
        out.append(Delivery(name, f"{name}:{r.id}", facts, [r.user_id], r.team_id))
    return out


def _certificate(session, name, payloads) -> list[Delivery]:
    rows = session.execute(
        select(
            Certificate.id,
            Certificate.code,
            Certificate.user_id,
            Certificate.expires_at,
            Certificate.revocation_reason,
            Hire.manager_id,
            User.name,
        )
        .outerjoin(Hire, Hire.id == Certificate.hire_id)
        .outerjoin(User, User.id == Certificate.user_id)
        .where(Certificate.id.in_({p["certificate_id"] for p in payloads}))
    )
    out = []
    for r in rows:
        facts = {
            "certificate_id": r.id,
            "code": format_code(r.code),
            "code_raw": r.code,
            "name": r.name or "",
            "expires_at": r.expires_at,
            "reason": r.revocation_reason,
        }
        users = [r.user_id] if r.user_id else []
        # The manager hears of a certificate that runs out: a renewal needs their sign-off.
        if name == "certificate.expiring" and r.manager_id:
            users.append(r.manager_id)
        out.append(Delivery(name, f"{name}:{r.id}", facts, users))
    return out


def _import(session, name, payloads) -> list[Delivery]:
    admins = list(
        session.execute(
            select(User.id).where(User.role == Role.ADMIN, User.is_active_account.is_(True))
        ).scalars()
    )
    rows = session.execute(
        select(ImportRun.id, ImportRun.filename, ImportRun.rows_written, ImportRun.error).where(
            ImportRun.id.in_({p["import_run_id"] for p in payloads})
        )
    )
    return [
        Delivery(
            name,
            f"{name}:{r.id}",
            {
                "import_run_id": r.id,
                "filename": r.filename,
                "rows_written": r.rows_written,
                "error": r.error,
            },
            admins,
        )
        for r in rows
    ]


GATHER = {
    "hire.status_changed": _hire_status,
    "milestone.achieved": _milestone,
    "signoff.awaited": _signoff,
    "coaching.assigned": _coaching,
    "coaching.overdue": _coaching,
    "certificate.issued": _certificate,
    "certificate.revoked": _certificate,
    "certificate.expiring": _certificate,
    "import.finished": _import,
    "import.failed": _import,
}


def choices_of(session, user_ids) -> dict[tuple[int, str], str]:
    """Each (user, event) choice a user saved (the rest take the kind's default)."""
    if not user_ids:
        return {}
    rows = session.execute(
        select(
            NotificationPreference.user_id,
            NotificationPreference.event,
            NotificationPreference.choice,
        ).where(NotificationPreference.user_id.in_(user_ids))
    )
    return {(r.user_id, r.event): r.choice for r in rows}


def _write(session, deliveries: list[Delivery]) -> int:
    if not deliveries:
        return 0
    user_ids = {u for d in deliveries for u in d.user_ids}
    users = {
        r.id: r
        for r in session.execute(
            select(User.id, User.locale, User.is_active_account).where(User.id.in_(user_ids))
        )
    }
    choices = choices_of(session, user_ids)
    team_ids = {d.team_id for d in deliveries if d.team_id}
    channels: dict[int, list] = defaultdict(list)
    if team_ids:
        for c in session.execute(
            select(TeamChannel.id, TeamChannel.team_id, TeamChannel.kind, TeamChannel.events).where(
                TeamChannel.team_id.in_(team_ids)
            )
        ):
            channels[c.team_id].append(c)
    url = base_url()
    channel_locale = supported(current_app.config.get("NOTIFY_CHANNEL_LOCALE")) or DEFAULT_LOCALE
    composed: dict[tuple[int, str, bool], render.Message] = {}
    catalogues: dict[str, object] = {}

    def message(i: int, delivery: Delivery, locale: str, to_channel=False) -> render.Message:
        if (i, locale, to_channel) not in composed:
            if locale not in catalogues:
                catalogues[locale] = render.catalogue(locale)
            composed[(i, locale, to_channel)] = render.in_locale(
                locale, delivery.event, delivery.facts, url, catalogues[locale], to_channel
            )
        return composed[(i, locale, to_channel)]

    now = clock.now()
    rows: list[dict] = []
    for i, d in enumerate(deliveries):
        kind = kinds.KINDS[d.event]
        for user_id in dict.fromkeys(d.user_ids):
            user = users.get(user_id)
            if user is None or not user.is_active_account:
                continue
            choice = choices.get((user_id, d.event), kind.default)
            if choice == kinds.OFF:
                continue
            locale = supported(user.locale) or DEFAULT_LOCALE
            m = message(i, d, locale)
            row = _row(d, m, f"{d.key}:u{user_id}:{EMAIL}", EMAIL, locale, now)
            row |= {"user_id": user_id, "subject": m.title[:300]}
            if choice == kinds.IMMEDIATE:
                # Written out (plain text and HTML) when it is sent, off the request.
                row |= {"payload": render.to_payload(m)}
            else:
                # Held for the digest, which lists its subject and link: no e-mail of its own.
                row |= {"status": HELD}
            rows.append(row)
        for channel in channels.get(d.team_id, ()) if kind.to_channels else ():
            if d.event not in (channel.events or kinds.CHANNEL_EVENTS):
                continue
            m = message(i, d, channel_locale, to_channel=True)
            payload = render.slack_blocks(m) if channel.kind == SLACK else render.teams_card(m)
            rows.append(
                _row(d, m, f"{d.key}:c{channel.id}", channel.kind, channel_locale, now)
                | {"channel_id": channel.id, "subject": m.title[:300], "payload": payload}
            )
    return _insert(session, rows)


def _insert(session, rows: list[dict]) -> int:
    """Add outbox rows, each once by its dedupe key; how many can be sent at once."""
    if not rows:
        return 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # One statement run for every row (compiled once); a repeat of a message already in the
    # outbox is dropped by its key.
    session.execute(
        insert(Notification.__table__).on_conflict_do_nothing(index_elements=["dedupe_key"]),
        rows,
    )
    # Without an SMTP server, e-mails wait for `ramp notify send` (which reports why).
    smtp = bool(current_app.config.get("SMTP_HOST"))
    return sum(r["status"] == QUEUED and (r["kind"] != EMAIL or smtp) for r in rows)


def _row(d: Delivery, m: render.Message, dedupe: str, kind: str, locale: str, now) -> dict:
    return {
        "event": d.event,
        "dedupe_key": dedupe[:255],
        "kind": kind,
        "user_id": None,
        "channel_id": None,
        "locale": locale,
        "subject": "",
        "body_text": render_facts_text(m),
        "body_html": None,
        "payload": None,
        "link": m.link[:500],
        "status": QUEUED,
        "tries": 0,
        "next_try_at": now,
        "last_error": None,
        "created_at": now,
        "sent_at": None,
    }


def render_facts_text(m: render.Message) -> str:
    """A message's words as plain text (what the outbox page shows of a webhook message)."""
    return "\n".join([m.title, *m.lines, m.link])
