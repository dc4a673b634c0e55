"""Languages: which ship and how a request's locale is chosen.

Flask-Babel translates; this package attaches it and decides a locale from plain values (the
web layer passes in the user's preference, the LTI launch's locale and the request's
Accept-Language). The catalogues in `ramp/translations/` are kept by `ramp i18n
extract|update|compile|check` (`catalogues.py`, pybabel underneath, configured by
`babel.cfg`; the commands in `cli.py`). The compiled `.mo` files are committed beside their
`.po` files, so a fresh clone or an installed wheel shows every language with no build step;
`check` fails when one is out of date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from babel import Locale, UnknownLocaleError
from flask import Flask

from ramp import PACKAGE_DIR
from ramp.extensions import babel

DEFAULT_LOCALE = "en"
# The languages ramp ships, each named in itself (as the language menu shows it).
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}

# The session key where an LTI launch keeps the LMS's `launch_presentation.locale`.
LTI_LOCALE = "lti_locale"

TRANSLATIONS_DIR = PACKAGE_DIR / "translations"


def init_app(app: Flask) -> None:
    """Attach Flask-Babel: English by default, the shipped catalogues; every app has it, so
    a form label or CSV header built outside a request still reads in English."""
    babel.init_app(
        app,
        default_locale=DEFAULT_LOCALE,
        default_translation_directories=str(TRANSLATIONS_DIR),
    )


def use_locale_selector(app: Flask, selector: Callable[[], str | None]) -> None:
    """Choose each request's locale with `selector` (the web layer's, which reads the request)."""
    app.extensions["babel"].locale_selector = selector


def supported(tag: object) -> str | None:
    """The shipped language a locale tag names ("es", "es-CO", "es_MX", "EN-us"), or None for a
    missing, malformed or unshipped one."""
    if not isinstance(tag, str) or not tag.strip() or len(tag) > 35:
        return None
    try:
        language = Locale.parse(tag.strip().replace("-", "_"), sep="_").language
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    return language if language in LANGUAGES else None


def negotiate(
    preference: str | None, launch: str | None, accepted: Iterable[tuple[str, float]] = ()
) -> str:
    """The locale of a request, in order: the user's saved preference, the LTI launch's
    `launch_presentation.locale`, the browser's Accept-Language (best quality first), English.
    Anything missing or unknown is passed over."""
    for tag in (preference, launch):
        if (found := supported(tag)) is not None:
            return found
    for tag, quality in sorted(accepted, key=lambda pair: -pair[1]):
        if quality > 0 and (found := supported(tag)) is not None:
            return found
    return DEFAULT_LOCALE
