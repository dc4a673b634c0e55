"""A manager is asked before waiving or re-placing: a modal dialog with script (Escape closes it
and gives focus back; Confirm acts), a confirmation page without."""

import pytest
from playwright.sync_api import expect

from ramp.extensions import db
from ramp.milestones import operations
from tests.browser.test_learner_path import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def hire(ramp_world):
    w = ramp_world
    created = w.hire(name="Ana Lisboa")
    operations.re_place(
        created,
        w.start,
        {"queue": "general", "channel": "chat", "tier": "T2", "language": "pt"},
        w.lead,
        "Speaks Portuguese",
    )
    db.session.commit()
    return created


def focused(page) -> str:
    return page.evaluate(
        "() => (document.activeElement.textContent || '').trim() "
        "+ '|' + (document.activeElement.closest('dialog') ? 'in-dialog' : 'page')"
    )


def ask_to_waive(page_factory, server_url, ramp_world, hire, javascript=True):
    """The lead on the hire's page asks to waive "Basics done", with a reason: (page, the
    milestone, the button that asked)."""
    page = page_factory(javascript=javascript)
    sign_in(page, server_url, ramp_world.lead.email)
    page.goto(f"{server_url}/board/hires/{hire.id}")
    milestone = page.locator("#milestone-basics-done")
    milestone.locator("summary", has_text="Waive").click()
    milestone.get_by_label("Reason for waiving").fill("Did this course at her last job")
    opener = milestone.get_by_role("button", name="Waive milestone")
    opener.click()
    return page, milestone, opener


def test_waive_dialog_escape_returns_focus_and_confirm_waives(
    server_url, page_factory, ramp_world, hire
):
    page, milestone, opener = ask_to_waive(page_factory, server_url, ramp_world, hire)

    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Waive “Basics done” for Ana Lisboa?")
    expect(dialog).to_contain_text("cannot be undone")
    assert focused(page) == "Cancel|in-dialog"
    page.keyboard.press("Tab")
    assert focused(page) == "Confirm: waive milestone|in-dialog"  # focus stays in the dialog
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    expect(milestone.locator(".milestone-head")).not_to_contain_text("Waived")
    assert page.url.endswith(f"/board/hires/{hire.id}")

    page.keyboard.press("Enter")  # the opener has focus: the keyboard opens it again
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Confirm: waive milestone").click()
    expect(page.get_by_text("Waived “Basics done”.")).to_be_visible()
    expect(page.locator("#milestone-basics-done .milestone-head")).to_contain_text("Waived")
    expect(page.locator("#audit-trail")).to_contain_text("Did this course at her last job")


def test_waive_without_script_goes_through_a_confirmation_page(
    server_url, page_factory, ramp_world, hire
):
    page, milestone, _ = ask_to_waive(page_factory, server_url, ramp_world, hire, False)
    expect(page.get_by_role("heading", name="Waive “Basics done” for Ana Lisboa?")).to_be_visible()
    expect(page.locator("#confirm")).to_contain_text("Did this course at her last job")
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator("#milestone-basics-done .milestone-head")).not_to_contain_text("Waived")
    milestone.locator("summary", has_text="Waive").click()
    milestone.get_by_label("Reason for waiving").fill("Did this course at her last job")
    milestone.get_by_role("button", name="Waive milestone").click()
    page.get_by_role("button", name="Confirm: waive milestone").click()
    expect(page.get_by_text("Waived “Basics done”.")).to_be_visible()
    expect(page.locator("#milestone-basics-done .milestone-head")).to_contain_text("Waived")


@pytest.mark.parametrize("javascript", [True, False], ids=["dialog", "no-js"])
def test_re_place_keeps_tier_and_language(server_url, page_factory, ramp_world, hire, javascript):
    page = page_factory(javascript=javascript)
    sign_in(page, server_url, ramp_world.lead.email)
    page.goto(f"{server_url}/board/hires/{hire.id}")
    page.locator("summary", has_text="Re-place").click()
    expect(page.get_by_label("Tier")).to_have_value("T2")
    expect(page.get_by_label("Language")).to_have_value("pt")
    page.get_by_label("Queue").fill("billing")
    page.get_by_label("Reason").last.fill("Billing needs Portuguese")
    page.get_by_role("button", name="Re-place", exact=True).click()
    if javascript:
        expect(page.get_by_role("dialog")).to_contain_text("Re-place Ana Lisboa?")
    else:
        changes = page.locator(".confirm-changes")
        expect(changes.locator("tr.changed")).to_have_count(1)
        expect(changes.locator("tr", has_text="Tier")).to_contain_text("T2")
    page.get_by_role("button", name="Confirm: re-place").click()
    expect(page.get_by_text("Placed in billing · chat · T2 · pt")).to_be_visible()


def test_manager_confirms_a_waive_by_keyboard_only(server_url, page_factory, ramp_world, hire):
    """No mouse: the Waive disclosure, its reason, the dialog's focus and Confirm, all by keys."""
    from tests.browser.test_responsive_a11y import sign_in_by_keyboard, tab_to
    from tests.conftest import PASSWORD

    page = page_factory(javascript=True)
    sign_in_by_keyboard(page, server_url, ramp_world.lead.email, PASSWORD)
    page.goto(f"{server_url}/board/hires/{hire.id}")
    page.wait_for_load_state("load")
    milestone = page.locator("#milestone-basics-done")
    tab_to(page, milestone.locator("summary", has_text="Waive"))
    page.keyboard.press("Enter")
    tab_to(page, milestone.get_by_label("Reason for waiving"))
    page.keyboard.type("Did this course at her last job")
    tab_to(page, milestone.get_by_role("button", name="Waive milestone"))
    page.keyboard.press("Enter")

    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    assert focused(page) == "Cancel|in-dialog"
    page.keyboard.press("Tab")
    assert focused(page) == "Confirm: waive milestone|in-dialog"
    page.keyboard.press("Enter")
    expect(page.get_by_text("Waived “Basics done”.")).to_be_visible()
    expect(page.locator("#milestone-basics-done .milestone-head")).to_contain_text("Waived")


def test_reopening_before_the_last_close_is_told_still_confirms(
    server_url, page_factory, ramp_world, hire
):
    """Escape and then Enter faster than the browser tells the page the dialog closed: the
    late word of that first closing must not forget the form the second opening asks about
    (the close event is queued; a quick hand, or a busy machine, gets in before it)."""
    page, _, _ = ask_to_waive(page_factory, server_url, ramp_world, hire)
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    # Both in one task: the first close event has not been dispatched when the form asks again.
    page.evaluate(
        """() => {
            document.getElementById("confirm-dialog").close();
            const opener = document.querySelector("#milestone-basics-done button[type=submit]");
            opener.form.requestSubmit(opener);
        }"""
    )
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Confirm: waive milestone").click()
    expect(page.get_by_text("Waived “Basics done”.")).to_be_visible()
    expect(page.locator("#milestone-basics-done .milestone-head")).to_contain_text("Waived")
