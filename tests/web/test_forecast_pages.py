"""Projected proficiency on the hire page and the board card, through the client: the
projection with its band, a hire projected to miss with the reason, and hostile query
parameters that never give a 500."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from ramp.forecast import queries
from ramp.metrics.generator import Profile, generate_for_hire, insert_records
from ramp.metrics.weekly import refresh_weeks
from ramp.milestones.models import PlanMilestone
from tests.conftest import login

WEEKS = 10


@pytest.fixture
def team(ramp_world, db):
    """Six typical hires and one far below them in QA, all ten weeks in, with records; the weak
    hire's nesting-quality milestone (QA 75) extended to day 84 and open."""
    w = ramp_world
    start = date.today() - timedelta(days=7 * WEEKS)
    typical = [w.hire(name=f"Agent {i}", start_date=start) for i in range(6)]
    weak = w.hire(name="Wendy Weak", start_date=start)
    for hire in typical:
        insert_records(*generate_for_hire(hire.user_id, start, date.today(), seed=f"t{hire.id}"))
    insert_records(
        *generate_for_hire(weak.user_id, start, date.today(), Profile(quality=-25), seed="weak")
    )
    refresh_weeks([h.user_id for h in [*typical, weak]])
    milestone = db.session.execute(
        select(PlanMilestone).where(
            PlanMilestone.hire_id == weak.id, PlanMilestone.key == "nesting-quality"
        )
    ).scalar_one()
    milestone.due_date = start + timedelta(days=84)
    milestone.status = "at_risk"
    db.session.commit()
    queries._cache.clear()
    w.typical, w.weak = typical, weak
    return w


def text(response) -> str:
    return re.sub(r"\s+", " ", unescape(response.get_data(as_text=True)))


def test_the_hire_page_shows_a_hire_projected_to_miss_with_its_band(client, team):
    login(client, team.lead.email)
    response = client.get(f"/board/hires/{team.weak.id}")
    assert response.status_code == 200
    html = text(response)
    section = html[html.index('id="projection"') :]
    section = section[: section.index("</section>")]
    assert "Projected proficient:" in section
    assert re.search(r"week (\d+|after) \(|after week 52", section)
    assert "Projected to miss" in section
    assert "“Nesting quality”, due by week 12: QA score reaches 75.0%" in section
    # One chart per proficiency metric and one for FCR: the hire's line, the projection and
    # its band over the glide path.
    svgs = re.findall(r'<svg [^>]*class="ramp-chart projection-chart".*?</svg>', section)
    assert len(svgs) == 5
    qa = next(s for s in svgs if "QA score of Wendy Weak" in s)
    assert "<polygon" in qa  # the band
    assert 'stroke-dasharray="7 4"' in qa  # the glide path
    assert 'stroke-dasharray="4 3"' in qa  # the projection
    assert ("fitted on 7 hires" in section and "logistic" in section) or "exponential" in section


def test_a_typical_hire_is_projected_with_an_interval_and_no_miss(client, team):
    login(client, team.lead.email)
    html = text(client.get(f"/board/hires/{team.typical[0].id}"))
    summary = re.search(r'id="projection-summary">(.*?)</p>', html).group(1)
    assert re.search(r"Projected proficient: week \d+ \(\d+(–\d+| to after 52)\)", summary) or (
        "Proficient: every tenured target held" in summary
    )
    assert 'id="projection-misses"' not in html


def test_the_board_card_shows_the_projection_line(client, team):
    login(client, team.lead.email)
    html = text(client.get("/board/"))
    weak = re.search(rf'id="projection-line-{team.weak.id}">(.*?)</p>', html).group(1)
    assert "Projected to miss" in weak and "“Nesting quality” (due week 12)" in weak
    typical = re.search(rf'id="projection-line-{team.typical[0].id}">(.*?)</p>', html).group(1)
    assert re.search(r"Projected proficient: week \d+ \(\d+(–\d+| to after 52)\)", typical) or (
        "Proficient since week" in typical
    )


def test_the_board_projects_every_card_in_a_few_queries(client, team, db):
    from sqlalchemy import event

    login(client, team.lead.email)
    client.get("/board/")  # curves built and cached
    statements = []
    engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get("/board/")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    forecast = [s for s in statements if "hire_week_metrics" in s or "plan_milestones" in s]
    # Figures, milestones and the cache check: not one per card.
    assert len([s for s in forecast if "hire_week_metrics" in s]) <= 4
    assert len(forecast) < 10


def test_a_manager_does_not_see_projections_of_hires_they_do_not_manage(client, team):
    other = team.hire(cohort=team.other_cohort, manager=team.other_lead, name="Olga Other")
    login(client, team.lead.email)
    assert client.get(f"/board/hires/{other.id}").status_code == 404
    assert f"projection-line-{other.id}" not in text(client.get("/board/"))


@pytest.mark.parametrize(
    "query",
    [
        "page=-1",
        "page=99999999999999999999",
        "cohort=%00",
        "queue=%27%3B--",
        "status=%3Cscript%3E",
        "manager=1e309",
        "group=../../etc",
        "q=" + "x" * 5000,
        "weeks=-5&as_of=nan&projection=%FF",
    ],
)
def test_hostile_query_parameters_never_give_a_500(client, team, query):
    login(client, team.lead.email)
    assert client.get(f"/board/?{query}").status_code < 500
    assert client.get(f"/board/hires/{team.weak.id}?{query}").status_code < 500


def test_a_hire_not_started_has_no_projection_section(client, ramp_world):
    future = ramp_world.hire(name="Fay Future", start_date=date.today() + timedelta(days=10))
    login(client, ramp_world.lead.email)
    html = text(client.get(f"/board/hires/{future.id}"))
    assert 'id="projection"' not in html


def test_why_a_curve_fell_back_is_worded_in_each_readers_language(client, ramp_world):
    """Curves are cached per process: the reason is worded when the page is, so an English
    reader and a Spanish reader of the same cached curve each read their own language."""
    from ramp.forecast.curves import MIN_HIRES

    start = date.today() - timedelta(days=7 * WEEKS)
    hires = [ramp_world.hire(name=f"Agent {i}", start_date=start) for i in range(3)]
    for hire in hires:
        insert_records(*generate_for_hire(hire.user_id, start, date.today(), seed=f"f{hire.id}"))
    refresh_weeks([h.user_id for h in hires])
    queries._cache.clear()
    login(client, ramp_world.lead.email)
    url = f"/board/hires/{hires[0].id}"
    english = text(client.get(url, headers={"Accept-Language": "en"}))
    spanish = text(client.get(url, headers={"Accept-Language": "es"}))
    assert f"(3 hires with figures, {MIN_HIRES} needed)" in english
    assert f"(3 contrataciones con datos; se necesitan {MIN_HIRES})" in spanish
    assert "hires with figures" not in spanish


def test_a_hire_in_their_first_week_is_projected_from_the_teams_curve_and_says_so(
    client, ramp_world
):
    """Before a full tenure week there are no figures of the hire's own: the summary says the
    projection is the team's curve, not "the figures up to week 0"."""
    new = ramp_world.hire(name="Nia New", start_date=date.today() - timedelta(days=3))
    weeks_in = ramp_world.hire(name="Omar Older", start_date=date.today() - timedelta(days=24))
    queries._cache.clear()
    login(client, ramp_world.lead.email)
    summary = re.search(
        r'id="projection-summary">(.*?)</p>', text(client.get(f"/board/hires/{new.id}"))
    ).group(1)
    assert "from the team's curve alone, before a full week of the hire's own" in summary
    assert "week 0" not in summary
    older = re.search(
        r'id="projection-summary">(.*?)</p>', text(client.get(f"/board/hires/{weeks_in.id}"))
    ).group(1)
    assert "from the figures up to week 3;" in older
