"""An admin uploads a QA export in Chromium; the preview, the report, then the board reflect it."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from ramp.extensions import db
from tests.browser.test_learner_path import sign_in
from tests.conftest import FIXTURES

pytestmark = pytest.mark.browser


def test_admin_imports_and_a_milestone_turns_achieved(
    server_url, page_factory, ramp_world, tmp_path
):
    w = ramp_world
    hire = w.hire(name="Nora Nesting", start_date=date.today() - timedelta(days=22))
    email, hire_id = hire.user.email, hire.id
    db.session.commit()
    export = tmp_path / "reviews.csv"
    export.write_text(
        "Review ID,Agent,Reviewed,Score,Max,Auto-fail\n"
        + "".join(
            f"R{i},{email},{(date.today() - timedelta(days=i % 10)).strftime('%d/%m/%Y')} 12:00,{86 + i % 5},100,no\n"
            for i in range(12)
        )
    )

    page = page_factory()
    sign_in(page, server_url, w.admin.email)
    page.goto(f"{server_url}/board/hires/{hire_id}")
    expect(page.locator("#milestone-nesting-quality .milestone-head")).not_to_contain_text(
        "Achieved"
    )

    page.goto(f"{server_url}/admin/imports")
    page.get_by_label("Export file (CSV or JSON lines)").set_input_files(str(export))
    page.get_by_label("Or your own mapping (YAML)").set_input_files(
        str(FIXTURES / "mappings" / "qa-basic.yaml")
    )
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Preview: reviews.csv")).to_be_visible()
    expect(page.locator("#preview tbody tr")).to_have_count(10)
    expect(page.locator("#preview")).to_contain_text(email)
    page.get_by_role("button", name="Check the whole file and import").click()
    expect(page.locator("#import-summary")).to_contain_text(
        "wrote 12 evaluations (12 new, 0 updated)"
    )

    page.goto(f"{server_url}/board/")
    card = page.locator(".hire-card", has_text="Nora Nesting")
    expect(card).to_contain_text("QA score")
    card.get_by_role("link", name="Nora Nesting").click()
    expect(page.locator("#milestone-nesting-quality .milestone-head")).to_contain_text("Achieved")
    expect(page.locator(".metric-table")).to_contain_text("QA score")


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_admin_pages_are_one_menu_reached_by_keyboard(
    server_url, page_factory, ramp_world, javascript
):
    page = page_factory(javascript=javascript)
    sign_in(page, server_url, ramp_world.admin.email)
    page.goto(f"{server_url}/board/")
    nav = page.get_by_role("navigation", name="Main")
    # Every top-level entry (the board, comparison, team performance, coaching, certificates,
    # team learning, the admin menu) sits on one line at 1200 px, the admin pages inside one
    # menu.
    tops = [
        box["y"]
        for box in nav.locator(":scope > ul > li").evaluate_all(
            "items => items.map(i => i.getBoundingClientRect().toJSON())"
        )
    ]
    assert len(tops) == 7 and max(tops) - min(tops) < 2
    imports = nav.get_by_role("link", name="Imports")
    expect(imports).to_be_hidden()
    nav.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(imports).to_be_visible()
    # The menu's links in order, by Tab: People first, then on to Imports.
    page.keyboard.press("Tab")
    expect(nav.get_by_role("link", name="People", exact=True)).to_be_focused()
    for _ in range(20):
        if imports.evaluate("link => link === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(imports).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Import QA and contact records")).to_be_visible()
    expect(nav.locator("summary")).to_have_attribute("aria-current", "page")


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_admin_links_unknown_agents_from_the_preview_then_undoes_the_import(
    server_url, page_factory, ramp_world, javascript
):
    w = ramp_world
    hire = w.hire(name="Ana Silva")
    db.session.commit()
    page = page_factory(javascript=javascript)
    sign_in(page, server_url, w.admin.email)
    page.goto(f"{server_url}/admin/imports")
    page.get_by_label("Export file (CSV or JSON lines)").set_input_files(
        str(FIXTURES / "exports" / "zendesk.csv")
    )
    page.get_by_label("Preset").select_option("zendesk")
    page.get_by_role("button", name="Upload and preview").click()
    unknown = page.locator("#unknown-agents")
    expect(unknown.get_by_role("heading", name="Unknown agents: 3")).to_be_visible()
    unknown.get_by_label("Ramp user for Ana Silva").select_option(
        label=f"Ana Silva ({hire.user.email})"
    )
    unknown.get_by_role("button", name="Link the chosen users").click()
    expect(unknown.get_by_role("heading", name="Unknown agents: 2")).to_be_visible()
    # With htmx only the list comes back, with its own message; without, the page and a flash.
    said = page.locator("#agent-message" if javascript else ".flashes")
    expect(said).to_contain_text("Linked 1 zendesk id.")
    for n, name in enumerate(("Ben Ode", "Cara Diaz"), start=1):
        unknown.get_by_label(f"Create {name}").check()
        unknown.get_by_label(f"E-mail of {name}").fill(f"agent{n}@example.com")
        unknown.get_by_label(f"Team of {name}").select_option("Chat")
    unknown.get_by_role("button", name="Create the ticked agents").click()
    expect(unknown).to_contain_text("Every agent the file names is a ramp user")
    page.get_by_role("button", name="Check the whole file and import").click()
    expect(page.locator("#import-summary")).to_contain_text("wrote 7 contacts (7 new, 0 updated)")

    page.goto(f"{server_url}/admin/imports")
    row = page.locator("#import-history tbody tr").first
    expect(row).to_contain_text("zendesk.csv")
    expect(row).to_contain_text("done")
    row.get_by_role("link", name="Undo…").click()
    expect(page.locator("#undo-plan")).to_contain_text(
        "7 records this import created will be removed"
    )
    page.get_by_label("Why (kept in the audit log)").fill("wrong month")
    page.get_by_role("button", name="Undo import run").click()
    expect(page.locator("#import-history tbody tr").first).to_contain_text("undone")
    expect(page.get_by_text("7 records removed")).to_be_visible()
