"""API tokens carry scopes: each operation needs one, expired and revoked tokens are refused."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from ramp import clock
from ramp.audit.models import AuditEvent
from ramp.extensions import db as _db
from ramp.metrics.api import SCOPES, create_token
from ramp.metrics.models import ApiToken

QA = {
    "source": "qa-tool",
    "records": [
        {
            "external_id": "E1",
            "agent_email": "nobody@example.com",
            "score": 9,
            "max_score": 10,
            "evaluated_at": "2026-03-10T10:00:00Z",
        }
    ],
}


def bearer_for(*scopes: str, expires_on: date | None = None) -> dict:
    _, secret = create_token("tool", scopes=list(scopes), expires_on=expires_on)
    _db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_a_records_token_imports_but_reads_neither_hires_nor_certificates(client, db):
    headers = bearer_for("records:write")
    pushed = client.post("/api/v1/records/qa?accept_good=true", json=QA, headers=headers)
    assert pushed.status_code in (200, 422) and "import_run" in pushed.json
    for url, scope in (
        ("/api/v1/hires", "hires:read"),
        ("/api/v1/certificates", "certificates:read"),
        ("/api/v1/certificates/ABCD-EFGH", "certificates:read"),
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 403, url
        assert response.json["error"] == "forbidden"
        assert response.json["missing_scope"] == scope and scope in response.json["message"]


def test_a_hires_token_reads_hires_but_cannot_import_or_undo(client, db):
    headers = bearer_for("hires:read")
    assert client.get("/api/v1/hires", headers=headers).status_code == 200
    for url, scope in (
        ("/api/v1/records/qa", "records:write"),
        ("/api/v1/records/contacts", "records:write"),
        ("/api/v1/imports/1/undo", "imports:undo"),
    ):
        response = client.post(url, json=QA, headers=headers)
        assert response.status_code == 403, url
        assert response.json["missing_scope"] == scope
    # A token that pushes records cannot undo an import either.
    pusher = bearer_for("records:write")
    response = client.post("/api/v1/imports/1/undo", json={}, headers=pusher)
    assert response.status_code == 403 and response.json["missing_scope"] == "imports:undo"
    assert client.get("/api/v1/certificates", headers=headers).status_code == 403


def test_every_operation_in_the_document_refuses_a_token_without_its_scope(client, db):
    doc = client.get("/api/v1/openapi.json").json
    assert "bearer" in doc["components"]["securitySchemes"]
    checked = 0
    for path, operations in doc["paths"].items():
        url = "/api/v1" + re.sub(r"\{[^}]+\}", "1", path)
        for method, operation in operations.items():
            scope = operation["x-required-scope"]
            if scope is None:  # open to any valid token: only revoking itself
                assert (path, method) == ("/tokens/current", "delete")
                continue
            assert scope in SCOPES and operation["security"] == [{"bearer": [scope]}]
            assert scope in operation["description"] and "403" in operation["responses"]
            headers = bearer_for(*(s for s in SCOPES if s != scope))
            response = client.open(url, method=method.upper(), json=QA, headers=headers)
            assert response.status_code == 403, (method, path)
            assert response.json["missing_scope"] == scope
            checked += 1
    assert checked == 20  # with the skills list, its CSV export, GET /capacity and /attrition


def test_every_api_endpoint_is_in_the_document(client, app):
    doc = client.get("/api/v1/openapi.json").json
    adapter = app.url_map.bind("localhost")
    documented = {
        adapter.match("/api/v1" + re.sub(r"\{[^}]+\}", "1", path), method=method.upper())[0]
        for path, operations in doc["paths"].items()
        for method in operations
    }
    served = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")}
    assert served - {"api.openapi"} == documented


def test_an_expired_token_is_refused_with_its_date(client, db, clock):
    today = clock_today()
    headers = bearer_for("hires:read", expires_on=today + timedelta(days=2))
    assert client.get("/api/v1/hires", headers=headers).status_code == 200
    clock.move_to(today + timedelta(days=2))
    response = client.get("/api/v1/hires", headers=headers)
    assert response.status_code == 401
    assert response.json["message"] == f"The token expired on {today + timedelta(days=2)}."


def clock_today() -> date:
    return clock.now().date()


def test_a_token_revokes_itself_and_is_refused_after(client, db):
    headers = bearer_for("records:write")
    response = client.delete("/api/v1/tokens/current", headers=headers)
    assert response.status_code == 200 and response.json["status"] == "revoked"
    again = client.get("/api/v1/hires", headers=headers)
    assert again.status_code == 401 and "revoked" in again.json["message"]
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 401
    _db.session.remove()
    [token] = _db.session.execute(select(ApiToken)).scalars()
    assert token.revoked
    [event] = _db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "token.revoke")
    ).scalars()
    assert event.subject == f"token:{token.id}" and "through the API" in event.reason


@pytest.mark.parametrize(
    "scopes, expires_on, message",
    [
        ([], None, "Choose at least one scope"),
        (["records:write", "hires:write"], None, "Unknown scope 'hires:write'"),
        (["hires:read"], date(2026, 3, 18), "is not after today"),
    ],
)
def test_tokens_need_known_scopes_and_a_future_expiry(db, scopes, expires_on, message):
    from ramp.errors import ValidationError

    with pytest.raises(ValidationError, match=message):
        create_token("tool", scopes=scopes, expires_on=expires_on)


def test_the_last_use_is_kept(client, db):
    headers = bearer_for("hires:read")
    client.get("/api/v1/hires", headers=headers)
    _db.session.remove()
    [token] = _db.session.execute(select(ApiToken)).scalars()
    assert token.last_used_at is not None
    assert token.last_used_at.replace(tzinfo=None) <= clock.now().replace(tzinfo=None)
