"""The cohort comparison pools only hires the viewer may see, hides small groups from
managers and accepts only known queues."""

import csv
import io
import subprocess
from datetime import date, timedelta
from html import unescape

import pytest

from ramp.metrics.comparison import compare
from ramp.metrics.generator import generate_for_hire, insert_records
from ramp.metrics.weekly import refresh_weeks
from tests.conftest import login

HIDDEN = "fewer than 3 hires: hidden to protect individuals"


@pytest.fixture
def scene(ramp_world, db):
    """Wave A: three of the lead's hires. Wave B: three of the other team's, and one of the
    lead's own, so the lead sees Wave B in the list."""
    w = ramp_world
    start = date.today() - timedelta(days=45)
    mine = [w.hire(name=f"Mine {i}", start_date=start) for i in range(3)]
    theirs = [
        w.hire(
            cohort=w.other_cohort,
            manager=w.other_lead,
            name=f"Theirs {i}",
            start_date=start,
            queue="billing",
        )
        for i in range(3)
    ]
    lone = w.hire(cohort=w.other_cohort, manager=w.lead, name="Lone Mine", start_date=start)
    everyone = mine + theirs + [lone]
    for hire in everyone:
        insert_records(*generate_for_hire(hire.user_id, hire.start_date, date.today()))
    refresh_weeks([h.user_id for h in everyone])
    db.session.commit()
    w.ids = {"a": w.cohort.id, "b": w.other_cohort.id}
    return w


def rows_of(client, url) -> list[dict]:
    return list(csv.DictReader(io.StringIO(client.get(url).get_data(as_text=True))))


def test_pools_only_the_viewers_hires(scene, db):
    [b] = compare([scene.ids["b"]], ["qa_score"], viewer=scene.lead, min_hires=1).cohorts
    assert b.hires == 1
    [everyone] = compare([scene.ids["b"]], ["qa_score"], viewer=scene.admin, min_hires=3).cohorts
    assert everyone.hires == 4
    mine = {r.week: r.sample for r in b.weeks["qa_score"] if r.sample}
    pooled = {r.week: r.sample for r in everyone.weeks["qa_score"]}
    assert mine and all(n < pooled[week] for week, n in mine.items())


def test_manager_csv_hides_another_teams_figures(client, scene):
    login(client, scene.lead.email)
    rows = rows_of(client, f"/board/compare?cohort={scene.ids['b']}&metric=qa_score&format=csv")
    assert rows and all(r["cohort"] == "Wave B" for r in rows)
    assert all(r["hires"] == "1" for r in rows)
    assert all(r["pooled_value"] == "" and r["records"] == "" for r in rows)
    assert all(r["note"] == HIDDEN for r in rows)


def test_admin_sees_every_hire(client, scene):
    login(client, scene.admin.email)
    rows = rows_of(client, f"/board/compare?cohort={scene.ids['b']}&metric=qa_score&format=csv")
    assert rows and all(r["hires"] == "4" for r in rows)
    assert any(r["pooled_value"] for r in rows) and not any(r["note"] for r in rows)


def test_manager_page_and_pdf_hide_small_groups(client, scene, tmp_path):
    login(client, scene.lead.email)
    url = f"/board/compare?cohort={scene.ids['a']}&cohort={scene.ids['b']}&metric=qa_score"
    html = unescape(client.get(url).get_data(as_text=True))
    assert "Wave A" in html and "Wave B" in html and HIDDEN in html
    response = client.get(url + "&format=pdf")
    assert response.mimetype == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "hidden to protect individuals" in " ".join(text.split())


def test_group_size_is_a_setting(client, scene, app):
    login(client, scene.lead.email)
    url = f"/board/compare?cohort={scene.ids['a']}&metric=qa_score&format=csv"
    rows = rows_of(client, url)
    assert rows and all(r["pooled_value"] and not r["note"] for r in rows if r["records"])
    app.config["COMPARE_MIN_HIRES"] = 4
    rows = rows_of(client, url)
    assert rows and all(r["pooled_value"] == "" for r in rows)
    assert rows[0]["note"] == "fewer than 4 hires: hidden to protect individuals"


@pytest.mark.parametrize("queue", ["nope", "billing"])
def test_unknown_queue_is_refused(client, scene, queue):
    login(client, scene.lead.email)
    response = client.get(f"/board/compare?cohort={scene.ids['a']}&queue={queue}&format=csv")
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert f"There is no queue '{queue}' among your hires" in html
