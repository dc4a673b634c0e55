"""What folds on small screens, in real Chromium: the board's filter form on a phone (named
filters in its closed label, opened by keyboard, with or without script) and the menu, which
folds for a learner only when the learner's few links no longer fit."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from ramp.extensions import db
from tests.browser.test_learner_path import sign_in
from tests.browser.test_responsive_a11y import tab_to
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def fits(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_the_board_filters_fold_on_a_phone_and_open_by_keyboard(
    server_url, page_factory, ramp_world, javascript
):
    w = ramp_world
    w.hire(name="Ava Early", start_date=date.today() - timedelta(days=3))
    db.session.commit()
    page = page_factory(javascript=javascript)
    page.set_viewport_size(PHONE)
    sign_in(page, server_url, w.lead.email, PASSWORD)
    page.goto(f"{server_url}/board/?status=at_risk&cohort={w.cohort.id}&q=ava")
    page.wait_for_load_state("load")

    # Closed, the toggle names the filters in force; the form takes no room.
    toggle = page.get_by_role("checkbox", name="Filters")
    label = page.locator("label[for=filters-toggle]")
    expect(label).to_be_visible()
    expect(label).to_contain_text(f"Search: “ava” · Status: At risk · Cohort: {w.cohort.name}")
    expect(toggle).to_have_accessible_description(
        f"Search: “ava” · Status: At risk · Cohort: {w.cohort.name}"
    )
    expect(page.locator("#board-filters")).to_be_hidden()
    assert label.bounding_box()["height"] < 120

    # Tab reaches the toggle, its label shows the focus, and Space opens the form.
    tab_to(page, toggle)
    outline = label.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Space")
    expect(page.locator("#board-filters")).to_be_visible()
    expect(page.get_by_label("Status")).to_have_value("at_risk")
    tab_to(page, page.get_by_label("Search"))

    # Filtering from the open form: the closed label follows (htmx swaps it with the results).
    page.get_by_label("Status").select_option("")
    if not javascript:
        page.get_by_role("button", name="Apply").click()
        page.wait_for_load_state("load")
    expect(label).to_contain_text(f"Search: “ava” · Cohort: {w.cohort.name}")
    expect(label).not_to_contain_text("Status")
    expect(page.locator(".hire-card")).to_contain_text("Ava Early")
    assert fits(page)

    page.goto(f"{server_url}/board/")
    expect(label).to_contain_text("none active")


def test_the_board_filters_stay_open_on_a_laptop(server_url, page_factory, ramp_world):
    w = ramp_world
    page = page_factory(javascript=True)
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, server_url, w.lead.email, PASSWORD)
    page.goto(f"{server_url}/board/?status=at_risk")
    expect(page.get_by_label("Status")).to_be_visible()
    expect(page.get_by_role("button", name="Apply")).to_be_visible()
    expect(page.locator("label[for=filters-toggle]")).to_be_hidden()
    expect(page.get_by_role("checkbox", name="Filters")).to_be_hidden()


def test_a_learners_menu_folds_only_on_a_phone(server_url, page_factory, learner, ramp_world):
    user, _ = learner
    page = page_factory(javascript=False)
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, server_url, user.email, PASSWORD)
    my_ramp = page.get_by_role("link", name="My ramp")
    for width in (768, 1024, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        expect(my_ramp).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        expect(page.locator("label[for=nav-toggle]")).to_be_hidden()
        assert fits(page), width
        # The bar holds one line: brand, links and account side by side.
        assert page.locator(".site-header").bounding_box()["height"] < 80, width
    for width in (360, 390):
        page.set_viewport_size({"width": width, "height": 800})
        expect(my_ramp).to_be_hidden()
        expect(page.locator("label[for=nav-toggle]")).to_be_visible()
        assert fits(page), width
        page.locator("label[for=nav-toggle]").click()
        expect(my_ramp).to_be_visible()
        page.locator("label[for=nav-toggle]").click()

    # A manager's longer menu still folds at 768.
    manager = page_factory(javascript=False)
    manager.set_viewport_size({"width": 768, "height": 1024})
    sign_in(manager, server_url, ramp_world.lead.email, PASSWORD)
    expect(manager.get_by_role("link", name="Compare cohorts")).to_be_hidden()
    expect(manager.locator("label[for=nav-toggle]")).to_be_visible()
