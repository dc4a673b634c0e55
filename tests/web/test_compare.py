"""Cohort comparison: pooled figures, targets, shares at target, CSV and the PDF report."""

import subprocess
from datetime import date, timedelta
from html import unescape

import pytest

from ramp.metrics.generator import generate_for_hire, insert_records
from ramp.metrics.weekly import refresh_weeks
from tests.conftest import login


@pytest.fixture
def cohorts_with_records(ramp_world, db):
    w = ramp_world
    start = date.today() - timedelta(days=45)
    mine = [w.hire(name=f"Mine {i}", start_date=start) for i in range(3)]
    theirs = [w.hire(cohort=w.other_cohort, manager=w.other_lead, name="Theirs", start_date=start)]
    for hire in mine + theirs:
        insert_records(*generate_for_hire(hire.user_id, hire.start_date, date.today()))
    refresh_weeks([h.user_id for h in mine + theirs])
    db.session.commit()
    return w, mine, theirs


def test_pooled_figures_match_the_records(db, cohorts_with_records):
    from sqlalchemy import func, select

    from ramp.metrics.comparison import compare
    from ramp.metrics.models import QAEvaluation

    w, mine, _ = cohorts_with_records
    result = compare([w.cohort.id], ["qa_score", "aht"])
    [cohort] = result.cohorts
    week5 = next(r for r in cohort.weeks["qa_score"] if r.week == 5)
    start = mine[0].start_date
    first, last = start + timedelta(days=28), start + timedelta(days=34)
    mean, n = db.session.execute(
        select(func.avg(QAEvaluation.percent), func.count()).where(
            QAEvaluation.user_id.in_([h.user_id for h in mine]),
            QAEvaluation.metric_date.between(first, last),
        )
    ).one()
    assert week5.sample == n and week5.value == pytest.approx(mean)
    assert week5.target == 75.0
    assert 0 <= week5.hires_at_target <= week5.hires_judged <= 3


def test_manager_compares_only_visible_cohorts(client, cohorts_with_records):
    w, _, _ = cohorts_with_records
    login(client, w.lead.email)
    html = unescape(
        client.get(f"/board/compare?cohort={w.cohort.id}&cohort={w.other_cohort.id}").get_data(
            as_text=True
        )
    )
    assert "Wave A" in html and "Wave B" not in html
    assert "Time to proficiency" in html and "<svg" in html


def test_csv_and_pdf_exports(client, db, cohorts_with_records, tmp_path):
    w, _, _ = cohorts_with_records
    login(client, w.lead.email)
    csv_text = client.get(
        f"/board/compare?cohort={w.cohort.id}&metric=qa_score&format=csv"
    ).get_data(as_text=True)
    lines = csv_text.splitlines()
    assert lines[0].startswith("cohort,start_date,hires,metric,tenure_week,pooled_value")
    assert any(line.startswith("Wave A,") and ",qa_score,5," in line for line in lines)
    # A cohort named like a formula (LMS course titles become cohort names) stays text.
    w.cohort.name = '=HYPERLINK("http://evil.example","Wave A")'
    db.session.commit()
    csv_text = client.get(
        f"/board/compare?cohort={w.cohort.id}&metric=qa_score&format=csv"
    ).get_data(as_text=True)
    assert '"\'=HYPERLINK(""http://evil.example"",""Wave A"")",' in csv_text
    response = client.get(
        f"/board/compare?cohort={w.cohort.id}&metric=qa_score&metric=aht&format=pdf"
    )
    assert response.mimetype == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Cohort comparison" in text and "Wave A" in text and "QA score" in text and "AHT" in text
    assert "Time to proficiency" in text
