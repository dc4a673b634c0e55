"""Milestone reasons, check summaries and metric names on the hire page and My ramp, in the
reader's language; the stored English reason for the API and for rows kept before the
reason's parts were."""

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select, update

from ramp.formatting import format_date
from ramp.milestones.models import PlanMilestone
from ramp.milestones.operations import evaluate_hires
from tests.conftest import login

SPANISH = {"Accept-Language": "es-CO,es;q=0.9"}

# The English of these sentences, which a Spanish page must not show.
ENGLISH_LEFTOVERS = (
    "due in",
    "due today",
    "warning window",
    "behind pace",
    "on pace",
    "phase starts",
    "module done",
    "modules done",
    "module completed",
    "modules completed",
    "knowledge check",
    "waiting for",
    "records imported",
    "QA score",
    "sub-milestone",
    "to do:",
    "of the time gone",
    "not enough data",
    "(missing",
)


def text_of(response) -> str:
    """What the reader reads: the page without its tags, entities decoded."""
    return re.sub(
        r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    )


def plan_of(response) -> str:
    html = response.get_data(as_text=True)
    return text_of_html(html[html.index('id="plan-title"') : html.index('class="side"')])


def text_of_html(html: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def world(ramp_world, db):
    """A hire on day 5: "Basics done" due in 2 days and behind pace, "Classroom complete" on
    pace, the nesting milestones upcoming, no metric records imported."""
    w = ramp_world
    w.mine = w.hire(name="Mia Mine")
    evaluate_hires([w.mine.id])
    db.session.commit()
    w.nesting = format_date(w.start + timedelta(days=14), "es")
    w.nesting_en = format_date(w.start + timedelta(days=14), "en")
    return w


def test_the_hire_page_in_spanish_words_reasons_and_checks_in_spanish(client, world):
    login(client, world.lead.email)
    plan = plan_of(client.get(f"/board/hires/{world.mine.id}", headers=SPANISH))
    for spanish in (
        "Vence en 2 días (margen de aviso: 3 días); atrasado: 0 de 1 módulo completado, "
        "con el 72\xa0% del tiempo transcurrido",
        "A buen ritmo: 0 de 3 módulos completados, vence en 9 días",
        f"La fase empieza el {world.nesting} (en 9 días)",
        "0 de 1 módulo completado (por hacer: “Ticketing basics”)",
        "0 de 1 evaluación de conocimientos aprobada (por hacer: “Basics check”)",
        "esperando la aprobación de un supervisor",
        "esperando datos: aún no se importaron registros de puntaje de calidad",
        "0 de 1 sub-hito obligatorio logrado (por hacer: “Nesting quality”)",
    ):
        assert spanish in plan, spanish
    for leftover in ENGLISH_LEFTOVERS:
        assert leftover not in plan, leftover
    iso = (world.start + timedelta(days=14)).isoformat()
    assert iso not in plan


def test_the_hire_page_in_english_reads_as_before(client, world):
    login(client, world.lead.email)
    plan = plan_of(client.get(f"/board/hires/{world.mine.id}"))
    for english in (
        "Due in 2 days (warning window 3 days); behind pace: 0 of 1 module done, "
        "72% of the time gone",
        "On pace: 0 of 3 modules done, due in 9 days",
        f"Phase starts {world.nesting_en} (in 9 days)",
        "0 of 1 module completed (to do: “Ticketing basics”)",
        "0 of 1 knowledge check passed (to do: “Basics check”)",
        "waiting for a manager's sign-off",
        "waiting for data: no QA score records imported yet",
        "0 of 1 required sub-milestone achieved (to do: “Nesting quality”)",
    ):
        assert english in plan, english


def test_my_ramp_in_spanish(client, world):
    login(client, world.mine.user.email)
    page = text_of(client.get("/learn/ramp", headers=SPANISH))
    for spanish in (
        "Vence en 2 días (margen de aviso: 3 días); atrasado: 0 de 1 módulo completado",
        "A buen ritmo: 0 de 3 módulos completados, vence en 9 días",
        "esperando la aprobación de un supervisor",
        "esperando datos: aún no se importaron registros de puntaje de calidad",
        "0 de 1 módulo completado (por hacer: “Ticketing basics”)",
    ):
        assert spanish in page, spanish
    for leftover in ENGLISH_LEFTOVERS:
        assert leftover not in page, leftover


def test_the_stored_reason_stays_english_with_its_parts_beside_it(db, world):
    row = db.session.execute(
        select(PlanMilestone).where(
            PlanMilestone.hire_id == world.mine.id, PlanMilestone.key == "basics-done"
        )
    ).scalar_one()
    assert row.reason.startswith("due in 2 days (warning window 3 days); behind pace: 0 of 1")
    assert [p["code"] for p in row.reason_parts] == ["due_soon", "behind_modules"]
    assert row.reason_parts[0]["args"] == {"days_left": 2, "warning_days": 3}


def test_a_row_kept_before_the_parts_shows_its_stored_text_until_evaluated_again(client, db, world):
    db.session.execute(
        update(PlanMilestone)
        .where(PlanMilestone.hire_id == world.mine.id)
        .values(reason_parts=None, reason="as stored before")
    )
    db.session.commit()
    login(client, world.lead.email)
    response = client.get(f"/board/hires/{world.mine.id}", headers=SPANISH)
    assert response.status_code == 200
    assert "As stored before" in plan_of(response)
    # The next evaluation keeps the parts, although nothing it reads has changed.
    world.mine.evaluation_key = None
    db.session.commit()
    evaluate_hires([world.mine.id])
    db.session.commit()
    parts = db.session.execute(
        select(PlanMilestone.reason_parts).where(PlanMilestone.hire_id == world.mine.id)
    ).scalars()
    assert all(parts)
    plan = plan_of(client.get(f"/board/hires/{world.mine.id}", headers=SPANISH))
    assert "As stored before" not in plan and "A buen ritmo" in plan


def test_broken_parts_never_break_the_page(client, db, world):
    db.session.execute(
        update(PlanMilestone)
        .where(PlanMilestone.hire_id == world.mine.id)
        .values(reason_parts=[{"code": "from_a_later_release", "args": {"x": 1}}])
    )
    db.session.commit()
    login(client, world.lead.email)
    response = client.get(f"/board/hires/{world.mine.id}", headers=SPANISH)
    assert response.status_code == 200
    assert "Due in 2 days (warning window 3 days)" in plan_of(response)  # as stored
