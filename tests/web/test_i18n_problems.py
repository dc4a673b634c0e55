"""Refusals and problems of targets, agent links, imports and certificate batches, in Spanish
for a Spanish reader and unchanged in English; what is kept for the API stays English."""

from html import unescape
from io import BytesIO

from sqlalchemy import select

from ramp.certificates import operations as certificate_operations
from ramp.errors import NotAllowed
from ramp.metrics.models import ImportRun
from tests.conftest import FIXTURES, csrf_token, login, make_ready

SPANISH = {"Accept-Language": "es-CO,es;q=0.9"}
ENGLISH = {"Accept-Language": "en"}
HEADER = "Review ID,Agent,Reviewed,Score,Max,Auto-fail\n"


def text(response) -> str:
    return " ".join(unescape(response.get_data(as_text=True)).split())


def _shipped_document(client) -> str:
    page = unescape(client.get("/admin/targets").get_data(as_text=True))
    shipped = page[page.index("<textarea") : page.index("</textarea>")]
    return shipped[shipped.index(">") + 1 :]


def test_a_targets_file_with_bad_lines_is_refused_in_the_readers_language(client, make_user):
    login(client, make_user("admin").email)
    token = csrf_token(client, "/admin/targets")
    document = _shipped_document(client)
    bad = document.replace("metric: qa_score", "metric: happiness", 1)
    data = {"csrf_token": token, "document": bad}
    spanish = client.post("/admin/targets", data=data, headers=SPANISH)
    assert spanish.status_code == 422
    assert "métrica desconocida 'happiness' (qa_score, fcr," in text(spanish)
    assert "csat o sla_compliance)" in text(spanish) and "unknown metric" not in text(spanish)
    english = text(client.post("/admin/targets", data=data, headers=ENGLISH))
    assert "unknown metric 'happiness' (qa_score, fcr," in english
    assert "csat or sla_compliance)" in english

    extra = {"csrf_token": token, "document": "surprise: 1\n" + document}
    spanish = text(client.post("/admin/targets", data=extra, headers=SPANISH))
    assert "surprise: no es una clave conocida aquí" in spanish
    english = text(client.post("/admin/targets", data=extra, headers=ENGLISH))
    assert "surprise: is not a known key here" in english


def test_glide_path_problems_name_the_weeks_in_the_readers_language(client, make_user):
    login(client, make_user("admin").email)
    token = csrf_token(client, "/admin/targets")
    document = (
        "name: t\ntitle: T\ntargets:\n  - metric: qa_score\n    weeks:\n"
        "      - {from: 1, to: 4, value: 70}\n      - {from: 3, value: 80}\n"
    )
    data = {"csrf_token": token, "document": document}
    spanish = text(client.post("/admin/targets", data=data, headers=SPANISH))
    assert "semanas 1–4 se superponen con semanas 3 en adelante" in spanish
    english = text(client.post("/admin/targets", data=data, headers=ENGLISH))
    assert "weeks 1–4 overlap weeks 3 onward" in english


def test_a_targets_table_problem_in_the_readers_language(client, make_user):
    from tests.web.test_targets_table_admin import table_form

    login(client, make_user("admin").email)
    fields = table_form(unescape(client.get("/admin/targets").get_data(as_text=True)))
    fields["t0-qa_score-0"] = "lots"
    spanish = client.post("/admin/targets/table", data=fields, headers=SPANISH)
    assert spanish.status_code == 422
    expected = "Predeterminada, Puntaje de calidad, semanas 1–6: 'lots' no es un número"
    assert expected in text(spanish)
    english = client.post("/admin/targets/table", data=fields, headers=ENGLISH)
    assert "Default, QA score, weeks 1–6: 'lots' is not a number" in text(english)


def test_agent_link_problems_in_the_readers_language(client, make_user):
    admin = make_user("admin")
    ana = make_user("agent", email="ana.silva@example.com", name="Ana Silva")
    login(client, admin.email)
    token = csrf_token(client, "/admin/agent-ids")
    form = {"csrf_token": token, "source": "zendesk", "external_id": "Ana Silva", "user": ana.id}
    assert client.post("/admin/agent-ids", data=form).status_code == 303
    spanish = client.post("/admin/agent-ids", data=form, headers=SPANISH)
    assert spanish.status_code == 422
    assert "el id de zendesk 'Ana Silva' ya está vinculado a ana.silva@example.com" in text(spanish)
    english = client.post("/admin/agent-ids", data=form, headers=ENGLISH)
    assert "zendesk id 'Ana Silva' is already linked to ana.silva@example.com" in text(english)


def _upload(client, body: str, token: str):
    return client.post(
        "/admin/imports",
        data={
            "csrf_token": token,
            "preset": "",
            "export": (BytesIO(body.encode()), "reviews.csv"),
            "mapping": (BytesIO((FIXTURES / "mappings" / "qa-basic.yaml").read_bytes()), "qa.yaml"),
        },
        content_type="multipart/form-data",
    )


def test_import_row_problems_in_the_readers_language_and_kept_in_english(client, db, make_user):
    admin = make_user("admin")
    agent = make_user("agent", email="ana.silva@example.com")
    login(client, admin.email)
    token = csrf_token(client, "/admin/imports")
    body = (
        HEADER
        + f"R1,{agent.email},01/03/2026 10:00,90,100,no\n"
        + f"R2,{agent.email},01/03/2026 10:00,85,100,no\n"
        + f"R3,{agent.email},someday,80,100,no\n"
        + "R4,ghost@example.com,01/03/2026 10:00,80,100,no\n"
    )
    preview_url = _upload(client, body, token).headers["Location"]
    preview = text(client.get(preview_url, headers=SPANISH))
    assert "Reviewed: 'someday' no es una fecha (se esperaba day-first" in preview
    english = text(client.get(preview_url, headers=ENGLISH))
    assert "Reviewed: 'someday' is not a date (expected day-first, e.g. 31/01/2026" in english

    refused = client.post(preview_url + "/run", data={"csrf_token": token}, headers=SPANISH)
    page = text(refused)
    assert refused.status_code == 422
    assert "4 filas leídas, 2 válidas, 0 omitidas por una regla de omisión" in page
    assert "1 agente desconocido en 1 fila; no se escribió nada." in page
    assert "'someday' no es una fecha (se esperaba" in page
    assert "agente desconocido 'ghost@example.com': 1 fila" in page
    assert "rows read" not in page and "is not a date" not in page

    history = text(client.get("/admin/imports", headers=SPANISH))
    assert "4 filas leídas, 2 válidas" in history
    assert "Primer problema: línea 4, columna Reviewed: 'someday' no es una fecha" in history
    assert "(y 1 más)." in history
    english = text(client.get("/admin/imports", headers=ENGLISH))
    assert "4 rows read, 2 valid, 0 skipped by a skip rule" in english
    assert "First problem: line 4, column Reviewed: 'someday' is not a date" in english
    assert "(and 1 more)." in english

    # What the history keeps, and what the API answers, is English as before.
    db.session.remove()
    run = db.session.execute(select(ImportRun)).scalar_one()
    undo = client.get(f"/admin/imports/runs/{run.id}/undo", headers=SPANISH)
    assert undo.status_code == 409
    assert f"La importación {run.id} falló: no se escribió nada de ella" in text(undo)
    undo = client.get(f"/admin/imports/runs/{run.id}/undo", headers=ENGLISH)
    assert f"Import run {run.id} failed: nothing of it was written" in text(undo)
    assert run.error.startswith("4 rows read, 2 valid, 0 skipped by a skip rule")
    assert "line 4, column Reviewed: 'someday' is not a date" in run.report["problems"][0]


def test_a_certificate_batch_words_what_it_skipped_in_the_starters_language(
    app, client, ramp_world, db, monkeypatch
):
    app.config.update(JOBS_EAGER=True)
    hire = make_ready(ramp_world, ramp_world.hire(name="Lia Moreno"))

    def refuse(*args, **kwargs):
        from flask_babel import gettext

        raise NotAllowed(
            gettext("Only an admin can issue a certificate to a hire who is not ready.")
        )

    monkeypatch.setattr(certificate_operations, "issue_certificate", refuse)
    login(client, ramp_world.lead.email)
    token = csrf_token(client, "/board/certificates")
    url = f"/board/cohorts/{ramp_world.cohort.id}/certificates"
    spanish = client.post(url, data={"csrf_token": token}, headers=SPANISH)
    batch_url = spanish.headers["Location"]
    page = text(client.get(batch_url, headers=SPANISH))
    assert "Lia Moreno: Solo un administrador puede emitir un certificado" in page
    english = client.post(url, data={"csrf_token": token}, headers=ENGLISH)
    page = text(client.get(english.headers["Location"], headers=ENGLISH))
    assert "Lia Moreno: Only an admin can issue a certificate to a hire who is not ready." in page
    assert hire.id


def test_a_batch_run_off_the_request_words_its_failure_in_the_locale_it_was_given(
    app, ramp_world, db, monkeypatch
):
    import pytest

    make_ready(ramp_world, ramp_world.hire())

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(certificate_operations, "issue_certificate", broken)
    outcomes = []
    for locale in ("es", None):
        batch = certificate_operations.start_batch(ramp_world.cohort, ramp_world.lead)
        batch_id = batch.id
        db.session.commit()
        with pytest.raises(RuntimeError):
            certificate_operations.run_batch(batch_id, "http://localhost", "Acme", locale)
        outcomes.append(db.session.get(type(batch), batch_id).error)
    assert outcomes == [
        "Se detuvo después de 0 de 1: the disk is full",
        "Stopped after 0 of 1: the disk is full",
    ]
