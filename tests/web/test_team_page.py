"""Lists of people a page at a time: a manager with a large team pages through Team progress
and finds an agent by name or e-mail, an admin does the same on People; odd search text and
page numbers get a page, never an error."""

from __future__ import annotations

import re

import pytest

from ramp.accounts.operations import create_user
from ramp.accounts.queries import PEOPLE_PAGE_SIZE
from tests.conftest import csrf_token, login

TEAM_SIZE = PEOPLE_PAGE_SIZE * 2 + 7  # two full pages and a short one


@pytest.fixture
def big_team(client, db, make_user, make_team):
    lead, other = make_user("manager"), make_user("manager")
    make_team("Chat", lead)
    make_team("Phone", other)
    for n in range(TEAM_SIZE):  # no password: agents an LMS roster adds sign in there
        create_user(f"agent{n:03}@chat.example", f"Agent {n:03}", None, "agent", "Chat")
    create_user("zoe_100%@chat.example", "Zoë Ñúñez", None, "agent", "Chat")
    create_user("outsider@phone.example", "Agent 999", None, "agent", "Phone")
    db.session.commit()
    login(client, lead.email)
    return lead


def _names(html: str) -> list[str]:
    return re.findall(r"<tr><td>([^<]+)</td>", html)


def test_the_team_is_read_a_page_at_a_time_by_name(client, big_team):
    first = client.get("/team").get_data(as_text=True)
    assert _names(first) == [f"Agent {n:03}" for n in range(PEOPLE_PAGE_SIZE)]
    assert f"Agents 1–50 of {TEAM_SIZE + 1}" in first
    assert "Page 1 of 3" in first and 'href="/team?page=2"' in first
    last = client.get("/team?page=3").get_data(as_text=True)
    assert _names(last) == [f"Agent {n:03}" for n in range(100, TEAM_SIZE)] + ["Zoë Ñúñez"]
    assert "Agent 999" not in last  # another manager's agent
    assert 'href="/team?page=2"' in last and "page=4" not in last


def test_search_finds_by_name_or_email_and_pages_keep_it(client, big_team):
    html = client.get("/team?q=agent 04").get_data(as_text=True)
    assert _names(html) == [f"Agent 04{n}" for n in range(10)]
    assert "Agents 1–10 of 10" in html and 'value="agent 04"' in html
    assert _names(client.get("/team?q=ZOE_100%25").get_data(as_text=True)) == ["Zoë Ñúñez"]
    # % and _ are the characters themselves, not wildcards.
    assert _names(client.get("/team?q=%25").get_data(as_text=True)) == ["Zoë Ñúñez"]
    assert _names(client.get("/team?q=_").get_data(as_text=True)) == ["Zoë Ñúñez"]
    paged = client.get("/team?q=agent&page=2").get_data(as_text=True)
    assert 'href="/team?page=3&amp;q=agent"' in paged
    assert _names(paged)[0] == f"Agent {PEOPLE_PAGE_SIZE:03}"


def test_a_search_that_finds_no_one_says_so(client, big_team):
    html = client.get("/team?q=nobody").get_data(as_text=True)
    assert "No agent's name or e-mail contains “nobody”." in html
    assert "No agents yet" not in html and 'href="/team"' in html


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-1",
        "page=99999999999999999999",
        "page=²",
        "page=abc",
        "q=" + "x" * 5000,
        "q=%00",
        "q=%E2%80%AE%0a%0d",
        "q=%27%3B--",
        "q=&page=",
    ],
)
def test_odd_queries_get_a_page(client, big_team, query):
    answer = client.get(f"/team?{query}")
    assert answer.status_code == 200, query
    assert "Team progress" in answer.get_data(as_text=True)


def test_an_out_of_range_page_shows_the_nearest(client, big_team):
    assert _names(client.get("/team?page=999").get_data(as_text=True))[-1] == "Zoë Ñúñez"
    assert _names(client.get("/team?page=0").get_data(as_text=True))[0] == "Agent 000"


def test_a_nul_character_in_a_search_finds_no_one_and_breaks_nothing(client, big_team):
    """PostgreSQL refuses a NUL in any text it compares: search text drops control characters."""
    for url in ("/team?q=%00", "/team?q=Agent%00%20000", "/board/?q=%00", "/board/?q=a%00b"):
        assert client.get(url).status_code == 200, url
    assert _names(client.get("/team?q=Agent%00%20001").get_data(as_text=True)) == ["Agent 001"]


def _people(html: str) -> list[str]:
    return re.findall(r'<tr><td><a href="/admin/people/\d+">([^<]+)</a>', html)


def test_people_are_paged_admins_first_then_managers_then_agents(client, big_team, make_user):
    admin = make_user("admin", name="Ada Admin")
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/team")})
    login(client, admin.email)
    first = client.get("/admin/people").get_data(as_text=True)
    managers = sorted(u for u in _people(first) if u.startswith("Manager"))
    assert _people(first)[:3] == ["Ada Admin", *managers]
    assert _people(first)[3:] == [f"Agent {n:03}" for n in range(PEOPLE_PAGE_SIZE - 3)]
    assert f"People 1–50 of {TEAM_SIZE + 5}" in first and 'href="/admin/people?page=2"' in first
    last = client.get("/admin/people?page=3").get_data(as_text=True)
    assert _people(last)[-2:] == ["Agent 999", "Zoë Ñúñez"]  # every team's, for an admin
    found = client.get("/admin/people?q=phone.example").get_data(as_text=True)
    assert _people(found) == ["Agent 999"] and "People 1–1 of 1" in found
    none = client.get("/admin/people?q=nobody%00").get_data(as_text=True)
    assert "No one's name or e-mail contains “nobody”." in none


def test_people_name_roles_in_the_readers_language(client, big_team, make_user):
    admin = make_user("admin", name="Ada Admin")
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/team")})
    login(client, admin.email)
    roles = {}
    for language in ("en", "es"):
        html = client.get("/admin/people", headers={"Accept-Language": language}).get_data(
            as_text=True
        )
        rows = re.findall(
            r'<tr><td><a href="/admin/people/\d+">([^<]+)</a></td><td>[^<]*</td><td>([^<]+)</td>',
            html,
        )
        roles[language] = {name: role for name, role in rows if name in ("Ada Admin", "Agent 000")}
        roles[language]["you"] = re.search(r'<span class="role">([^<]+)</span>', html).group(1)
        roles[language]["choices"] = re.findall(
            r'<option[^>]*value="\w+"[^>]*>([^<]+)</option>', html
        )
    assert roles["en"] == {
        "Ada Admin": "Admin",
        "Agent 000": "Agent",
        "you": "admin",
        "choices": ["Agent", "Manager", "Admin", "Chat", "Phone"],
    }
    assert roles["es"] == {
        "Ada Admin": "Administrador",
        "Agent 000": "Agente",
        "you": "administrador",
        "choices": ["Agente", "Supervisor", "Administrador", "Chat", "Phone"],
    }
