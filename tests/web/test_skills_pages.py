"""Skills on the pages: the hire page's Skills section, the CSV exports (board and API), the
API's list, the admin's skills webhook page; CSRF, roles and hostile input."""

from __future__ import annotations

import csv
import io
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ramp.audit.models import AuditEvent
from ramp.certificates.operations import issue_certificate
from ramp.metrics.api import create_token
from ramp.milestones.models import Hire
from ramp.skills.models import SkillGrant, SkillWebhook
from tests.conftest import csrf_token, login, make_ready
from tests.skills_factory import skills_cohort

SECRET = "a-long-enough-signing-secret"


@pytest.fixture
def certified(ramp_world, db):
    """Ana on the skills template, certified: chat, billing (two sources) and Spanish."""
    cohort = skills_cohort(ramp_world)
    hire = ramp_world.hire(cohort=cohort, name="Ana Lima")
    make_ready(ramp_world, hire)
    cert = issue_certificate(hire, ramp_world.lead, "https://ramp.example.com")
    db.session.commit()
    return hire, cert


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_hire_page_lists_skills_with_source_and_since(client, ramp_world, certified):
    hire, cert = certified
    login(client, ramp_world.lead.email)
    page = client.get(f"/board/hires/{hire.id}").get_data(as_text=True)
    assert 'id="skills-title"' in page
    section = page[page.index('id="skills"') : page.index("</section>", page.index('id="skills"'))]
    assert "<code>language:es</code>" in section
    assert "certificate " in section and cert.code[:4] in section.replace("-", "")
    assert "milestone “Ready for the floor” (2)" in section  # billing: two sources
    assert "Mar 18, 2026" in section  # since: the pinned day
    assert "skills.csv?format=genesys" in section


def test_a_hire_without_skills_says_so(client, ramp_world):
    hire = ramp_world.hire(name="Ben")
    login(client, ramp_world.lead.email)
    page = client.get(f"/board/hires/{hire.id}").get_data(as_text=True)
    assert "No skills yet" in page


def test_the_board_exports_each_format(client, ramp_world, certified):
    login(client, ramp_world.lead.email)
    response = client.get("/board/skills.csv?format=nice")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "skills-nice.csv" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == ["Skill Name", "Username", "First Name", "Last Name", "Proficiency"]
    assert sorted(r[0] for r in rows[1:]) == ["channel:chat", "language:es", "queue:billing"]
    genesys = read_csv(client.get("/board/skills.csv?format=genesys"))
    assert genesys[1][0] == "Ana Lima"
    assert genesys[1][-1] == "channel_chat:3,language_es:3,queue_billing:4"
    calabrio = read_csv(client.get("/board/skills.csv?format=calabrio"))
    assert calabrio[0][3] == "Skill" and len(calabrio) == 4


def test_a_manager_who_sees_no_such_agent_gets_headers_only(client, ramp_world, certified):
    login(client, ramp_world.other_lead.email)
    assert read_csv(client.get("/board/skills.csv?format=nice")) == [
        ["Skill Name", "Username", "First Name", "Last Name", "Proficiency"]
    ]


@pytest.mark.parametrize("query", ["", "?format=", "?format=xlsx", "?format=NICE", "?format=%00"])
def test_an_unknown_export_format_is_a_400(client, ramp_world, query):
    login(client, ramp_world.lead.email)
    response = client.get(f"/board/skills.csv{query}")
    assert response.status_code == 400
    assert "NICE CXone, Calabrio or Genesys" in response.get_data(as_text=True)


def test_the_api_lists_skills_and_exports_csv(client, ramp_world, db, certified):
    hire, cert = certified
    _, secret = create_token("routing", ramp_world.lead, scopes=["hires:read"])
    db.session.commit()
    bearer = {"Authorization": f"Bearer {secret}"}
    body = client.get("/api/v1/skills", headers=bearer).get_json()
    [agent] = body["agents"]
    assert agent["email"] == hire.user.email
    skills = {s["name"]: s for s in agent["skills"]}
    assert skills["language:es"]["sources"] == [
        {
            "type": "certificate",
            "id": cert.id,
            "label": skills["language:es"]["sources"][0]["label"],
            "level": 3,
            "since": skills["language:es"]["since"],
        }
    ]
    assert skills["queue:billing"]["level"] == 4
    assert [s["type"] for s in skills["queue:billing"]["sources"]] == ["milestone", "certificate"]

    response = client.get("/api/v1/skills/export?format=genesys", headers=bearer)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert read_csv(response)[1][1] == hire.user.email
    bad = client.get("/api/v1/skills/export?format=csv", headers=bearer)
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid"
    assert client.get("/api/v1/skills").status_code == 401


def test_the_api_needs_the_hires_scope(client, ramp_world, db):
    _, secret = create_token("records", ramp_world.lead, scopes=["records:write"])
    db.session.commit()
    response = client.get("/api/v1/skills", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403 and response.get_json()["missing_scope"] == "hires:read"


def saved_hooks(db) -> list[SkillWebhook]:
    db.session.remove()
    return list(db.session.execute(select(SkillWebhook)).scalars())


def test_an_admin_sets_the_webhook_shown_masked_and_removes_it(client, db, make_user):
    admin = make_user("admin")
    login(client, admin.email)
    token = csrf_token(client, "/admin/skills-webhook")
    url = "https://routing.example.com/hooks/ramp-skills-9f3a"
    response = client.post(
        "/admin/skills-webhook", data={"csrf_token": token, "url": url, "secret": SECRET}
    )
    assert response.status_code == 303
    page = client.get("/admin/skills-webhook").get_data(as_text=True)
    assert url not in page and SECRET not in page
    assert "https://routing.example.com/…9f3a" in page and "…cret" in page
    [hook] = saved_hooks(db)
    assert (hook.url, hook.secret) == (url, SECRET)
    audit = db.session.execute(select(AuditEvent)).scalars().all()
    assert audit and all(SECRET not in str(e.details) and url not in str(e.details) for e in audit)

    # Saved with empty fields: kept.
    client.post("/admin/skills-webhook", data={"csrf_token": token, "url": "", "secret": ""})
    [hook] = saved_hooks(db)
    assert (hook.url, hook.secret) == (url, SECRET)
    response = client.post("/admin/skills-webhook/remove", data={"csrf_token": token})
    assert response.status_code == 303 and saved_hooks(db) == []
    again = client.post("/admin/skills-webhook/remove", data={"csrf_token": token})
    assert again.status_code == 422 and "No skills webhook is set" in again.get_data(as_text=True)


def test_without_a_secret_ramp_makes_one_shown_once(client, db, make_user):
    login(client, make_user("admin").email)
    token = csrf_token(client, "/admin/skills-webhook")
    response = client.post(
        "/admin/skills-webhook",
        data={"csrf_token": token, "url": "https://routing.example.com/hook"},
    )
    assert response.status_code == 200
    [hook] = saved_hooks(db)
    assert len(hook.secret) >= 32 and hook.secret in response.get_data(as_text=True)
    assert hook.secret not in client.get("/admin/skills-webhook").get_data(as_text=True)


@pytest.mark.parametrize(
    "data, words",
    [
        ({"url": ""}, "Give the URL"),
        ({"url": "javascript:alert(1)"}, "not an https URL"),
        ({"url": "https://routing.example.com/a b"}, "no spaces"),
        ({"url": "https://routing.example.com/x", "secret": "short"}, "16 to 200"),
        ({"url": "https://routing.example.com/x", "secret": "x" * 201}, "16 to 200"),
        (
            {"url": "https://routing.example.com/x", "secret": "tab\there-and-long-enough"},
            "16 to 200",
        ),
        ({"url": "https://routing.example.com/" + "a" * 1200}, "longer than 1,000"),
    ],
)
def test_hostile_webhook_input_is_a_422_that_saves_nothing(client, db, make_user, data, words):
    login(client, make_user("admin").email)
    token = csrf_token(client, "/admin/skills-webhook")
    response = client.post("/admin/skills-webhook", data={"csrf_token": token, **data})
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert saved_hooks(db) == []


def test_the_webhook_form_needs_the_csrf_token(client, db, make_user):
    login(client, make_user("admin").email)
    response = client.post(
        "/admin/skills-webhook", data={"url": "https://routing.example.com/x", "secret": SECRET}
    )
    assert response.status_code == 400 and saved_hooks(db) == []


FIELDS = ("url", "secret", "format", "csrf_token")
HOSTILE = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "nice",
            "genesys",
            "x" * 5000,
            "https://routing.example.com/h",
            "http://127.0.0.1:1/x",
            "https://user:pw@hooks.example/x",
            "https://%zz/",
            "<script>",
            "=cmd|' /C calc'!A0",
        ]
    ),
)


@settings(
    max_examples=int(os.environ.get("RAMP_FUZZ_EXAMPLES") or 15),
    deadline=None,
    database=None,
    derandomize=os.environ.get("RAMP_FUZZ_EXAMPLES") is None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    form=st.dictionaries(st.sampled_from(FIELDS), HOSTILE, max_size=4),
    target=st.sampled_from(["webhook", "board", "api"]),
)
def test_the_skills_inputs_answer_any_input_with_a_page_or_a_4xx(
    app, client, db, make_user, form, target
):
    if not getattr(app, "_fuzz_admin", None):
        app._fuzz_admin = make_user("admin")
        login(client, app._fuzz_admin.email)
        app._fuzz_token = csrf_token(client, "/admin/skills-webhook")
        _, app._fuzz_secret = create_token("fuzz", app._fuzz_admin, scopes=["hires:read"])
        db.session.commit()
    if target == "webhook":
        response = client.post(
            "/admin/skills-webhook", data={"csrf_token": app._fuzz_token, **form}
        )
    elif target == "board":
        response = client.get("/board/skills.csv", query_string=form)
    else:
        response = client.get(
            "/api/v1/skills/export",
            query_string=form,
            headers={"Authorization": f"Bearer {app._fuzz_secret}"},
        )
    assert response.status_code in (200, 303, 400, 422), (target, form, response.status_code)


def test_the_demo_template_grants_skills_that_the_hire_page_shows(client, demo, db):
    grants = db.session.execute(
        select(SkillGrant.hire_id, SkillGrant.skill, SkillGrant.source).where(
            SkillGrant.removed_at.is_(None)
        )
    ).all()
    assert {g.skill for g in grants} >= {"queue:general", "queue:escalations"}
    assert {g.source for g in grants} == {"milestone", "certificate"}
    hire = db.session.get(Hire, grants[0].hire_id)
    manager = hire.manager.email
    db.session.remove()
    login(client, manager, "ramp-demo-2026")
    page = client.get(f"/board/hires/{hire.id}").get_data(as_text=True)
    assert "<code>queue:general</code>" in page
