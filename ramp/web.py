"""Web wiring: the web layer's extensions, the blueprints, login, template filters, error
pages, security headers, the schema check; create_app() calls init_app for an app that serves
pages. Views import what they share from ramp.webkit, never from here."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, render_template, request, session
from flask_babel import get_locale, refresh
from flask_babel import lazy_gettext as _l
from flask_login import current_user, user_logged_in
from markupsafe import Markup

from ramp import formatting, i18n
from ramp.accounts.models import User
from ramp.accounts.queries import active_user
from ramp.blueprints.admin import bp as admin_bp
from ramp.blueprints.admin.forms import ROLE_NAMES
from ramp.blueprints.api import bp as api_bp
from ramp.blueprints.auth import bp as auth_bp
from ramp.blueprints.auth.views import SIGNED_IN_WITH
from ramp.blueprints.board import bp as board_bp
from ramp.blueprints.learner import bp as learner_bp
from ramp.blueprints.lti import bp as lti_bp
from ramp.blueprints.main import bp as main_bp
from ramp.blueprints.scim import bp as scim_bp
from ramp.blueprints.verify import bp as verify_bp
from ramp.certificates.codes import format_code
from ramp.certificates.operations import certificate_status
from ramp.curricula.markdown import render_markdown
from ramp.database import schema_problem
from ramp.extensions import db
from ramp.forecast import display as forecast_display
from ramp.metrics import problem_words
from ramp.webkit import (
    ERROR_HANDLERS,
    RecordId,
    RequestDomain,
    SessionCookies,
    catalogue,
    csrf,
    htmx,
    limiter,
    login_manager,
    lti_connected,
    security_headers,
    version_static,
)

# Registered by init_app, in this order.
BLUEPRINTS = (
    main_bp,
    auth_bp,
    learner_bp,
    board_bp,
    admin_bp,
    api_bp,
    verify_bp,
    lti_bp,
    scim_bp,
)


__all__ = ["BLUEPRINTS", "init_app", "select_locale"]


def current_language() -> str:
    """The language of the page being rendered, for `<html lang>`."""
    return str(get_locale() or i18n.DEFAULT_LOCALE)


def select_locale() -> str:
    """This request's language: the user's saved preference, the LTI launch's locale, the
    browser's Accept-Language, then English (ramp.i18n.negotiate)."""
    if not has_request_context() or request.path.startswith(("/api/", "/scim/")):
        return i18n.DEFAULT_LOCALE  # the JSON API's texts are English, for integrations to match
    # Before the schema check has passed, the users table may lack its locale column.
    signed_in = current_app.extensions.get("ramp_schema_ok") and current_user.is_authenticated
    preference = current_user.locale if signed_in else None
    return i18n.negotiate(preference, session.get(i18n.LTI_LOCALE), request.accept_languages)


def init_app(app: Flask) -> None:
    """The web layer on the app: extensions, blueprints, template filters, the user loader,
    error handlers and response headers."""
    app.session_interface = SessionCookies()
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    i18n.use_locale_selector(app, select_locale)
    # Every gettext of the app's pages reads the request's remembered catalogue.
    app.extensions["babel"].instance.domain_instance = RequestDomain(
        domain=app.config.get("BABEL_DOMAIN", "messages")
    )
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: catalogue().ugettext(s),
        ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.url_map.converters["int"] = RecordId  # before the routes are added
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)

    app.jinja_env.filters.update(formatting.FILTERS)
    app.jinja_env.filters.update(problem_words.FILTERS)
    app.jinja_env.filters.update(forecast_display.FILTERS)
    app.jinja_env.globals.update(languages=i18n.LANGUAGES, page_language=current_language)
    app.jinja_env.filters["markdown"] = lambda text: Markup(render_markdown(text))
    app.jinja_env.filters["sentence"] = lambda text: text[:1].upper() + text[1:] if text else text
    # A role in the reader's language, lower case (`|sentence` starts a cell with it).
    app.jinja_env.filters["role_name"] = lambda role: str(ROLE_NAMES.get(role, role))
    # Every page that lists certificates prints their code and status the same way.
    app.jinja_env.globals.update(format_code=format_code, certificate_status=certificate_status)
    # Menus offer Grade passback only once an LTI platform is registered.
    app.jinja_env.globals.update(lti_connected=lti_connected)

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see that page.")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = str  # the lazy message, in the request's language

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
        # Whichever way this sign-in came, an earlier one's provider is not its own (an OpenID
        # sign-in names its identity again right after).
        session.pop(SIGNED_IN_WITH, None)

    @app.before_request
    def require_migrated_schema():
        if app.extensions.get("ramp_schema_ok") or request.endpoint == "static":
            return None
        problem = schema_problem(db.engine)
        if problem is None:
            app.extensions["ramp_schema_ok"] = True
            return None
        return render_template("errors/not_migrated.html", problem=problem), 503

    # The locale is worked out once per request: an app context kept across requests (the
    # tests', a worker's) must not keep the last request's language.
    app.before_request(refresh)

    app.after_request(security_headers)
    app.url_defaults(version_static)
    for error, handler in ERROR_HANDLERS:
        app.register_error_handler(error, handler)
