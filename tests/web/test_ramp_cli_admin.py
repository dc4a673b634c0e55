"""Ramp templates, cohorts, rosters and evaluation from the CLI and the admin pages."""

from datetime import date, timedelta
from html import unescape

import yaml
from sqlalchemy import func, select

from ramp.milestones.models import Cohort, Hire, PlanMilestone, RampTemplateVersion
from tests.conftest import FIXTURES, csrf_token, login

TEMPLATE = FIXTURES / "mini-template.yaml"


def count(db, model) -> int:
    db.session.remove()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def bad_template(tmp_path):
    data = yaml.safe_load(TEMPLATE.read_text())
    data["milestones"][0]["criteria"]["modules"] = ["basics", "nope"]
    data["milestones"][1]["criteria"]["metrics"] = [
        {"metric": "qa_score", "threshold": 80, "window_days": 14}
    ]
    data["milestones"][2]["parent"] = (
        "nesting-quality"  # nesting-quality's parent is floor-ready: a cycle
    )
    data["milestones"][3]["criteria"]["metrics"][0]["metric"] = "happiness"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_template_import_cohort_roster_and_evaluate(
    runner, db, mini_version, make_user, make_team, tmp_path
):
    lead = make_user("manager", email="lead@example.com")
    make_team("Chat", lead)
    out = runner.invoke(args=["templates", "import", str(TEMPLATE)])
    assert "published template mini-ramp version 1 (4 phases, 4 milestones)" in out.output, (
        out.output
    )
    assert "unchanged" in runner.invoke(args=["templates", "import", str(TEMPLATE)]).output
    exported = runner.invoke(args=["templates", "export", "mini-ramp"]).output
    assert yaml.safe_load(exported)["slug"] == "mini-ramp"
    start = date.today() - timedelta(days=3)
    out = runner.invoke(
        args=[
            "cohorts",
            "create",
            "Wave A",
            "--start",
            start.isoformat(),
            "--template",
            "mini-ramp",
            "--team",
            "Chat",
        ]
    )
    assert "created cohort Wave A" in out.output, out.output
    roster = tmp_path / "roster.csv"
    roster.write_text(
        f"name,email,start_date,manager,cohort\nAna,ana@example.com,{start},lead@example.com,Wave A\n"
    )
    assert (
        "valid (1 hires); nothing imported"
        in runner.invoke(args=["hires", "import", "--dry-run", str(roster)]).output
    )
    assert count(db, Hire) == 0
    assert "imported 1 hires" in runner.invoke(args=["hires", "import", str(roster)]).output
    out = runner.invoke(
        args=["milestones", "evaluate", "--date", (start + timedelta(days=10)).isoformat()]
    )
    assert "milestone(s) changed" in out.output
    again = runner.invoke(
        args=["milestones", "evaluate", "--date", (start + timedelta(days=10)).isoformat()]
    )
    assert ": 0 milestone(s) changed" in again.output
    statuses = db.session.execute(select(PlanMilestone.key, PlanMilestone.status)).all()
    assert ("basics-done", "missed") in statuses


def test_bad_template_is_reported_by_line_and_publishes_nothing(runner, db, mini_version, tmp_path):
    path = bad_template(tmp_path)
    out = runner.invoke(args=["templates", "import", str(path)])
    assert out.exit_code == 1
    text = out.output
    assert "unknown module 'nope'" in text
    assert "min_sample" in text
    assert "unknown metric 'happiness'" in text
    assert f"{path}:" in text and "nothing was published" in text
    assert count(db, RampTemplateVersion) == 0


def test_template_cycle_is_refused(runner, db, mini_version, tmp_path):
    data = yaml.safe_load(TEMPLATE.read_text())
    data["milestones"][2]["parent"] = "nesting-quality"
    path = tmp_path / "cycle.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    out = runner.invoke(args=["templates", "import", str(path)])
    assert "cycle" in out.output and out.exit_code == 1
    assert count(db, RampTemplateVersion) == 0


def test_template_for_a_missing_curriculum(runner, db, tmp_path):
    out = runner.invoke(args=["templates", "import", str(TEMPLATE)])
    assert out.exit_code == 1 and "'mini-onboarding', which is not published" in out.output


def test_cohort_errors(runner, db, mini_version):
    out = runner.invoke(
        args=[
            "cohorts",
            "create",
            "X",
            "--start",
            "tomorrow",
            "--template",
            "none",
            "--team",
            "Ghosts",
        ]
    )
    assert out.exit_code == 1
    for message in ("'tomorrow' is not a date", "no template 'none'", "unknown team 'Ghosts'"):
        assert message in out.output
    assert count(db, Cohort) == 0


def test_admin_publishes_a_template_and_creates_a_cohort(
    client, db, mini_version, make_user, make_team
):
    admin = make_user("admin")
    make_team("Chat", make_user("manager"))
    login(client, admin.email)
    token = csrf_token(client, "/admin/templates")
    bad = TEMPLATE.read_text().replace("metric: qa_score", "metric: happiness")
    response = client.post("/admin/templates", data={"csrf_token": token, "document": bad})
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert (
        "Nothing was published" in html
        and "unknown metric 'happiness'" in html
        and "template:" in html
    )
    assert count(db, RampTemplateVersion) == 0
    response = client.post(
        "/admin/templates", data={"csrf_token": token, "document": TEMPLATE.read_text()}
    )
    assert response.status_code == 303
    assert "Published mini-ramp version 1." in client.get("/admin/templates").get_data(as_text=True)
    edit = client.get("/admin/templates?edit=mini-ramp").get_data(as_text=True)
    assert "slug: mini-ramp" in edit
    version_id = db.session.execute(select(RampTemplateVersion.id)).scalar_one()
    response = client.post(
        "/admin/cohorts",
        data={
            "csrf_token": token,
            "name": "Wave Z",
            "start_date": "2026-12-01",
            "template": version_id,
            "team": 0,
        },
    )
    assert response.status_code == 303
    assert "Wave Z" in client.get("/admin/cohorts").get_data(as_text=True)
    response = client.post(
        "/admin/cohorts",
        data={
            "csrf_token": token,
            "name": "Wave Z",
            "start_date": "2026-12-01",
            "template": version_id,
            "team": 0,
        },
    )
    assert response.status_code == 422
    assert "already exists" in unescape(response.get_data(as_text=True))


def test_admin_pages_are_for_admins_only(client, db, make_user):
    for role in ("agent", "manager"):
        user = make_user(role)
        login(client, user.email)
        for path in ("/admin/templates", "/admin/cohorts"):
            assert client.get(path).status_code == 403, (role, path)
        token = csrf_token(client, "/learn/")
        assert (
            client.post("/admin/templates", data={"csrf_token": token, "document": "x"}).status_code
            == 403
        )
        client.post("/auth/logout", data={"csrf_token": token})
