"""A manager certifies a ready hire in Chromium; the agent downloads it; anyone can verify it."""

import re
import subprocess

import pytest
from playwright.sync_api import expect

from tests.browser.test_learner_path import sign_in
from tests.conftest import make_ready

pytestmark = pytest.mark.browser


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_issue_download_verify_revoke(server_url, page_factory, ramp_world, tmp_path, javascript):
    w = ramp_world
    hire = make_ready(w, w.hire(name="Maya Reyes"), sign_off=False)
    w.hire(name="Noah Slow")

    manager = page_factory(javascript=javascript)
    sign_in(manager, server_url, w.lead.email)
    card = manager.locator(".hire-card", has_text="Maya Reyes")
    expect(card).to_contain_text("Ready: awaiting sign-off")
    expect(manager.locator(".hire-card", has_text="Noah Slow")).to_contain_text("Not ready: lacks")

    card.get_by_role("link", name="Maya Reyes").click()
    panel = manager.locator("#readiness")
    panel.get_by_role("button", name="Sign off as ready").click()
    expect(manager.get_by_text("Signed off Maya Reyes as ready.")).to_be_visible()
    manager.locator("#readiness").get_by_role("button", name="Issue certificate").click()
    expect(
        manager.get_by_text(re.compile(r"Issued certificate [0-9A-Z-]{19} to Maya Reyes"))
    ).to_be_visible()
    expect(manager.locator("#readiness")).to_contain_text("Certified")

    agent = page_factory(javascript=javascript)
    sign_in(agent, server_url, hire.user.email)
    agent.goto(f"{server_url}/learn/ramp")
    link = agent.get_by_role("link", name="Download PDF")
    expect(link).to_be_visible()
    response = agent.request.get(server_url + link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.body(), tmp_path)
    assert "Maya Reyes" in text and "Certificate of readiness" in text
    flat = re.sub(r"\s+", "", text)
    verify_url = re.search(re.escape(server_url) + r"/verify/[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}", flat)
    assert verify_url, text

    visitor = page_factory(javascript=javascript)
    visitor.goto(verify_url.group(0))
    expect(visitor.get_by_role("heading", name="Valid")).to_be_visible()
    expect(visitor.locator(".facts")).to_contain_text("Maya Reyes")
    expect(visitor.locator("body")).not_to_contain_text(hire.user.email)

    manager.locator("#readiness summary", has_text="Revoke").click()
    manager.get_by_label("Reason (shown on the verify page)").fill("Issued before the QA review")
    manager.get_by_role("button", name="Revoke certificate").click()
    # Asked first: in a dialog with script, on a confirmation page without.
    manager.get_by_role("button", name="Confirm: revoke certificate").click()
    expect(manager.get_by_text(re.compile(r"Revoked certificate [0-9A-Z-]{19}"))).to_be_visible()

    visitor.reload()
    expect(visitor.get_by_role("heading", name="Revoked")).to_be_visible()
    expect(visitor.locator("body")).to_contain_text("Issued before the QA review")

    # The verify form, typed by hand in lower case without dashes, reaches the same page.
    visitor.goto(f"{server_url}/verify")
    code = verify_url.group(0).rsplit("/", 1)[1]
    visitor.get_by_label("Certificate code").fill(code.replace("-", "").lower())
    visitor.get_by_role("button", name="Verify").click()
    expect(visitor.get_by_role("heading", name="Revoked")).to_be_visible()
