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
