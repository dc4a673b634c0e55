"""A live server on 127.0.0.1 in a thread, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import make_app

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(
    os.environ.get("RAMP_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)


def chromium_path() -> str:
    path = os.environ.get("RAMP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.exit("Chromium is not installed: run scripts/system-deps.sh --test", 2)
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def server_url(app, migrated):
    """The app served over HTTP on 127.0.0.1 for the length of one test."""
    served = make_app(migrated)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    from ramp.extensions import db

    with served.app_context():
        db.engine.dispose()


@pytest.fixture
def page_factory(browser, request):
    """page_factory(javascript=True) -> a fresh page in its own context; screenshots on failure."""
    contexts = []

    def make(javascript: bool = True):
        context = browser.new_context(
            java_script_enabled=javascript, viewport={"width": 1200, "height": 900}
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for i, context in enumerate(contexts):
        for j, page in enumerate(context.pages):
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}{j}.png"), full_page=True)
        context.close()
