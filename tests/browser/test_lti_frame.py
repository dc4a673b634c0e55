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


def test_platform_storage_carries_the_state_when_the_cookie_is_third_party(
    page_factory, tool, platform, ramp_world, db
):
    """ramp on another site than the LMS (localhost vs 127.0.0.1): its Lax state cookie is
    not sent with the cross-site launch, so the state goes through the platform's storage.

    The landing page after it needs ramp's HTTPS cookies (SameSite=None, Partitioned), which
    plain HTTP cannot have; the test stops at the accepted launch.
    """
    import time

    from sqlalchemy import select

    from ramp.lti.models import LtiIdentity, LtiLoginState

    platform.tool_url = tool.url.replace("127.0.0.1", "localhost")
    page = page_factory()
    hint = platform.prepare(custom={"ramp_target": "module:mini-onboarding/basics"})
    page.goto(f"{platform.url}/course-page?hint={hint}&storage=1")
    page.wait_for_function(
        "window.storageLog.filter(x => x.startsWith('put')).length === 2"
        " && window.storageLog.some(x => x.startsWith('get state_'))"
    )
    for _ in range(100):  # the frame posts the launch again with the state it read back
        db.session.remove()
        if db.session.execute(select(LtiIdentity)).first():
            break
        time.sleep(0.05)
    assert db.session.execute(select(LtiIdentity)).scalar_one().subject == "learner-1"
    assert db.session.execute(select(LtiLoginState.used_at)).scalar_one() is not None
