"""Absolute URLs ramp signs or hands out come from a configured public URL or a trusted host,
never from whatever Host header a request carries."""

import pytest

from tests.conftest import make_app

EVIL = "evil.example"


@pytest.fixture
def unconfigured(migrated):
    """ramp with neither RAMP_PUBLIC_URL nor RAMP_TRUSTED_HOSTS."""
    return make_app(migrated, PUBLIC_URL=None, TRUSTED_HOSTS=None)


@pytest.mark.parametrize(
    "path", ["/certificates/issuer", "/certificates/status/revocation", "/lti/jwks"]
)
def test_without_a_public_url_nothing_names_the_request_host(unconfigured, path):
    answer = unconfigured.test_client().get(path, headers={"Host": EVIL})
    assert EVIL not in answer.get_data(as_text=True)
    if path != "/lti/jwks":  # the key set embeds no URL: still served
        assert answer.status_code == 503
        assert "RAMP_PUBLIC_URL" in answer.get_data(as_text=True)


def test_a_signed_status_list_is_refused_without_a_public_url(unconfigured):
    answer = unconfigured.test_client().get(
        "/certificates/status/revocation", headers={"Host": EVIL, "Accept": "application/vc+jwt"}
    )
    assert answer.status_code == 503 and EVIL not in answer.get_data(as_text=True)


def test_a_configured_public_url_is_used_whatever_the_host(migrated):
    app = make_app(migrated, PUBLIC_URL="https://ramp.acme.example", TRUSTED_HOSTS=None)
    answer = app.test_client().get("/certificates/issuer", headers={"Host": EVIL})
    assert answer.status_code == 200
    assert answer.json["id"].startswith("https://ramp.acme.example/")
    assert EVIL not in answer.get_data(as_text=True)


def test_an_untrusted_host_gets_a_clean_400(migrated):
    app = make_app(migrated, PUBLIC_URL=None, TRUSTED_HOSTS=["ramp.acme.example"])
    client = app.test_client()
    refused = client.get("/certificates/issuer", headers={"Host": EVIL})
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "Traceback" not in text and EVIL not in text and "not served" in text
    page = client.get("/auth/login", headers={"Host": EVIL, "Accept": "text/html"})
    assert page.status_code == 400 and "<html" in page.get_data(as_text=True).lower()
    trusted = client.get("/certificates/issuer", headers={"Host": "ramp.acme.example"})
    assert trusted.status_code == 200
    assert trusted.json["id"].startswith("http://ramp.acme.example/")


def test_trusted_hosts_come_from_the_environment(tmp_path, monkeypatch):
    from ramp.config import build_config

    monkeypatch.setenv("RAMP_TRUSTED_HOSTS", "ramp.acme.example, .acme.example")
    assert build_config(str(tmp_path))["TRUSTED_HOSTS"] == ["ramp.acme.example", ".acme.example"]
    monkeypatch.delenv("RAMP_TRUSTED_HOSTS")
    assert build_config(str(tmp_path))["TRUSTED_HOSTS"] is None


def test_lti_tool_urls_use_the_public_url(migrated, make_user):
    app = make_app(migrated, PUBLIC_URL="https://ramp.acme.example", TRUSTED_HOSTS=None)
    from tests.conftest import login

    admin = make_user("admin")
    client = app.test_client()
    assert login(client, admin.email).status_code == 302
    page = client.get("/lti/registrations")  # the request's host is localhost
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text[:300]
    assert "https://ramp.acme.example/lti/launch" in text
    assert "https://ramp.acme.example/lti/jwks" in text and "http://localhost/" not in text


def test_the_demo_sets_its_own_public_url(migrated, monkeypatch):
    app = make_app(migrated, PUBLIC_URL=None, TRUSTED_HOSTS=None)
    try:
        result = app.test_cli_runner().invoke(
            args=["demo", "--no-serve", "--host", "127.0.0.1", "--port", "5055"]
        )
        assert result.exit_code == 0, result.output
        assert app.config["PUBLIC_URL"] == "http://127.0.0.1:5055"
        answer = app.test_client().get("/certificates/issuer", headers={"Host": "127.0.0.1:5055"})
        assert answer.status_code == 200 and answer.json["id"].startswith("http://127.0.0.1:5055/")
    finally:
        # The demo it seeded must not reach later tests, which expect an empty database.
        from ramp.extensions import db
        from tests.conftest import _empty_tables

        with app.app_context():
            db.session.remove()
            _empty_tables(db)
