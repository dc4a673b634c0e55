"""The API's reads and file imports: each answers what its page shows the token's owner, needs
its scope, hides other teams' objects and names what is wrong with a bad request."""

from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import select

from ramp.extensions import db as _db
from ramp.metrics.api import SCOPES, create_token
from ramp.metrics.models import AgentIdentity, ImportRun

FIXTURES = Path(__file__).parent.parent / "fixtures"


def bearer(owner, *scopes: str) -> dict:
    _, secret = create_token("tool", owner, scopes=list(scopes or SCOPES))
    _db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def others(scope: str) -> list[str]:
    return [s for s in SCOPES if s != scope]


def assert_lacks_scope(response, scope: str) -> None:
    assert response.status_code == 403
    assert response.json["error"] == "forbidden" and response.json["missing_scope"] == scope


@pytest.fixture
def world(ramp_world):
    w = ramp_world
    w.mine = w.hire(name="Mine Agent", start_date=date.today() - timedelta(days=22))
    w.theirs = w.hire(cohort=w.other_cohort, manager=w.other_lead, name="Their Agent")
    return w


def push_qa(client, headers, email: str, n: int = 12) -> None:
    records = [
        {
            "external_id": f"E{i}",
            "agent_email": email,
            "score": 80 + i,
            "max_score": 100,
            "evaluated_at": (date.today() - timedelta(days=i % 9)).isoformat() + "T12:00:00Z",
        }
        for i in range(n)
    ]
    pushed = client.post(
        "/api/v1/records/qa", json={"source": "qa-tool", "records": records}, headers=headers
    )
    assert pushed.status_code == 200, pushed.json


# --- users ----------------------------------------------------------------------------------


def test_users_with_their_agent_ids_for_an_admins_token(client, world):
    _db.session.add(AgentIdentity(source="zendesk", external_id="z-7", user_id=world.mine.user_id))
    _db.session.commit()
    response = client.get("/api/v1/users", headers=bearer(world.admin, "users:read"))
    assert response.status_code == 200
    by_email = {u["email"]: u for u in response.json["users"]}
    mine = by_email[world.mine.user.email]
    assert mine["agent_ids"] == [{"source": "zendesk", "external_id": "z-7"}]
    assert (mine["role"], mine["team"]["name"], mine["active"]) == ("agent", "Chat", True)
    assert by_email[world.admin.email]["role"] == "admin"
    assert response.json["users"][0]["role"] == "admin"  # admins first, as the people page


def test_users_need_their_scope_and_an_admin_owner(client, world):
    assert_lacks_scope(
        client.get("/api/v1/users", headers=bearer(world.admin, *others("users:read"))),
        "users:read",
    )
    response = client.get("/api/v1/users", headers=bearer(world.lead, "users:read"))
    assert response.status_code == 403 and "admins" in response.json["message"]


def test_a_deactivated_owners_token_reads_nothing(client, world):
    headers = bearer(world.lead, "hires:read")
    world.lead.is_active_account = False
    _db.session.commit()
    response = client.get("/api/v1/hires", headers=headers)
    assert response.status_code == 403 and "deactivated" in response.json["message"]


# --- teams and cohorts ----------------------------------------------------------------------


def test_teams_a_manager_sees_only_their_own(client, world):
    response = client.get("/api/v1/teams", headers=bearer(world.lead, "teams:read"))
    assert response.status_code == 200
    [team] = response.json["teams"]
    assert team["name"] == "Chat" and team["manager"]["email"] == world.lead.email
    assert world.mine.user.email in [m["email"] for m in team["members"]]
    everyone = client.get("/api/v1/teams", headers=bearer(world.admin, "teams:read")).json
    assert [t["name"] for t in everyone["teams"]] == ["Chat", "Phone"]
    assert_lacks_scope(
        client.get("/api/v1/teams", headers=bearer(world.admin, *others("teams:read"))),
        "teams:read",
    )


def test_cohorts_a_manager_sees_only_those_with_their_hires(client, world):
    response = client.get("/api/v1/cohorts", headers=bearer(world.lead, "cohorts:read"))
    assert response.status_code == 200
    assert [
        (c["name"], c["active_hires"], c["team"]["name"]) for c in response.json["cohorts"]
    ] == [("Wave A", 1, "Chat")]
    everyone = client.get("/api/v1/cohorts", headers=bearer(None, "cohorts:read")).json
    assert {c["name"] for c in everyone["cohorts"]} == {"Wave A", "Wave B"}
    assert_lacks_scope(
        client.get("/api/v1/cohorts", headers=bearer(world.lead, *others("cohorts:read"))),
        "cohorts:read",
    )


# --- hires ----------------------------------------------------------------------------------


def test_the_hire_list_is_the_owners_board(client, world):
    mine = client.get("/api/v1/hires", headers=bearer(world.lead, "hires:read")).json["hires"]
    assert [h["id"] for h in mine] == [world.mine.id]
    every = client.get("/api/v1/hires", headers=bearer(world.admin, "hires:read")).json["hires"]
    assert {h["id"] for h in every} == {world.mine.id, world.theirs.id}


def test_a_hires_plan_with_the_statuses_the_board_shows(client, world):
    from ramp.milestones.queries import hire_view, load_hire

    headers = bearer(world.lead, "hires:read")
    response = client.get(f"/api/v1/hires/{world.mine.id}", headers=headers)
    assert response.status_code == 200
    body = response.json
    view = hire_view(load_hire(world.mine.id))
    expected = {m.key: m.status for m in view.hire.milestones}
    assert {m["key"]: m["status"] for m in body["milestones"]} == expected
    assert body["status"] == view.hire.status and body["tenure_week"] == view.tenure_week
    assert body["next_key"] == (view.next.key if view.next else None)
    assert [p["name"] for p in body["phases"]] == [name for name, _, _ in view.phases]
    other = client.get(f"/api/v1/hires/{world.theirs.id}", headers=headers)
    assert other.status_code == 404 and other.json["error"] == "not_found"
    assert client.get("/api/v1/hires/999999", headers=headers).status_code == 404
    assert_lacks_scope(
        client.get(
            f"/api/v1/hires/{world.mine.id}", headers=bearer(world.lead, *others("hires:read"))
        ),
        "hires:read",
    )


def test_a_hires_metrics_are_the_hire_pages_figures(client, world):
    from ramp.metrics.display import hire_metrics
    from ramp.milestones.queries import load_hire

    mine, theirs = world.mine.id, world.theirs.id
    push_qa(client, bearer(world.admin, "records:write"), world.mine.user.email)
    headers = bearer(world.lead, "metrics:read")
    wrong = bearer(world.lead, "hires:read")
    response = client.get(f"/api/v1/hires/{mine}/metrics", headers=headers)
    assert response.status_code == 200
    _db.session.remove()
    page = hire_metrics(load_hire(mine))
    assert response.json["weeks"] == page.weeks
    qa = next(m for m in response.json["metrics"] if m["metric"] == "qa_score")
    row = next(r for r in page.rows if r.definition.name == "qa_score")
    assert [(w["week"], w["value"], w["state"]) for w in qa["weeks"]] == [
        (c.week, c.figure.value if c.figure else None, c.state) for c in row.cells
    ]
    assert any(w["value"] is not None for w in qa["weeks"])
    other = client.get(f"/api/v1/hires/{theirs}/metrics", headers=headers)
    assert other.status_code == 404
    assert_lacks_scope(client.get(f"/api/v1/hires/{mine}/metrics", headers=wrong), "metrics:read")


# --- comparison -----------------------------------------------------------------------------


def test_comparison_pools_only_the_owners_hires_and_hides_small_groups(client, world, app):
    from ramp.metrics.comparison import compare

    push_qa(client, bearer(world.admin, "records:write"), world.mine.user.email)
    app.config["COMPARE_MIN_HIRES"] = 2
    url = f"/api/v1/comparison?cohort={world.cohort.id}&metric=qa_score"
    response = client.get(url, headers=bearer(world.lead, "metrics:read"))
    assert response.status_code == 200
    [cohort] = response.json["cohorts"]
    # One hire of the manager's in the cohort: fewer than 2, so no figures, as on the page.
    assert (cohort["name"], cohort["hires"], cohort["hidden"]) == ("Wave A", 1, True)
    assert cohort["metrics"]["qa_score"] == [] and response.json["min_hires"] == 2
    admin = client.get(url, headers=bearer(world.admin, "metrics:read")).json
    [shown] = admin["cohorts"]
    _db.session.remove()
    page = compare([world.cohort.id], ["qa_score"], None, world.admin, 2)
    assert shown["hidden"] is False and shown["metrics"]["qa_score"] == [
        {
            "week": w.week,
            "value": w.value,
            "sample": w.sample,
            "target": w.target,
            "hires_at_target": w.hires_at_target,
            "hires_judged": w.hires_judged,
            "hidden": w.hidden,
        }
        for w in page.cohorts[0].weeks["qa_score"]
    ]
    assert shown["metrics"]["qa_score"]


def test_comparison_refuses_other_teams_cohorts_and_bad_input(client, world):
    headers = bearer(world.lead, "metrics:read")
    other = client.get(f"/api/v1/comparison?cohort={world.other_cohort.id}", headers=headers)
    assert other.status_code == 404 and str(world.other_cohort.id) in other.json["message"]
    for query, words in (
        ("cohort=abc", "cohort must be a cohort id"),
        ("metric=speed", "unknown metric 'speed'"),
        ("queue=vip", "There is no queue 'vip'"),
    ):
        response = client.get(f"/api/v1/comparison?{query}", headers=headers)
        assert response.status_code == 400, query
        assert response.json["error"] == "invalid" and words in response.json["problems"][0]
    default = client.get("/api/v1/comparison", headers=headers)
    assert [c["name"] for c in default.json["cohorts"]] == ["Wave A"]
    assert_lacks_scope(
        client.get("/api/v1/comparison", headers=bearer(world.lead, "hires:read")), "metrics:read"
    )


# --- imports --------------------------------------------------------------------------------


def upload(client, headers, **fields):
    data = {"preset": "zendesk", **fields}
    if "file" not in data:
        data["file"] = (BytesIO((FIXTURES / "exports" / "zendesk.csv").read_bytes()), "may.csv")
    return client.post(
        "/api/v1/imports", data=data, headers=headers, content_type="multipart/form-data"
    )


def test_import_a_file_with_a_preset_then_read_its_run(client, world, make_user):
    ana = make_user("agent", team="Chat", email="ana.silva@example.com", name="Ana Silva")
    _db.session.add(AgentIdentity(source="zendesk", external_id="Ana Silva", user_id=ana.id))
    _db.session.commit()
    headers = bearer(world.admin, "imports:write", "imports:read")
    refused = upload(client, headers)
    assert refused.status_code == 422 and refused.json["written"] is False
    assert "Ben Ode" in refused.json["unknown_agents"]
    assert refused.json["run"]["status"] == "failed"
    done = upload(client, headers, accept_good="true")
    assert done.status_code == 200, done.json
    assert (done.json["written"], done.json["created"]) == (True, 3)
    run_id = done.json["import_run"]
    assert done.json["run"]["id"] == run_id and done.json["run"]["filename"] == "may.csv"
    status = client.get(f"/api/v1/imports/{run_id}", headers=headers)
    assert status.status_code == 200
    _db.session.remove()
    run = _db.session.get(ImportRun, run_id)
    assert (status.json["status"], status.json["rows_written"]) == (run.status, run.rows_written)
    assert client.get("/api/v1/imports/999999", headers=headers).status_code == 404


def test_imports_need_their_scopes_an_admin_owner_and_a_file_with_a_mapping(client, world):
    assert_lacks_scope(
        upload(client, bearer(world.admin, *others("imports:write"))), "imports:write"
    )
    assert_lacks_scope(
        client.get("/api/v1/imports/1", headers=bearer(world.admin, "imports:write")),
        "imports:read",
    )
    manager = upload(client, bearer(world.lead, "imports:write"))
    assert manager.status_code == 403 and "admins" in manager.json["message"]
    headers = bearer(world.admin, "imports:write")
    for fields, words in (
        ({"file": (BytesIO(b""), "")}, "Choose the export file"),
        ({"preset": ""}, "Choose a preset, or upload your own mapping file."),
        ({"preset": "nope"}, "Unknown preset 'nope'"),
        ({"preset": "", "mapping": "name: [unclosed"}, ""),
        ({"accept_good": "yes"}, "accept_good is true or false"),
    ):
        response = upload(client, headers, **fields)
        assert response.status_code == 400, (fields, response.json)
        assert words in " ".join(response.json["problems"])
    assert _db.session.execute(select(ImportRun)).first() is None


def test_a_large_file_is_imported_in_the_background_and_followed_as_a_job(
    client, world, app, make_user
):
    ana = make_user("agent", team="Chat", email="ana.silva@example.com", name="Ana Silva")
    _db.session.add(AgentIdentity(source="zendesk", external_id="Ana Silva", user_id=ana.id))
    _db.session.commit()
    app.config.update(IMPORT_BACKGROUND_BYTES=100, JOBS_EAGER=True)
    headers = bearer(world.admin, "imports:write", "imports:read")
    queued = upload(client, headers, accept_good="true")
    assert queued.status_code == 202 and queued.json["status"] == "queued"
    job = client.get(f"/api/v1/imports/jobs/{queued.json['job']}", headers=headers)
    assert job.status_code == 200 and job.json["status"] == "done", job.json
    report = job.json["report"]
    assert (report["written"], report["created"]) == (True, 3)
    assert report["run"]["id"] == report["import_run"] and report["run"]["status"] == "done"
    # Another admin's token does not see this job; nor does a made-up one exist.
    other = bearer(make_user("admin"), "imports:read")
    assert (
        client.get(f"/api/v1/imports/jobs/{queued.json['job']}", headers=other).status_code == 404
    )
    assert client.get("/api/v1/imports/jobs/nope", headers=headers).status_code == 404
