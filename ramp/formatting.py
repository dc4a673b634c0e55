"""One way to show numbers, durations and dates, in the reader's locale (Babel's data).

Every page, PDF and CSV header shows figures through these functions, or through the Jinja
filters of the same names (ramp.web registers FILTERS). CSV values stay machine-readable:
ISO dates and plain numbers, never these.

Each function takes an explicit `locale`; without one it uses the request's (Flask-Babel's
choice, ramp.i18n), and English outside a request. Nothing here raises on a missing value:
None shows as an em dash.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import current_app, has_app_context
from flask_babel import get_locale, gettext, ngettext

from ramp import clock

MISSING = "—"
DEFAULT = Locale("en")


def current_locale(locale: Locale | str | None = None) -> Locale:
    """The locale to format in: the one given, the request's, or English."""
    if isinstance(locale, Locale):
        return locale
    if isinstance(locale, str):
        try:
            return Locale.parse(locale.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            return DEFAULT
    if has_app_context() and "babel" in current_app.extensions:
        return get_locale() or DEFAULT
    return DEFAULT


def _rounded(value: float | Decimal, digits: int) -> Decimal:
    # Half up, as people round (86.45 -> 86.5), not the banker's half-even of Decimal.
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, InvalidOperation):
        return None
    return number if number == number and abs(number) != float("inf") else None


def duration(seconds: object, locale: Locale | str | None = None) -> str:
    """A duration in seconds as "45s", "18m 03s" or "1h 04m" (rounded to the second; over an
    hour, to the minute, rounded down). Never "1202s"."""
    number = _number(seconds)
    if number is None:
        return MISSING
    total = int(_rounded(number, 0))
    sign = "-" if total < 0 else ""
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{count(hours, locale)}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m {secs:02d}s"
    return f"{sign}{secs}s"


def percent(value: object, digits: int = 0, locale: Locale | str | None = None) -> str:
    """A figure already on a 0-100 scale as the locale writes a percentage: "86%", "86,5 %"."""
    number = _number(value)
    if number is None:
        return MISSING
    where = current_locale(locale)
    pattern = babel_numbers.parse_pattern(where.percent_formats[None].pattern)
    pattern.frac_prec = (digits, digits)
    return pattern.apply(_rounded(number, digits) / 100, where)


def decimal(value: object, digits: int = 1, locale: Locale | str | None = None) -> str:
    """A number with up to `digits` decimals, in the locale's separators: "12,345.5"."""
    number = _number(value)
    if number is None:
        return MISSING
    return babel_numbers.format_decimal(_rounded(number, digits), locale=current_locale(locale))


def count(value: object, locale: Locale | str | None = None) -> str:
    """A whole number with the locale's grouping: "12,345" ("12.345" in Spanish)."""
    number = _number(value)
    if number is None:
        return MISSING
    return babel_numbers.format_decimal(int(_rounded(number, 0)), locale=current_locale(locale))


def metric(value: object, unit: str, locale: Locale | str | None = None) -> str:
    """A metric's figure by its unit: a percentage to one decimal, or a duration."""
    if unit == "%":
        return percent(value, 1, locale)
    return duration(value, locale)


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def format_date(value: object, locale: Locale | str | None = None) -> str:
    """A date in the locale's one date format (medium): "Mar 5, 2026", "5 mar 2026"."""
    day = _as_date(value)
    if day is None:
        return MISSING
    return babel_dates.format_date(day, "medium", locale=current_locale(locale))


def short_date(value: object, locale: Locale | str | None = None) -> str:
    """Day and month, for ranges within a year: "Mar 5", "5 mar"."""
    day = _as_date(value)
    if day is None:
        return MISSING
    return babel_dates.format_skeleton("MMMd", day, locale=current_locale(locale))


def format_datetime(value: object, locale: Locale | str | None = None) -> str:
    """A moment as the medium date and the short time, as stored (UTC): "Mar 5, 2026, 2:07 PM"."""
    if not isinstance(value, datetime):
        return format_date(value, locale)
    where = current_locale(locale)
    pattern = where.datetime_formats["medium"]
    day = babel_dates.format_date(value.date(), "medium", locale=where)
    time = babel_dates.format_time(value, "short", tzinfo=value.tzinfo, locale=where)
    return pattern.replace("{1}", day).replace("{0}", time)


def relative_days(value: object, today: date | None = None) -> str:
    """How far a date is from today: "today", "tomorrow", "in 3 days", "2 days ago"."""
    day = _as_date(value)
    if day is None:
        return MISSING
    days = (day - (today or clock.today())).days
    if days == 0:
        return gettext("today")
    if days == 1:
        return gettext("tomorrow")
    if days == -1:
        return gettext("yesterday")
    if days > 0:
        return ngettext("in %(num)d day", "in %(num)d days", days)
    return ngettext("%(num)d day ago", "%(num)d days ago", -days)


def days(value: timedelta | int | None) -> str:
    """A number of days: "1 day", "12 days"."""
    if value is None:
        return MISSING
    number = value.days if isinstance(value, timedelta) else int(value)
    return ngettext("%(num)d day", "%(num)d days", number)


# The Jinja filters, by name: {{ seconds|duration }}, {{ day|date }}.
FILTERS = {
    "duration": duration,
    "percent": percent,
    "decimal": decimal,
    "count": count,
    "metric": metric,
    "date": format_date,
    "short_date": short_date,
    "datetime": format_datetime,
    "relative_days": relative_days,
    "days": days,
}
