"""The README's quick start done in Chromium by an admin, without JavaScript and without a terminal."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_learner_path import sign_in
from tests.conftest import FIXTURES, PASSWORD

pytestmark = pytest.mark.browser


def test_admin_sets_up_a_team_and_a_learner_in_the_browser(server_url, page_factory, make_user):
    admin = make_user("admin", name="Dana Admin")
    page = page_factory(javascript=False)
    sign_in(page, server_url, admin.email)

    page.goto(f"{server_url}/admin/people")
    page.get_by_label("Full name").fill("Lee Lead")
    page.get_by_label("E-mail").fill("lead@acme.test")
    page.get_by_label("Role").select_option("manager")
    page.get_by_label("Initial password").fill(PASSWORD)
    page.get_by_role("button", name="Add person").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Added Lee Lead (lead@acme.test) as manager."
    )

    page.goto(f"{server_url}/admin/teams")
    page.get_by_label("Team name").fill("Tier 1 Chat")
    page.get_by_label("Manager").select_option("lead@acme.test")
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", name="Tier 1 Chat")).to_be_visible()

    page.goto(f"{server_url}/admin/people")
    page.get_by_label("Full name").fill("Ari Ng")
    page.get_by_label("E-mail").fill("ari@acme.test")
    page.get_by_label("Team").select_option("Tier 1 Chat")
    page.get_by_role("button", name="Add person").click()
    password = page.locator("#generated-password").inner_text()
    assert len(password) >= 12

    page.goto(f"{server_url}/admin/curricula")
    page.get_by_label("Curriculum file (YAML)").set_input_files(str(FIXTURES / "mini.yaml"))
    page.get_by_role("button", name="Check and publish").click()
    expect(page.get_by_role("status")).to_contain_text("Published mini-onboarding version 1.")

    page.get_by_role("link", name="Enroll people").first.click()
    page.get_by_label("Ari Ng (ari@acme.test, Tier 1 Chat)").check()
    page.get_by_role("button", name="Enroll").click()
    expect(page.get_by_role("status")).to_contain_text("Enrolled 1 person in mini-onboarding")

    page.goto(f"{server_url}/admin/audit")
    expect(page.locator("table.data")).to_contain_text("curriculum.enroll")
    expect(page.locator("table.data")).to_contain_text("Dana Admin")

    learner = page_factory(javascript=False)
    learner.goto(f"{server_url}/auth/login")
    learner.get_by_label("E-mail").fill("ari@acme.test")
    learner.get_by_label("Password").fill(password)
    learner.get_by_role("button", name="Sign in").click()
    learner.goto(f"{server_url}/learn/")
    expect(learner.locator("main")).to_contain_text("Mini onboarding")
