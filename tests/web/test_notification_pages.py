"""The notification pages: each user's choices, a team's webhooks (masked once saved), the
admin outbox with its filter and retry; CSRF, roles and hostile input."""

from __future__ import annotations

import os
import re
from html import unescape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ramp.audit.models import AuditEvent
from ramp.notifications.models import (
    FAILED,
    QUEUED,
    Notification,
    NotificationPreference,
    TeamChannel,
)
from tests.conftest import csrf_token, login

SLACK_URL = "https://hooks.slack.com/services/T000/B000/secretsecretsecret"
TEAMS_URL = "https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=topsecret"


def saved_choices(db, user) -> dict[str, str]:
    db.session.remove()
    rows = db.session.execute(
        select(NotificationPreference.event, NotificationPreference.choice).where(
            NotificationPreference.user_id == user.id
        )
    )
    return dict(rows.all())


def test_an_agent_chooses_how_to_hear_about_their_refreshers(db, make_user, as_user):
    agent = make_user("agent")
    client = as_user(agent)
    page = client.get("/notifications").get_data(as_text=True)
    assert "A refresher is assigned to you" in page
    assert "A hire turns at risk or missed" not in page  # a manager's kind
    token = csrf_token(client, "/notifications")

    response = client.post(
        "/notifications",
        data={
            "csrf_token": token,
            "pref-coaching.assigned": "digest",
            "pref-coaching.overdue": "off",
        },
    )

    assert response.status_code == 303
    assert saved_choices(db, agent) == {"coaching.assigned": "digest", "coaching.overdue": "off"}
    page = client.get("/notifications").get_data(as_text=True)
    assert 'value="digest" id="coaching-assigned-digest" checked' in page


@pytest.mark.parametrize(
    "field, value",
    [
        ("pref-coaching.assigned", "always"),
        ("pref-coaching.assigned", "<script>alert(1)</script>"),
        ("pref-coaching.assigned", "x" * 5000),
        ("pref-hire.status_changed", "off"),  # not an agent's kind
        ("pref-no.such.event", "off"),
    ],
)
def test_hostile_choices_are_refused_whole(db, make_user, as_user, field, value):
    agent = make_user("agent")
    client = as_user(agent)
    token = csrf_token(client, "/notifications")
    response = client.post(
        "/notifications",
        data={"csrf_token": token, "pref-coaching.overdue": "off", field: value},
    )
    assert response.status_code == 422
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    assert saved_choices(db, agent) == {}


def test_choices_need_the_csrf_token(db, make_user, as_user):
    agent = make_user("agent")
    response = as_user(agent).post("/notifications", data={"pref-coaching.assigned": "off"})
    assert response.status_code == 400
    assert saved_choices(db, agent) == {}


def test_the_page_needs_sign_in(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.fixture
def team(make_team, make_user):
    return make_team("Chat", make_user("manager"))


def test_an_admin_saves_webhooks_shown_masked_afterwards(app, db, team, make_user, as_user):
    admin = make_user("admin")
    client = as_user(admin)
    url = f"/admin/teams/{team.id}/channels"
    token = csrf_token(client, url)

    response = client.post(
        url, data={"csrf_token": token, "slack_url": SLACK_URL, "teams_url": TEAMS_URL}
    )

    assert response.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "secretsecretsecret" not in page and "topsecret" not in page
    assert "https://hooks.slack.com/…cret" in page
    db.session.remove()
    saved = {c.kind: c.url for c in db.session.execute(select(TeamChannel)).scalars()}
    assert saved == {"slack": SLACK_URL, "teams": TEAMS_URL}
    audit = db.session.execute(select(AuditEvent)).scalars().all()
    assert audit and all("secretsecretsecret" not in str(e.details) for e in audit)
    # Saved again with the fields empty: kept as they were.
    client.post(url, data={"csrf_token": token, "slack_url": "", "teams_url": ""})
    db.session.remove()
    assert len(db.session.execute(select(TeamChannel)).scalars().all()) == 2
    # Removed.
    response = client.post(f"{url}/slack/remove", data={"csrf_token": token})
    assert response.status_code == 303
    db.session.remove()
    assert [c.kind for c in db.session.execute(select(TeamChannel)).scalars()] == ["teams"]


@pytest.mark.parametrize(
    "value, reason",
    [
        ("http://hooks.example.com/x", "plain http"),
        ("javascript:alert(1)", "not an https URL"),
        ("https://10.0.0.5/hook", "private"),
        ("https://hooks.example.com/" + "a" * 1200, "longer than 1,000"),
        ("https://hooks.example.com/a b", "no spaces"),
        ("ftp://hooks.example.com/x", "not an https URL"),
    ],
)
def test_webhook_urls_must_be_https_and_public_outside_tests(
    app, db, team, make_user, as_user, value, reason
):
    admin = make_user("admin")
    client = as_user(admin)
    url = f"/admin/teams/{team.id}/channels"
    token = csrf_token(client, url)
    app.config["TESTING"] = False  # as in production: https and public addresses only
    try:
        response = client.post(url, data={"csrf_token": token, "slack_url": value})
    finally:
        app.config["TESTING"] = True
    assert response.status_code == 422
    assert reason in response.get_data(as_text=True)
    db.session.remove()
    assert db.session.execute(select(TeamChannel)).first() is None


def test_channels_need_the_csrf_token(db, team, make_user, as_user):
    client = as_user(make_user("admin"))
    response = client.post(f"/admin/teams/{team.id}/channels", data={"slack_url": SLACK_URL})
    assert response.status_code == 400
    db.session.remove()
    assert db.session.execute(select(TeamChannel)).first() is None


def test_a_manager_gets_403_on_the_admin_pages(db, team, make_user, as_user):
    client = as_user(team.manager)
    token = csrf_token(client, "/notifications")
    assert client.get("/admin/outbox").status_code == 403
    assert client.get(f"/admin/teams/{team.id}/channels").status_code == 403
    response = client.post(
        f"/admin/teams/{team.id}/channels", data={"csrf_token": token, "slack_url": SLACK_URL}
    )
    assert response.status_code == 403
    assert client.post("/admin/outbox/1/retry", data={"csrf_token": token}).status_code == 403


def failed_message(db, team) -> Notification:
    channel = TeamChannel(team_id=team.id, kind="slack", url=SLACK_URL)
    db.session.add(channel)
    db.session.flush()
    message = Notification(
        event="coaching.assigned",
        dedupe_key="coaching.assigned:1:c1",
        kind="slack",
        channel_id=channel.id,
        subject="A refresher for you: Tone and empathy",
        status=FAILED,
        tries=5,
        last_error="the webhook answered 404: no_service",
    )
    db.session.add(message)
    db.session.commit()
    return message


def test_the_outbox_shows_reasons_filters_and_retries(db, team, make_user, as_user):
    message = failed_message(db, team)
    client = as_user(make_user("admin"))

    response = client.get("/admin/outbox?status=failed")
    assert response.status_code == 200  # the filter once came back as the HTTP status
    page = response.get_data(as_text=True)
    assert "the webhook answered 404: no_service" in page
    assert "A refresher for you: Tone and empathy" in page
    assert "Last failure" in page and "secretsecretsecret" not in page
    assert "A refresher" not in client.get("/admin/outbox?status=sent").get_data(as_text=True)
    token = csrf_token(client, "/admin/outbox")

    response = client.post(f"/admin/outbox/{message.id}/retry", data={"csrf_token": token})

    assert response.status_code == 303
    db.session.remove()
    again = db.session.get(Notification, message.id)
    assert (again.status, again.tries) == (QUEUED, 0)
    # A message that has not failed is not retried.
    client.post(f"/admin/outbox/{message.id}/retry", data={"csrf_token": token})
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Only a failed message can be retried." in page


def test_the_outbox_pages_through_every_message_newest_first(db, team, make_user, as_user):
    """A hundred to a page: nothing is out of reach, and a retry comes back to its page."""
    channel = TeamChannel(team_id=team.id, kind="slack", url=SLACK_URL)
    db.session.add(channel)
    db.session.flush()
    for n in range(1, 251):
        db.session.add(
            Notification(
                event="coaching.assigned",
                dedupe_key=f"paging:{n}",
                kind="slack",
                channel_id=channel.id,
                subject=f"Message number {n:03d}",
                status=FAILED if n % 50 == 0 else QUEUED,
            )
        )
    db.session.commit()
    client = as_user(make_user("admin"))

    def subjects(url: str) -> list[str]:
        page = client.get(url)
        assert page.status_code == 200
        return re.findall(r"Message number (\d{3})", page.get_data(as_text=True))

    first = subjects("/admin/outbox")
    assert first[0] == "250" and first[-1] == "151" and len(first) == 100
    assert "Page 1 of 3" in client.get("/admin/outbox").get_data(as_text=True)
    last = subjects("/admin/outbox?page=3")
    assert last[0] == "050" and last[-1] == "001" and len(last) == 50
    everything = first + subjects("/admin/outbox?page=2") + last
    assert everything == [f"{n:03d}" for n in range(250, 0, -1)]
    # Past the last page, or not a page number at all: the last page, or the first.
    assert subjects("/admin/outbox?page=99") == last
    for odd in ("0", "-1", "abc", "²", "9" * 40, ""):
        assert subjects(f"/admin/outbox?page={odd}") == first
    # The status filter pages by itself.
    assert subjects("/admin/outbox?status=failed&page=2") == ["250", "200", "150", "100", "050"]
    filtered = client.get("/admin/outbox?status=failed").get_data(as_text=True)
    assert 'href="/admin/outbox?status=failed" aria-current="page"' in filtered

    page = client.get("/admin/outbox?page=3").get_data(as_text=True)
    retry = re.search(r'action="(/admin/outbox/\d+/retry[^"]*)"', page).group(1)
    token = csrf_token(client, "/admin/outbox")
    response = client.post(unescape(retry), data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith("page=3")


@pytest.mark.parametrize(
    "path, status",
    [
        ("/admin/outbox?status=<script>", 400),
        ("/admin/outbox?status=" + "x" * 3000, 400),
        ("/admin/outbox/999999/retry", 404),
        ("/admin/teams/999999/channels", 404),
    ],
)
def test_hostile_admin_input_gets_a_4xx(db, team, make_user, as_user, path, status):
    client = as_user(make_user("admin"))
    token = csrf_token(client, "/admin/outbox")
    if path.endswith("/retry"):
        response = client.post(path, data={"csrf_token": token})
    else:
        response = client.get(path)
    assert response.status_code == status
    assert "<script>" not in response.get_data(as_text=True)


def test_removing_an_unknown_channel_kind_is_404(db, team, make_user, as_user):
    client = as_user(make_user("admin"))
    token = csrf_token(client, "/admin/outbox")
    response = client.post(
        f"/admin/teams/{team.id}/channels/irc/remove", data={"csrf_token": token}
    )
    assert response.status_code == 404


FIELDS = (
    "pref-coaching.assigned",
    "pref-coaching.overdue",
    "pref-hire.status_changed",
    "pref-import.failed",
    "pref-",
    "pref-x" * 3,
    "slack_url",
    "teams_url",
    "status",
)
HOSTILE = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", " ", "\x00", "off", "digest", "immediate", "OFF", "x" * 5000]),
    st.sampled_from(
        [
            "https://hooks.slack.com/services/a",
            "http://127.0.0.1:1/x",
            "https://[::1]/x",
            "https://user:pw@hooks.example/x",
            "https://hooks.example:99999/x",
            "https://%zz/",
            "<script>",
            "failed",
        ]
    ),
)


@settings(
    max_examples=int(os.environ.get("RAMP_FUZZ_EXAMPLES") or 15),
    deadline=None,
    database=None,
    derandomize=os.environ.get("RAMP_FUZZ_EXAMPLES") is None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    form=st.dictionaries(st.sampled_from(FIELDS), HOSTILE, max_size=6),
    target=st.sampled_from(["prefs", "channels", "outbox"]),
)
def test_the_notification_forms_answer_any_input_with_a_page_or_a_4xx(
    app, client, db, team, make_user, form, target
):
    if not getattr(app, "_fuzz_admin", None):
        app._fuzz_admin = make_user("admin")
        login(client, app._fuzz_admin.email)
        app._fuzz_token = csrf_token(client, "/notifications")
    if target == "outbox":
        response = client.get("/admin/outbox", query_string=form)
    else:
        path = "/notifications" if target == "prefs" else f"/admin/teams/{team.id}/channels"
        response = client.post(path, data={**form, "csrf_token": app._fuzz_token})
    assert response.status_code in (200, 303, 400, 422), (target, form, response.status_code)
