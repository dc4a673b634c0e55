"""What ramp's calls to platforms refuse: other schemes, plain http, private addresses, and
credentials following a redirect to another host."""

import pytest

from ramp.lti.errors import PlatformError
from ramp.lti.http import call


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://lms.example/x", "gopher://lms.example/", "http:///nohost"],
)
def test_only_http_urls_are_called(app, url):
    with pytest.raises(PlatformError, match="not an http"):
        call("GET", url)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/jwks",
        "https://10.1.2.3/jwks",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/jwks",
        "https://localhost/jwks",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused_unless_allowed(app, url):
    app.config["LTI_ALLOW_PRIVATE_URLS"] = False
    with pytest.raises(PlatformError, match="private, loopback or link-local"):
        call("GET", url)


def test_plain_http_is_refused_outside_tests_unless_configured(app, platform):
    app.config.update(TESTING=False, LTI_ALLOW_HTTP=False)
    with pytest.raises(PlatformError, match="plain http"):
        call("GET", platform.key_set_url)
    app.config["LTI_ALLOW_HTTP"] = True
    assert call("GET", platform.key_set_url).json()["keys"]


def test_a_redirect_is_checked_and_keeps_credentials_on_its_host(app, platform):
    same = f"{platform.url}/redirect?to={platform.url}/echo-auth"
    answer = call("GET", same, headers={"Authorization": "Bearer secret"})
    assert answer.json() == {"authorization": "Bearer secret"}
    other_host = platform.url.replace("127.0.0.1", "localhost")
    away = f"{platform.url}/redirect?to={other_host}/echo-auth"
    answer = call("GET", away, headers={"Authorization": "Bearer secret"})
    assert answer.json() == {"authorization": None}


def test_a_redirect_to_a_private_address_is_refused(app, platform, monkeypatch):
    from ramp.lti import http

    checked = []
    real = http.check_url

    def check(url):
        checked.append(url)
        if "?" not in url and url.endswith("/echo-auth"):
            raise PlatformError(f"{url} refused")
        real(url)

    monkeypatch.setattr(http, "check_url", check)
    with pytest.raises(PlatformError, match="refused"):
        call("GET", f"{platform.url}/redirect?to={platform.url}/echo-auth")
    assert checked == [
        f"{platform.url}/redirect?to={platform.url}/echo-auth",
        f"{platform.url}/echo-auth",
    ]
