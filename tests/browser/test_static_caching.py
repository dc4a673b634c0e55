"""In real Chromium: the pages' fonts load (WOFF2, under the content security policy), and a
second page takes every static file from the browser's cache without asking the server."""

import pytest

pytestmark = pytest.mark.browser

STATIC_ENTRIES = """() => performance.getEntriesByType('resource')
    .filter(e => e.name.includes('/static/'))
    .map(e => ({name: e.name, transferSize: e.transferSize}))"""


def test_fonts_load_and_a_second_page_asks_the_server_for_no_static_file(page_factory, server_url):
    page = page_factory()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda r: problems.append(f"failed {r.url}"))
    page.goto(f"{server_url}/auth/login", wait_until="load")
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('400 16px Inter')")
    assert page.evaluate("document.fonts.check('600 16px Inter')")
    first = page.evaluate(STATIC_ENTRIES)
    fonts = [e["name"] for e in first if "/fonts/" in e["name"]]
    assert len(fonts) == 2 and all(".woff2?v=" in name for name in fonts), first
    fetched = {e["name"] for e in first if e["transferSize"] > 0}
    assert fetched == {e["name"] for e in first}, first  # a new profile fetches each once

    page.goto(f"{server_url}/verify", wait_until="load")  # another page, the same files
    second = page.evaluate(STATIC_ENTRIES)
    names = {e["name"] for e in second}
    assert {e["name"] for e in first if "/fonts/" in e["name"] or ".css" in e["name"]} <= names
    # transferSize 0: served from the cache, no request at all (a revalidation answered
    # 304 would count its headers).
    assert [e for e in second if e["transferSize"] != 0] == []
    assert problems == []
