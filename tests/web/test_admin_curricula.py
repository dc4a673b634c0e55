"""Admins publish curricula from YAML in the browser, with the CLI's errors, and enroll people."""

import io
from html import unescape

import yaml
from flask import g
from sqlalchemy import func, select

from ramp.audit.models import AuditEvent
from ramp.curricula import STARTER_CURRICULUM
from ramp.curricula.models import CurriculumVersion, Enrollment, Module
from ramp.curricula.spec import parse_curriculum
from ramp.milestones import STARTER_TEMPLATE
from tests.conftest import FIXTURES, csrf_token

MINI = FIXTURES / "mini.yaml"


def count(db, model) -> int:
    db.session.remove()
    g.pop("_login_user", None)
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def bad_document() -> str:
    data = yaml.safe_load(MINI.read_text())
    data["modules"][1]["requires"] = ["nope"]
    data["modules"][0]["assessment"]["questions"][0]["type"] = "essay"
    return yaml.safe_dump(data, sort_keys=False)


def test_upload_publishes_then_unchanged_then_download_round_trips(client, db, make_user, as_user):
    admin = make_user("admin", name="Dana Admin")
    as_user(admin)
    token = csrf_token(client, "/admin/curricula")
    upload = {"csrf_token": token, "upload": (io.BytesIO(MINI.read_bytes()), "mini.yaml")}
    response = client.post("/admin/curricula", data=upload, content_type="multipart/form-data")
    assert response.status_code == 303
    page = text(client.get("/admin/curricula"))
    assert "Published mini-onboarding version 1." in page and "Dana Admin" in page
    again = client.post(
        "/admin/curricula", data={"csrf_token": token, "document": MINI.read_text()}
    )
    assert again.status_code == 303
    assert "unchanged: version 1 already has this content" in text(client.get("/admin/curricula"))
    assert count(db, CurriculumVersion) == 1
    download = client.get("/admin/curricula/mini-onboarding/v1.yaml")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert parse_curriculum(download.get_data(as_text=True)) == parse_curriculum(MINI.read_text())
    assert client.get("/admin/curricula/mini-onboarding/v9.yaml").status_code == 404
    [event] = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "curriculum.publish")
    ).scalars()
    assert event.details["slug"] == "mini-onboarding" and event.details["version"] == 1


def test_bad_yaml_shows_the_cli_errors_and_publishes_nothing(client, db, make_user, as_user):
    as_user(make_user("admin"))
    token = csrf_token(client, "/admin/curricula")
    upload = {"csrf_token": token, "upload": (io.BytesIO(bad_document().encode()), "bad.yaml")}
    response = client.post("/admin/curricula", data=upload, content_type="multipart/form-data")
    page = text(response)
    assert response.status_code == 422
    # file:line:column: place: message, exactly as `ramp curricula import` prints it
    assert "bad.yaml:44:5: modules[1].requires[0]: unknown module 'nope'" in page
    assert (
        "bad.yaml:30:13: modules[0].assessment.questions[0].type: unknown question type 'essay'"
        in page
    )
    assert "2 problems in bad.yaml; nothing was published." in page
    assert count(db, CurriculumVersion) == 0 and count(db, Module) == 0
    response = client.post("/admin/curricula", data={"csrf_token": token, "document": "slug: [x"})
    assert response.status_code == 422 and "pasted:1:" in text(response)
    response = client.post(
        "/admin/curricula",
        data={"csrf_token": token, "document": MINI.read_text(), "check_only": "1"},
    )
    page = text(response)
    assert response.status_code == 200
    assert (
        "pasted: valid (3 modules, 4 lessons, 2 knowledge checks); nothing was published." in page
    )
    assert count(db, CurriculumVersion) == 0
    response = client.post("/admin/curricula", data={"csrf_token": token, "document": " "})
    assert response.status_code == 422
    assert "Choose a curriculum file or paste its YAML." in text(response)
    upload = {"csrf_token": token, "upload": (io.BytesIO(b"\xff\xfe\x00bad"), "bin.yaml")}
    response = client.post("/admin/curricula", data=upload, content_type="multipart/form-data")
    assert response.status_code == 422 and "the file is not UTF-8 text" in text(response)
    assert count(db, CurriculumVersion) == 0


def test_enroll_one_or_many(client, db, make_user, as_user, mini_version):
    admin = make_user("admin")
    a, b = make_user("agent", name="Ari Ng"), make_user("agent", name="Bo Li")
    emails, version_id = [a.email, b.email], mini_version.id
    as_user(admin)
    page = text(client.get("/admin/curricula/enroll"))
    assert (
        '<label for="person-' in page and "Ari Ng" in page and "mini-onboarding version 1" in page
    )
    token = csrf_token(client, "/admin/curricula/enroll")
    response = client.post(
        "/admin/curricula/enroll",
        data={"csrf_token": token, "version": str(version_id), "people": emails},
    )
    assert response.status_code == 303
    assert count(db, Enrollment) == 2
    assert "Enrolled 2 people in mini-onboarding version 1." in text(
        client.get("/admin/curricula/enroll")
    )
    response = client.post(
        "/admin/curricula/enroll",
        data={"csrf_token": token, "version": str(version_id), "people": ["ghost@example.com"]},
    )
    assert response.status_code == 422 and "No user with e-mail ghost@example.com" in text(response)
    response = client.post(
        "/admin/curricula/enroll", data={"csrf_token": token, "version": str(version_id)}
    )
    assert response.status_code == 422 and "Choose at least one person to enroll" in text(response)
    assert count(db, Enrollment) == 2
    assert count(db, AuditEvent) >= 2


def test_a_new_admin_publishes_the_starter_curriculum_and_template_from_the_browser(
    client, db, make_user, as_user
):
    from ramp.milestones.models import RampTemplateVersion

    as_user(make_user("admin"))
    page = text(client.get("/admin/curricula?starter=1"))
    assert "slug: support-onboarding" in page
    token = csrf_token(client, "/admin/curricula")
    document = STARTER_CURRICULUM.read_text(encoding="utf-8")
    response = client.post("/admin/curricula", data={"csrf_token": token, "document": document})
    assert response.status_code == 303
    page = text(client.get("/admin/templates?starter=1"))
    assert "slug: contact-center-12-weeks" in page
    document = STARTER_TEMPLATE.read_text(encoding="utf-8")
    response = client.post("/admin/templates", data={"csrf_token": token, "document": document})
    assert response.status_code == 303, text(response)
    assert count(db, CurriculumVersion) == 1
    assert count(db, RampTemplateVersion) == 1


def test_the_list_shows_each_versions_language_and_marks_titles_in_another(
    client, db, make_user, as_user
):
    from ramp.curricula.operations import publish_curriculum

    publish_curriculum(parse_curriculum(STARTER_CURRICULUM.read_text(encoding="utf-8")))
    publish_curriculum(parse_curriculum(MINI.read_text()))
    db.session.commit()
    as_user(make_user("admin"))
    spanish = text(client.get("/admin/curricula", headers={"Accept-Language": "es"}))
    assert '<html lang="es">' in spanish and ">Idioma</th>" in spanish
    assert '<td lang="en">New support agent onboarding</td><td><code>en</code></td>' in spanish
    # A curriculum that declares no language is shown as written, with no claim about it.
    assert "<td>Mini onboarding</td><td>—</td>" in spanish
    english = text(client.get("/admin/curricula", headers={"Accept-Language": "en"}))
    assert "<td>New support agent onboarding</td><td><code>en</code></td>" in english


def test_a_bad_curriculum_is_refused_in_spanish_for_a_spanish_reader(
    client, db, make_user, as_user
):
    as_user(make_user("admin"))
    token = csrf_token(client, "/admin/curricula")
    spanish = {"Accept-Language": "es"}
    response = client.post(
        "/admin/curricula", data={"csrf_token": token, "document": bad_document()}, headers=spanish
    )
    page = text(response)
    assert response.status_code == 422
    assert "pasted:44:5: modules[1].requires[0]: módulo desconocido 'nope'" in page
    assert (
        "modules[0].assessment.questions[0].type: tipo de pregunta desconocido 'essay' "
        "(single, multiple o true_false)" in page
    )
    assert "unknown module" not in page and "unknown question type" not in page
    response = client.post(
        "/admin/curricula",
        data={"csrf_token": token, "document": MINI.read_text(), "check_only": "1"},
        headers=spanish,
    )
    assert "3 módulos, 4 lecciones, 2 evaluaciones de conocimientos" in text(response)
    assert count(db, CurriculumVersion) == 0
