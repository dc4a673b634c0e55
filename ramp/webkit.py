"""What every blueprint's views share: the web layer's extensions (CSRF, rate limits, htmx,
sign-in), rendering a page or its htmx fragment, ramp's public address, the content security
policy and the other security headers, and error pages.

It imports no blueprint: the blueprints import it, and ramp.web wires both into the app.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from stat import S_ISREG
from urllib.parse import urlsplit

from babel.support import NullTranslations
from flask import current_app, g, jsonify, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Domain, get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from htmx_flask import Htmx
from jinja2_fragments.flask import render_block
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.routing import IntegerConverter
from werkzeug.security import safe_join

from ramp.errors import NotAllowed, NotFound, ValidationError
from ramp.extensions import db
from ramp.lti.dynamic import configuration_origin
from ramp.lti.registrations import platform_origins

# Created unbound; ramp.web attaches them to the app that serves pages (the command line's
# app has none of them).
csrf = CSRFProtect()
login_manager = LoginManager()
htmx = Htmx()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'; frame-ancestors 'self'"
)


def catalogue(load: Callable[[], NullTranslations] = get_translations) -> NullTranslations:
    """The translations of the current locale, remembered for the rest of the request.

    Templates ask for a translation dozens of times a page, and code that words things (a
    readiness gap, a status) thousands of times on a long list; each of Flask-Babel's own
    calls finds the domain, the locale and its catalogue again. Flask-Babel keeps the
    request's locale object in its state on `g`; `force_locale` and `refresh` put another
    there (or none), so the remembered catalogue is used only while that very object is
    current."""
    state = g.get("_flask_babel") if g else None
    if state is not None:
        remembered = getattr(state, "ramp_catalogue", None)
        locale = getattr(state, "babel_locale", None)
        if remembered is not None and locale is not None and remembered[0] is locale:
            return remembered[1]
    translations = load()
    state = g.get("_flask_babel") if g else None
    if state is not None:
        state.ramp_catalogue = (getattr(state, "babel_locale", None), translations)
    return translations


class RequestDomain(Domain):
    """Flask-Babel's message domain, but its translations are the request's remembered
    catalogue: `gettext`, `lazy_gettext` and the rest, called from Python, then cost what
    the templates' calls cost."""

    def get_translations(self) -> NullTranslations:
        return catalogue(super().get_translations)


def query_number(name: str, longest: int = 9) -> int | None:
    """A query parameter's whole number (a row id, a page), or None when it is not one: a
    sign, a superscript ("²" passes str.isdigit() but not int()) or past `longest` digits."""
    value = request.args.get(name, "")
    return int(value) if value.isdecimal() and len(value) <= longest else None


def query_text(name: str, longest: int = 100) -> str:
    """A query parameter's text to search with: control characters dropped (PostgreSQL
    refuses a NUL in any text it compares), trimmed, at most `longest` characters."""
    value = request.args.get(name, "")
    return "".join(ch for ch in value if ch.isprintable())[:longest].strip()


def render(template: str, block: str | None = None, status: int = 200, **context):
    """Render a page, or just its named block when htmx asked for a fragment."""
    if not isinstance(status, int):  # a template value named `status` passed by mistake
        raise TypeError(f"render() takes the HTTP status as an int, not {status!r}")
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
    base = public_base_url()
    path = url_for(endpoint, **values)
    root = request.script_root if request else ""
    if root and path.startswith(root):
        path = path[len(root) :]
    return base + path


def wants_json() -> bool:
    """Whether the client prefers JSON to HTML."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_page(status: int, title: str, message: str):
    """An error answered as JSON or HTML, whichever the client prefers."""
    if wants_json():
        return jsonify(error=title, message=message), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


# Pages an LMS iframe may hold after a launch: the learner's and the instructor's, never
# admin pages (an admin who launched from a course still gets those unframed).
FRAMED_AFTER_LAUNCH = {"learner", "board", "main"}
NEVER_FRAMED = {"lti.registrations_page", "lti.add_deployment", "lti.registration_options"}


def _registering_origin() -> str | None:
    """The origin of the platform that opened dynamic registration, on its pages (which need
    an admin signed in): the platform shows them in its own iframe."""
    if request.endpoint == "lti.register":
        url = request.values.get("openid_configuration", "")
    else:
        return None
    try:
        return configuration_origin(url)
    except ValidationError:
        return None


def _signed_in() -> bool:
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
    if request.endpoint == "static":
        return None  # a file, the same for everyone (and the session is left unread)
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
    after = urlsplit(request.args.get("next") or "")
    return not after.netloc and after.path == "/lti/register"


def _registered_origins() -> tuple[str, ...]:
    try:
        return platform_origins()
    except SQLAlchemyError:  # not migrated yet: nothing is registered
        db.session.rollback()
        return ()


def lti_connected() -> bool:
    """Whether an LTI platform is registered: menus offer its pages only then (cached briefly)."""
    return bool(_registered_origins())


# A static file's address carries the start of its content's digest (?v=...): a changed file
# is a new address, so browsers may keep each one for a year without asking again.
STATIC_KEPT_SECONDS = 365 * 24 * 3600
_static_digests: dict[str, tuple[int, int, str]] = {}


def static_digest(folder: str, filename: str) -> str | None:
    """The first 12 hex digits of the SHA-256 of a static file (None when there is no such
    file), read again only when the file's size or modification time changes."""
    path = safe_join(folder, filename)
    try:
        stat = os.stat(path) if path else None
    except (OSError, ValueError):  # ValueError: a NUL in the name
        stat = None
    if stat is None or not S_ISREG(stat.st_mode):
        return None
    known = _static_digests.get(path)
    if known and known[:2] == (stat.st_mtime_ns, stat.st_size):
        return known[2]
    with open(path, "rb") as file:
        digest = hashlib.file_digest(file, "sha256").hexdigest()[:12]
    _static_digests[path] = (stat.st_mtime_ns, stat.st_size, digest)
    return digest


def version_static(endpoint: str, values: dict) -> None:
    """url_for's defaults: a static file's address names its version (?v=digest)."""
    if endpoint == "static" and "v" not in values and "filename" in values:
        digest = static_digest(current_app.static_folder, values["filename"])
        if digest:
            values["v"] = digest


def _cache_static(response) -> None:
    """A static file asked for at its current version is kept for a year, unchanged; any
    other address of it (no version, an old one) is checked with the server each time."""
    filename = (request.view_args or {}).get("filename", "")
    version = request.args.get("v")
    if version and version == static_digest(current_app.static_folder, filename):
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = STATIC_KEPT_SECONDS
        response.cache_control.immutable = True


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, but a static file's answer does not vary with the
    cookie: every request reads the session (signing in looks at it), which would otherwise
    add `Vary: Cookie` and make browsers ask again for a kept file each time the cookie
    changes."""

    def save_session(self, app, session, response) -> None:
        super().save_session(app, session, response)
        if request.endpoint == "static":
            response.vary.discard("Cookie")


def security_headers(response):
    """The content security policy, framing, caching and other security headers."""
    if request.endpoint == "static" and response.status_code in (200, 304):
        _cache_static(response)
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
    if current_app.config.get("HTTPS"):
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    if response.headers.get("Content-Disposition") or _signed_in():
        # Private pages, downloads and exports stay out of shared and browser caches.
        response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    return response


# The titles of the HTTP errors a view raises with abort(), in the reader's language.
HTTP_TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("Too large"),
    415: _l("Unsupported type"),
    422: _l("That could not be saved"),
    429: _l("Too many requests"),
    503: _l("Unavailable"),
}


def csrf_error(exc: CSRFError):
    return error_page(
        400,
        _("The form could not be accepted"),
        _(
            "The form was sent without a valid security token (it may have expired or been "
            "tampered with). Nothing was saved. Go back, reload the page and try again."
        ),
    )


def untrusted_host(exc: SecurityError):
    # The request's host is not one of TRUSTED_HOSTS: no URL can be built for it, so
    # the page is plain and names nothing from the request.
    title = "Host not served"
    message = "This address is not served by ramp. Use the address your administrator gave."
    if wants_json():
        return jsonify(error=title, message=message), 400
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body><main><h1>{title}</h1><p>{message}</p>"
        "<p>Error 400.</p></main></body></html>"
    )
    return page, 400, {"Content-Type": "text/html; charset=utf-8"}


def not_allowed(exc: NotAllowed):
    db.session.rollback()
    return error_page(403, _("Not allowed"), str(exc))


def not_found(exc: NotFound):
    db.session.rollback()
    return error_page(404, _("Not found"), str(exc) or _("There is nothing here."))


def invalid(exc: ValidationError):
    db.session.rollback()
    return error_page(400, _("That could not be saved"), " ".join(exc.problems))


def http_error(exc: HTTPException):
    if exc.code and exc.code >= 500:
        db.session.rollback()
    return error_page(
        exc.code or 500, str(HTTP_TITLES.get(exc.code, exc.name)), exc.description or ""
    )


def server_error(exc: Exception):
    db.session.rollback()
    current_app.logger.exception("unhandled error")
    return error_page(500, _("Something went wrong"), _("The error was logged. Nothing was saved."))


def database_busy(exc: OperationalError):
    """SQLite has one writer: a change that waited out the busy timeout behind a long import."""
    if "database is locked" not in str(exc.orig):
        return server_error(exc)
    db.session.rollback()
    body, status = error_page(
        503,
        _("ramp is busy"),
        _(
            "ramp is busy saving a large import, so this change could not be saved yet. "
            "Nothing was changed: try again in a minute."
        ),
    )
    return body, status, {"Retry-After": "30"}


# Each error a view may raise, and the page that answers it (Flask picks the most specific).
ERROR_HANDLERS = (
    (CSRFError, csrf_error),
    (SecurityError, untrusted_host),
    (NotAllowed, not_allowed),
    (NotFound, not_found),
    (ValidationError, invalid),
    (HTTPException, http_error),
    (OperationalError, database_busy),
    (Exception, server_error),
)


class RecordId(IntegerConverter):
    """`<int:...>` in every route: a record's id, 0 to the largest id a PostgreSQL `integer`
    column holds. A larger number is no route (404), not a query the database refuses (500)."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)
