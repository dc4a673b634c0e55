"""Admins edit targets as tables per placement and tenure week; the same checks as the YAML."""

import re
from html import unescape

from flask import g
from sqlalchemy import func, select

from ramp.audit.models import AuditEvent
from ramp.metrics.display import active_targets
from ramp.metrics.models import TargetsVersion
from ramp.metrics.targets import target_for

INPUT_RE = re.compile(
    r"<input (?![^>]*type=\"checkbox\")[^>]*name=\"([^\"]+)\"[^>]*value=\"([^\"]*)\""
)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def table_form(page: str) -> dict[str, str]:
    """The fields the tables form sends as the page shows it."""
    start = page.index('action="/admin/targets/table"')
    form = page[start : page.index("</form>", start)]
    return dict(INPUT_RE.findall(form))


def versions(db) -> int:
    db.session.remove()
    g.pop("_login_user", None)
    return db.session.execute(select(func.count()).select_from(TargetsVersion)).scalar_one()


def test_page_shows_a_table_per_placement_with_labels(client, make_user, as_user):
    page = text(as_user(make_user("admin")).get("/admin/targets"))
    for heading in ("Default", "queue billing", "queue billing, channel phone", "New placement"):
        assert f">{heading}</h3>" in page
    fields = table_form(page)
    assert fields["t0-qa_score-0"] == "75" and fields["t0-from-0"] == "1"
    assert fields["t1-queue"] == "billing" and fields["t1-aht-0"] == "1080"
    assert (
        '<label class="visually-hidden" for="t0-qa_score-0">QA score, row 1 (weeks 1–6)</label>'
        in page
    )
    assert "Advanced: edit as YAML" in page and "metric: qa_score" in page


def test_edit_a_cell_and_add_a_placement(client, db, make_user, as_user):
    admin = make_user("admin")
    admin_id = admin.id
    as_user(admin)
    fields = table_form(text(client.get("/admin/targets")))
    new = int(fields["tables"]) - 1
    fields.update({"t0-qa_score-0": "71", f"t{new}-queue": "vip", f"t{new}-csat-0": "90"})
    response = client.post("/admin/targets/table", data=fields)
    assert response.status_code == 303, text(response)
    assert versions(db) == 1
    spec = active_targets()
    assert target_for(spec, "qa_score", 1, None).value == 71
    assert target_for(spec, "qa_score", 7, None).value == 80  # the rest as it was
    assert target_for(spec, "csat", 20, {"queue": "vip"}).value == 90
    assert target_for(spec, "aht", 1, {"queue": "billing"}).value == 1080
    [event] = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "targets.publish")
    ).scalars()
    assert event.actor_id == admin_id and event.details["editor"] == "table"
    page = text(client.get("/admin/targets"))
    assert ">queue vip</h3>" in page and "Published targets version 1" in page


def test_remove_a_placement_and_add_a_week_range(client, db, make_user, as_user):
    as_user(make_user("admin"))
    fields = table_form(text(client.get("/admin/targets")))
    rows = int(fields["t0-rows"])
    spare = next(r for r in range(rows) if not fields[f"t0-from-{r}"])
    fields[f"t0-from-{spare}"] = "20"
    for key in [
        k for k in fields if k.startswith("t0-") and k.endswith(f"-{spare}") and "from" not in k
    ]:
        metric = key[3 : -len(f"-{spare}")]
        last = fields[f"t0-{metric}-{spare - 1}"]
        fields[key] = last
    fields["t0-qa_score-" + str(spare)] = "90"
    fields["t1-remove"] = "1"  # queue billing
    response = client.post("/admin/targets/table", data=fields)
    assert response.status_code == 303, text(response)
    versions(db)
    spec = active_targets()
    assert target_for(spec, "qa_score", 19, None).value == 85
    assert target_for(spec, "qa_score", 20, None).value == 90
    assert target_for(spec, "aht", 1, {"queue": "billing"}).value == 900  # the default now


def test_a_non_number_is_refused_with_its_place_and_kept(client, db, make_user, as_user):
    as_user(make_user("admin"))
    fields = table_form(text(client.get("/admin/targets")))
    fields["t0-qa_score-0"] = "abc"
    response = client.post("/admin/targets/table", data=fields)
    page = text(response)
    assert response.status_code == 422
    assert "Default, QA score, weeks 1–6: 'abc' is not a number" in page
    assert table_form(page)["t0-qa_score-0"] == "abc"  # what was typed stays
    assert versions(db) == 0


def test_the_targets_rules_apply_in_table_terms(client, db, make_user, as_user):
    as_user(make_user("admin"))
    fields = table_form(text(client.get("/admin/targets")))
    fields["t0-qa_score-0"] = "150"
    fields["t0-from-0"] = "2"
    response = client.post("/admin/targets/table", data=fields)
    page = text(response)
    assert response.status_code == 422
    assert (
        "Default, QA score, weeks 2–6: QA score is a percentage: the target must be 0 to 100"
        in page
    )
    assert "Default, QA score, weeks 2–6: the first step must start at week 1" in page
    assert versions(db) == 0
    response = client.post(
        "/admin/targets/table", data={k: v for k, v in fields.items() if k != "csrf_token"}
    )
    assert response.status_code == 400 and versions(db) == 0
