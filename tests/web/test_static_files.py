"""Static files: each address names its content's version, so browsers keep a version for a
year without asking again, and a changed file is a new address; the pages' fonts are WOFF2,
asked for beside the style sheet."""

import hashlib
import os
import re
from pathlib import Path
from urllib.parse import urljoin

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import login

STATIC = Path(__file__).resolve().parents[2] / "static"
YEAR = 365 * 24 * 3600


def digest(relative: str) -> str:
    return hashlib.sha256((STATIC / relative).read_bytes()).hexdigest()[:12]


def static_addresses(page: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', page)


def test_pages_name_each_static_file_at_its_version(client):
    page = client.get("/auth/login").get_data(as_text=True)
    addresses = static_addresses(page)
    assert f"/static/css/ramp.css?v={digest('css/ramp.css')}" in addresses
    assert any(a.startswith("/static/vendor/htmx-") for a in addresses)
    for address in addresses:
        path, _, version = address.partition("?v=")
        assert version == digest(path.removeprefix("/static/")), address


def test_a_current_version_is_kept_for_a_year_and_anything_else_is_checked(client, make_user):
    login(client, make_user("agent").email)  # a signed-in reader's files are not private
    current = client.get(f"/static/css/ramp.css?v={digest('css/ramp.css')}", buffered=True)
    assert current.status_code == 200
    kept = current.cache_control
    assert (kept.public, kept.max_age, kept.immutable, kept.no_cache) == (True, YEAR, True, None)
    assert "no-store" not in current.headers["Cache-Control"]
    assert current.headers["X-Content-Type-Options"] == "nosniff"
    # Kept whatever the session cookie becomes; pages still vary with it.
    assert "Cookie" not in current.vary
    assert "Cookie" in client.get("/", follow_redirects=True).vary
    for address in ("/static/css/ramp.css", "/static/css/ramp.css?v=000000000000"):
        answer = client.get(address, buffered=True)
        assert answer.status_code == 200
        assert answer.cache_control.no_cache and not answer.cache_control.max_age, address
        assert not answer.cache_control.immutable


def test_a_changed_file_gets_a_new_version(tmp_path):
    from ramp.webkit import static_digest

    file = tmp_path / "app.css"
    file.write_text("body { color: black; }")
    first = static_digest(str(tmp_path), "app.css")
    assert first == hashlib.sha256(file.read_bytes()).hexdigest()[:12]
    assert static_digest(str(tmp_path), "app.css") == first
    file.write_text("body { color: purple; }")  # another size
    second = static_digest(str(tmp_path), "app.css")
    assert second not in (None, first)
    file.write_text("body { color: orange; }")  # the same size, a later time
    stat = file.stat()
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert static_digest(str(tmp_path), "app.css") not in (None, first, second)
    assert static_digest(str(tmp_path), "missing.css") is None
    assert static_digest(str(tmp_path), ".") is None  # a folder
    assert static_digest(str(tmp_path), "../app.css") is None


def test_a_missing_file_has_no_version_and_is_not_found(app, client):
    from flask import url_for

    with app.test_request_context():
        assert url_for("static", filename="css/none.css") == "/static/css/none.css"
    assert client.get("/static/css/none.css?v=abc").status_code == 404
    assert client.get("/static/..%2f..%2fpyproject.toml?v=abc").status_code == 404


def test_the_pages_fonts_are_woff2_at_their_versions_and_load_beside_the_style_sheet(client):
    css = (STATIC / "css/ramp.css").read_text()
    fonts = re.findall(r'url\("(\.\./fonts/[^"]+)"\) format\("woff2"\)', css)
    assert len(fonts) == 2
    assert ".ttf" not in css  # TrueType stays for the certificates' PDF engine only
    css_url = f"/static/css/ramp.css?v={digest('css/ramp.css')}"
    preloaded = re.findall(
        r'<link rel="preload" href="([^"]+)" as="font" type="font/woff2" crossorigin>',
        client.get("/auth/login").get_data(as_text=True),
    )
    resolved = [urljoin(css_url, font) for font in fonts]
    assert sorted(preloaded) == sorted(resolved)
    for address in resolved:
        path, _, version = address.partition("?v=")
        assert version == digest(path.removeprefix("/static/")), address
        answer = client.get(address, buffered=True)
        assert answer.status_code == 200 and answer.mimetype == "font/woff2"
        assert answer.data[:4] == b"wOF2" and answer.cache_control.immutable


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40),
    version=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40),
)
def test_any_static_address_is_answered_without_an_error(client, path, version):
    from urllib.parse import quote

    answer = client.get(f"/static/{quote(path)}", query_string={"v": version}, buffered=True)
    assert answer.status_code in (200, 308, 404), (path, version, answer.status_code)


def test_odd_static_names_are_not_found(client):
    for name in ("%00", "css%00ramp.css", "css/ramp.css%00", ".", "css/", "%2e%2e/ramp/web.py"):
        answer = client.get(f"/static/{name}?v=abc", buffered=True)
        assert answer.status_code in (404, 308), (name, answer.status_code)
