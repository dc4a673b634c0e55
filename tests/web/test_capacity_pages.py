"""Capacity, planned classes and early attrition through the client: figures against values
worked out by hand, marking a hire as left and taking it back, and hostile input that gets a
4xx with a message, never a 500."""

from __future__ import annotations

import csv
import io
import math
import os
import re
from datetime import date
from html import unescape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ramp.audit.models import AuditEvent
from ramp.forecast import queries
from ramp.forecast.curves import DEFAULT_TAU
from ramp.forecast.models import PlannedClass
from ramp.metrics.api import create_token
from ramp.metrics.models import HireWeekMetric
from ramp.milestones.leaving import mark_left
from ramp.milestones.models import Hire, HireEvent
from tests.conftest import csrf_token, login

# The pinned day is Wednesday 18 March 2026.
TODAY = date(2026, 3, 18)


@pytest.fixture
def team(ramp_world, db):
    """Ana (from Monday 2 February) and Ben (from Wednesday 4 February, left on Tuesday 17
    February), both in general · chat; their AHT in their first weeks is 960 s, exactly the
    default curve's (too few hires for a measured one), so their offsets are 0."""
    w = ramp_world
    w.ana = w.hire(name="Ana Alves", start_date=date(2026, 2, 2))
    w.ben = w.hire(name="Ben Brandt", start_date=date(2026, 2, 4))
    for hire, weeks in ((w.ana, (1, 2)), (w.ben, (1,))):
        for week in weeks:
            db.session.add(
                HireWeekMetric(
                    hire_id=hire.id, metric="aht", week=week, sample=50, total=960 * 50, value=960
                )
            )
    mark_left(w.ben, date(2026, 2, 17), "another_job", "Moved to a competitor", w.lead)
    db.session.commit()
    queries._cache.clear()
    return w


def text(response) -> str:
    return re.sub(r"\s+", " ", unescape(response.get_data(as_text=True)))


def default_factor(t: int) -> float:
    """600 s tenured ÷ the default curve: 960 s until week 5, then toward 600 with τ ≈ 9.1."""
    return 600 / (600 + 360 * math.exp(-max(t - 5, 0) / DEFAULT_TAU)) if t >= 5 else 0.0


def rows_of(client, query: str) -> list[dict]:
    response = client.get(f"/board/compare/capacity.csv?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_capacity_csv_matches_figures_worked_out_by_hand(client, team):
    login(client, team.lead.email)
    rows = rows_of(client, f"cohort={team.cohort.id}&start=2026-02-02&weeks=7")
    got = [
        (r["week"], float(r["heads"]), float(r["effective_fte"]), r["source"], r["curve"])
        for r in rows
    ]
    assert got == [
        # Ana and Ben measured at 960 s: 600/960 each.
        ("2026-02-02", 2.0, 1.25, "measured", "default"),
        # Ana measured; Ben's week 2 is projected, and a classroom week (before week 5): 0.
        ("2026-02-09", 2.0, 0.62, "projected", "default"),  # 0.625 to two places
        # Ben left on the 17th: 0 heads from that week on.
        ("2026-02-16", 1.0, 0.0, "projected", "default"),
        ("2026-02-23", 1.0, 0.0, "projected", "default"),
        ("2026-03-02", 1.0, round(default_factor(5), 2), "projected", "default"),
        ("2026-03-09", 1.0, round(default_factor(6), 2), "projected", "default"),
        ("2026-03-16", 1.0, round(default_factor(7), 2), "projected", "default"),
    ]
    assert {r["placement"] for r in rows} == {"general · chat"}
    assert {r["cohort"] for r in rows} == {"Wave A"}
    assert rows[1]["productivity_factor"] == str(round(0.625 / 2, 3))


def test_a_planned_class_is_projected_with_the_observed_attrition(client, team, db):
    login(client, team.lead.email)
    token = csrf_token(client, "/board/compare")
    response = client.post(
        "/board/planned-classes",
        data={
            "csrf_token": token,
            "name": "April class",
            "team": team.cohort.team.id,
            "queue": "general",
            "channel": "chat",
            "start_date": "2026-03-16",
            "heads": "10",
        },
    )
    assert response.status_code == 303
    rows = rows_of(client, f"cohort={team.cohort.id}&start=2026-03-16&weeks=2")
    planned = [
        (r["week"], float(r["heads"]), r["source"]) for r in rows if r["cohort"] == "April class"
    ]
    # Of two hires in their week 2, one left in it: half survive week 2.
    assert planned == [("2026-03-16", 10.0, "planned"), ("2026-03-23", 5.0, "planned")]
    db.session.remove()
    assert db.session.execute(select(func.count()).select_from(PlannedClass)).scalar_one() == 1
    assert (
        db.session.execute(
            select(func.count()).where(AuditEvent.action == "planned_class.add")
        ).scalar_one()
        == 1
    )
    html = text(client.get("/board/compare"))
    assert "April class" in html and 'id="capacity-table"' in html and "<svg" in html


def test_no_hires_give_headers_only(client, team):
    login(client, team.other_lead.email)
    response = client.get("/board/compare/capacity.csv?start=2026-02-02&weeks=3")
    assert response.get_data(as_text=True) == (
        "placement,week,heads,effective_fte,productivity_factor,cohort,source,curve\r\n"
    )


def test_the_comparison_page_shows_attrition_and_signals(client, team, db):
    login(client, team.lead.email)
    html = text(client.get(f"/board/compare?cohort={team.cohort.id}"))
    section = html[html.index('id="attrition"') :]
    section = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section[: section.index("</section>")]))
    # Ben left 13 days in: 1 of the 2 hires at least 30 days in left within 30 days; no
    # hire is 60 days in yet.
    assert "Wave A 2 50.0% (1/2) no hire 60 days in no hire 90 days in " in section
    assert "week 2: Ben Brandt (Took another job, Feb 17, 2026)" in section
    assert "Signals, not a decision" in section
    assert "Before leaving, of 1 past leaver: 1 had a missed milestone" in section


def test_a_manager_marks_a_hire_as_left_and_an_admin_takes_it_back(client, team, db):
    login(client, team.lead.email)
    ana, admin = team.ana, team.admin.email
    token = csrf_token(client, f"/board/hires/{ana.id}")
    response = client.post(
        f"/board/hires/{ana.id}/left",
        data={"csrf_token": token, "left_on": "2026-03-10", "reason": "schedule", "note": "Nights"},
    )
    assert response.status_code == 303
    html = text(client.get(f"/board/hires/{ana.id}"))
    assert "Left on Mar 10, 2026 (tenure week 6): Schedule or pay. Nights" in html
    assert "Schedule or pay" in html and "Nights" in html
    assert f'/board/hires/{ana.id}"' not in text(client.get("/board/"))
    ana_id = ana.id
    db.session.remove()
    assert db.session.get(Hire, ana_id).active is False
    client.post("/auth/logout", data={"csrf_token": token})
    login(client, admin)
    token = csrf_token(client, f"/board/hires/{ana_id}")
    response = client.post(
        f"/board/hires/{ana_id}/left/undo", data={"csrf_token": token, "reason": "Typed in error"}
    )
    assert response.status_code == 303
    db.session.remove()
    hire = db.session.get(Hire, ana_id)
    assert hire.active is True and hire.left_on is None
    actions = [
        e.action
        for e in db.session.execute(select(HireEvent).where(HireEvent.hire_id == ana_id)).scalars()
    ]
    assert "left" in actions and "left_undone" in actions
    assert (
        db.session.execute(
            select(func.count()).where(AuditEvent.action.in_(["hire.left", "hire.left_undone"]))
        ).scalar_one()
        == 3  # Ben in the fixture, Ana and her taking back
    )


def test_people_say_who_left_while_their_account_still_signs_in(client, team, db):
    """Leaving records attrition and keeps the account; People and the person's page say so,
    and stop saying it once the leaving is taken back or the account is deactivated."""
    login(client, team.admin.email)
    ben_user, ana_user = team.ben.user_id, team.ana.user_id

    def access(user_id: int) -> str:
        row = re.search(
            rf'<tr><td><a href="/admin/people/{user_id}">.*?</tr>',
            text(client.get("/admin/people")),
        )
        return re.findall(r"<td>([^<]*)</td></tr>", row.group(0))[0]

    assert access(ben_user) == "Yes, though they left on Feb 17, 2026"
    assert access(ana_user) == "Yes"
    person = text(client.get(f"/admin/people/{ben_user}"))
    assert "Yes, though they left on Feb 17, 2026: deactivate the account below" in person
    assert "though they left" not in text(client.get(f"/admin/people/{ana_user}"))
    token = csrf_token(client, f"/board/hires/{team.ben.id}")
    response = client.post(
        f"/board/hires/{team.ben.id}/left/undo", data={"csrf_token": token, "reason": "Came back"}
    )
    assert response.status_code == 303
    assert access(ben_user) == "Yes"
    mark_left(db.session.get(Hire, team.ben.id), date(2026, 3, 2), "personal", None, team.lead)
    db.session.commit()
    assert access(ben_user) == "Yes, though they left on Mar 2, 2026"
    es = text(client.get("/admin/people", headers={"Accept-Language": "es"}))
    assert "<td>Sí, aunque causó baja el 2 mar 2026</td>" in es
    response = client.post(
        f"/admin/people/{ben_user}/deactivate",
        data={"csrf_token": csrf_token(client, f"/admin/people/{ben_user}"), "reason": "Left"},
    )
    assert response.status_code == 303
    assert access(ben_user) == "No, deactivated"
    assert "<td>No, desactivada</td>" in text(
        client.get("/admin/people", headers={"Accept-Language": "es"})
    )


@pytest.mark.parametrize(
    "data",
    [
        {"left_on": "2026-13-45", "reason": "personal"},
        {"left_on": "2026-01-01", "reason": "personal"},  # before the start
        {"left_on": "2026-04-01", "reason": "personal"},  # in the future
        {"left_on": "2026-03-10", "reason": "<script>"},
        {"left_on": "2026-03-10", "reason": ""},
        {"left_on": "", "reason": "personal"},
        {"left_on": "2026-03-10", "reason": "personal", "note": "x" * 5000},
        {"left_on": "2026-03-10\x00", "reason": "personal\x00"},
    ],
)
def test_hostile_leave_forms_get_a_4xx_and_change_nothing(client, team, db, data):
    login(client, team.lead.email)
    ana_id = team.ana.id
    token = csrf_token(client, f"/board/hires/{ana_id}")
    response = client.post(f"/board/hires/{ana_id}/left", data={"csrf_token": token, **data})
    assert 400 <= response.status_code < 500
    db.session.remove()
    assert db.session.get(Hire, ana_id).left_on is None


def test_leaving_twice_or_undoing_a_present_hire_is_refused(client, team):
    login(client, team.lead.email)
    token = csrf_token(client, f"/board/hires/{team.ben.id}")
    again = client.post(
        f"/board/hires/{team.ben.id}/left",
        data={"csrf_token": token, "left_on": "2026-03-01", "reason": "other"},
    )
    assert again.status_code == 422 and "already marked as left" in text(again)
    undo = client.post(
        f"/board/hires/{team.ana.id}/left/undo", data={"csrf_token": token, "reason": "r"}
    )
    assert undo.status_code == 422 and "is not marked as left" in text(undo)


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "heads": "5"},
        {"name": "x" * 500, "heads": "5"},
        {"name": "C", "heads": "-3"},
        {"name": "C", "heads": "1e309"},
        {"name": "C", "heads": "99999999999999999999"},
        {"name": "C", "heads": "5", "team": "999999"},
        {"name": "C", "heads": "5", "start_date": "0001-01-01"},
        {"name": "C", "heads": "5", "start_date": "9999-12-31"},
        {"name": "C", "heads": "5", "channel": "pigeon"},
        {"name": "C", "heads": "5", "queue": "", "channel": ""},
        {"name": "C\x00", "heads": "5\x00"},
    ],
)
def test_hostile_planned_classes_get_a_4xx_and_change_nothing(client, team, db, data):
    login(client, team.lead.email)
    token = csrf_token(client, "/board/compare")
    form = {
        "csrf_token": token,
        "team": team.cohort.team.id,
        "queue": "general",
        "channel": "chat",
        "start_date": "2026-04-06",
        **data,
    }
    response = client.post("/board/planned-classes", data=form)
    assert 400 <= response.status_code < 500
    db.session.remove()
    assert db.session.execute(select(func.count()).select_from(PlannedClass)).scalar_one() == 0


def test_a_manager_cannot_plan_for_or_remove_another_teams_class(client, team, db):
    other = PlannedClass(
        name="Phone May",
        team_id=team.other_cohort.team.id,
        channel="phone",
        start_date=date(2026, 5, 4),
        heads=4,
    )
    db.session.add(other)
    db.session.commit()
    login(client, team.lead.email)
    token = csrf_token(client, "/board/compare")
    response = client.post(
        "/board/planned-classes",
        data={
            "csrf_token": token,
            "name": "X",
            "team": team.other_cohort.team.id,
            "channel": "chat",
            "start_date": "2026-04-06",
            "heads": "3",
        },
    )
    assert response.status_code == 422
    assert (
        client.post(
            f"/board/planned-classes/{other.id}/remove", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert "Phone May" not in text(client.get("/board/compare"))
    db.session.remove()
    assert db.session.execute(select(func.count()).select_from(PlannedClass)).scalar_one() == 1


@pytest.mark.parametrize(
    "query",
    [
        "start=2026-02-30",
        "start=%00",
        "start=99999-01-01",
        "start=1900-01-01",
        "weeks=0",
        "weeks=-1",
        "weeks=105",
        "weeks=1e3",
        "weeks=99999999999999999999",
        "cohort=abc",
        "cohort=999999",
    ],
)
def test_hostile_capacity_parameters_get_a_4xx(client, team, query):
    login(client, team.lead.email)
    expected = 404 if query == "cohort=999999" else 422
    assert client.get(f"/board/compare/capacity.csv?{query}").status_code == expected
    page = client.get(f"/board/compare?{query}")
    assert page.status_code in (200, 422)  # an unknown cohort on the page is simply not shown


VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["", "0", "-1", "1e309", "nan", "2026-03-10", "2026-02-30", "personal", "\x00", "9" * 30]
    ),
)
FIELDS = st.dictionaries(
    st.sampled_from(
        [
            "left_on",
            "reason",
            "note",
            "name",
            "team",
            "queue",
            "channel",
            "start_date",
            "heads",
            "cohort",
            "start",
            "weeks",
        ]
    ),
    VALUES,
    max_size=6,
)


@settings(
    max_examples=int(os.environ.get("RAMP_FUZZ_EXAMPLES") or 15),
    deadline=None,
    database=None,
    derandomize=os.environ.get("RAMP_FUZZ_EXAMPLES") is None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(form=FIELDS, target=st.sampled_from(["left", "undo", "plan", "csv", "compare", "api"]))
def test_any_input_gets_an_answer_never_a_500(client, team, db, form, target):
    if not getattr(team, "signed_in", False):
        login(client, team.lead.email)
        team.token = csrf_token(client, "/board/compare")
        _, team.secret = create_token("fuzz", team.lead, scopes=["metrics:read"])
        db.session.commit()
        team.ids = (team.ana.id, team.ben.id)
        team.signed_in = True
    ana, ben = team.ids
    if target in ("csv", "compare", "api"):
        path = {
            "csv": "/board/compare/capacity.csv",
            "compare": "/board/compare",
            "api": "/api/v1/capacity",
        }[target]
        response = client.get(
            path, query_string=form, headers={"Authorization": f"Bearer {team.secret}"}
        )
    else:
        path = {
            "left": f"/board/hires/{ana}/left",
            "undo": f"/board/hires/{ben}/left/undo",
            "plan": "/board/planned-classes",
        }[target]
        response = client.post(path, data={**form, "csrf_token": team.token})
    assert response.status_code < 500, (target, form, response.status_code)


def test_the_queue_filter_narrows_capacity_on_the_page_in_the_csv_and_the_api(client, team, db):
    """Choosing a queue on the comparison page keeps only the hires placed in it now and
    the classes planned for it: in the table, the CSV link and the API alike."""
    team.hire(name="Cleo Cruz", start_date=date(2026, 2, 2), queue="billing")
    db.session.add(
        PlannedClass(
            name="Billing class",
            team_id=team.cohort.team.id,
            queue="billing",
            channel="chat",
            start_date=date(2026, 3, 16),
            heads=4,
            created_by_id=team.lead.id,
        )
    )
    db.session.commit()
    queries._cache.clear()
    login(client, team.lead.email)
    window = f"cohort={team.cohort.id}&start=2026-03-16&weeks=1"
    everyone = {(r["placement"], r["cohort"]): r["heads"] for r in rows_of(client, window)}
    assert everyone == {
        ("general · chat", "Wave A"): "1.0",
        ("billing · chat", "Wave A"): "1.0",
        ("billing · chat", "Billing class"): "4.0",
    }
    billing = {(r["placement"], r["cohort"]) for r in rows_of(client, window + "&queue=billing")}
    assert billing == {("billing · chat", "Wave A"), ("billing · chat", "Billing class")}
    general = {(r["placement"], r["cohort"]) for r in rows_of(client, window + "&queue=general")}
    assert general == {("general · chat", "Wave A")}

    page = client.get(f"/board/compare?{window}&queue=billing")
    html = text(page)
    assert page.status_code == 200 and "Only the hires placed in billing now" in html
    table = html[html.index('id="capacity-table"') :]
    table = table[: table.index("</table>")]
    # Wave A's billing hire and the Billing class together, the general hire left out.
    cells = re.findall(r'<td class="num (parts|heads)">([^<]+)</td>', table)
    assert cells == [("parts", "2"), ("heads", "5")]
    assert "billing · chat" in table and "general · chat" not in table
    link = re.search(r'id="capacity-csv" href="([^"]+)"', page.get_data(as_text=True))
    assert "queue=billing" in unescape(link.group(1))
    assert 'name="queue" value="billing"' in page.get_data(as_text=True)  # kept by "Show"

    _, secret = create_token("wfm", team.lead, scopes=["metrics:read"])
    db.session.commit()
    bearer = {"Authorization": f"Bearer {secret}"}
    body = client.get(f"/api/v1/capacity?{window}&queue=billing", headers=bearer).get_json()
    assert {(r["placement"], r["cohort"]) for r in body["rows"]} == billing

    # A queue none of the viewer's hires is in is refused, never shown empty.
    assert client.get(f"/board/compare/capacity.csv?{window}&queue=refunds").status_code == 422
    refused = client.get(f"/api/v1/capacity?{window}&queue=refunds", headers=bearer)
    assert refused.status_code == 400 and "refunds" in refused.get_json()["problems"][0]
