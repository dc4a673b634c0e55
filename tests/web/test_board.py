"""The ramp board, hire pages and actions through the client, as every role."""

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import event, func, select

from ramp.milestones.models import HireEvent, Placement, PlanMilestone
from tests.conftest import csrf_token, login

HX = {"HX-Request": "true"}


def count(db, model, **where) -> int:
    db.session.remove()
    stmt = select(func.count()).select_from(model)
    for k, v in where.items():
        stmt = stmt.where(getattr(model, k) == v)
    return db.session.execute(stmt).scalar_one()


@pytest.fixture
def world(ramp_world):
    w = ramp_world
    w.mine = w.hire(name="Mia Mine")
    w.theirs = w.hire(
        cohort=w.other_cohort, manager=w.other_lead, name="Theo Theirs", queue="billing"
    )
    return w


def html_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_board_shows_cards_with_the_facts(any_day, client, world):
    login(client, world.lead.email)
    html = html_of(client.get("/board/"))
    assert "Mia Mine" in html and "Theo Theirs" not in html
    card = html[html.index('id="hire-' + str(world.mine.id)) :]
    for fact in ("Wave A", "week 1", "Training", "general · chat", "Basics done"):
        assert fact in card[:3000], fact


def test_admin_sees_every_hire(client, world):
    login(client, world.admin.email)
    html = html_of(client.get("/board/"))
    assert "Mia Mine" in html and "Theo Theirs" in html


def test_agents_cannot_use_the_board(client, world):
    login(client, world.mine.user.email)
    assert client.get("/board/").status_code == 403
    assert client.get(f"/board/hires/{world.mine.id}").status_code == 403
    token = csrf_token(client, "/learn/ramp")
    response = client.post(
        f"/board/hires/{world.mine.id}/sign-off",
        data={"csrf_token": token, "milestone": "classroom"},
    )
    assert response.status_code == 403


def test_other_managers_hires_do_not_exist_for_a_manager(client, world, db):
    login(client, world.lead.email)
    assert client.get(f"/board/hires/{world.theirs.id}").status_code == 404
    token = csrf_token(client, "/board/")
    hid = world.theirs.id
    actions = {
        "sign-off": {"milestone": "classroom"},
        "waive": {"milestone": "basics-done", "reason": "x"},
        "extend": {"milestone": "basics-done", "due": "2099-01-01", "reason": "x"},
        "re-place": {"effective_from": "2099-01-01", "queue": "x", "reason": "x"},
        "notes": {"body": "x"},
    }
    for action, data in actions.items():
        response = client.post(f"/board/hires/{hid}/{action}", data={"csrf_token": token, **data})
        assert response.status_code == 404, action
    assert count(db, HireEvent, hire_id=hid) == 1  # only "hired"
    assert count(db, Placement, hire_id=hid) == 1


def test_filters_status_search_cohort_queue_and_grouping(client, world):
    world.hire(name="Zed Late", start_date=world.start.replace(year=world.start.year - 1))
    login(client, world.admin.email)
    html = html_of(client.get("/board/?status=missed"))
    assert "Zed Late" in html and "Mia Mine" not in html
    html = html_of(client.get("/board/?q=mine"))
    assert "Mia Mine" in html and "Zed Late" not in html and "Theo Theirs" not in html
    html = html_of(client.get(f"/board/?cohort={world.other_cohort.id}"))
    assert "Theo Theirs" in html and "Mia Mine" not in html
    html = html_of(client.get("/board/?queue=billing"))
    assert "Theo Theirs" in html and "Mia Mine" not in html
    html = html_of(client.get(f"/board/?manager={world.other_lead.id}"))
    assert "Theo Theirs" in html and "Mia Mine" not in html
    html = html_of(client.get("/board/?group=cohort"))
    assert re.search(r"<h2[^>]*>Wave A", html) and re.search(r"<h2[^>]*>Wave B", html)


def test_missed_and_at_risk_come_first(any_day, client, world):
    world.hire(name="Zed Late", start_date=world.start - timedelta(days=365))
    login(client, world.admin.email)
    html = html_of(client.get("/board/?group=cohort"))
    assert html.index("Zed Late") < html.index("Mia Mine")


def test_htmx_filter_returns_only_the_results(client, world):
    login(client, world.lead.email)
    response = client.get("/board/?q=mia", headers=HX)
    html = html_of(response)
    assert "<html" not in html and "Mia Mine" in html and 'class="filters"' not in html
    assert "HX-Request" in response.headers["Vary"]


def test_sign_off_through_the_page(client, world, db):
    login(client, world.lead.email)
    token = csrf_token(client, f"/board/hires/{world.mine.id}")
    response = client.post(
        f"/board/hires/{world.mine.id}/sign-off",
        data={"csrf_token": token, "milestone": "classroom"},
    )
    assert response.status_code == 303
    html = html_of(client.get(response.headers["Location"]))
    assert "Signed off “Classroom complete”." in html
    assert f"signed off by {world.lead.name}" in html
    assert count(db, HireEvent, hire_id=world.mine.id, action="sign_off") == 1


def test_waive_without_reason_shows_a_message_and_changes_nothing(client, world, db):
    login(client, world.lead.email)
    token = csrf_token(client, f"/board/hires/{world.mine.id}")
    response = client.post(
        f"/board/hires/{world.mine.id}/waive",
        data={"csrf_token": token, "milestone": "basics-done", "reason": "  "},
    )
    assert response.status_code == 422
    assert "Give a reason" in html_of(response)
    assert count(db, PlanMilestone, hire_id=world.mine.id, waived=True) == 0


def test_re_place_note_and_extend_are_recorded_and_shown(client, world, db):
    login(client, world.lead.email)
    hid = world.mine.id
    token = csrf_token(client, f"/board/hires/{hid}")
    start = world.start
    client.post(
        f"/board/hires/{hid}/re-place",
        data={
            "csrf_token": token,
            "effective_from": start.isoformat(),
            "queue": "billing",
            "channel": "phone",
            "reason": "Speaks Portuguese",
        },
    )
    client.post(
        f"/board/hires/{hid}/notes", data={"csrf_token": token, "body": "Strong on empathy"}
    )
    due = (start.replace(year=start.year + 1)).isoformat()
    client.post(
        f"/board/hires/{hid}/extend",
        data={"csrf_token": token, "milestone": "basics-done", "due": due, "reason": "Out sick"},
    )
    html = html_of(client.get(f"/board/hires/{hid}"))
    trail = html[html.index('id="audit-trail"') :]
    for text in (
        "Re-placed",
        "Speaks Portuguese",
        "Strong on empathy",
        "Extended",
        "Out sick",
        world.lead.name,
    ):
        assert text in trail, text
    assert "billing · phone" in html


def test_my_ramp_shows_the_agent_only_their_own_plan(any_day, client, world):
    login(client, world.mine.user.email)
    html = html_of(client.get("/learn/ramp"))
    assert "Wave A" in html and "Basics done" in html and "What to do next" in html
    assert "Wave B" not in html


def test_roster_upload_reports_problems_and_creates_nothing(client, world, db):
    from io import BytesIO

    login(client, world.lead.email)
    token = csrf_token(client, "/board/roster")
    bad = b"name,email,start_date,manager,cohort\nA,a@example.com,not-a-date,nobody@example.com,Wave A\n"
    response = client.post(
        "/board/roster",
        data={"csrf_token": token, "roster": (BytesIO(bad), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = html_of(response)
    assert "Nothing was imported" in html and "'not-a-date' is not a date" in html
    good = f"name,email,start_date,manager,cohort\nNew Person,new.person@example.com,{world.start},{world.lead.email},Wave A\n".encode()
    response = client.post(
        "/board/roster",
        data={"csrf_token": token, "roster": (BytesIO(good), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert "New Person" in html_of(client.get("/board/"))
    theirs = f"name,email,start_date,manager,cohort\nSly,sly@example.com,{world.start},{world.lead.email},Wave B\n".encode()
    response = client.post(
        "/board/roster",
        data={"csrf_token": token, "roster": (BytesIO(theirs), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "only add hires to your own teams' cohorts; not to: Wave B" in html_of(response)


def test_add_a_hire_through_the_form(client, world):
    login(client, world.lead.email)
    token = csrf_token(client, "/board/hires/new")
    data = {
        "csrf_token": token,
        "name": "Form Hire",
        "email": "form.hire@example.com",
        "start_date": world.start.isoformat(),
        "cohort": world.cohort.id,
        "manager": world.lead.id,
        "queue": "general",
        "channel": "chat",
    }
    response = client.post("/board/hires/new", data=data)
    assert response.status_code == 303
    assert "Form Hire" in html_of(client.get(response.headers["Location"]))
    # A manager cannot put a hire into another team's cohort.
    data.update(email="x@example.com", cohort=world.other_cohort.id)
    assert client.post("/board/hires/new", data=data).status_code == 422


def _statements(db, fn) -> int:
    """Statements one request runs, on a fresh session as in production (one per request)."""
    db.session.remove()
    seen = []

    def count_it(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count_it)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count_it)
    return len(seen)


def test_board_queries_do_not_grow_with_hires(client, world, db):
    login(client, world.admin.email)
    client.get("/board/")  # warm the schema check
    few = _statements(db, lambda: client.get("/board/"))
    cohort, lead = db.session.merge(world.cohort), db.session.merge(world.lead)
    for _ in range(6):
        world.hire(cohort=cohort, manager=lead)
    many = _statements(db, lambda: client.get("/board/"))
    assert few == many


def test_board_queries_do_not_grow_with_cohorts(client, world, db):
    from ramp.milestones.operations import create_cohort

    login(client, world.admin.email)
    client.get("/board/")
    few = _statements(db, lambda: client.get("/board/"))
    cohort, lead = db.session.merge(world.cohort), db.session.merge(world.lead)
    for n in range(4):
        more = create_cohort(
            f"Wave {n}",
            cohort.start_date,
            cohort.template_version,
            cohort.curriculum_version,
            cohort.team,
        )
        db.session.commit()
        world.hire(cohort=more, manager=lead)
    many = _statements(db, lambda: client.get("/board/"))
    assert few == many


def test_hire_page_queries_do_not_grow_with_history(client, world, db):
    login(client, world.lead.email)
    hid = world.mine.id
    client.get(f"/board/hires/{hid}")
    few = _statements(db, lambda: client.get(f"/board/hires/{hid}"))
    token = csrf_token(client, f"/board/hires/{hid}")
    for i in range(4):
        client.post(f"/board/hires/{hid}/notes", data={"csrf_token": token, "body": f"note {i}"})
    many = _statements(db, lambda: client.get(f"/board/hires/{hid}"))
    assert few == many


def test_learner_progress_reevaluates_the_plan(client, world, db):
    from ramp.curricula import queries as cq

    login(client, world.mine.user.email)
    eid, hid, vid = world.mine.enrollment_id, world.mine.id, world.mine.enrollment.version_id
    token = csrf_token(client, f"/learn/{eid}/")
    for slug in ("lifecycle", "macros"):
        client.post(f"/learn/{eid}/basics/lessons/{slug}/complete", data={"csrf_token": token})
    basics = next(m for m in cq.load_version(vid).modules if m.slug == "basics")
    data = {"csrf_token": token}
    for q in cq.answer_key(basics.assessment):
        data[f"q-{q.id}"] = [str(i) for i in q.correct_ids]
    client.post(f"/learn/{eid}/basics/check", data=data)
    db.session.expire_all()
    row = db.session.execute(
        select(PlanMilestone).where(
            PlanMilestone.hire_id == hid, PlanMilestone.key == "basics-done"
        )
    ).scalar_one()
    assert row.status == "achieved"
    html = html_of(client.get("/learn/ramp"))
    assert "Basics done" in html and "Achieved" in html
