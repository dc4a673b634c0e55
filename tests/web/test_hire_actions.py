"""The hire page's actions: prefilled, explained when their phase has not begun, and asked
before anything that cannot be undone (a confirmation page when there is no script)."""

import os
import re
from datetime import date, timedelta
from html import unescape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ramp.certificates.models import Certificate
from ramp.certificates.operations import issue_certificate
from ramp.extensions import db as _db
from ramp.milestones import operations
from ramp.milestones.models import HireEvent, Placement, PlanMilestone
from tests.conftest import csrf_token, login, make_ready


@pytest.fixture
def world(ramp_world, clock):
    w = ramp_world
    w.mine = w.hire(name="Mia Mine")
    operations.re_place(
        w.mine,
        w.start,
        {
            "queue": "general",
            "channel": "chat",
            "tier": "T2",
            "language": "pt",
            "skills": "refunds",
        },
        w.lead,
        "Speaks Portuguese",
    )
    _db.session.commit()
    return w


def page(client, url: str) -> str:
    return unescape(client.get(url).get_data(as_text=True))


def inputs(html: str, form_action: str) -> dict[str, str]:
    """The named fields of the form posting to form_action, as the browser would send them."""
    start = html.index(f'action="{form_action}"')
    form = html[start : html.index("</form>", start)]
    fields = dict(re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', form))
    fields.update(
        (m, v) for m, v in re.findall(r'<input[^>]*?value="([^"]*)"[^>]*?name="([^"]+)"', form)
    )
    for name, value in re.findall(
        r'<select[^>]*name="([^"]+)"[^>]*>.*?<option selected value="([^"]*)"', form, re.S
    ):
        fields[name] = value
    return fields


def placements(db, hire_id, fresh: bool = True):
    if fresh:  # only after the last request: the test client shares this session
        db.session.remove()
    return (
        db.session.execute(
            select(Placement).where(Placement.hire_id == hire_id).order_by(Placement.id)
        )
        .scalars()
        .all()
    )


def test_re_place_starts_from_the_current_placement_and_today(client, world):
    login(client, world.lead.email)
    html = page(client, f"/board/hires/{world.mine.id}")
    fields = inputs(html, f"/board/hires/{world.mine.id}/re-place/confirm")
    assert fields["queue"] == "general" and fields["tier"] == "T2"
    assert fields["language"] == "pt" and fields["skills"] == "refunds"
    assert fields["channel"] == "chat"
    assert fields["effective_from"] == date.today().isoformat()


def test_re_place_changing_the_queue_keeps_tier_and_language(client, world, db):
    login(client, world.lead.email)
    hid = world.mine.id
    html = page(client, f"/board/hires/{hid}")
    fields = inputs(html, f"/board/hires/{hid}/re-place/confirm")
    fields.update(queue="billing", reason="Billing needs Portuguese")
    asked = client.post(f"/board/hires/{hid}/re-place/confirm", data=fields)
    assert asked.status_code == 200
    shown = unescape(asked.get_data(as_text=True))
    assert "Re-place Mia Mine from" in shown and "billing" in shown
    assert len(placements(db, hid, fresh=False)) == 2  # asking changes nothing
    confirm = inputs(shown, f"/board/hires/{hid}/re-place")
    done = client.post(f"/board/hires/{hid}/re-place", data=confirm)
    assert done.status_code == 303
    latest = placements(db, hid)[-1]
    assert (latest.queue, latest.channel, latest.tier, latest.language, latest.skills) == (
        "billing",
        "chat",
        "T2",
        "pt",
        ["refunds"],
    )
    assert latest.effective_from == date.today()


def test_a_partial_re_place_keeps_the_fields_it_did_not_send(client, world, db):
    login(client, world.lead.email)
    hid = world.mine.id
    token = csrf_token(client, f"/board/hires/{hid}")
    response = client.post(
        f"/board/hires/{hid}/re-place",
        data={
            "csrf_token": token,
            "effective_from": date.today().isoformat(),
            "queue": "vip",
            "reason": "Promoted",
        },
    )
    assert response.status_code == 303
    latest = placements(db, hid)[-1]
    assert (latest.queue, latest.tier, latest.language) == ("vip", "T2", "pt")


def test_clearing_a_field_on_purpose_clears_it(client, world, db):
    login(client, world.lead.email)
    hid = world.mine.id
    fields = inputs(page(client, f"/board/hires/{hid}"), f"/board/hires/{hid}/re-place/confirm")
    fields.update(tier="", reason="No tiers on this queue")
    client.post(f"/board/hires/{hid}/re-place", data=fields)
    latest = placements(db, hid)[-1]
    assert latest.tier is None and latest.language == "pt"


def test_waive_asks_first_and_confirm_waives(client, world, db):
    login(client, world.lead.email)
    hid = world.mine.id
    html = page(client, f"/board/hires/{hid}")
    assert f'data-confirm-action="/board/hires/{hid}/waive"' in html
    fields = inputs(html, f"/board/hires/{hid}/waive/confirm")
    fields.update(milestone="basics-done", reason="Passed the same course last year")
    asked = client.post(f"/board/hires/{hid}/waive/confirm", data=fields)
    shown = unescape(asked.get_data(as_text=True))
    assert asked.status_code == 200
    assert "Waive “Basics done” for Mia Mine?" in shown and "cannot be undone" in shown
    assert "Passed the same course last year" in shown
    assert "Confirm: waive milestone" in shown and "Cancel" in shown
    waived = select(func.count()).where(PlanMilestone.waived.is_(True))
    assert db.session.execute(waived).scalar_one() == 0
    done = client.post(f"/board/hires/{hid}/waive", data=inputs(shown, f"/board/hires/{hid}/waive"))
    assert done.status_code == 303
    db.session.remove()
    waived = db.session.execute(
        select(PlanMilestone.key, PlanMilestone.waived_reason).where(PlanMilestone.waived)
    ).all()
    assert waived == [("basics-done", "Passed the same course last year")]


@pytest.mark.parametrize(
    "path",
    ["waive/confirm", "re-place/confirm", "certificates/{cert}/revoke/confirm"],
    ids=["waive", "re-place", "revoke"],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_confirmation_page_without_the_form_goes_back_with_a_message(
    client, world, db, path, method
):
    hire = make_ready(world, world.mine)
    cert = issue_certificate(hire, world.lead, "http://localhost")
    db.session.commit()
    hid, url = hire.id, f"/board/hires/{hire.id}/" + path.format(cert=cert.id)
    before = _counts(db, fresh=False)
    login(client, world.lead.email)
    # A post still carries its CSRF token (without one it is refused outright, 400).
    token = csrf_token(client, f"/board/hires/{hid}")
    data = {"csrf_token": token} if method == "post" else None
    response = getattr(client, method)(url, data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/board/hires/{hid}")
    html = page(client, f"/board/hires/{hid}")
    assert re.search(r"Nothing was (waived|changed|revoked)", html)
    assert _counts(db) == before


def _counts(db, fresh: bool = True):
    if fresh:  # only after the last request: the test client shares this session
        db.session.remove()
    return (
        db.session.execute(select(func.count()).select_from(HireEvent)).scalar_one(),
        db.session.execute(select(func.count()).select_from(Placement)).scalar_one(),
        db.session.execute(
            select(func.count()).where(Certificate.revoked_at.is_not(None))
        ).scalar_one(),
    )


def test_revoke_asks_first_and_names_the_certificate(client, world, db):
    hire = make_ready(world, world.mine)
    cert = issue_certificate(hire, world.lead, "http://localhost")
    db.session.commit()
    hid, cid = hire.id, cert.id
    login(client, world.lead.email)
    html = page(client, f"/board/hires/{hid}")
    action = f"/board/hires/{hid}/certificates/{cid}/revoke"
    assert f'data-confirm-action="{action}"' in html
    fields = inputs(html, action + "/confirm")
    fields["reason"] = "Issued before the QA review"
    shown = unescape(client.post(action + "/confirm", data=fields).get_data(as_text=True))
    assert "Revoke certificate" in shown and "Issued before the QA review" in shown
    assert _counts(db, fresh=False)[2] == 0
    assert client.post(action, data=inputs(shown, action)).status_code == 303
    assert _counts(db)[2] == 1


def test_a_re_place_that_would_fail_is_not_offered_for_confirmation(client, world, db):
    hid = world.mine.id
    before = _counts(db, fresh=False)
    login(client, world.lead.email)
    token = csrf_token(client, f"/board/hires/{hid}")
    early = (world.start - timedelta(days=30)).isoformat()
    response = client.post(
        f"/board/hires/{hid}/re-place/confirm",
        data={"csrf_token": token, "effective_from": early, "queue": "x", "reason": "r"},
    )
    assert response.status_code == 303
    assert "cannot start before the hire's start date" in page(client, f"/board/hires/{hid}")
    assert _counts(db) == before


def test_milestones_whose_phase_has_not_begun_explain_instead_of_acting(client, world):
    login(client, world.lead.email)
    html = page(client, f"/board/hires/{world.mine.id}")
    ready = html[html.index('id="milestone-floor-ready"') :]
    ready = ready[: ready.index('id="milestone-nesting-quality"')]
    assert "Nesting begins" in ready and "open for this milestone then" in ready
    assert "board/hires/" not in ready.split("</p>", 2)[-1] or "Sign off" not in ready
    assert ">Sign off<" not in ready and "Waive milestone" not in ready
    classroom = html[html.index('id="milestone-classroom"') : html.index('id="milestone-floor')]
    assert "Sign off" in classroom and "Waive milestone" in classroom


def test_sign_off_is_one_step(client, world, db):
    """A sign-off records what the manager has seen; it takes no confirmation."""
    login(client, world.lead.email)
    html = page(client, f"/board/hires/{world.mine.id}")
    sign = html[html.index(f'action="/board/hires/{world.mine.id}/sign-off"') - 200 :][:600]
    assert "data-confirm-action" not in sign


# Hostile input on the confirmation pages: an answer, never a 500, and nothing changed.

FIELD_NAMES = ("milestone", "reason", "effective_from", "queue", "channel", "tier", "language")
FIELD_NAMES += ("skills", "product_line", "csrf_token", "q-1")
HOSTILE = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", " ", "\x00", "basics-done", "2026-02-30", "9999-12-31", "0001-01-01"]),
    st.sampled_from(["chat", "CHAT", "fax", "classroom", "x" * 5000, "<script>", "%00"]),
)
FORMS = st.dictionaries(st.sampled_from(FIELD_NAMES), HOSTILE, max_size=8)


@settings(
    max_examples=int(os.environ.get("RAMP_FUZZ_EXAMPLES") or 15),
    deadline=None,
    database=None,
    derandomize=os.environ.get("RAMP_FUZZ_EXAMPLES") is None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(form=FORMS, target=st.sampled_from(["waive", "re-place", "revoke"]), post=st.booleans())
def test_confirmation_pages_answer_any_input_without_changing_anything(
    client, world, db, form, target, post
):
    hid = world.mine.id
    if not getattr(world, "signed_in", False):
        login(client, world.lead.email)
        world.token = csrf_token(client, f"/board/hires/{hid}")
        world.before = _counts(db, fresh=False)
        world.signed_in = True
    path = {
        "waive": f"/board/hires/{hid}/waive/confirm",
        "re-place": f"/board/hires/{hid}/re-place/confirm",
        "revoke": f"/board/hires/{hid}/certificates/1/revoke/confirm",
    }[target]
    if post:
        response = client.post(path, data={**form, "csrf_token": world.token})
    else:
        response = client.get(path, query_string=form)
    assert response.status_code in (200, 303, 404), (target, form, response.status_code)
    assert _counts(db, fresh=False) == world.before
