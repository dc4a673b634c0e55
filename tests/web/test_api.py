"""The JSON API: bearer tokens, records pushed and checked whole, progress read, OpenAPI."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from ramp.extensions import db as _db
from ramp.metrics.api import SCOPES, create_token
from ramp.metrics.models import ImportRun, QAEvaluation
from tests.conftest import login


@pytest.fixture
def bearer(db, make_user):
    _, secret = create_token("QA tool", make_user("admin"), scopes=list(SCOPES))
    _db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def count(db) -> int:
    db.session.remove()
    return db.session.execute(select(func.count()).select_from(QAEvaluation)).scalar_one()


def test_requests_without_a_valid_token_are_refused(client, db):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = client.post("/api/v1/records/qa", json={}, headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.json["error"] == "unauthorized"
    assert client.get("/api/v1/hires").status_code == 401


def test_push_qa_evaluations_and_read_progress(client, db, bearer, ramp_world):
    hire = ramp_world.hire(name="Api Agent", start_date=date.today() - timedelta(days=22))
    email = hire.user.email
    records = [
        {
            "external_id": f"E{i}",
            "agent_email": email,
            "score": 90,
            "max_score": 100,
            "evaluated_at": (date.today() - timedelta(days=i % 9)).isoformat() + "T12:00:00Z",
        }
        for i in range(12)
    ]
    response = client.post(
        "/api/v1/records/qa", json={"source": "qa-tool", "records": records}, headers=bearer
    )
    assert response.status_code == 200, response.json
    assert (response.json["created"], response.json["updated"], response.json["written"]) == (
        12,
        0,
        True,
    )
    assert response.json["milestones_changed"] > 0
    again = client.post(
        "/api/v1/records/qa", json={"source": "qa-tool", "records": records}, headers=bearer
    )
    assert (again.json["created"], again.json["updated"]) == (0, 12)
    assert count(db) == 12
    hires = client.get("/api/v1/hires", headers=bearer).json["hires"]
    assert [h["email"] for h in hires] == [email]


def test_a_bad_batch_writes_nothing_and_lists_every_problem(client, db, bearer, make_user):
    make_user("agent", email="ana.silva@example.com")
    records = [
        {
            "external_id": "E1",
            "agent_email": "ana.silva@example.com",
            "score": 90,
            "max_score": 100,
            "evaluated_at": "2026-11-02T10:00:00Z",
        },
        {
            "external_id": "E2",
            "agent_email": "ghost@example.com",
            "score": 90,
            "max_score": 100,
            "evaluated_at": "2026-11-02T10:00:00Z",
        },
        {
            "external_id": "E3",
            "agent_email": "ana.silva@example.com",
            "score": 190,
            "max_score": 100,
            "evaluated_at": "2026-11-02T10:00:00Z",
        },
        {"external_id": "E4", "agent_email": "ana.silva@example.com", "evaluated_at": "yesterday"},
    ]
    response = client.post(
        "/api/v1/records/qa", json={"source": "qa-tool", "records": records}, headers=bearer
    )
    assert response.status_code == 422
    body = response.json
    assert body["written"] is False and body["unknown_agents"] == ["ghost@example.com"]
    _db.session.remove()
    failed = _db.session.get(ImportRun, body["import_run"])
    assert (failed.status, failed.filename, failed.rows_rejected) == ("failed", "API: QA tool", 3)
    by_record = {p["record"]: p for p in body["problems"]}
    assert set(by_record) == {2, 3, 4}
    assert by_record[4]["field"] == "evaluated_at"
    assert count(db) == 0
    response = client.post(
        "/api/v1/records/qa?accept_good=true",
        json={"source": "qa-tool", "records": records},
        headers=bearer,
    )
    assert response.status_code == 200 and response.json["created"] == 1
    assert count(db) == 1


def test_a_refusal_quoting_a_nul_or_half_a_surrogate_is_kept_in_the_history(db):
    """A refusal quotes the cells and field names it could not read; PostgreSQL keeps no NUL
    in text or JSON and UTF-8 encodes no lone surrogate, so the history shows them as
    symbols instead of failing with a 500 (found through the API by the schema fuzz test)."""
    from ramp.metrics.imports import ImportReport, _keep_failed

    quoted = "unknown field 'bad\x00name' and 'half\ud82b'"
    report = ImportReport(filename="API", mapping="api", kind="contacts")
    report.problems.append(quoted)
    report.problem_count = 1
    run = ImportRun(kind="contacts", source="x", mapping="api", filename="API\x00", status="failed")
    run_id = _keep_failed(run, quoted, report)
    _db.session.remove()
    kept = _db.session.get(ImportRun, run_id)
    assert kept.error == "unknown field 'bad\N{SYMBOL FOR NULL}name' and 'half?'"
    assert kept.filename == "API\N{SYMBOL FOR NULL}"
    assert kept.report["problems"] == [kept.error]


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"records": []},
        {"source": "Bad Source", "records": [{}]},
        {"source": "x", "records": [1]},
    ],
)
def test_malformed_bodies_get_400(client, db, bearer, body):
    response = client.post("/api/v1/records/contacts", json=body, headers=bearer)
    assert response.status_code == 400 and response.json["problems"]


def test_openapi_describes_the_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    assert {"/records/contacts", "/records/qa", "/hires"} <= set(spec["paths"])
    schema = spec["paths"]["/records/qa"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    schemas = spec["components"]["schemas"]
    batch = schemas[schema["$ref"].rsplit("/", 1)[1]]
    record = schemas[batch["properties"]["records"]["items"]["$ref"].rsplit("/", 1)[1]]
    assert record["required"] == ["external_id", "evaluated_at"]


def test_undo_an_import_through_the_api(client, db, bearer, make_user):
    from ramp.audit.models import AuditEvent

    make_user("agent", email="ana.silva@example.com")

    def push(score: int, ids: range):
        records = [
            {
                "external_id": f"E{i}",
                "agent_email": "ana.silva@example.com",
                "score": score,
                "max_score": 100,
                "evaluated_at": "2026-03-10T10:00:00Z",
            }
            for i in ids
        ]
        response = client.post(
            "/api/v1/records/qa", json={"source": "qa-tool", "records": records}, headers=bearer
        )
        assert response.status_code == 200, response.json
        db.session.remove()
        newest = db.session.execute(select(func.max(ImportRun.id))).scalar_one()
        assert response.json["import_run"] == newest
        return newest

    first, second = push(90, range(1, 3)), push(70, range(2, 4))
    assert client.post(f"/api/v1/imports/{first}/undo").status_code == 401
    blocked = client.post(f"/api/v1/imports/{first}/undo", headers=bearer)
    assert blocked.status_code == 409 and f"Undo run {second} first" in blocked.json["problems"][0]
    undone = client.post(
        f"/api/v1/imports/{second}/undo", json={"reason": "resent by mistake"}, headers=bearer
    )
    assert undone.status_code == 200, undone.json
    assert (undone.json["removed"], undone.json["restored"], undone.json["status"]) == (
        1,
        1,
        "undone",
    )
    db.session.remove()
    scores = dict(db.session.execute(select(QAEvaluation.external_id, QAEvaluation.score)).all())
    assert scores == {"E1": 90, "E2": 90}
    undos = select(AuditEvent).where(AuditEvent.action == "import.undo")
    event = db.session.execute(undos).scalar_one()
    assert (event.subject, event.reason, event.details["token"]) == (
        f"import:{second}",
        "resent by mistake",
        "QA tool",
    )
    assert db.session.get(ImportRun, second).filename == "API: QA tool"
    again = client.post(f"/api/v1/imports/{second}/undo", headers=bearer)
    assert again.status_code == 409 and "already undone" in again.json["problems"][0]
    assert client.post("/api/v1/imports/999/undo", headers=bearer).status_code == 404
    bad = client.post(f"/api/v1/imports/{first}/undo", json={"reason": 5}, headers=bearer)
    assert bad.status_code == 400
    assert client.post(f"/api/v1/imports/{first}/undo", headers=bearer).status_code == 200
    assert count(db) == 0


def test_openapi_describes_undo(client):
    spec = client.get("/api/v1/openapi.json").json
    undo = spec["paths"]["/imports/{run_id}/undo"]["post"]
    assert set(undo["responses"]) == {"200", "400", "401", "403", "404", "409"}
    assert undo["x-required-scope"] == "imports:undo"
    assert undo["parameters"][0]["name"] == "run_id"


def test_ids_past_what_the_database_holds_are_no_route(client, db, bearer, make_user):
    # PostgreSQL's integer column stops at 2**31 - 1: a larger id was a 500 there.
    for path in ("/api/v1/hires/7212003651", "/api/v1/imports/2147483648"):
        response = client.get(path, headers=bearer)
        assert response.status_code == 404, (path, response.status_code)
    admin = make_user("admin")
    login(client, admin.email)
    assert client.get("/board/hires/99999999999").status_code == 404
    assert client.get("/board/hires/2147483647").status_code == 404  # the largest id: none here
