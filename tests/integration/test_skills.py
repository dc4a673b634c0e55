"""Skills for routing: granted by achieved milestones and valid certificates, removed when
the certificate is revoked or expires, kept while another source still grants them; each
change pushed, signed, to the skills webhook through the outbox."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from ramp import clock as ramp_clock
from ramp.certificates.operations import issue_certificate, revoke_certificate
from ramp.metrics.records import utc
from ramp.notifications.digests import run_daily
from ramp.notifications.models import FAILED, SENT, Notification
from ramp.notifications.operations import save_skills_webhook
from ramp.notifications.sending import send_due
from ramp.skills.models import SkillChange, SkillGrant
from ramp.skills.operations import expire_skills, sync_skills
from ramp.skills.queries import current_skills
from tests.conftest import make_ready
from tests.skills_factory import skills_cohort

BASE = "https://ramp.example.com"
SECRET = "s3cret-for-the-skills-webhook"


class Receiver:
    """A loopback HTTP server that keeps what it is sent: /ok answers 200, /gone 404,
    /broken 500."""

    def __init__(self):
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                path = self.path.strip("/")
                if path == "gone":
                    return self._answer(404)
                if path == "broken":
                    return self._answer(500)
                receiver.received.append({"headers": dict(self.headers), "body": body})
                return self._answer(200)

            def _answer(self, status):
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict]:
        """Every payload received, its signature checked as docs/skills.md says."""
        out = []
        for hit in self.received:
            timestamp = hit["headers"]["X-Ramp-Timestamp"]
            expected = hmac.new(
                SECRET.encode(), timestamp.encode() + b"." + hit["body"], hashlib.sha256
            ).hexdigest()
            assert hmac.compare_digest(hit["headers"]["X-Ramp-Signature"], f"sha256={expected}")
            payload = json.loads(hit["body"])
            assert hit["headers"]["X-Ramp-Event-Id"] == payload["id"]
            out.append(payload)
        return out

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(app):
    app.config.update(
        NOTIFY_SEND_AFTER_COMMIT=False,
        NOTIFY_TIMEOUT_SECONDS=2,
        NOTIFY_TRIES=3,
        NOTIFY_RETRY_BASE_SECONDS=60,
    )
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def world(ramp_world):
    ramp_world.skills_cohort = skills_cohort(ramp_world)
    return ramp_world


def webhook(db, world, url: str) -> None:
    save_skills_webhook(url, SECRET, world.admin)
    db.session.commit()


def certified(world, db, name="Ana Lima"):
    hire = world.hire(cohort=world.skills_cohort, name=name)
    make_ready(world, hire)
    cert = issue_certificate(hire, world.lead, BASE)
    db.session.commit()
    return hire, cert


def skills_of(hire) -> dict[str, int]:
    return {s.skill: s.level for s in current_skills([hire.user_id])[hire.user_id]}


def test_a_certificate_grants_spanish_signed_to_the_webhook_and_revoking_removes_it(
    world, db, receiver
):
    webhook(db, world, f"{receiver.url}/ok")
    hire, cert = certified(world, db)
    assert skills_of(hire) == {"channel:chat": 3, "queue:billing": 4, "language:es": 3}

    send_due()
    granted = {e["skill"]["name"]: e for e in receiver.events()}
    assert len(granted) == 3
    spanish = granted["language:es"]
    assert spanish["action"] == "granted" and spanish["type"] == "skill.granted"
    assert spanish["agent"]["email"] == hire.user.email
    assert spanish["skill"] == {
        "name": "language:es",
        "kind": "language",
        "value": "es",
        "level": 3,
    }
    assert spanish["source"]["type"] == "certificate" and spanish["source"]["id"] == cert.id
    assert granted["channel:chat"]["source"]["label"] == "Classroom complete"

    receiver.received.clear()
    revoke_certificate(cert, world.lead, "Issued to the wrong agent")
    db.session.commit()
    send_due()
    events = {e["skill"]["name"]: e for e in receiver.events()}
    assert len(events) == 2
    removed = events["language:es"]
    assert removed["action"] == "removed" and removed["source"]["reason"] == "revoked"
    assert removed["id"] != spanish["id"]
    # Billing is still granted by the floor milestone, at its level: a change, not a removal.
    assert events["queue:billing"]["action"] == "granted"
    assert events["queue:billing"]["skill"]["level"] == 2
    assert events["queue:billing"]["source"]["label"] == "Ready for the floor"
    assert skills_of(hire) == {"channel:chat": 3, "queue:billing": 2}


def test_two_sources_of_one_skill_it_stays_until_both_are_gone(world, db):
    hire, cert = certified(world, db)
    grants = db.session.execute(
        select(SkillGrant.source, SkillGrant.level).where(SkillGrant.skill == "queue:billing")
    ).all()
    assert sorted(grants) == [("certificate", 4), ("milestone", 2)]
    # Each grant holds from its source's own day: the milestone achieved, the certificate issued.
    since = dict(
        db.session.execute(
            select(SkillGrant.source, SkillGrant.granted_at).where(
                SkillGrant.skill == "queue:billing"
            )
        ).all()
    )
    floor = next(m for m in hire.milestones if m.key == "floor-ready")
    assert utc(since["milestone"]) == datetime.combine(floor.achieved_on, time.min, tzinfo=UTC)
    assert utc(since["certificate"]) == utc(cert.issued_at)
    revoke_certificate(cert, world.lead, "Wrong agent")
    db.session.commit()
    assert skills_of(hire)["queue:billing"] == 2
    # The floor milestone waived after all: no source grants billing any more.
    floor = next(m for m in hire.milestones if m.key == "floor-ready")
    floor.waived, floor.waived_reason = True, "Moved to another team"
    from ramp.milestones.operations import evaluate_hires

    hire.evaluation_key = None
    evaluate_hires([hire.id])
    db.session.commit()
    assert "queue:billing" not in skills_of(hire)
    last = (
        db.session.execute(
            select(SkillChange)
            .where(SkillChange.skill == "queue:billing")
            .order_by(SkillChange.id.desc())
        )
        .scalars()
        .first()
    )
    assert (last.action, last.source, last.reason) == ("removed", "milestone", "not_achieved")


def test_two_hires_of_one_agent_share_the_skill(world, db):
    hire, cert = certified(world, db)
    other_cohort = skills_cohort(world, name="Wave T")
    second = world.hire(cohort=other_cohort, name="Second")
    # The same agent taken on again: move the second hire onto the first's user.
    second.user_id = hire.user_id
    db.session.flush()
    make_ready(world, second)
    second_cert = issue_certificate(second, world.lead, BASE)
    db.session.commit()
    revoke_certificate(cert, world.lead, "Superseded")
    db.session.commit()
    assert skills_of(hire)["language:es"] == 3  # the second certificate still grants it
    revoke_certificate(second_cert, world.lead, "Left")
    db.session.commit()
    assert "language:es" not in skills_of(hire)


def test_an_expired_certificate_loses_its_skills_in_the_daily_run_once(world, db, receiver, clock):
    webhook(db, world, f"{receiver.url}/ok")
    hire, _cert = certified(world, db)
    send_due()
    receiver.received.clear()
    clock.move_to(ramp_clock.now() + timedelta(days=61))  # valid for 60 days
    report = run_daily()
    db.session.commit()
    assert report.skills_removed == 1  # billing stays (the floor grants it), at level 2
    assert skills_of(hire) == {"channel:chat": 3, "queue:billing": 2}
    send_due()
    events = {e["skill"]["name"]: e for e in receiver.events()}
    assert set(events) == {"language:es", "queue:billing"}
    assert events["language:es"]["action"] == "removed"
    assert events["language:es"]["source"]["reason"] == "expired"
    assert (events["queue:billing"]["action"], events["queue:billing"]["skill"]["level"]) == (
        "granted",
        2,
    )
    # Idempotent: a second run (and a second sync) changes nothing and queues nothing.
    changes = db.session.query(SkillChange).count()
    assert expire_skills() == []
    assert sync_skills([hire.id]) == []
    assert run_daily().skills_removed == 0
    db.session.commit()
    assert db.session.query(SkillChange).count() == changes
    waiting = select(Notification).where(Notification.kind == "skills", Notification.status != SENT)
    assert db.session.execute(waiting).first() is None


def test_a_webhook_answering_4xx_fails_at_once_and_5xx_after_bounded_tries(world, db, receiver):
    webhook(db, world, f"{receiver.url}/gone")
    certified(world, db)
    send_due()
    failed = (
        db.session.execute(select(Notification).where(Notification.kind == "skills"))
        .scalars()
        .all()
    )
    assert {m.status for m in failed} == {FAILED}
    # chat, billing at 2 (the floor), then Spanish and billing at 4 (the certificate).
    assert len(failed) == 4
    assert all(m.tries == 1 and "404" in m.last_error for m in failed)

    webhook(db, world, f"{receiver.url}/broken")
    hire = world.hire(cohort=world.skills_cohort, name="Ben")
    make_ready(world, hire)
    issue_certificate(hire, world.lead, BASE)
    db.session.commit()
    now = ramp_clock.now()
    for i in range(5):
        send_due(now + timedelta(hours=i + 1))
    broken = (
        db.session.execute(
            select(Notification).where(
                Notification.kind == "skills", Notification.id > max(m.id for m in failed)
            )
        )
        .scalars()
        .all()
    )
    assert len(broken) == 4
    assert all(m.status == FAILED and m.tries == 3 for m in broken)
    assert all("gave up after 3 tries" in m.last_error and "500" in m.last_error for m in broken)
    assert receiver.received == []


def test_the_same_change_is_one_message_and_no_webhook_means_no_message(world, db, receiver):
    certified(world, db)
    # No webhook when the skills were granted: the changes are logged, nothing is queued.
    assert db.session.query(SkillChange).count() == 4
    assert (
        db.session.execute(select(Notification).where(Notification.kind == "skills")).first()
        is None
    )
    webhook(db, world, f"{receiver.url}/ok")
    from ramp.events import announce

    change = db.session.execute(select(SkillChange).limit(1)).scalar_one()
    announce("skill.changed", change_id=change.id)
    announce("skill.changed", change_id=change.id)
    db.session.commit()
    announce("skill.changed", change_id=change.id)
    db.session.commit()
    rows = (
        db.session.execute(select(Notification).where(Notification.kind == "skills"))
        .scalars()
        .all()
    )
    assert len(rows) == 1 and rows[0].dedupe_key == f"skill.changed:{change.id}"
    send_due()
    db.session.refresh(rows[0])
    assert rows[0].status == SENT
    assert receiver.events()[0]["id"] == change.event_id
