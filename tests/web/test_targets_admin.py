"""Admins edit the targets as YAML; a bad document is refused with its lines, and nothing changes."""

from html import unescape

from sqlalchemy import func, select

from ramp.metrics.display import active_targets
from ramp.metrics.models import TargetsVersion
from ramp.metrics.targets import target_for
from tests.conftest import csrf_token, login


def test_admin_edits_targets(client, db, make_user):
    admin = make_user("admin")
    login(client, admin.email)
    page = unescape(client.get("/admin/targets").get_data(as_text=True))
    assert "metric: qa_score" in page
    token = csrf_token(client, "/admin/targets")
    shipped = page[page.index("<textarea") : page.index("</textarea>")]
    document = shipped[shipped.index(">") + 1 :]
    bad = document.replace("metric: qa_score", "metric: happiness", 1)
    response = client.post("/admin/targets", data={"csrf_token": token, "document": bad})
    assert response.status_code == 422
    assert "unknown metric 'happiness'" in unescape(response.get_data(as_text=True))
    assert db.session.execute(select(func.count()).select_from(TargetsVersion)).scalar_one() == 0
    before = target_for(active_targets(), "qa_score", 1, None).value
    changed = document.replace(f"value: {int(before)}", "value: 71", 1)
    assert changed != document
    response = client.post("/admin/targets", data={"csrf_token": token, "document": changed})
    assert response.status_code == 303
    db.session.expire_all()
    assert target_for(active_targets(), "qa_score", 1, None).value == 71
