"""Web wiring: the web layer's extensions, the blueprints, login, template filters, error
pages, security headers, the schema check; create_app() calls init_app for an app that serves
pages. Views import what they share from ramp.webkit, never from here."""

from __future__ import annotations

from flask import Flask, render_template, request, session
from flask_login import user_logged_in
from markupsafe import Markup

from ramp.accounts.models import User
from ramp.accounts.queries import active_user
from ramp.blueprints.admin import bp as admin_bp
from ramp.blueprints.api import bp as api_bp
from ramp.blueprints.auth import bp as auth_bp
from ramp.blueprints.board import bp as board_bp
from ramp.blueprints.learner import bp as learner_bp
from ramp.blueprints.lti import bp as lti_bp
from ramp.blueprints.main import bp as main_bp
from ramp.blueprints.verify import bp as verify_bp
from ramp.certificates.codes import format_code
from ramp.certificates.operations import certificate_status
from ramp.curricula.markdown import render_markdown
from ramp.database import schema_problem
from ramp.extensions import db
from ramp.webkit import (
    ERROR_HANDLERS,
    RecordId,
    csrf,
    htmx,
    limiter,
    login_manager,
    lti_connected,
    security_headers,
)

# Registered by init_app, in this order.
BLUEPRINTS = (main_bp, auth_bp, learner_bp, board_bp, admin_bp, api_bp, verify_bp, lti_bp)


__all__ = ["BLUEPRINTS", "init_app"]


def init_app(app: Flask) -> None:
    """The web layer on the app: extensions, blueprints, template filters, the user loader,
    error handlers and response headers."""
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    app.url_map.converters["int"] = RecordId  # before the routes are added
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)

    app.jinja_env.filters["markdown"] = lambda text: Markup(render_markdown(text))
    app.jinja_env.filters["sentence"] = lambda text: text[:1].upper() + text[1:] if text else text
    # Every page that lists certificates prints their code and status the same way.
    app.jinja_env.globals.update(format_code=format_code, certificate_status=certificate_status)
    # Menus offer Grade passback only once an LTI platform is registered.
    app.jinja_env.globals.update(lti_connected=lti_connected)

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        # A deactivated account's open sessions end at its next request; so does a session
        # from before a sign-out, a password change or a deactivation (its version is old).
        user = active_user(int(user_id))
        if user is None or session.get("session_version") != user.session_version:
            return None
        return user

    @user_logged_in.connect_via(app)
    def remember_session_version(_app, user, **_extra):
        session["session_version"] = user.session_version

    @app.before_request
    def require_migrated_schema():
        if app.extensions.get("ramp_schema_ok") or request.endpoint == "static":
            return None
        problem = schema_problem(db.engine)
        if problem is None:
            app.extensions["ramp_schema_ok"] = True
            return None
        return render_template("errors/not_migrated.html", problem=problem), 503

    app.after_request(security_headers)
    for error, handler in ERROR_HANDLERS:
        app.register_error_handler(error, handler)
