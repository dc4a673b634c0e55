"""A new admin sets ramp up from an empty database to a board with real figures, in Chromium,
without a terminal: first admin, people, team, the shipped curriculum and template, a cohort,
hires, a Zendesk export with satisfaction ratings naming an agent ramp does not know yet."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, PINNED_NOW

pytestmark = pytest.mark.browser

TODAY = PINNED_NOW.date()
START = TODAY - timedelta(days=58)  # week 9 of the 12-week template today
COLUMNS = [
    "ID",
    "Assignee",
    "Group",
    "Via",
    "Created at",
    "Solved at",
    "Satisfaction Score",
    "Reopens",
    "First reply time in minutes",
    "Status",
]


def zendesk_export() -> tuple[bytes, dict[str, float]]:
    """Three weeks of chat tickets for two agents, most rated Good, a few Bad or not rated;
    and each agent's CSAT as DESIGN.md defines it (Good out of Good and Bad)."""
    out = io.StringIO()
    ratings: dict[str, list[str]] = {}
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(COLUMNS)
    n = 50_000
    for agent in ("Ari Ng", "Bo Diaz"):
        for day in range(1, 22):
            for k in range(3):
                n += 1
                created = datetime.combine(TODAY - timedelta(days=day), datetime.min.time())
                created += timedelta(hours=9 + 2 * k, minutes=n % 50)
                rating = ("Good", "Good", "Good", "Bad", "Offered")[n % 5]
                ratings.setdefault(agent, []).append(rating)
                writer.writerow(
                    [
                        n,
                        agent,
                        "Support",
                        "Chat",
                        f"{created:%Y-%m-%d %H:%M:%S}",
                        f"{created + timedelta(minutes=25 + n % 30):%Y-%m-%d %H:%M:%S}",
                        rating,
                        1 if n % 7 == 0 else 0,
                        1 + n % 3,
                        "Solved",
                    ]
                )
    csat = {
        agent: 100 * given.count("Good") / (given.count("Good") + given.count("Bad"))
        for agent, given in ratings.items()
    }
    return out.getvalue().encode(), csat


def add_person(page, base, name, email, role="agent", team=None) -> None:
    page.goto(f"{base}/admin/people")
    page.get_by_label("Full name").fill(name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Role").select_option(role)
    if team:
        page.get_by_label("Team").select_option(team)
    page.get_by_label("Initial password").fill(PASSWORD)
    page.get_by_role("button", name="Add person").click()
    expect(page.get_by_role("status")).to_contain_text(f"Added {name}")


def test_a_new_admin_goes_from_an_empty_ramp_to_a_board_with_figures(server_url, page_factory):
    base, page = server_url, page_factory(javascript=False)

    # First run: the sign-in page offers to create the first admin.
    page.goto(f"{base}/auth/login")
    page.get_by_role("link", name="Set it up: create the first admin account").click()
    page.get_by_label("Your name").fill("Dana Admin")
    page.get_by_label("E-mail").fill("dana@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create the admin account").click()
    expect(page.get_by_role("heading", name="People")).to_be_visible()

    # People and a team.
    add_person(page, base, "Lee Lead", "lead@acme.test", role="manager")
    page.goto(f"{base}/admin/teams")
    page.get_by_label("Team name").fill("Tier 1 Chat")
    page.get_by_label("Manager").select_option("lead@acme.test")
    page.get_by_role("button", name="Create team").click()
    add_person(page, base, "Ari Ng", "ari@acme.test", team="Tier 1 Chat")
    add_person(page, base, "Bo Diaz", "bo@acme.test", team="Tier 1 Chat")

    # The shipped curriculum and 12-week template, then a cohort on it.
    page.goto(f"{base}/admin/curricula")
    page.get_by_role("link", name="the starter curriculum for new support agents").click()
    page.get_by_role("button", name="Check and publish").click()
    expect(page.get_by_role("status")).to_contain_text("Published support-onboarding version 1.")
    page.goto(f"{base}/admin/templates")
    page.get_by_role("link", name="the shipped 12-week contact-center template").click()
    page.get_by_role("button", name="Check and publish").click()
    expect(page.get_by_role("status")).to_contain_text("Published contact-center-12-weeks")
    page.goto(f"{base}/admin/cohorts")
    page.get_by_label("Name").fill("January wave · Chat")
    page.get_by_label("Start date").fill(START.isoformat())
    page.get_by_label("Ramp template").select_option(label="Contact center ramp, 12 weeks (v1)")
    page.get_by_label("Team").select_option(label="Tier 1 Chat")
    page.get_by_role("button", name="Create cohort").click()
    expect(page.get_by_role("status")).to_contain_text("Created cohort January wave · Chat.")

    # Both agents become hires of the cohort, managed by the team's manager.
    for name, email in (("Ari Ng", "ari@acme.test"), ("Bo Diaz", "bo@acme.test")):
        page.goto(f"{base}/board/hires/new")
        page.get_by_label("Name").fill(name)
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Start date").fill(START.isoformat())
        page.get_by_label("Cohort").select_option(label="January wave · Chat")
        page.get_by_label("Manager").select_option(label="Lee Lead")
        page.get_by_label("Queue").fill("general")
        page.get_by_label("Channel").select_option("chat")
        page.get_by_role("button", name="Add hire").click()
        expect(page.get_by_role("heading", name=name)).to_be_visible()

    # Ari's Zendesk name is known already; Bo's is linked from the preview.
    page.goto(f"{base}/admin/agent-ids")
    page.get_by_label("Tool (source)").fill("zendesk")
    page.get_by_label("The agent's id in that tool").fill("Ari Ng")
    page.get_by_label("Ramp user").select_option(label="Ari Ng (ari@acme.test)")
    page.get_by_role("button", name="Add the link").click()
    export, csat = zendesk_export()
    page.goto(f"{base}/admin/imports")
    page.get_by_label("Export file (CSV or JSON lines)").set_input_files(
        {"name": "tickets.csv", "mimeType": "text/csv", "buffer": export}
    )
    page.get_by_label("Preset").select_option("zendesk")
    page.get_by_role("button", name="Upload and preview").click()
    unknown = page.locator("#unknown-agents")
    expect(unknown.get_by_role("heading", name="Unknown agents: 1")).to_be_visible()
    expect(unknown).to_contain_text("Bo Diaz")
    unknown.get_by_label("Ramp user for Bo Diaz").select_option(label="Bo Diaz (bo@acme.test)")
    unknown.get_by_role("button", name="Link the chosen users").click()
    expect(unknown).to_contain_text("Every agent the file names is a ramp user")
    page.get_by_role("button", name="Check the whole file and import").click()
    expect(page.locator("#import-summary")).to_contain_text("wrote 126 contacts (126 new")

    # The board: both hires, in the ramp phase, with their CSAT and their statuses.
    page.goto(f"{base}/board/")
    card = page.locator(".hire-card", has_text="Ari Ng")
    expect(card).to_contain_text("week 9")
    expect(card).to_contain_text("CSAT")
    expect(page.locator(".hire-card", has_text="Bo Diaz")).to_be_visible()
    page.locator(".hire-card", has_text="Ari Ng").get_by_role("link", name="Ari Ng").click()
    outcomes = page.locator("#milestone-week-10-customer-outcomes")
    expect(outcomes).to_contain_text(f"CSAT {csat['Ari Ng']:.1f}% over 28 days")
    expect(page.locator("#milestone-classroom-complete")).to_contain_text("Missed")
