"""The admin import page: upload, preview as mapped, report; large files in the background."""

from datetime import date, timedelta
from html import unescape
from io import BytesIO
from types import SimpleNamespace

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
    assert "nothing written" in html and "ghost@example.com" in html
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


def test_preview_of_a_file_missing_a_column_names_it_with_a_suggestion(client, db, make_user):
    admin = make_user("admin")
    agent = make_user("agent", email="ana.silva@example.com")
    login(client, admin.email)
    token = csrf_token(client, "/admin/imports")
    header = "Review ID,Agnet,Reviewed,Score,Max,Auto-fail\n"  # "Agent" misspelt
    response = upload(client, header + rows(agent.email, 3), token)
    preview = client.get(response.headers["Location"])
    html = unescape(preview.get_data(as_text=True))
    assert preview.status_code == 422
    assert "the file has no column 'Agent' (did you mean 'Agnet'?)" in html
    assert 'action="' + response.headers["Location"] + '/run"' not in html
    db.session.remove()
    assert db.session.execute(select(func.count()).select_from(QAEvaluation)).scalar_one() == 0


def test_history_lists_every_run_and_an_admin_undoes_one(client, db, make_user):
    from ramp.audit.models import AuditEvent
    from ramp.metrics.models import ImportRun

    admin = make_user("admin", name="Ada Admin")
    agent = make_user("agent", email="ana.silva@example.com")
    login(client, admin.email)
    token = csrf_token(client, "/admin/imports")
    response = upload(
        client,
        HEADER + rows(agent.email, 3) + "R9,ghost@example.com,01/03/2026 10:00,80,100,no\n",
        token,
    )
    run_url = response.headers["Location"] + "/run"
    assert client.post(run_url, data={"csrf_token": token}).status_code == 422
    assert client.post(run_url, data={"csrf_token": token, "accept_good": "1"}).status_code == 200
    db.session.remove()
    runs = db.session.execute(select(ImportRun.id, ImportRun.status).order_by(ImportRun.id)).all()
    assert [status for _, status in runs] == ["failed", "done"]
    failed, done = (SimpleNamespace(id=run_id) for run_id, _ in runs)
    history = unescape(client.get("/admin/imports").get_data(as_text=True))
    failed_row = history.split(f'id="run-{failed.id}"')[1].split("</tr>")[0]
    done_row = history.split(f'id="run-{done.id}"')[1].split("</tr>")[0]
    assert "reviews.csv" in failed_row and "Ada Admin" in failed_row
    assert "failed" in failed_row and "4 rows read, 3 valid" in failed_row
    assert "nothing written" in failed_row and "Undo" not in failed_row
    assert "reviews.csv" in done_row and "<td>4</td><td>3</td><td>0</td><td>1</td>" in done_row
    assert f"/admin/imports/runs/{done.id}/undo" in done_row
    confirm = client.get(f"/admin/imports/runs/{done.id}/undo")
    page = unescape(confirm.get_data(as_text=True))
    assert confirm.status_code == 200
    assert "3 records this import created will be removed" in " ".join(
        page.replace("<strong>", "").replace("</strong>", "").split()
    )
    assert db.session.execute(select(func.count()).select_from(QAEvaluation)).scalar_one() == 3
    undone = client.post(
        f"/admin/imports/runs/{done.id}/undo", data={"csrf_token": token, "reason": "wrong file"}
    )
    assert undone.status_code == 303
    db.session.remove()
    assert db.session.execute(select(func.count()).select_from(QAEvaluation)).scalar_one() == 0
    assert db.session.get(ImportRun, done.id).status == "undone"
    event = db.session.execute(select(AuditEvent)).scalar_one()
    assert (event.action, event.actor_id, event.reason) == ("import.undo", admin.id, "wrong file")
    again = client.get(f"/admin/imports/runs/{done.id}/undo")
    assert again.status_code == 409 and "already undone" in again.get_data(as_text=True)
    twice = client.post(f"/admin/imports/runs/{done.id}/undo", data={"csrf_token": token})
    assert twice.status_code == 409
    db.session.remove()
    assert db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == 1
