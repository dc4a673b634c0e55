"""Notifications against real components: an aiosmtpd server on a loopback port, and a
loopback HTTP server that checks Slack's Block Kit and Teams' Adaptive Card shapes as each
product documents them. The clock is pinned (tests/conftest.py)."""

from __future__ import annotations

import json
import socket
import threading
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from ramp import clock
from ramp.accounts.models import User
from ramp.certificates.models import Certificate
from ramp.certificates.operations import issue_certificate
from ramp.coaching.models import CoachingAssignment, CoachingRulesVersion
from ramp.events import announce
from ramp.metrics.records import utc
from ramp.milestones.models import Hire, PlanMilestone
from ramp.milestones.operations import evaluate_hires
from ramp.notifications.digests import daily_digests, weekly_digests
from ramp.notifications.models import (
    DIGESTED,
    FAILED,
    HELD,
    QUEUED,
    SENT,
    Notification,
)
from ramp.notifications.operations import save_channels, save_preferences
from ramp.notifications.sending import send_due

# Servers -----------------------------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler that keeps what it receives, or refuses every message with `refuse`."""

    def __init__(self, refuse: str | None = None):
        self.refuse = refuse
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse
        mail = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, mail))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    """start(refuse=None) -> (inbox, port): a real SMTP server on a loopback port."""
    started = []

    def start(refuse: str | None = None):
        inbox = Inbox(refuse)
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        return inbox, port

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def silent_smtp():
    """A port that accepts connections and never says a word (a hung mail server)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


SLACK_BLOCK_TYPES = {"header", "section", "context", "actions", "divider", "image"}
TEXT_TYPES = {"plain_text", "mrkdwn"}


def block_kit_problems(body: dict) -> list[str]:
    """What breaks Slack's documented shape of an incoming-webhook message with blocks."""
    problems = []
    if not isinstance(body.get("text"), str) or not body["text"]:
        problems.append("no fallback text")
    blocks = body.get("blocks")
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= 50:
        return [*problems, "blocks must be a list of 1 to 50"]

    def text_object(obj, where, kinds=TEXT_TYPES, limit=3000):
        if not isinstance(obj, dict) or obj.get("type") not in kinds:
            problems.append(f"{where}: not a text object of {sorted(kinds)}")
        elif not isinstance(obj.get("text"), str) or not 1 <= len(obj["text"]) <= limit:
            problems.append(f"{where}: text missing or longer than {limit}")

    for i, block in enumerate(blocks):
        kind = block.get("type")
        if kind not in SLACK_BLOCK_TYPES:
            problems.append(f"block {i}: unknown type {kind}")
        elif kind == "header":
            text_object(block.get("text"), f"header {i}", {"plain_text"}, 150)
        elif kind == "section":
            text_object(block.get("text"), f"section {i}")
        elif kind == "context":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 10:
                problems.append(f"context {i}: 1 to 10 elements")
            for e in elements:
                text_object(e, f"context {i}")
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 25:
                problems.append(f"actions {i}: 1 to 25 elements")
            for e in elements:
                if e.get("type") != "button":
                    problems.append(f"actions {i}: not a button")
                text_object(e.get("text"), f"button {i}", {"plain_text"}, 75)
                if not str(e.get("url", "")).startswith(("https://", "http://")):
                    problems.append(f"button {i}: no URL")
                if len(str(e.get("url", ""))) > 3000 or len(e.get("action_id", "")) > 255:
                    problems.append(f"button {i}: too long")
    return problems


CARD_ELEMENTS = {"TextBlock", "FactSet", "Image", "ColumnSet", "Container", "RichTextBlock"}


def adaptive_card_problems(body: dict) -> list[str]:
    """What breaks the documented shape of a Teams Workflows webhook message."""
    problems = []
    if body.get("type") != "message":
        problems.append("type is not message")
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return [*problems, "no attachments"]
    card = attachments[0]
    if card.get("contentType") != "application/vnd.microsoft.card.adaptive":
        problems.append("contentType")
    content = card.get("content") or {}
    if content.get("type") != "AdaptiveCard":
        problems.append("content.type")
    if content.get("version") != "1.4":
        problems.append("version")
    elements = content.get("body")
    if not isinstance(elements, list) or not elements:
        problems.append("no body")
    for e in elements or []:
        if e.get("type") not in CARD_ELEMENTS:
            problems.append(f"unknown element {e.get('type')}")
        if e.get("type") == "TextBlock" and not e.get("text"):
            problems.append("TextBlock without text")
    for a in content.get("actions", []):
        if a.get("type") != "Action.OpenUrl" or not a.get("url") or not a.get("title"):
            problems.append("action")
    return problems


class Hooks:
    """A loopback HTTP server: /slack and /teams check the payload (400 with the problems
    when it breaks the shape), /gone answers 404, /broken 500, /hang never answers."""

    def __init__(self):
        self.received: dict[str, list[dict]] = {"slack": [], "teams": []}
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                path = self.path.strip("/")
                if path == "gone":
                    return self._answer(404, "no_service")
                if path == "broken":
                    return self._answer(500, "oops")
                check = {"slack": block_kit_problems, "teams": adaptive_card_problems}[path]
                problems = check(body)
                if problems:
                    return self._answer(400, "; ".join(problems))
                hooks.received[path].append(body)
                return self._answer(200, "ok")

            def _answer(self, status, text):
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hooks():
    server = Hooks()
    yield server
    server.stop()


# Scene -------------------------------------------------------------------------------------


@pytest.fixture
def mailer(app):
    """Configure the app for a loopback SMTP port: mailer(port)."""

    def configure(port: int, **extra):
        app.config.update(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=port,
            SMTP_SECURITY="none",
            NOTIFY_SEND_AFTER_COMMIT=False,
            NOTIFY_TIMEOUT_SECONDS=0.5,
            NOTIFY_TRIES=3,
            NOTIFY_RETRY_BASE_SECONDS=60,
            PUBLIC_URL="https://ramp.example",
            **extra,
        )

    app.config.update(NOTIFY_SEND_AFTER_COMMIT=False, PUBLIC_URL="https://ramp.example")
    return configure


def assign(db, hire, title="Tone and empathy", due=None) -> CoachingAssignment:
    """A refresher assigned to the hire (as the coaching engine would), announced, committed."""
    version = db.session.execute(select(CoachingRulesVersion)).scalar_one_or_none()
    if version is None:
        version = CoachingRulesVersion(number=1, source="rules: []", rules=[])
        db.session.add(version)
        db.session.flush()
    assignment = CoachingAssignment(
        hire_id=hire.id,
        user_id=hire.user_id,
        rules_version_id=version.id,
        rule_key=f"empathy-{title[:10]}",
        measure_kind="category",
        measure_key="empathy",
        measure_label="Empathy",
        condition={},
        evidence=[],
        curriculum_slug="mini-onboarding",
        module_slug="tone",
        title=title,
        done=[],
        fired_on=clock.today(),
        due_on=due or clock.today() + timedelta(days=7),
    )
    db.session.add(assignment)
    db.session.flush()
    announce("coaching.assigned", assignment_id=assignment.id, hire_id=hire.id)
    db.session.commit()
    return assignment


def messages(db, **where) -> list[Notification]:
    db.session.expire_all()
    query = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return list(db.session.execute(query).scalars())


def clear(db) -> None:
    """Forget the messages the scene's own making caused (new hires turn at risk)."""
    db.session.query(Notification).delete()
    db.session.commit()


def channels(db, team, hooks, slack="slack", teams="teams", actor=None):
    save_channels(team, {"slack": f"{hooks.url}/{slack}", "teams": f"{hooks.url}/{teams}"}, actor)
    db.session.commit()


# Tests -------------------------------------------------------------------------------------


def test_a_refresher_reaches_the_agent_by_email_and_the_team_on_slack_and_teams(
    ramp_world, db, smtp, hooks, mailer
):
    inbox, port = smtp()
    mailer(port)
    hire = ramp_world.hire(name="Ana Ruiz")
    channels(db, ramp_world.cohort.team, hooks, actor=ramp_world.admin)
    clear(db)

    assignment = assign(db, hire)
    report = send_due()

    assert (report.sent, report.failed) == (3, 0)
    [(to, mail)] = inbox.messages
    assert to == [hire.user.email]
    assert mail["Subject"] == "A refresher for you: Tone and empathy"
    link = f"https://ramp.example/learn/refreshers/{assignment.id}"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert link in text and f'href="{link}"' in html
    assert "Empathy" in text and "Mar 25, 2026" in text
    [slack] = hooks.received["slack"]
    # The agent is told "for you"; the team's channels, whom it is for.
    assert slack["blocks"][0]["text"]["text"] == "A refresher for Ana Ruiz: Tone and empathy"
    assert slack["blocks"][-1]["elements"][0]["url"] == link
    [teams] = hooks.received["teams"]
    card = teams["attachments"][0]["content"]
    assert card["actions"][0]["url"] == link
    assert {m.status for m in messages(db)} == {SENT}


def test_the_same_event_announced_twice_is_one_message(ramp_world, db, hooks, mailer):
    mailer(1)
    hire = ramp_world.hire()
    channels(db, ramp_world.cohort.team, hooks, actor=ramp_world.admin)
    clear(db)
    assignment = assign(db, hire)
    announce("coaching.assigned", assignment_id=assignment.id, hire_id=hire.id)
    announce("coaching.assigned", assignment_id=assignment.id, hire_id=hire.id)
    db.session.commit()

    assert sorted(m.kind for m in messages(db)) == ["email", "slack", "teams"]


def test_a_refused_recipient_fails_at_once_with_the_reason(ramp_world, db, smtp, mailer):
    _inbox, port = smtp(refuse="550 5.1.1 mailbox unavailable")
    mailer(port)
    hire = ramp_world.hire()
    clear(db)
    assign(db, hire)

    report = send_due()

    [message] = messages(db)
    assert (report.failed, message.status, message.tries) == (1, FAILED, 1)
    assert "550" in message.last_error and "mailbox unavailable" in message.last_error


def test_a_mail_server_that_never_answers_fails_after_bounded_tries(
    ramp_world, db, silent_smtp, mailer
):
    mailer(silent_smtp)
    hire = ramp_world.hire()
    clear(db)
    assign(db, hire)
    now = clock.now()
    waits = []
    for _ in range(3):
        send_due(now)
        [message] = messages(db)
        if message.status == QUEUED:
            waits.append(utc(message.next_try_at) - now)
            now = utc(message.next_try_at)
    assert waits == [timedelta(seconds=60), timedelta(seconds=120)]
    assert (message.status, message.tries) == (FAILED, 3)
    assert "timed out" in message.last_error and "gave up after 3 tries" in message.last_error
    assert send_due(now + timedelta(days=1)).sent == 0  # never tried again


def test_a_webhook_that_answers_4xx_fails_at_once_and_5xx_is_tried_again(
    ramp_world, db, hooks, mailer
):
    mailer(1)
    hire = ramp_world.hire()
    channels(
        db, ramp_world.cohort.team, hooks, slack="gone", teams="broken", actor=ramp_world.admin
    )
    save_preferences(hire.user, {"coaching.assigned": "off"})
    db.session.commit()
    clear(db)
    assign(db, hire)

    send_due()

    slack, teams = messages(db, kind="slack")[0], messages(db, kind="teams")[0]
    assert (slack.status, slack.tries) == (FAILED, 1)
    assert "404" in slack.last_error and "no_service" in slack.last_error
    assert (teams.status, teams.tries) == (QUEUED, 1)
    assert "500" in teams.last_error
    assert hooks.url not in slack.last_error or "/gone" not in slack.last_error


def test_preferences_off_and_digest_are_honoured(ramp_world, db, smtp, mailer):
    inbox, port = smtp()
    mailer(port)
    hire = ramp_world.hire(name="Bo Chen")
    save_preferences(hire.user, {"coaching.assigned": "off"})
    save_preferences(ramp_world.lead, {"hire.status_changed": "digest"})
    db.session.commit()
    clear(db)

    assign(db, hire)
    announce("hire.status_changed", hire_id=hire.id, old="on_track", new="at_risk")
    db.session.commit()

    assert messages(db, user_id=hire.user_id) == []
    [held] = messages(db, user_id=ramp_world.lead.id)
    assert held.status == HELD
    assert send_due().sent == 0

    assert daily_digests(clock.today()) == 1
    db.session.commit()
    send_due()
    [(to, mail)] = inbox.messages
    assert to == [ramp_world.lead.email]
    assert mail["Subject"] == "Your ramp digest for Mar 18, 2026"
    text = mail.get_body(("plain",)).get_content()
    assert "Bo Chen is now at risk" in text
    assert f"https://ramp.example/board/hires/{hire.id}" in text
    assert messages(db, id=held.id)[0].status == DIGESTED
    assert daily_digests(clock.today()) == 0  # nothing held twice, no second digest


def test_the_weekly_digest_summarises_the_managers_team(ramp_world, db, smtp, mailer):
    inbox, port = smtp()
    mailer(port)
    w = ramp_world
    risky, coached, certified = w.hire(name="Risa"), w.hire(name="Coco"), w.hire(name="Cert")
    w.hire(cohort=w.other_cohort, manager=w.other_lead, name="Elsewhere")
    risky.status = "at_risk"
    milestone = (
        db.session.execute(select(PlanMilestone).where(PlanMilestone.hire_id == risky.id))
        .scalars()
        .first()
    )
    milestone.status, milestone.status_since = "at_risk", clock.today() - timedelta(days=2)
    assign(db, coached, title="Verification", due=clock.today() - timedelta(days=1))
    cert = issue_certificate(certified, w.admin, "https://ramp.example", override_reason="test")
    cert.expires_at = clock.now() + timedelta(days=10)
    db.session.commit()
    db.session.query(Notification).delete()
    db.session.commit()

    assert weekly_digests(clock.today()) == 2  # each manager's own
    db.session.commit()
    send_due()

    [mail] = [mail for to, mail in inbox.messages if to == [w.lead.email]]
    text = mail.get_body(("plain",)).get_content()
    assert "New at-risk hires" in text and "Risa: at risk" in text
    assert "Coco: Verification, overdue since Mar 17, 2026" in text
    assert "Certificates due for renewal" in text and "Cert: " in text
    assert "Elsewhere" not in text
    assert weekly_digests(clock.today()) == 0  # one a week


def test_a_spanish_recipient_gets_spanish_text(ramp_world, db, smtp, mailer):
    inbox, port = smtp()
    mailer(port)
    ramp_world.lead.locale = "es"
    hire = ramp_world.hire(name="Lucía")
    db.session.commit()
    clear(db)
    announce("hire.status_changed", hire_id=hire.id, old="on_track", new="at_risk")
    db.session.commit()

    send_due()

    [(_to, mail)] = inbox.messages
    assert mail["Content-Language"] == "es"
    html = mail.get_body(("html",)).get_content()
    assert '<html lang="es">' in html
    assert "en riesgo" in mail.get_body(("plain",)).get_content()


def test_evaluation_announces_hires_that_turn_missed_once(ramp_world, db, mailer):
    mailer(1)
    hire = ramp_world.hire(start_date=clock.today() - timedelta(days=90))  # evaluated: missed

    [message] = messages(db, event="hire.status_changed")
    assert hire.status == "missed"
    assert message.user_id == ramp_world.lead.id
    assert message.link == f"https://ramp.example/board/hires/{hire.id}"
    assert message.subject == f"{hire.user.name} is now missed"
    # Evaluated again (its inputs forgotten): still missed, nothing new to say.
    db.session.execute(
        Hire.__table__.update().where(Hire.id == hire.id).values(evaluation_key=None)
    )
    evaluate_hires([hire.id])
    db.session.commit()
    assert len(messages(db, event="hire.status_changed")) == 1
    # Back on track and missed again the same day: the event again, still one message.
    db.session.execute(
        Hire.__table__.update()
        .where(Hire.id == hire.id)
        .values(evaluation_key=None, status="on_track")
    )
    evaluate_hires([hire.id])
    db.session.commit()
    assert len(messages(db, event="hire.status_changed")) == 1
    # Without that message, the same change writes one: the evaluation did announce it.
    clear(db)
    db.session.execute(
        Hire.__table__.update()
        .where(Hire.id == hire.id)
        .values(evaluation_key=None, status="on_track")
    )
    evaluate_hires([hire.id])
    db.session.commit()
    assert len(messages(db, event="hire.status_changed")) == 1


def test_a_rolled_back_change_notifies_nobody(ramp_world, db, mailer):
    mailer(1)
    hire = ramp_world.hire()
    clear(db)
    announce("hire.status_changed", hire_id=hire.id, old="on_track", new="missed")
    db.session.rollback()
    db.session.commit()
    assert messages(db) == []


def test_certificates_and_imports_reach_the_agent_and_the_admins(ramp_world, db, mailer):
    mailer(1)
    hire = ramp_world.hire()
    cert = issue_certificate(hire, ramp_world.admin, "https://ramp.example", override_reason="x")
    db.session.commit()
    [issued] = messages(db, event="certificate.issued")
    assert issued.user_id == hire.user_id
    assert issued.link == f"https://ramp.example/verify/{cert.code}"
    from ramp.metrics.imports import _keep_failed
    from ramp.metrics.models import ImportRun

    run = ImportRun(kind="qa", source="x", mapping="m", filename="qa.csv", status="failed")
    _keep_failed(run, "the file is empty")
    [failed] = messages(db, event="import.failed")
    assert failed.user_id == ramp_world.admin.id and "qa.csv" in failed.subject


def test_sending_runs_in_the_background_queue_after_the_commit(app, ramp_world, db, smtp, mailer):
    inbox, port = smtp()
    mailer(port)
    hire = ramp_world.hire()
    clear(db)
    app.config.update(NOTIFY_SEND_AFTER_COMMIT=True, JOBS_EAGER=True)
    assign(db, hire)
    assert len(inbox.messages) == 1
    assert [m.status for m in messages(db)] == [SENT]


def test_an_inactive_or_missing_recipient_is_skipped(ramp_world, db, mailer):
    mailer(1)
    hire = ramp_world.hire()
    hire.user.is_active_account = False
    db.session.commit()
    clear(db)
    assign(db, hire)
    assert messages(db) == []
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() > 0


def test_the_daily_scan_finds_certificates_running_out(ramp_world, db, mailer):
    from ramp.notifications.digests import run_daily

    mailer(1)
    hire = ramp_world.hire()
    cert = issue_certificate(hire, ramp_world.admin, "https://ramp.example", override_reason="x")
    cert.expires_at = datetime.combine(
        clock.today() + timedelta(days=20), datetime.min.time(), clock.now().tzinfo
    )
    db.session.commit()
    report = run_daily(clock.today())
    db.session.commit()
    assert report.expiring == 1
    expiring = messages(db, event="certificate.expiring")
    assert {m.user_id for m in expiring} == {hire.user_id, ramp_world.lead.id}
    run_daily(clock.today() + timedelta(days=1))
    db.session.commit()
    assert len(messages(db, event="certificate.expiring")) == 2
    assert Certificate and date


def test_the_cron_commands_send_and_write_digests_once(ramp_world, db, smtp, mailer, runner):
    inbox, port = smtp()
    mailer(port)
    hire = ramp_world.hire(name="Dee")
    clear(db)
    save_preferences(ramp_world.lead, {"hire.status_changed": "digest"})
    db.session.commit()
    announce("hire.status_changed", hire_id=hire.id, old="on_track", new="at_risk")
    db.session.commit()

    daily = runner.invoke(args=["notify", "daily"])
    again = runner.invoke(args=["notify", "daily"])
    send = runner.invoke(args=["notify", "send"])

    assert daily.exit_code == 0, daily.output
    assert "1 digests queued" in daily.output and "1 sent" in daily.output
    assert "0 digests queued" in again.output
    assert "0 sent, 0 failed" in send.output
    assert [to for to, _mail in inbox.messages] == [[ramp_world.lead.email]]
    weekly = runner.invoke(args=["notify", "weekly"])
    assert weekly.exit_code == 0 and "digests queued" in weekly.output


def test_with_redis_a_worker_sends_and_the_schedule_is_queued(
    app, ramp_world, db, smtp, mailer, runner, redis_url
):
    from redis import Redis
    from rq import Queue, SimpleWorker
    from rq.registry import ScheduledJobRegistry

    import ramp.jobs as jobs_module
    from tests.conftest import make_app

    inbox, port = smtp()
    mailer(port)
    settings = {k: app.config[k] for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY")}
    hire = ramp_world.hire()
    clear(db)
    app.config.update(REDIS_URL=redis_url, NOTIFY_SEND_AFTER_COMMIT=True)
    assign(db, hire)
    queue = Queue("ramp", connection=Redis.from_url(redis_url))
    assert queue.count == 1 and inbox.messages == []  # nothing sent inside the request

    jobs_module._worker_app = make_app(app.config["SQLALCHEMY_DATABASE_URI"], **settings)
    try:
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
    finally:
        jobs_module._worker_app = None
    assert len(inbox.messages) == 1
    assert [m.status for m in messages(db)] == [SENT]

    result = runner.invoke(args=["notify", "schedule"])
    assert result.exit_code == 0, result.output
    assert ScheduledJobRegistry(queue=queue).count == 1


def test_a_coaching_rule_firing_on_an_import_reaches_email_slack_and_teams(
    ramp_world, db, smtp, hooks, mailer, tmp_path
):
    """The whole path: an import of short reviews fires a real rule, and that one firing is
    one e-mail to the agent and one message on each of the team's channels; running the
    rules again sends nothing more."""
    from ramp.coaching.operations import publish_rules_text, run_rules
    from tests.web.test_coaching_loop import RULES, import_reviews

    inbox, port = smtp()
    mailer(port)
    hire = ramp_world.hire(name="Ana Ruiz")
    channels(db, ramp_world.cohort.team, hooks, actor=ramp_world.admin)
    import_reviews(tmp_path, "first.csv", hire.user.email, [("r1", 5, 5)])
    publish_rules_text(RULES)
    db.session.commit()
    send_due()
    clear(db)
    inbox.messages.clear()
    for received in hooks.received.values():
        received.clear()

    import_reviews(
        tmp_path, "short.csv", hire.user.email, [("r2", 4, 2), ("r3", 3, 2), ("r4", 2, 2)]
    )
    db.session.commit()
    [assignment] = db.session.execute(select(CoachingAssignment)).scalars()
    sent = send_due()

    coaching = messages(db, event="coaching.assigned")
    assert sorted(m.kind for m in coaching) == ["email", "slack", "teams"]
    assert {m.status for m in coaching} == {SENT}
    link = f"https://ramp.example/learn/refreshers/{assignment.id}"
    mails = [mail for to, mail in inbox.messages if mail["Subject"].startswith("A refresher")]
    assert [to for to, mail in inbox.messages if mail in mails] == [[hire.user.email]]
    assert link in mails[0].get_body(("plain",)).get_content()
    # The reason as the rule words it, as My ramp says it.
    why = "Why: Tone & Empathy below 60% on 3 of the last 4 evaluations."
    assert why in mails[0].get_body(("plain",)).get_content()
    [slack] = [m for m in hooks.received["slack"] if "refresher" in json.dumps(m)]
    assert not block_kit_problems(slack)
    assert slack["blocks"][-1]["elements"][0]["url"] == link
    assert "Tone &amp; Empathy below 60% on 3 of the last 4 evaluations" in json.dumps(slack)
    [teams] = [m for m in hooks.received["teams"] if "refresher" in json.dumps(m)]
    assert not adaptive_card_problems(teams)
    assert sent.failed == 0

    run_rules(clock.today())
    db.session.commit()
    assert len(messages(db, event="coaching.assigned")) == 3
    assert send_due().sent == 0
