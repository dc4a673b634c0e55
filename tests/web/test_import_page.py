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
            "csrf_token": token,
            "preset": "",
            "export": (BytesIO(text.encode()), "reviews.csv"),
            "mapping": (BytesIO((FIXTURES / "mappings" / "qa-basic.yaml").read_bytes()), "qa.yaml"),
        },
        content_type="multipart/form-data",
    )


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
    assert f'href="{response.headers["Location"]}#unknown-agents"' in html
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
    assert "First problem: line 5: unknown agent 'ghost@example.com'" in failed_row
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
    undos = select(AuditEvent).where(AuditEvent.action.like("import.%"))
    event = db.session.execute(undos).scalar_one()
    assert (event.action, event.actor_id, event.reason) == ("import.undo", admin.id, "wrong file")
    again = client.get(f"/admin/imports/runs/{done.id}/undo")
    assert again.status_code == 409 and "already undone" in again.get_data(as_text=True)
    twice = client.post(f"/admin/imports/runs/{done.id}/undo", data={"csrf_token": token})
    assert twice.status_code == 409
    db.session.remove()
    assert len(db.session.execute(undos).scalars().all()) == 1


def upload_zendesk(client, token: str):
    return client.post(
        "/admin/imports",
        data={
            "csrf_token": token,
            "preset": "zendesk",
            "export": (
                BytesIO((FIXTURES / "exports" / "zendesk.csv").read_bytes()),
                "tickets-may.csv",
            ),
        },
        content_type="multipart/form-data",
    )


def unknown_listed(html: str) -> dict[str, int]:
    """Agent -> rows, as the create table of the preview lists them."""
    if 'id="create-agents"' not in html:
        return {}
    body = html.split('id="create-agents"')[1].split("<tbody>")[1].split("</tbody>")[0]
    out = {}
    for row in body.split("<tr>")[1:]:
        cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
        out[cells[1]] = int(cells[2])
    return out


def test_unknown_agents_are_linked_or_created_from_the_preview(client, db, make_user, make_team):
    from ramp.accounts.models import User
    from ramp.audit.models import AuditEvent
    from ramp.metrics.models import AgentIdentity

    admin = make_user("admin")
    make_team("Chat")
    ana = make_user("agent", email="ana.silva@example.com", name="Ana Silva")
    setup_events = db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    login(client, admin.email)
    token = csrf_token(client, "/admin/imports")
    preview_url = upload_zendesk(client, token).headers["Location"]
    html = unescape(client.get(preview_url).get_data(as_text=True))
    assert unknown_listed(html) == {"Ana Silva": 3, "Ben Ode": 2, "Cara Diaz": 2}
    assert "on 7 rows" in html

    nothing = client.post(
        preview_url + "/link", data={"csrf_token": token, "agent-1": "Ana Silva", "link-1": ""}
    )
    assert nothing.status_code == 422
    assert "Choose the user for at least one agent." in unescape(nothing.get_data(as_text=True))

    # The link table lists the ids in the same order: Ana Silva first.
    linked = client.post(
        preview_url + "/link",
        data={
            "csrf_token": token,
            "agent-1": "Ana Silva",
            "link-1": str(ana.id),
            "agent-2": "Ben Ode",
            "link-2": "",
        },
    )
    assert linked.status_code == 303
    html = unescape(client.get(linked.headers["Location"]).get_data(as_text=True))
    assert unknown_listed(html) == {"Ben Ode": 2, "Cara Diaz": 2}

    form = {
        "csrf_token": token,
        "create-1": "1",
        "agent-1": "Ben Ode",
        "kind-1": "id",
        "name-1": "Ben Ode",
        "email-1": "ben.ode@example.com",
        "team-1": "Chat",
        "create-2": "1",
        "agent-2": "Cara Diaz",
        "kind-2": "id",
        "name-2": "Cara Diaz",
        "email-2": "not-an-address",
    }
    refused = client.post(preview_url + "/agents", data=form)
    assert refused.status_code == 422
    assert "Cara Diaz: 'not-an-address' is not an e-mail address" in unescape(
        refused.get_data(as_text=True)
    )
    db.session.remove()
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 2
    del form["create-2"]
    created = client.post(preview_url + "/agents", data=form)
    assert created.status_code == 303
    html = unescape(client.get(preview_url).get_data(as_text=True))
    assert unknown_listed(html) == {"Cara Diaz": 2}
    db.session.remove()
    ben = db.session.execute(select(User).where(User.email == "ben.ode@example.com")).scalar_one()
    assert (ben.name, ben.team.name, ben.role.value) == ("Ben Ode", "Chat", "agent")
    links = db.session.execute(
        select(AgentIdentity.source, AgentIdentity.external_id, AgentIdentity.user_id).order_by(
            AgentIdentity.external_id
        )
    ).all()
    assert [tuple(link) for link in links] == [
        ("zendesk", "Ana Silva", ana.id),
        ("zendesk", "Ben Ode", ben.id),
    ]
    actions = db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars()
    assert list(actions)[setup_events:] == ["agent_id.link", "user.create", "agent_id.link"]
    # The import now agrees: only Cara Diaz's rows are refused.
    report = client.post(preview_url + "/run", data={"csrf_token": token, "accept_good": "1"})
    text = unescape(report.get_data(as_text=True))
    assert report.status_code == 200 and "Cara Diaz: 2 rows" in text
    assert "zendesk agent Ana Silva" not in text and "zendesk agent Ben Ode" not in text


def test_agent_ids_page_adds_and_removes_links(client, db, make_user):
    from ramp.audit.models import AuditEvent
    from ramp.metrics.models import AgentIdentity

    admin = make_user("admin")
    ana = make_user("agent", email="ana.silva@example.com", name="Ana Silva")
    login(client, admin.email)
    token = csrf_token(client, "/admin/agent-ids")
    page = client.get("/admin/agent-ids")
    assert page.status_code == 200 and "No links yet." in page.get_data(as_text=True)
    form = {"csrf_token": token, "source": "zendesk", "external_id": "Ana Silva", "user": ana.id}
    added = client.post("/admin/agent-ids", data=form)
    assert added.status_code == 303
    html = unescape(client.get("/admin/agent-ids").get_data(as_text=True))
    assert "Ana Silva (ana.silva@example.com)" in html and "zendesk" in html
    twice = client.post("/admin/agent-ids", data=form)
    assert twice.status_code == 422
    assert "zendesk id 'Ana Silva' is already linked to ana.silva@example.com" in unescape(
        twice.get_data(as_text=True)
    )
    bad = client.post("/admin/agent-ids", data={**form, "source": "Zen Desk", "external_id": "x"})
    assert bad.status_code == 422 and "is not a source" in unescape(bad.get_data(as_text=True))
    no_user = client.post("/admin/agent-ids", data={**form, "external_id": "y", "user": 0})
    assert no_user.status_code == 422
    db.session.remove()
    link_id = db.session.execute(select(AgentIdentity.id)).scalar_one()
    removed = client.post(f"/admin/agent-ids/{link_id}/remove", data={"csrf_token": token})
    assert removed.status_code == 303
    gone = client.post(f"/admin/agent-ids/{link_id}/remove", data={"csrf_token": token})
    assert gone.status_code == 404
    db.session.remove()
    assert db.session.execute(select(func.count()).select_from(AgentIdentity)).scalar_one() == 0
    links = select(AuditEvent).where(AuditEvent.action.like("agent_id.%"))
    events = db.session.execute(links.order_by(AuditEvent.id)).scalars().all()
    assert [(e.action, e.actor_id, e.details["external_id"]) for e in events] == [
        ("agent_id.link", admin.id, "Ana Silva"),
        ("agent_id.unlink", admin.id, "Ana Silva"),
    ]


def test_a_large_file_has_its_agents_checked_at_import(client, app, db, make_user):
    app.config.update(IMPORT_PREVIEW_AGENTS_BYTES=10)
    admin = make_user("admin")
    login(client, admin.email)
    token = csrf_token(client, "/admin/imports")
    response = upload(client, HEADER + rows("ghost@example.com", 3), token)
    preview = unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "This file is large" in preview and 'id="create-agents"' not in preview
    assert "R0" in preview


def test_htmx_links_an_agent_and_gets_the_list_back_alone(client, db, make_user):
    ana = make_user("agent", email="ana.silva@example.com", name="Ana Silva")
    admin = make_user("admin")
    login(client, admin.email)
    token = csrf_token(client, "/admin/imports")
    preview_url = upload_zendesk(client, token).headers["Location"]
    response = client.post(
        preview_url + "/link",
        data={"csrf_token": token, "agent-1": "Ana Silva", "link-1": str(ana.id)},
        headers={"HX-Request": "true"},
    )
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith('<section class="panel" id="unknown-agents"')
    assert "Linked 1 zendesk id." in html and unknown_listed(html) == {"Ben Ode": 2, "Cara Diaz": 2}
    refused = client.post(
        preview_url + "/link",
        data={"csrf_token": token, "agent-1": "Ben Ode", "link-1": "999999"},
        headers={"HX-Request": "true"},
    )
    text = unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422 and text.lstrip().startswith("<section")
    assert "choose the user to link zendesk id 'Ben Ode' to" in text


def test_agent_actions_on_an_upload_with_a_broken_mapping_are_refused(client, db, make_user):
    admin = make_user("admin")
    login(client, admin.email)
    token = csrf_token(client, "/admin/imports")
    response = client.post(
        "/admin/imports",
        data={
            "csrf_token": token,
            "preset": "",
            "export": (BytesIO(HEADER.encode()), "r.csv"),
            "mapping": (BytesIO(b"name: broken\nkind: nope\n"), "m.yaml"),
        },
        content_type="multipart/form-data",
    )
    preview_url = response.headers["Location"]
    for action in ("/link", "/agents"):
        refused = client.post(preview_url + action, data={"csrf_token": token, "create-1": "1"})
        assert refused.status_code == 422
        assert "The mapping has problems" in refused.get_data(as_text=True)


def test_history_pages_through_every_run(client, db, make_user):
    from ramp.metrics.models import ImportRun

    admin = make_user("admin")
    for n in range(55):
        db.session.add(
            ImportRun(
                kind="qa",
                source="testqa",
                mapping="qa-basic",
                filename=f"file-{n}.csv",
                status="done",
            )
        )
    db.session.commit()
    login(client, admin.email)
    first = unescape(client.get("/admin/imports").get_data(as_text=True))
    assert first.count('<tr id="run-') == 50 and "file-54.csv" in first
    assert "file-4.csv" not in first and "Page 1 of 2" in first
    second = unescape(client.get("/admin/imports?page=2").get_data(as_text=True))
    assert second.count('<tr id="run-') == 5 and "file-4.csv" in second
    assert "file-0.csv" in second and "file-5.csv" not in second
    assert client.get("/admin/imports?page=x").status_code == 200
