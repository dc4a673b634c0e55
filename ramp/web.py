"""Web wiring: blueprints, login, error pages, security headers, the schema check."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from jinja2_fragments.flask import render_block
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, SecurityError

from ramp.errors import NotAllowed, NotFound, ValidationError
from ramp.extensions import db, login_manager

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'; frame-ancestors 'self'"
)


def render(template: str, block: str | None = None, status: int = 200, **context):
    """Render a page, or just its named block when htmx asked for a fragment."""
    if block and request.headers.get("HX-Request") == "true":
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    return body, status, {"Vary": "HX-Request"}


class PublicUrlMissing(HTTPException):
    """ramp was asked to sign or hand out its own address, and does not know it."""

    code = 503
    description = (
        "ramp does not know the address it is reached at, so it cannot sign or hand out "
        "links to itself. An administrator must set RAMP_PUBLIC_URL (or RAMP_TRUSTED_HOSTS)."
    )


def public_base_url() -> str:
    """The address ramp is reached at: PUBLIC_URL when configured, else this request's when
    its host is one of TRUSTED_HOSTS (checked by Flask). The Host header alone is never
    trusted: a PublicUrlMissing (503) instead."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured
    if current_app.config.get("TRUSTED_HOSTS"):
        return request.url_root.rstrip("/")
    raise PublicUrlMissing()


def external_url(endpoint: str, **values) -> str:
    """An absolute URL of a ramp page, on public_base_url() rather than the Host header."""
    from flask import url_for

    base = public_base_url()
    path = url_for(endpoint, **values)
    root = request.script_root if request else ""
    if root and path.startswith(root):
        path = path[len(root) :]
    return base + path


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_page(status: int, title: str, message: str):
    """An error answered as JSON or HTML, whichever the client prefers."""
    if _wants_json():
        return jsonify(error=title, message=message), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


# Pages an LMS iframe may hold after a launch: the learner's and the instructor's, never
# admin pages (an admin who launched from a course still gets those unframed).
FRAMED_AFTER_LAUNCH = {"learner", "board", "main"}
NEVER_FRAMED = {"lti.registrations_page", "lti.add_deployment", "lti.registration_options"}


def _registering_origin() -> str | None:
    """The origin of the platform that opened dynamic registration, on its pages (which need
    an admin signed in): the platform shows them in its own iframe."""

    from ramp.lti.dynamic import configuration_origin

    if request.endpoint == "lti.register":
        url = request.values.get("openid_configuration", "")
    else:
        return None
    try:
        return configuration_origin(url)
    except ValidationError:
        return None


def _signed_in() -> bool:
    from flask import g
    from flask_login import current_user

    if request.endpoint == "static" or "_login_user" not in g:
        return False  # the user was never loaded: nothing private was shown
    return bool(current_user.is_authenticated)


def framing_platforms() -> tuple[str, ...] | None:
    """Origins that may frame this page, or None when only ramp may.

    LTI pages, and the learner and instructor pages of a session that came through a launch,
    may be framed by the registered platforms (their issuer, login and LMS origins); the
    dynamic registration pages by the platform registering ramp; every other page only by
    ramp.
    """
    from flask import session

    registering = _registering_origin()
    if registering:
        return (registering,)
    if request.endpoint == "auth.login" and _leads_to_registration():
        # The sign-in before dynamic registration, in the platform's iframe: only platforms
        # already registered may frame it, never an origin named in the query string.
        return _registered_origins()
    if request.endpoint in NEVER_FRAMED:
        return None
    if request.blueprint != "lti" and not (
        session.get("lti") and request.blueprint in FRAMED_AFTER_LAUNCH
    ):
        return None
    return _registered_origins()


def _leads_to_registration() -> bool:
    from urllib.parse import urlsplit

    after = urlsplit(request.args.get("next") or "")
    return not after.netloc and after.path == "/lti/register"


def _registered_origins() -> tuple[str, ...]:
    from sqlalchemy.exc import SQLAlchemyError

    from ramp.lti.registrations import platform_origins

    try:
        return platform_origins()
    except SQLAlchemyError:  # not migrated yet: nothing is registered
        db.session.rollback()
        return ()


def init_app(app: Flask) -> None:
    """Register blueprints, the user loader, error handlers and response headers."""
    from ramp.accounts.models import User
    from ramp.blueprints.admin import bp as admin_bp
    from ramp.blueprints.api import bp as api_bp
    from ramp.blueprints.auth import bp as auth_bp
    from ramp.blueprints.board import bp as board_bp
    from ramp.blueprints.learner import bp as learner_bp
    from ramp.blueprints.lti import bp as lti_bp
    from ramp.blueprints.main import bp as main_bp
    from ramp.blueprints.verify import bp as verify_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(learner_bp)
    app.register_blueprint(board_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(verify_bp)
    app.register_blueprint(lti_bp)

    from markupsafe import Markup

    from ramp.curricula.markdown import render_markdown

    app.jinja_env.filters["markdown"] = lambda text: Markup(render_markdown(text))
    app.jinja_env.filters["sentence"] = lambda text: text[:1].upper() + text[1:] if text else text
    from ramp.certificates.codes import format_code
    from ramp.certificates.operations import certificate_status

    # Every page that lists certificates prints their code and status the same way.
    app.jinja_env.globals.update(format_code=format_code, certificate_status=certificate_status)

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"

    from flask import session
    from flask_login import user_logged_in

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        # A deactivated account's open sessions end at its next request; so does a session
        # from before a sign-out, a password change or a deactivation (its version is old).
        user = db.session.execute(
            select(User).where(User.id == int(user_id), User.is_active_account.is_(True))
        ).scalar_one_or_none()
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
        from ramp.database import schema_problem

        problem = schema_problem(db.engine)
        if problem is None:
            app.extensions["ramp_schema_ok"] = True
            return None
        return render_template("errors/not_migrated.html", problem=problem), 503

    @app.after_request
    def security_headers(response):
        origins = framing_platforms()
        if origins is None:
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        else:
            # LTI pages live in the LMS iframe: CSP names the registered platforms, and
            # X-Frame-Options (which cannot list them) is left out.
            ancestors = " ".join(("'self'", *origins))
            response.headers.setdefault(
                "Content-Security-Policy",
                CSP.replace("frame-ancestors 'self'", f"frame-ancestors {ancestors}"),
            )
        if app.config.get("HTTPS"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if response.headers.get("Content-Disposition") or _signed_in():
            # Private pages, downloads and exports stay out of shared and browser caches.
            response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_page(
            400,
            "The form could not be accepted",
            "The form was sent without a valid security token (it may have expired or been "
            "tampered with). Nothing was saved. Go back, reload the page and try again.",
        )

    @app.errorhandler(SecurityError)
    def untrusted_host(exc: SecurityError):
        # The request's host is not one of TRUSTED_HOSTS: no URL can be built for it, so
        # the page is plain and names nothing from the request.
        title = "Host not served"
        message = "This address is not served by ramp. Use the address your administrator gave."
        if _wants_json():
            return jsonify(error=title, message=message), 400
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{title}</title></head><body><main><h1>{title}</h1><p>{message}</p>"
            "<p>Error 400.</p></main></body></html>"
        )
        return page, 400, {"Content-Type": "text/html; charset=utf-8"}

    @app.errorhandler(NotAllowed)
    def not_allowed(exc: NotAllowed):
        db.session.rollback()
        return error_page(403, "Not allowed", str(exc))

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound):
        db.session.rollback()
        return error_page(404, "Not found", str(exc) or "There is nothing here.")

    @app.errorhandler(ValidationError)
    def invalid(exc: ValidationError):
        db.session.rollback()
        return error_page(400, "That could not be saved", " ".join(exc.problems))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code and exc.code >= 500:
            db.session.rollback()
        return error_page(exc.code or 500, exc.name, exc.description or "")

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error")
        return error_page(500, "Something went wrong", "The error was logged. Nothing was saved.")

    @app.errorhandler(OperationalError)
    def database_busy(exc: OperationalError):
        db.session.rollback()
        if "database is locked" not in str(exc.orig):
            return server_error(exc)
        # SQLite has one writer: a long import can hold the write lock past the busy timeout.
        response = error_page(
            503,
            "ramp is busy",
            "ramp is busy saving a large import, so this change could not be saved yet. "
            "Nothing was changed: try again in a minute.",
        )
        return response[0], 503, {"Retry-After": "30"}
