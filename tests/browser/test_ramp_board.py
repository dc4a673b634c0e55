"""A manager works the ramp board in real Chromium; the agent sees the result on My ramp."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from ramp.extensions import db
from tests.browser.test_learner_path import sign_in
from tests.conftest import finish_modules

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_manager_signs_off_an_at_risk_hire(server_url, page_factory, ramp_world, javascript):
    from ramp.milestones.operations import evaluate_hires

    w = ramp_world
    risky = w.hire(name="Ava Risk", start_date=date.today() - timedelta(days=12))
    finish_modules(risky.enrollment)
    w.hire(name="Otto Ontrack", start_date=date.today() + timedelta(days=3))
    evaluate_hires(None)
    db.session.commit()

    page = page_factory(javascript=javascript)
    sign_in(page, server_url, w.lead.email)
    expect(page.get_by_role("heading", name="Ramp board")).to_be_visible()
    expect(page.locator(".hire-card")).to_have_count(2)

    page.get_by_label("Status").select_option("at_risk")
    if not javascript:
        page.get_by_role("button", name="Apply").click()
    expect(page.locator(".hire-card")).to_have_count(1)
    expect(page.locator(".hire-card")).to_contain_text("Ava Risk")
    expect(page.locator(".hire-card")).to_contain_text("At risk")
    assert "status=at_risk" in page.url

    page.get_by_role("link", name="Ava Risk").click()
    classroom = page.locator("#milestone-classroom")
    expect(classroom).to_contain_text("At risk")
    classroom.get_by_role("button", name="Sign off").click()
    expect(page.get_by_text("Signed off “Classroom complete”.")).to_be_visible()
    expect(page.locator("#milestone-classroom .milestone-head")).to_contain_text("Achieved")
    expect(page.locator("#audit-trail")).to_contain_text("Signed off")

    page.get_by_role("link", name="Ramp board").first.click()
    expect(page.locator(".hire-card")).to_have_count(2)
    page.get_by_label("Status").select_option("at_risk")
    if not javascript:
        page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("No hires match.")).to_be_visible()

    agent = page_factory(javascript=javascript)
    sign_in(agent, server_url, risky.user.email)
    agent.goto(f"{server_url}/learn/ramp")
    item = agent.locator(".milestone", has_text="Classroom complete").first
    expect(item).to_contain_text("Achieved")
    expect(item).to_contain_text(f"signed off by {w.lead.name}")
