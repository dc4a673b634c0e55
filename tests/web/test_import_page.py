"""The admin import page: upload, preview as mapped, report; large files in the background."""

from datetime import date, timedelta
from html import unescape
from io import BytesIO

from sqlalchemy import func, select

from ramp.metrics.models import QAEvaluation
from tests.conftest import FIXTURES, csrf_token, login

HEADER = "Review ID,Agent,Reviewed,Score,Max,Auto-fail\n"


def rows(email: str, n: int, score: int = 90) -> str:
    return "".join(
        f"R{i},{email},{(date.today() - timedelta(days=i % 10)).strftime('%d/%m/%Y')} 12:00,{score},100,no\n"
        for i in range(n)
    )


def upload(client, text: str, token: str):
    return client.post(
        "/admin/imports",
        data={
            "csrf_token": token, "preset": "",
            "export": (BytesIO(text.encode()), "reviews.csv"),
            "mapping": (BytesIO((FIXTURES / "mappings" / "qa-basic.yaml").read_bytes()), "qa.yaml"),
        },
        content_type="multipart/form-data",
    )  # fmt: skip


def test_upload_preview_report(client, db, make_user):
    admin = make_user("admin")
    agent = make_user("agent", email="ana.silva@example.com")
    login(client, admin.email)
    token = csrf_token(client, "/admin/imports")
    response = upload(
        client,
        HEADER + rows(agent.email, 3) + "R9,ghost@example.com,01/03/2026 10:00,80,100,no\n",
        token,
    )
    assert response.status_code == 303
    preview = unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "R0" in preview and "ana.silva@example.com" in preview and "90.0" in preview
    run_url = response.headers["Location"] + "/run"
    refused = client.post(run_url, data={"csrf_token": token})
    html = unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert "nothing written" in html and "ghost@example.com: 1 row" in html
    assert db.session.execute(select(func.count()).select_from(QAEvaluation)).scalar_one() == 0
    accepted = client.post(run_url, data={"csrf_token": token, "accept_good": "1"})
    html = unescape(accepted.get_data(as_text=True))
    assert accepted.status_code == 200 and "wrote 3 evaluations (3 new, 0 updated)" in html
    rejects = client.get(response.headers["Location"] + "/rejects.csv")
    data = rejects.data
    rejects.close()
    assert b"ghost@example.com" in data and b"R0" not in data


def test_large_upload_runs_in_the_background(client, app, db, make_user):
    app.config.update(IMPORT_BACKGROUND_BYTES=10, JOBS_EAGER=True)
    admin = make_user("admin")
    agent = make_user("agent", email="ana.silva@example.com")
    login(client, admin.email)
    token = csrf_token(client, "/admin/imports")
    response = upload(client, HEADER + rows(agent.email, 5), token)
    run = client.post(response.headers["Location"] + "/run", data={"csrf_token": token})
    assert run.status_code == 303 and "/admin/imports/jobs/" in run.headers["Location"]
    report = unescape(client.get(run.headers["Location"]).get_data(as_text=True))
    assert "wrote 5 evaluations" in report
    polled = client.get(run.headers["Location"], headers={"HX-Request": "true"})
    assert polled.headers.get("HX-Refresh") == "true"


def test_unknown_preset_and_missing_mapping(client, make_user):
    admin = make_user("admin")
    login(client, admin.email)
    token = csrf_token(client, "/admin/imports")
    response = client.post(
        "/admin/imports",
        data={"csrf_token": token, "preset": "", "export": (BytesIO(b"x"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Choose a preset, or upload your own mapping file." in unescape(
        response.get_data(as_text=True)
    )
