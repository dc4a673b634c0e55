"""Team performance: every agent's and every team's metrics by calendar week and month.

The database's figures per calendar period are the plain formulas over the records dated in
it (hypothesis), the team's are its agents' records pooled, and the page, its CSV and the
API show a manager only the teams they lead, with a clear message for anything else.
"""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import delete

from ramp.metrics import formulas
from ramp.metrics.models import Contact, QAEvaluation
from ramp.metrics.periods import figures, last_periods, period_end, period_start
from tests.conftest import login
from tests.integration.test_aggregates import (
    _close,
    _store,
    contacts_over,
    evaluations_over,
    expected_by,
)
from tests.web.test_api_resources import bearer

# Records over five weeks that cross a month's end (Sunday 2026-05-31 to Monday 2026-06-01).
BASE = datetime(2026, 5, 18, 6, 0, tzinfo=UTC)
SINCE, UNTIL = date(2026, 5, 18), date(2026, 6, 21)


def expected(contacts, evaluations, grain: str) -> dict[tuple[str, date], formulas.MetricValue]:
    """Each metric's figure per calendar period by the plain formulas, where a record counts."""
    return expected_by(contacts, evaluations, SINCE, UNTIL, lambda day: period_start(day, grain))


@pytest.fixture
def agent(make_user):
    return make_user("agent")


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    contacts=contacts_over(60 * 24 * 38, BASE, max_size=50),
    evaluations=evaluations_over(38, BASE, max_size=25),
)
@pytest.mark.parametrize("grain", ["week", "month"])
def test_figures_per_calendar_period_are_the_formulas(db, agent, grain, contacts, evaluations):
    db.session.execute(delete(Contact))
    db.session.execute(delete(QAEvaluation))
    _store(db, agent.id, contacts, evaluations)
    db.session.flush()
    got = figures("agent", [agent.id], SINCE, UNTIL, grain).get(agent.id, {})
    rows = {(metric, start): f for metric, by in got.items() for start, f in by.items()}
    want = expected(contacts, evaluations, grain)
    assert set(rows) == set(want)
    for key, figure in want.items():
        assert rows[key].sample == figure.sample, key
        assert _close(rows[key].value, figure.value), (key, rows[key], figure)
    db.session.rollback()


def test_periods_start_on_monday_or_the_first_and_cross_the_year():
    assert period_start(date(2026, 12, 2), "week") == date(2026, 11, 30)  # a Wednesday
    assert period_start(date(2026, 11, 30), "week") == date(2026, 11, 30)  # a Monday
    assert period_start(date(2027, 1, 3), "week") == date(2026, 12, 28)  # a Sunday
    assert last_periods(date(2027, 1, 3), "week", 3) == [
        date(2026, 12, 14),
        date(2026, 12, 21),
        date(2026, 12, 28),
    ]
    assert last_periods(date(2027, 2, 10), "month", 3) == [
        date(2026, 12, 1),
        date(2027, 1, 1),
        date(2027, 2, 1),
    ]
    assert period_end(date(2028, 2, 1), "month") == date(2028, 2, 29)
    assert period_end(date(2026, 12, 28), "week") == date(2027, 1, 3)


def _qa(db, user_id: int, day: date, scores: list[float], prefix: str) -> None:
    rows = [
        QAEvaluation(
            source="qa-tool",
            external_id=f"{prefix}{i}",
            user_id=user_id,
            evaluated_at=datetime.combine(day, datetime.min.time(), UTC),
            score=score,
            max_score=100.0,
            percent=score,
            metric_date=day,
        )
        for i, score in enumerate(scores)
    ]
    db.session.add_all(rows)


@pytest.fixture
def teams(ramp_world, make_user, db):
    """Chat (the lead's): a hire and a tenured agent with QA this week and last; Phone (the
    other lead's): one agent whose scores must never reach Chat's figures."""
    w = ramp_world
    w.hire_agent = w.hire(name="Ana Hire")
    w.tenured = make_user("agent", team="Chat", name="Tomás Tenured")
    w.stranger = w.hire(cohort=w.other_cohort, manager=w.other_lead, name="Phone Person")
    today = date.today()
    monday = period_start(today, "week")
    _qa(db, w.hire_agent.user_id, monday, [60, 70], "a")
    _qa(db, w.tenured.id, monday, [90, 100], "t")
    _qa(db, w.tenured.id, monday - timedelta(days=7), [80], "t-last")
    _qa(db, w.stranger.user_id, monday, [10, 10, 10], "s")
    db.session.commit()
    w.monday = monday
    return w


def test_a_team_pools_its_own_agents_only(db, teams):
    chat = teams.cohort.team
    got = figures(
        "team", [chat.id], teams.monday - timedelta(days=7), teams.monday + timedelta(6), "week"
    )
    this_week = got[chat.id]["qa_score"][teams.monday]
    assert (this_week.value, this_week.sample) == (80.0, 4)  # 60, 70, 90, 100: not Phone's 10s
    assert got[chat.id]["qa_score"][teams.monday - timedelta(days=7)].sample == 1


def test_the_page_shows_the_leads_team_with_tenured_agents(client, teams):
    login(client, teams.lead.email)
    page = client.get("/board/team-performance?metric=qa_score").get_data(as_text=True)
    assert "Team performance" in page
    assert "Ana Hire" in page and "in ramp" in page
    assert "Tomás Tenured" in page and "95.0%" in page  # the tenured agent's mean this week
    assert "80.0%" in page  # the team pooled
    assert "Phone Person" not in page and "Phone" not in page.split("<main")[1]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("grain=fortnight", "Show figures by week or by month"),
        ("periods=99", "Show between 1 and 26 periods"),
        ("periods=-1", "Show between 1 and 26 periods"),
        ("metric=happiness", "There is no metric &#39;happiness&#39;"),
    ],
)
def test_bad_choices_are_named_and_show_no_figures(client, teams, query, message):
    login(client, teams.lead.email)
    response = client.get(f"/board/team-performance?{query}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "Ana Hire" not in page


def test_another_team_is_refused_to_its_non_leader(client, teams):
    login(client, teams.lead.email)
    response = client.get(f"/board/team-performance?team={teams.other_cohort.team.id}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "no such team among the teams you lead" in page and "Phone Person" not in page


def test_an_admin_reads_any_team(client, teams):
    login(client, teams.admin.email)
    page = client.get(f"/board/team-performance?team={teams.other_cohort.team.id}").get_data(
        as_text=True
    )
    assert "Phone Person" in page


def test_the_csv_has_every_metric_agent_and_period(client, teams):
    login(client, teams.lead.email)
    response = client.get("/board/team-performance?grain=week&periods=2&format=csv")
    assert response.status_code == 200
    assert "attachment; filename=team-performance-week-" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    qa = {(r["agent"], r["period_start"]): r for r in rows if r["metric"] == "qa_score"}
    this, last = teams.monday.isoformat(), (teams.monday - timedelta(days=7)).isoformat()
    assert (
        qa["Tomás Tenured", this]["value"] == "95.0" and qa["Tomás Tenured", this]["sample"] == "2"
    )
    assert qa["Tomás Tenured", last]["value"] == "80.0"
    assert qa["Ana Hire", this]["in_ramp"] == "yes" and qa["Tomás Tenured", this]["in_ramp"] == "no"
    assert qa["(team)", this]["value"] == "80.0"
    assert qa["(team)", this]["period_end"] == (teams.monday + timedelta(days=6)).isoformat()
    assert all(r["team"] == "Chat" for r in rows)


def test_the_api_gives_the_same_figures_and_hides_other_teams(client, teams):
    headers = bearer(teams.lead, "metrics:read")
    response = client.get("/api/v1/metrics/periods?metric=qa_score&periods=2", headers=headers)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["team"]["name"] == "Chat" and body["grain"] == "week"
    assert [p["start"] for p in body["periods"]][-1] == teams.monday.isoformat()
    assert body["pooled"]["qa_score"][-1] == {
        "period": teams.monday.isoformat(),
        "value": 80.0,
        "sample": 4,
    }
    by_name = {a["name"]: a for a in body["agents"]}
    assert by_name["Ana Hire"]["in_ramp"] is True
    assert [f["value"] for f in by_name["Tomás Tenured"]["metrics"]["qa_score"]] == [80.0, 95.0]
    other = client.get(
        f"/api/v1/metrics/periods?team={teams.other_cohort.team.id}", headers=headers
    )
    assert other.status_code == 404 and "Phone" not in other.get_data(as_text=True)
    bad = client.get("/api/v1/metrics/periods?grain=year&metric=nope", headers=headers)
    assert bad.status_code == 400 and len(bad.json["problems"]) == 2
    refused = client.get("/api/v1/metrics/periods", headers=bearer(teams.lead, "hires:read"))
    assert refused.status_code == 403 and refused.json["missing_scope"] == "metrics:read"
    admin = client.get(
        f"/api/v1/metrics/periods?team={teams.other_cohort.team.id}",
        headers=bearer(teams.admin, "metrics:read"),
    )
    assert [a["name"] for a in admin.json["agents"]] == ["Phone Person"]
