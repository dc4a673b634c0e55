"""What the LTI launch benchmarks share: the ramp database they launch into, and the two
baseline tools they run beside ramp (a bare PyJWT tool and a minimal tool on pylti1p3).
bench/lti.py calls the tools in process; bench/lti_http.py serves the pylti1p3 tool with
gunicorn (`lti_tools:pylti1p3_app()`, the platform named by RAMP_BENCH_PLATFORM), under the
same settings as ramp."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

TOOL_URL = "http://localhost"
ROOT = Path(__file__).resolve().parents[1]


def prepare_ramp(platform) -> None:
    """In the current app context: migrate, publish the starter curriculum and ramp template,
    and register the simulated platform."""
    from flask_migrate import upgrade

    from ramp.curricula.operations import publish_curriculum
    from ramp.curricula.spec import load_curriculum_file
    from ramp.extensions import db
    from ramp.lti.registrations import register_platform
    from ramp.milestones.operations import publish_template_text

    upgrade()
    starter = ROOT / "ramp" / "curricula" / "starter" / "support-onboarding.yaml"
    publish_curriculum(load_curriculum_file(str(starter)))
    template = ROOT / "ramp" / "milestones" / "starter" / "contact-center-12-weeks.yaml"
    publish_template_text(template.read_text())
    register_platform(
        "Simulated LMS",
        platform.issuer,
        platform.client_id,
        platform.auth_url,
        platform.token_url,
        platform.key_set_url,
        [platform.deployment_id],
    )
    db.session.commit()


def minimal_tool(platform):
    """The least a tool does for a launch: the state cookie, the token verified with PyJWT,
    the nonce, a session, one redirect to a rendered page."""
    import secrets
    import urllib.request
    from urllib.parse import urlencode

    import jwt
    from flask import Flask, abort, redirect, render_template_string, request, session

    lti = "https://purl.imsglobal.org/spec/lti/claim/"
    app = Flask("minimal-tool")
    app.secret_key = "bench"
    nonces: dict[str, str] = {}
    keys: dict[str, jwt.PyJWK] = {}

    def key(kid: str) -> jwt.PyJWK:
        if kid not in keys:
            with urllib.request.urlopen(platform.key_set_url, timeout=5) as answer:
                for item in json.load(answer)["keys"]:
                    keys[item["kid"]] = jwt.PyJWK(item, algorithm="RS256")
        return keys[kid]

    @app.get("/lti/login")
    def login():
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        nonces[state] = nonce
        query = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": request.args["client_id"],
            "redirect_uri": TOOL_URL + "/lti/launch",
            "login_hint": request.args["login_hint"],
            "lti_message_hint": request.args["lti_message_hint"],
            "state": state,
            "nonce": nonce,
        }
        response = redirect(platform.auth_url + "?" + urlencode(query), 302)
        response.set_cookie("state-" + state, state, httponly=True, samesite="Lax")
        return response

    @app.post("/lti/launch")
    def launch():
        state, token = request.form["state"], request.form["id_token"]
        if request.cookies.get("state-" + state) != state:
            abort(403)
        nonce = nonces.pop(state, None)
        claims = jwt.decode(
            token,
            key(jwt.get_unverified_header(token)["kid"]),
            algorithms=["RS256"],
            audience=platform.client_id,
            issuer=platform.issuer,
            leeway=30,
        )
        if (
            claims.get("nonce") != nonce
            or claims.get(lti + "version") != "1.3.0"
            or claims.get(lti + "deployment_id") != platform.deployment_id
        ):
            abort(403)
        session["sub"], session["name"] = claims["sub"], claims.get("name", "")
        return redirect("/page", 303)

    @app.get("/page")
    def page():
        return render_template_string(
            "<!doctype html><title>Tool</title><h1>Hello {{ name }}</h1>", name=session["name"]
        )

    return app


def pylti1p3_tool(platform, tool_url: str = TOOL_URL, pages: Path | None = None):
    """A minimal tool built on pylti1p3, the LTI 1.3 library most Python tools use: its
    OIDC login and message launch for Flask (state cookie, nonce, token signature with the
    key set cached, registration, deployment and message checks), a session, one redirect
    to a rendered page. No cookie-check page: the browser here keeps its cookies.

    With `pages` (a folder of HTML files), a launch whose custom claim names `bench_page`
    lands instead on a copy of that page, read from the folder as it is, and the tool serves
    ramp's static files under /static/ kept for a year (as ramp's versioned addresses are):
    ramp's page at no cost to build, the floor a browser sets for it."""
    from flask import Flask, redirect, render_template_string, request, session
    from pylti1p3.contrib.flask import (
        FlaskCacheDataStorage,
        FlaskMessageLaunch,
        FlaskOIDCLogin,
        FlaskRequest,
    )
    from pylti1p3.tool_config import ToolConfDict

    class Cache(dict):
        """The get/set a pylti1p3 cache store needs, in memory (one process)."""

        def set(self, key, value, exp=None):
            self[key] = value

    cache = Cache()
    config = ToolConfDict(
        {
            platform.issuer: [
                {
                    "default": True,
                    "client_id": platform.client_id,
                    "auth_login_url": platform.auth_url,
                    "auth_token_url": platform.token_url,
                    "key_set_url": platform.key_set_url,
                    "deployment_ids": [platform.deployment_id],
                }
            ]
        }
    )
    app = Flask("pylti1p3-tool", static_folder=str(ROOT / "static") if pages else None)
    app.secret_key = "bench"
    custom = "https://purl.imsglobal.org/spec/lti/claim/custom"

    @app.get("/lti/login")
    def login():
        storage = FlaskCacheDataStorage(cache)
        oidc = FlaskOIDCLogin(FlaskRequest(), config, launch_data_storage=storage)
        return oidc.redirect(tool_url + "/lti/launch")

    @app.post("/lti/launch")
    def launch():
        storage = FlaskCacheDataStorage(cache)
        message = FlaskMessageLaunch(FlaskRequest(), config, launch_data_storage=storage)
        message.set_public_key_caching(storage, cache_lifetime=7200)
        data = message.get_launch_data()
        session["name"] = data.get("name", "")
        copy = (data.get(custom) or {}).get("bench_page") if pages else None
        return redirect(f"/page/{copy}" if copy else "/page", 303)

    @app.get("/page")
    def page():
        return render_template_string(
            "<!doctype html><title>Tool</title><h1>Hello {{ name }}</h1>", name=session["name"]
        )

    if pages:

        @app.get("/page/<name>")
        def page_copy(name: str):
            return (pages / f"{name}.html").read_text()

        @app.after_request
        def kept(response):
            if request.endpoint == "static":
                response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            return response

    return app


def pylti1p3_app():
    """The pylti1p3 tool for a WSGI server: the platform and the tool's own address come from
    RAMP_BENCH_PLATFORM (JSON: issuer, client_id, auth_url, token_url, key_set_url,
    deployment_id, tool_url)."""
    values = json.loads(os.environ["RAMP_BENCH_PLATFORM"])
    pages = os.environ.get("RAMP_BENCH_PAGES")
    app = pylti1p3_tool(
        SimpleNamespace(**values), values["tool_url"], Path(pages) if pages else None
    )
    app.add_url_rule("/", "ready", lambda: "ok")  # what the server's start-up check asks
    return app
