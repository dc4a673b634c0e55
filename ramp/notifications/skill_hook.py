"""The skills webhook: each change to an agent's skills (ramp.skills) as one outbox message,
its JSON payload fixed when the change is made, signed with the webhook's secret each time
it is sent (HMAC-SHA256 over the timestamp and the body; docs/skills.md says how to check).

One message per change (dedupe key ``skill.changed:<change id>``): a change announced twice
is sent once; a retry sends the same event id, which a receiver uses to drop repeats.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

from sqlalchemy import select

from ramp.accounts.models import User
from ramp.metrics.models import AgentIdentity
from ramp.notifications.models import QUEUED, SKILLS
from ramp.skills.models import SkillChange, SkillWebhook

EVENT = "skill.changed"
SIGNATURE_HEADER = "X-Ramp-Signature"
TIMESTAMP_HEADER = "X-Ramp-Timestamp"
EVENT_HEADER = "X-Ramp-Event-Id"


def current_webhook(session) -> SkillWebhook | None:
    """The skills webhook, when an admin set one."""
    return session.execute(select(SkillWebhook).order_by(SkillWebhook.id).limit(1)).scalar()


def payload_of(change: SkillChange, agent: dict, external_ids: list[dict]) -> dict:
    """What the webhook receives about one change (plain JSON values)."""
    kind, _sep, value = change.skill.partition(":")
    return {
        "id": change.event_id,
        "type": f"skill.{change.action}",
        "action": change.action,
        "occurred_at": _iso(change.at),
        "agent": {**agent, "external_ids": external_ids},
        "skill": {"name": change.skill, "kind": kind, "value": value, "level": change.level},
        "source": {
            "type": change.source,
            "id": change.source_id,
            "label": change.source_label,
            "reason": change.reason,
        },
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def rows(session, change_ids: list[int], now: datetime) -> list[dict]:
    """The outbox rows of these changes; none while no webhook is set."""
    if not change_ids or current_webhook(session) is None:
        return []
    changes = list(
        session.execute(
            select(SkillChange).where(SkillChange.id.in_(change_ids)).order_by(SkillChange.id)
        ).scalars()
    )
    user_ids = {c.user_id for c in changes}
    agents = {
        u.id: {"id": u.id, "email": u.email, "name": u.name}
        for u in session.execute(
            select(User.id, User.email, User.name).where(User.id.in_(user_ids))
        )
    }
    links: dict[int, list[dict]] = {}
    for link in session.execute(
        select(AgentIdentity.user_id, AgentIdentity.source, AgentIdentity.external_id)
        .where(AgentIdentity.user_id.in_(user_ids))
        .order_by(AgentIdentity.source, AgentIdentity.external_id)
    ):
        links.setdefault(link.user_id, []).append(
            {"source": link.source, "external_id": link.external_id}
        )
    out = []
    for change in changes:
        agent = agents.get(change.user_id)
        if agent is None:
            continue
        out.append(
            {
                "event": EVENT,
                "dedupe_key": f"{EVENT}:{change.id}",
                "kind": SKILLS,
                "user_id": None,
                "channel_id": None,
                "locale": "en",
                # What the outbox page lists: the change in the payload's own terms.
                "subject": f"{change.action} {change.skill} ({change.level}) · {agent['email']}"[
                    :300
                ],
                "body_text": "",
                "body_html": None,
                "payload": payload_of(change, agent, links.get(change.user_id, [])),
                "link": None,
                "status": QUEUED,
                "tries": 0,
                "next_try_at": now,
                "last_error": None,
                "created_at": now,
                "sent_at": None,
            }
        )
    return out


def body_of(payload: dict) -> bytes:
    """The exact bytes posted (and signed): compact JSON, keys sorted, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of
    ``<timestamp>.<body>`` keyed with the secret."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def signed_headers(secret: str, payload: dict, timestamp: int) -> tuple[bytes, dict[str, str]]:
    """The body to post and the headers that sign it."""
    body = body_of(payload)
    return body, {
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        TIMESTAMP_HEADER: str(timestamp),
        EVENT_HEADER: str(payload.get("id", "")),
    }
