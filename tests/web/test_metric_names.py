"""Metric names in the reader's language on pages and in the PDF report; English (and the
machine keys) in the JSON API and the CSV values."""

import subprocess
from datetime import date, timedelta
from html import unescape

import pytest

from ramp.extensions import db as _db
from ramp.metrics.api import SCOPES, create_token
from ramp.metrics.definitions import METRICS
from ramp.metrics.generator import generate_for_hire, insert_records
from ramp.metrics.weekly import refresh_weeks
from tests.conftest import login

SPANISH = {"Accept-Language": "es-CO,es;q=0.9"}


@pytest.fixture
def with_records(ramp_world, db):
    w = ramp_world
    w.mine = w.hire(name="Mia Mine", start_date=date.today() - timedelta(days=45))
    insert_records(*generate_for_hire(w.mine.user_id, w.mine.start_date, date.today()))
    refresh_weeks([w.mine.user_id])
    db.session.commit()
    return w


def test_every_metric_has_a_spanish_name(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("es"):
        spanish = {name: d.label for name, d in METRICS.items()}
    english = {name: d.label for name, d in METRICS.items()}  # outside a request
    assert english == {name: d.english for name, d in METRICS.items()}
    assert spanish["qa_score"] == "Puntaje de calidad"
    assert spanish["resolution_time"] == "Tiempo de resolución"
    assert spanish["first_response_time"] == "Tiempo de primera respuesta"
    assert spanish["sla_compliance"] == "Cumplimiento del SLA"


def test_pages_and_the_pdf_name_metrics_in_spanish(client, with_records, tmp_path):
    w = with_records
    login(client, w.lead.email)
    hire = unescape(client.get(f"/board/hires/{w.mine.id}", headers=SPANISH).get_data(as_text=True))
    assert "Puntaje de calidad" in hire and "QA score" not in hire
    assert "Tiempo de resolución" in hire and "Resolution time" not in hire
    query = f"/board/compare?cohort={w.cohort.id}&metric=qa_score&metric=resolution_time"
    page = unescape(client.get(query, headers=SPANISH).get_data(as_text=True))
    assert "Puntaje de calidad" in page and "QA score" not in page
    english = unescape(client.get(query).get_data(as_text=True))
    assert "QA score" in english and "Puntaje de calidad" not in english
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(client.get(query + "&format=pdf", headers=SPANISH).data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Puntaje de calidad" in text and "Tiempo de resolución" in text
    assert "QA score" not in text
    # CSV values stay machine keys, whatever the reader's language.
    csv_text = client.get(query + "&format=csv", headers=SPANISH).get_data(as_text=True)
    assert ",qa_score," in csv_text and "Puntaje" not in csv_text


def test_the_api_names_metrics_in_english_whatever_the_caller_asks(client, with_records, make_user):
    _, secret = create_token("QA tool", make_user("admin"), scopes=list(SCOPES))
    _db.session.commit()
    headers = {"Authorization": f"Bearer {secret}", **SPANISH}
    body = client.get(f"/api/v1/hires/{with_records.mine.id}/metrics", headers=headers).json
    labels = {m["metric"]: m["label"] for m in body["metrics"]}
    assert labels["qa_score"] == "QA score"
    assert labels["resolution_time"] == "Resolution time"
