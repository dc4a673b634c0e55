# ruff: noqa: F811  (the LTI fixtures are imported, then requested by name)
"""A launch inside the iframe of a simulated LMS course page, in real Chromium."""

import pytest
from playwright.sync_api import expect

from tests.lti.conftest import platform, tool  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_a_learner_launches_into_a_module_inside_the_course_iframe(
    page_factory,
    tool,
    platform,
    ramp_world,
):
    page = page_factory()
    hint = platform.prepare(custom={"ramp_target": "module:mini-onboarding/basics"})
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "frame-ancestors" in m.text else None)
    page.goto(f"{platform.url}/course-page?hint={hint}")
    frame = page.frame_locator('iframe[name="tool"]')
    expect(frame.get_by_role("heading", name="Ticketing basics")).to_be_visible()
    expect(frame.get_by_text("Lee Learner")).to_be_visible()
    frame.get_by_role("link", name="The life of a ticket").first.click()
    expect(frame.get_by_role("heading", name="The life of a ticket")).to_be_visible()
    assert blocked == []


def test_a_blocked_state_cookie_in_the_iframe_offers_a_new_window(
    page_factory, tool, platform, ramp_world, db
):
    """ramp on another site than the LMS (localhost vs 127.0.0.1): over plain HTTP its Lax
    state cookie is not sent with the cross-site launch, as when a browser blocks
    third-party cookies. The frame says why and offers ramp in a new window; nobody is
    signed in on the strength of what the page could echo back."""
    from sqlalchemy import select

    from ramp.lti.models import LtiIdentity, LtiLoginState

    platform.tool_url = tool.url.replace("127.0.0.1", "localhost")
    page = page_factory()
    hint = platform.prepare(custom={"ramp_target": "module:mini-onboarding/basics"})
    page.goto(f"{platform.url}/course-page?hint={hint}&storage=1")
    frame = page.frame_locator('iframe[name="tool"]')
    expect(frame.get_by_role("heading", name="Open ramp in a new window")).to_be_visible()
    expect(frame.locator(".lti-check")).to_have_text("state cookie")
    link = frame.get_by_role("link", name="Open ramp in a new window")
    expect(link).to_have_attribute("target", "_blank")
    href = link.get_attribute("href")
    assert href.startswith(platform.tool_url + "/lti/login?") and f"login_hint={hint}" in href
    with page.expect_popup():
        link.click()
    db.session.remove()
    assert db.session.execute(select(LtiIdentity)).first() is None
    assert db.session.execute(select(LtiLoginState.used_at)).scalars().first() is None
