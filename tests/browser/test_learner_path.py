"""An agent's path through a module in real Chromium: with htmx, and with JavaScript off."""

import re

import pytest
from playwright.sync_api import expect

from ramp.curricula import queries
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # The page signing in leads to has run its deferred scripts (htmx) before a test acts on it:
    # a change made earlier would be a plain form change htmx never saw.
    page.wait_for_load_state("load")


def progress_value(page) -> int:
    return int(page.locator("#curriculum-progress progress").get_attribute("value"))


def answer(page, module, right: bool) -> None:
    """Tick the right (or a wrong) choice of every question, by its visible label."""
    for q in module.assessment.questions:
        wanted = (
            [c for c in q.choices if c.correct]
            if right
            else [next(c for c in q.choices if not c.correct)]
        )
        for choice in wanted:
            page.locator(f"#c-{choice.id}").check()


def walk_module(page, base: str, enrollment, javascript: bool) -> None:
    modules = {m.slug: m for m in queries.load_version(enrollment.version_id).modules}
    basics = modules["basics"]

    page.goto(f"{base}/learn/")
    expect(page.get_by_role("heading", name="Mini onboarding")).to_be_visible()
    assert progress_value(page) == 0
    expect(page.locator(".lock-reason")).to_contain_text("Finish “Ticketing basics” first.")

    page.get_by_role("link", name="The life of a ticket").first.click()
    expect(page.get_by_role("heading", name="The life of a ticket")).to_be_visible()
    expect(page.locator(".prose table")).to_be_visible()
    page.get_by_role("button", name="Mark complete and continue").click()
    expect(page.get_by_role("heading", name="Macros")).to_be_visible()
    after_one = progress_value(page)
    assert after_one == 16  # 1 of 6 steps
    page.get_by_role("button", name="Mark complete and continue").click()

    # The knowledge check: fail first.
    expect(page.get_by_role("heading", name="Basics check")).to_be_visible()
    answer(page, basics, right=False)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.locator("#attempt-result")).to_contain_text("Not passed")
    expect(page.locator("#attempt-result")).to_contain_text("1 attempt left")
    expect(page.get_by_text("Open means assigned.")).to_be_visible()
    assert progress_value(page) == 33

    page.get_by_role("link", name="Try again").click()
    answer(page, basics, right=True)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.locator("#attempt-result")).to_contain_text("100%")
    expect(page.locator("#attempt-result")).to_contain_text("Passed")
    assert progress_value(page) == 50  # the bar moved without a reload when htmx is on

    page.get_by_role("link", name="Back to the curriculum").click()
    expect(page.locator(".module-item").first).to_contain_text("Complete")
    expect(page.locator(".lock-reason")).to_have_count(0)
    assert progress_value(page) == 50


def test_agent_reads_fails_and_passes_with_htmx(server_url, page_factory, learner):
    user, enrollment = learner
    page = page_factory(javascript=True)
    requests = []
    page.on("request", lambda r: requests.append(r))
    sign_in(page, server_url, user.email)
    walk_module(page, server_url, enrollment, javascript=True)
    htmx_posts = [
        r for r in requests if r.method == "POST" and r.headers.get("hx-request") == "true"
    ]
    assert any(re.search(r"/basics/check$", r.url) for r in htmx_posts), (
        "the check was not sent by htmx"
    )


def test_agent_reads_fails_and_passes_without_javascript(server_url, page_factory, learner):
    user, enrollment = learner
    page = page_factory(javascript=False)
    requests = []
    page.on("request", lambda r: requests.append(r))
    sign_in(page, server_url, user.email)
    walk_module(page, server_url, enrollment, javascript=False)
    assert not any(r.headers.get("hx-request") for r in requests)


def test_unanswered_question_is_flagged_in_place(server_url, page_factory, learner):
    from ramp.curricula import operations
    from ramp.extensions import db

    user, enrollment = learner
    basics = {m.slug: m for m in queries.load_version(enrollment.version_id).modules}["basics"]
    for lesson in basics.lessons:
        operations.complete_lesson(enrollment, lesson)
    db.session.commit()
    page = page_factory()
    sign_in(page, server_url, user.email)
    page.goto(f"{server_url}/learn/{enrollment.id}/basics/check")
    page.locator(f"#c-{basics.assessment.questions[0].choices[0].id}").check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.locator("#check-errors")).to_contain_text("no attempt was used")
    expect(page.locator(".question.has-error")).to_have_count(1)
    expect(page.locator(f"#c-{basics.assessment.questions[0].choices[0].id}")).to_be_checked()
