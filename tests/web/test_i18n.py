"""Pages, messages, form errors, the certificate PDF and CSV headers in the reader's language."""

import csv
import io
import re
import subprocess

import pytest
from sqlalchemy import select

from ramp.accounts.models import User
from ramp.certificates.codes import format_code
from ramp.certificates.operations import issue_certificate
from ramp.formatting import format_date
from tests.conftest import csrf_token, login, make_ready

SPANISH = {"Accept-Language": "es-CO,es;q=0.9,en;q=0.5"}


def text(response) -> str:
    return response.get_data(as_text=True)


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _choose(client, language: str):
    token = csrf_token(client, "/auth/language")
    return client.post(
        "/auth/language", data={"csrf_token": token, "language": language}, follow_redirects=True
    )


def test_the_browser_language_picks_spanish_and_an_unknown_one_english(client):
    page = text(client.get("/auth/login", headers=SPANISH))
    assert "Inicia sesión en ramp" in page and "Contraseña" in page
    for header in ("fr-FR,de;q=0.8", "", "klingon;q=abc", "*"):
        page = client.get("/auth/login", headers={"Accept-Language": header})
        assert page.status_code == 200 and "Sign in to ramp" in text(page)


def test_a_form_error_in_spanish(client, make_user):
    make_user("admin", email="ana@example.com")
    token = csrf_token(client)
    page = client.post(
        "/auth/login",
        data={"csrf_token": token, "email": "ana@example.com", "password": "wrong-one"},
        headers=SPANISH,
    )
    assert page.status_code == 422
    assert "Ese correo y esa contraseña no coinciden con ninguna cuenta." in text(page)
    empty = client.post("/auth/login", data={"csrf_token": token}, headers=SPANISH)
    assert "Este campo es obligatorio." in text(empty)  # WTForms' own messages too


def test_a_saved_preference_beats_the_browser_and_a_flash_is_in_the_new_language(
    client, make_user, db
):
    user = make_user("agent", email="lu@example.com")
    login(client, user.email)
    page = text(_choose(client, "es"))
    assert "Se guardó tu idioma." in page  # the flash, already in Spanish
    assert '<html lang="en">' in page or "Idioma" in page
    # An English browser still gets Spanish: the saved choice comes first.
    assert "Idioma" in text(client.get("/auth/language", headers={"Accept-Language": "en"}))
    db.session.remove()
    saved = select(User.locale).where(User.email == "lu@example.com")
    assert db.session.execute(saved).scalar_one() == "es"


def test_back_to_automatic_lets_the_browser_decide(client, make_user, db):
    user = make_user("agent", email="auto@example.com")
    user.locale = "es"
    db.session.commit()
    login(client, user.email)
    assert "Idioma" in text(client.get("/auth/language", headers={"Accept-Language": "en"}))
    _choose(client, "auto")
    page = text(client.get("/auth/language", headers={"Accept-Language": "en"}))
    assert "Language" in page and "Idioma" not in page
    db.session.remove()
    saved = select(User.locale).where(User.email == "auto@example.com")
    assert db.session.execute(saved).scalar_one() is None


def test_an_unknown_language_is_refused_and_nothing_changes(client, make_user, db):
    user = make_user("agent", email="mo@example.com")
    login(client, user.email)
    token = csrf_token(client, "/auth/language")
    answer = client.post("/auth/language", data={"csrf_token": token, "language": "fr"})
    assert answer.status_code == 422
    db.session.remove()
    assert (
        db.session.execute(select(User.locale).where(User.email == "mo@example.com")).scalar_one()
        is None
    )


def test_the_sign_out_flash_is_in_the_language_of_the_user_signing_out(client, make_user):
    user = make_user("agent", email="flash@example.com")
    login(client, user.email)
    _choose(client, "es")
    token = csrf_token(client, "/auth/language")
    english = {"Accept-Language": "en"}
    client.post("/auth/logout", data={"csrf_token": token}, headers=english)
    page = text(client.get("/auth/login", headers=english))
    assert "Cerraste sesión." in page and "Sign in to ramp" in page


def test_an_admin_page_in_spanish_with_spanish_dates(client, ramp_world):
    login(client, ramp_world.admin.email)
    page = text(client.get("/admin/cohorts", headers=SPANISH))
    assert "Cohortes" in page and "Nueva cohorte" in page
    # The cohorts started five days before the pinned today (2026-03-18).
    assert "13 mar 2026" in page and "2026-03-13" not in page
    english = text(client.get("/admin/cohorts", headers={"Accept-Language": "en"}))
    assert "Mar 13, 2026" in english


def test_an_error_page_in_spanish(client, ramp_world):
    login(client, ramp_world.admin.email)
    page = client.get("/admin/people/999999", headers=SPANISH)
    assert page.status_code == 404
    assert "No encontrado" in text(page) and "Volver a ramp" in text(page)


def test_the_certificate_pdf_in_spanish(client, ramp_world, db, tmp_path):
    hire = make_ready(ramp_world, ramp_world.hire(name="Hana Sato"))
    cert = issue_certificate(hire, ramp_world.lead, "http://localhost", organization="Acme")
    db.session.commit()
    cert_id = cert.id
    login(client, hire.user.email)
    _choose(client, "es")
    pdf = client.get(f"/certificates/{cert_id}.pdf")
    assert pdf.status_code == 200
    flat = re.sub(r"\s+", " ", _pdf_text(pdf.data, tmp_path))
    assert "Certificado de preparación" in flat and "Se certifica que" in flat
    assert "Hana Sato" in flat and "Válido hasta" in flat
    assert "18 mar 2026" in flat  # issued on the pinned today, in Spanish
    _choose(client, "en")
    english = re.sub(
        r"\s+", " ", _pdf_text(client.get(f"/certificates/{cert_id}.pdf").data, tmp_path)
    )
    assert "Certificate of readiness" in english and "Mar 18, 2026" in english


def test_the_comparison_csv_header_in_spanish_and_values_machine_readable(client, ramp_world):
    login(client, ramp_world.lead.email)
    url = f"/board/compare?cohort={ramp_world.cohort.id}&metric=qa_score&format=csv"
    answer = client.get(url, headers=SPANISH)
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(text(answer))))
    assert rows[0][:5] == ["cohorte", "fecha_inicio", "ingresos", "metrica", "semana_antiguedad"]
    for row in rows[1:]:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[1])  # ISO, whatever the language
    english = list(csv.reader(io.StringIO(text(client.get(url)))))
    assert english[0][:2] == ["cohort", "start_date"]


def test_my_ramp_in_spanish_with_spanish_dates(client, ramp_world):
    hire = ramp_world.hire(name="Rosa Díaz")
    login(client, hire.user.email)
    page = text(client.get("/learn/ramp", headers=SPANISH))
    assert "Mi ramp-up" in page and "Qué hacer ahora" in page and "Más adelante" in page
    # The cohort started five days before the pinned today (2026-03-18).
    assert "Inició el 13 mar 2026" in page and "Started" not in page
    assert re.search(r"vence el \d{1,2} (mar|abr|may) 2026", page)
    english = text(client.get("/learn/ramp", headers={"Accept-Language": "en"}))
    assert "Started Mar 13, 2026" in english and "What to do next" in english


def test_the_learner_pages_and_a_check_refusal_in_spanish(client, ramp_world):
    hire = ramp_world.hire()
    login(client, hire.user.email)
    base = f"/learn/{hire.enrollment_id}"
    page = text(client.get(f"{base}/", headers=SPANISH))
    assert "Lo siguiente" in page and "pasos completados" in page and "Versión 1" in page
    locked = client.get(f"{base}/tone/lessons/acknowledge", headers=SPANISH)
    assert locked.status_code == 403
    assert "“Tone and empathy” está bloqueado: primero termina “Ticketing basics”." in text(locked)
    module = text(client.get(f"{base}/tone/", headers=SPANISH))
    assert "Este módulo está bloqueado" in module and "Evaluación de conocimientos" in module
    # Every lesson read, then the check sent with nothing chosen: refused, in Spanish.
    token = csrf_token(client, f"{base}/basics/lessons/lifecycle")
    for lesson in ("lifecycle", "macros"):
        client.post(f"{base}/basics/lessons/{lesson}/complete", data={"csrf_token": token})
    check = client.post(f"{base}/basics/check", data={"csrf_token": token}, headers=SPANISH)
    assert check.status_code == 422
    assert "Revisa tus respuestas" in text(check) and "Elige una respuesta." in text(check)
    assert "no se usó ningún intento" in text(check)


def test_the_verify_page_in_spanish_with_a_spanish_date(client, ramp_world, db):
    hire = make_ready(ramp_world, ramp_world.hire(name="Hana Sato"))
    cert = issue_certificate(hire, ramp_world.lead, "http://localhost", organization="Acme")
    db.session.commit()
    code, expires = format_code(cert.code), cert.expires_at
    page = text(client.get(f"/verify/{code}", headers=SPANISH))
    assert "Válido" in page and "Otorgado a" in page and "Hana Sato" in page
    assert f"vigente hasta el {format_date(expires, 'es')}" in page
    assert "18 mar 2026 por" in page  # issued on the pinned today, in Spanish
    unknown = client.get("/verify/AAAA-AAAA-AAAA-AAAA", headers=SPANISH)
    assert unknown.status_code == 404
    assert "Ningún certificado tiene el código AAAA-AAAA-AAAA-AAAA." in text(unknown)
    english = text(client.get(f"/verify/{code}", headers={"Accept-Language": "en"}))
    assert f"in force until {format_date(expires, 'en')}" in english


def test_a_certificate_refusal_names_the_gaps_in_spanish(client, ramp_world):
    hire = ramp_world.hire(name="Iván Ruiz")
    login(client, ramp_world.lead.email)
    page = client.get(f"/board/hires/{hire.id}", headers=SPANISH)
    assert page.status_code == 200
    assert "módulo “Ticketing basics” sin completar" in text(page)
    assert "ningún supervisor ha aprobado que el ingreso está listo" in text(page)


@pytest.mark.parametrize("seconds", [1202])
def test_a_duration_never_shows_as_raw_seconds(seconds):
    from ramp.metrics.definitions import METRICS

    assert METRICS["aht"].format(seconds) == "20m 02s"


def test_the_ramp_board_and_the_menu_in_spanish(client, ramp_world):
    ramp_world.hire(name="Lucía Pérez")
    login(client, ramp_world.lead.email)
    page = text(client.get("/board/", headers=SPANISH))
    assert '<html lang="es">' in page
    assert "Ir al contenido" in page and "Cerrar sesión" in page and "Menú" in page
    assert "Tablero de ramp-up" in page and "Comparar cohortes" in page
    assert "Agregar un ingreso" in page and "Antigüedad" in page and "semana 1" in page
    assert "1 ingreso" in page and "Ramp board" not in page and "Sign out" not in page
    # The next milestone's due date, as Spanish writes a day and a month.
    assert re.search(r"vence el \d{1,2} (ene|feb|mar|abr|may|jun)\b", page)
    english = text(client.get("/board/", headers={"Accept-Language": "en"}))
    assert '<html lang="en">' in english and "Ramp board" in english and "1 hire" in english


def test_a_hire_page_in_spanish_with_spanish_dates(client, ramp_world):
    hire = ramp_world.hire(name="Lucía Pérez")
    login(client, ramp_world.lead.email)
    page = text(client.get(f"/board/hires/{hire.id}", headers=SPANISH))
    # The hire started five days before the pinned today (2026-03-18).
    assert "empezó el 13 mar 2026" in page and "13 Mar 2026" not in page
    assert "Plan de ramp-up" in page and "Certificado de preparación" in page
    assert "Notas e historial" in page and "Agregar nota" in page and "Dispensar el hito" in page
    assert "Ingresó" in page  # the history's first event
    english = text(client.get(f"/board/hires/{hire.id}", headers={"Accept-Language": "en"}))
    assert "started Mar 13, 2026" in english and "Notes and history" in english


def test_a_board_flash_and_confirmation_in_spanish(client, ramp_world):
    hire = ramp_world.hire(name="Lucía Pérez")
    login(client, ramp_world.lead.email)
    _choose(client, "es")
    token = csrf_token(client, f"/board/hires/{hire.id}")
    page = client.post(
        f"/board/hires/{hire.id}/notes",
        data={"csrf_token": token, "body": "Primera semana sin problemas."},
        follow_redirects=True,
    )
    assert "Se agregó la nota." in text(page)
    asked = text(
        client.get(
            f"/board/hires/{hire.id}/re-place/confirm",
            query_string={"effective_from": "2026-03-20", "queue": "billing", "reason": "Cambio"},
        )
    )
    assert "¿Cambiar la ubicación de Lucía Pérez desde el 20 mar 2026?" in asked
    assert "La ubicación ahora y después" in asked and "Cola" in asked


def test_certificates_comparison_and_team_pages_in_spanish(client, ramp_world):
    ramp_world.hire()
    login(client, ramp_world.lead.email)
    certificates = text(client.get("/board/certificates", headers=SPANISH))
    assert "Certificados de preparación" in certificates and "Por cohorte" in certificates
    compare = text(client.get(f"/board/compare?cohort={ramp_world.cohort.id}", headers=SPANISH))
    assert "Tiempo hasta la competencia" in compare and "Descargar CSV" in compare
    team = text(client.get("/board/team-performance", headers=SPANISH))
    assert "Desempeño del equipo" in team and "Las semanas empiezan el lunes." in team
    # Week columns are headed by the Monday each starts on, in Spanish (16 Mar 2026 for today).
    assert "16 mar" in team and "Mar 16" not in team
    progress = text(client.get("/team", headers=SPANISH))
    assert "Avance del equipo" in progress and "Última actividad" in progress


def test_the_json_api_stays_english_whatever_the_callers_language(client, make_user, db):
    from ramp.metrics.api import SCOPES, create_token

    _, secret = create_token("QA tool", make_user("admin"), scopes=list(SCOPES))
    db.session.commit()
    auth = {"Authorization": f"Bearer {secret}", "Accept": "application/json"}
    for method, path in (("get", "/api/v1/nothing-here"), ("post", "/api/v1/hires")):
        english = getattr(client, method)(path, headers=auth)
        spanish = getattr(client, method)(path, headers={**auth, **SPANISH})
        assert spanish.status_code in (404, 405)
        assert spanish.json == english.json and spanish.json["error"] in (
            "Not found",
            "Method not allowed",
        )
