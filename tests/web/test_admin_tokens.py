"""Admins create, list and revoke API tokens in the browser; every change is in the audit log."""

from html import unescape

from flask import g
from sqlalchemy import func, select

from ramp.audit.models import AuditEvent
from ramp.metrics.api import SCOPES
from ramp.metrics.models import ApiToken
from tests.conftest import csrf_token


def end_session(db) -> None:
    db.session.remove()
    g.pop("_login_user", None)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_token_created_shown_once_used_listed_revoked(client, db, make_user, as_user):
    admin = make_user("admin", name="Dana Admin")
    as_user(admin)
    token = csrf_token(client, "/admin/tokens")
    response = client.post(
        "/admin/tokens",
        data={
            "csrf_token": token,
            "name": "MaestroQA job",
            "scopes": ["records:write", "hires:read"],
            "expires_on": "2026-06-30",
        },
    )
    page = text(response)
    assert response.status_code == 200 and "shown only this once" in page
    secret = page.split('id="new-secret"')[1].split('value="')[1].split('"')[0]
    assert secret.startswith("ramp_")
    listing = text(client.get("/admin/tokens"))
    assert secret not in listing and "MaestroQA job" in listing and "never" in listing
    assert "Dana Admin" in listing
    row_html = listing.split("<td>MaestroQA job</td>")[1].split("</tr>")[0]
    assert "records:write" in row_html and "hires:read" in row_html
    assert "certificates:read" not in row_html and "Jun 30, 2026" in row_html and "Live" in row_html
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/hires", headers=bearer).status_code == 200
    end_session(db)
    assert (
        "never" not in text(client.get("/admin/tokens")).split("MaestroQA job")[1].split("</tr>")[0]
    )
    [row] = db.session.execute(select(ApiToken)).scalars()
    response = client.post(
        f"/admin/tokens/{row.id}/revoke", data={"csrf_token": token, "reason": "Job retired"}
    )
    assert response.status_code == 303
    assert client.get("/api/v1/hires", headers=bearer).status_code == 401
    end_session(db)
    actions = db.session.execute(
        select(AuditEvent.action, AuditEvent.reason).order_by(AuditEvent.id)
    ).all()
    assert [tuple(a) for a in actions if a[0].startswith("token.")] == [
        ("token.create", None),
        ("token.revoke", "Job retired"),
    ]
    page = text(client.get("/admin/audit"))
    assert "token.revoke" in page and "Job retired" in page and "Dana Admin" in page
    filtered = text(client.get("/admin/audit?subject=token:999"))
    assert "token.revoke" not in filtered and "Nothing recorded yet." in filtered


def test_token_without_a_name_or_revoked_twice_is_refused(client, db, make_user, as_user):
    as_user(make_user("admin"))
    token = csrf_token(client, "/admin/tokens")
    response = client.post("/admin/tokens", data={"csrf_token": token, "name": " "})
    assert response.status_code == 422 and "Give the token a name" in text(response)
    db.session.remove()
    assert db.session.execute(select(func.count()).select_from(ApiToken)).scalar_one() == 0
    client.post("/admin/tokens", data={"csrf_token": token, "name": "HRIS", "scopes": "hires:read"})
    end_session(db)
    [row] = db.session.execute(select(ApiToken)).scalars()
    row_id = row.id
    assert (
        client.post(f"/admin/tokens/{row_id}/revoke", data={"csrf_token": token}).status_code == 303
    )
    response = client.post(f"/admin/tokens/{row_id}/revoke", data={"csrf_token": token})
    assert response.status_code == 422 and "already revoked" in text(response)
    assert client.post("/admin/tokens/999/revoke", data={"csrf_token": token}).status_code == 404


def test_the_page_asks_for_known_scopes_and_none_is_preselected(client, db, make_user, as_user):
    as_user(make_user("admin"))
    token = csrf_token(client, "/admin/tokens")
    page = text(client.get("/admin/tokens"))
    assert page.count('name="scopes"') == len(SCOPES) and " checked" not in page
    response = client.post("/admin/tokens", data={"csrf_token": token, "name": "QA"})
    assert response.status_code == 422 and "Choose at least one scope" in text(response)
    response = client.post(
        "/admin/tokens",
        data={"csrf_token": token, "name": "QA", "scopes": ["records:write", "everything"]},
    )
    page = text(response)
    assert response.status_code == 422 and "Unknown scope 'everything'" in page
    assert 'value="records:write" checked' in page
    response = client.post(
        "/admin/tokens",
        data={"csrf_token": token, "name": "QA", "scopes": "hires:read", "expires_on": "soon"},
    )
    assert response.status_code == 422
    db.session.remove()
    assert db.session.execute(select(func.count()).select_from(ApiToken)).scalar_one() == 0


def test_tokens_from_before_scopes_are_flagged(client, db, make_user, as_user):
    from ramp.metrics.api import create_token

    as_user(make_user("admin"))
    old, _ = create_token("Old job", scopes=["records:write", "hires:read", "certificates:read"])
    old.predates_scopes = True
    db.session.commit()
    page = text(client.get("/admin/tokens"))
    assert "all scopes (made before scopes existed): consider replacing" in page
