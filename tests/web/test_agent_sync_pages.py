"""Linking agents from a helpdesk's users export: the admin page (preview, then confirm) and
`ramp users link-helpdesk`."""

from __future__ import annotations

import io
import json
import re
from html import unescape

import pytest
from sqlalchemy import select

from ramp.metrics.agents import link_agents
from ramp.metrics.models import AgentIdentity
from tests.conftest import csrf_token, login

EXPORT = (
    "ID,Name,Email,Suspended\n"
    "9001,Ana Silva,ana@example.com,FALSE\n"
    "9002,Ben Ode,ben@example.com,FALSE\n"
    "9003,Dee Nobody,dee@example.com,FALSE\n"
)


@pytest.fixture
def team(make_user, db):
    people = {
        "admin": make_user("admin", email="root@example.com"),
        "ana": make_user("agent", email="ana@example.com", name="Ana Silva"),
        "ben": make_user("agent", email="ben@example.com", name="Ben Ode"),
        "cy": make_user("agent", email="cy@example.com", name="Cy Diaz"),
    }
    return people


def links(db) -> dict[str, str]:
    db.session.remove()
    rows = db.session.execute(select(AgentIdentity)).scalars()
    return {r.external_id: r.user.email for r in rows}


def _upload(client, data: bytes, helpdesk="zendesk"):
    token = csrf_token(client, "/admin/agent-ids/sync")
    return client.post(
        "/admin/agent-ids/sync",
        data={"csrf_token": token, "helpdesk": helpdesk, "export": (io.BytesIO(data), "u.csv")},
        content_type="multipart/form-data",
    )


def test_preview_then_confirm_links_every_match(client, team, db):
    login(client, team["admin"].email)
    link_agents("zendesk", [("Ben Ode", team["cy"])], None)  # a conflict
    db.session.commit()
    page = _upload(client, EXPORT.encode())
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert (
        "1 to link, 0 already linked, 1 with an e-mail no ramp user has, 1 conflicts"
        in unescape(html)
    )
    assert "already linked to cy@example.com" in html
    assert links(db) == {"Ben Ode": "cy@example.com"}  # the preview wrote nothing
    token = re.search(r'id="sync-confirm">\s*<input id="csrf_token"[^>]*value="([^"]+)"', html)
    sent = unescape(re.search(r'name="links" value="([^"]+)"', html).group(1))
    assert json.loads(sent) == [["Ana Silva", "ana@example.com"]]
    done = client.post(
        "/admin/agent-ids/sync/confirm",
        data={"csrf_token": token.group(1), "helpdesk": "zendesk", "links": sent},
    )
    assert done.status_code == 303
    assert links(db) == {"Ben Ode": "cy@example.com", "Ana Silva": "ana@example.com"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("ID,Name,Email\n1,Ana,ana@example.com\n".encode("utf-16"), "not UTF-8"),
        (b"Who,Where\nAna,ana@example.com\n", "not a Zendesk users export"),
    ],
)
def test_bad_files_get_a_clear_422(client, team, db, data, message):
    login(client, team["admin"].email)
    page = _upload(client, data)
    assert page.status_code == 422 and message in page.get_data(as_text=True)
    assert links(db) == {}


@pytest.mark.parametrize(
    "sent",
    ["not json", "{}", '[["only one"]]', "[[1, 2]]", '[["x", "nobody@example.com"]]', "[" * 9000],
)
def test_a_tampered_or_stale_confirm_links_nothing(client, team, db, sent):
    login(client, team["admin"].email)
    token = csrf_token(client, "/admin/agent-ids/sync")
    response = client.post(
        "/admin/agent-ids/sync/confirm",
        data={"csrf_token": token, "helpdesk": "zendesk", "links": sent},
    )
    assert response.status_code == 422
    assert links(db) == {}


def test_cli_links_from_a_users_export(runner, team, db, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text(EXPORT)
    dry = runner.invoke(
        args=["users", "link-helpdesk", str(path), "--helpdesk", "zendesk", "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert (
        "2 to link, 0 already linked, 1 unknown e-mails, 0 conflicts; nothing linked." in dry.output
    )
    assert links(db) == {}
    done = runner.invoke(args=["users", "link-helpdesk", str(path), "--helpdesk", "zendesk"])
    assert done.exit_code == 0, done.output
    assert links(db) == {"Ana Silva": "ana@example.com", "Ben Ode": "ben@example.com"}
    bad = tmp_path / "bad.csv"
    bad.write_text("Who\nAna\n")
    refused = runner.invoke(args=["users", "link-helpdesk", str(bad), "--helpdesk", "zendesk"])
    assert refused.exit_code == 1 and "not a Zendesk users export" in refused.output
