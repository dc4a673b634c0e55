"""The tool served over HTTP on 127.0.0.1 beside the simulated platform, and a launch helper."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from html import unescape
from types import SimpleNamespace

import pytest
import requests
from werkzeug.serving import make_server

from tests.conftest import make_app
from tests.lti.platform import Platform, login_params

FORM_FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')


@pytest.fixture(autouse=True)
def _platform_on_loopback(app):
    """The simulated platform listens on 127.0.0.1, which ramp refuses to call by default."""
    app.config["LTI_ALLOW_PRIVATE_URLS"] = True


@pytest.fixture
def platform(request):
    """The simulated LMS, serving on 127.0.0.1; parametrized with "sign-in elsewhere", its
    authentication endpoint is on another origin than its issuer (localhost)."""
    sim = Platform().start()
    if getattr(request, "param", None) == "sign-in elsewhere":
        sim.auth_origin = sim.url.replace("127.0.0.1", "localhost")
    yield sim
    sim.stop()


@pytest.fixture
def tool(app, migrated, platform):
    """ramp served on 127.0.0.1, registered with the platform (one deployment)."""
    from ramp.extensions import db
    from ramp.lti import registrations, services

    served = make_app(
        migrated,
        JOBS_EAGER=True,
        LTI_RETRY_BASE_SECONDS=0.05,
        LTI_SCORE_TRIES=3,
        LTI_ALLOW_PRIVATE_URLS=True,
    )
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    platform.tool_url = url
    registrations.forget_key_sets()
    registrations.forget_origins()
    services.forget_tokens()
    with served.app_context():
        registrations.register_platform(
            "Simulated LMS",
            platform.issuer,
            platform.client_id,
            platform.auth_url,
            platform.token_url,
            platform.key_set_url,
            [platform.deployment_id],
        )
        db.session.commit()
    yield SimpleNamespace(url=url, app=served)
    server.shutdown()
    thread.join(timeout=5)
    with served.app_context():
        db.session.remove()
        db.engine.dispose()


def form_of(html: str, form_id: str | None = None) -> tuple[str, dict]:
    """The action and hidden fields of a form (the first on the page, or the one with the id)."""
    if form_id:
        at = html.index(f'id="{form_id}"')
        html = html[html.rfind("<form", 0, at) : html.index("</form>", at)]
    action = FORM_ACTION.search(html)
    assert action, html[:500]
    return unescape(action.group(1)), {k: unescape(v) for k, v in FORM_FIELD.findall(html)}


@dataclass
class Launched:
    """A launch as a browser made it: the session, the launch answer and what was posted."""

    session: requests.Session
    response: requests.Response
    posted: dict
    action: str

    def again(self) -> requests.Response:
        """Post the same id_token and state once more (a replay)."""
        return self.session.post(self.action, data=self.posted, allow_redirects=False)


def launch(tool, platform, session=None, method="GET", **spec) -> Launched:
    """Login initiation → OIDC authentication request → id_token → launch, by hand over HTTP."""
    session = session or requests.Session()
    hint = platform.prepare(**spec)
    params = login_params(platform, hint)
    if method == "GET":
        started = session.get(tool.url + "/lti/login", params=params, allow_redirects=False)
    else:
        started = session.post(tool.url + "/lti/login", data=params, allow_redirects=False)
    assert started.status_code == 302, started.text
    assert started.headers["Location"].startswith(platform.auth_url)
    auth = session.get(started.headers["Location"])
    assert auth.status_code == 200, auth.text
    action, posted = form_of(auth.text)
    response = session.post(action, data=posted, allow_redirects=False)
    return Launched(session, response, posted, action)


def refused_check(response) -> str | None:
    """The check a refusal page names."""
    match = re.search(r'Failed check: <strong class="lti-check">([^<]+)</strong>', response.text)
    return unescape(match.group(1)) if match else None
