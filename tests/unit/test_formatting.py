"""ramp.formatting: durations, percentages, counts and dates, in English and Spanish."""

from datetime import UTC, date, datetime

import pytest

from ramp import formatting as f
from ramp.metrics.definitions import METRICS

TODAY = date(2026, 3, 18)  # pinned: relative days are counted from it


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0s"),
        (59, "59s"),
        (59.4, "59s"),
        (59.5, "1m 00s"),
        (60, "1m 00s"),
        (1202, "20m 02s"),
        (1083, "18m 03s"),
        (3599, "59m 59s"),
        (3600, "1h 00m"),
        (3840, "1h 04m"),
        (3659, "1h 00m"),
        (-45, "-45s"),
        (-3600, "-1h 00m"),
        (90_000, "25h 00m"),
    ],
)
def test_durations_at_their_boundaries(seconds, shown):
    assert f.duration(seconds, "en") == shown


@pytest.mark.parametrize("missing", [None, "", "abc", float("nan"), float("inf"), True])
def test_a_missing_or_broken_figure_shows_a_dash(missing):
    assert f.duration(missing) == f.MISSING
    assert f.percent(missing) == f.MISSING
    assert f.count(missing) == f.MISSING
    assert f.format_date(missing) == f.MISSING


def test_a_long_duration_groups_its_hours_by_locale():
    assert f.duration(3600 * 1500, "en") == "1,500h 00m"
    assert f.duration(3600 * 1500, "es") == "1.500h 00m"


@pytest.mark.parametrize(
    ("value", "digits", "en", "es"),
    [
        (86.45, 1, "86.5%", "86,5\xa0%"),  # half up, as people round, not half-even
        (86.44, 1, "86.4%", "86,4\xa0%"),
        (99.95, 1, "100.0%", "100,0\xa0%"),
        (0.5, 0, "1%", "1\xa0%"),
        (100, 0, "100%", "100\xa0%"),
        (-2.5, 0, "-3%", "-3\xa0%"),
    ],
)
def test_percentages_round_half_up_in_the_locales_form(value, digits, en, es):
    assert f.percent(value, digits, "en") == en
    assert f.percent(value, digits, "es") == es


def test_counts_and_decimals_use_the_locales_separators():
    assert f.count(12345, "en") == "12,345" and f.count(12345, "es") == "12.345"
    assert f.decimal(1234.56, 1, "en") == "1,234.6" and f.decimal(1234.56, 1, "es") == "1.234,6"
    assert f.decimal(2.0, 1, "en") == "2"


def test_one_date_format_per_locale():
    day = date(2026, 3, 5)
    assert f.format_date(day, "en") == "Mar 5, 2026"
    assert f.format_date(day, "es") == "5 mar 2026"
    moment = datetime(2026, 3, 5, 14, 7, tzinfo=UTC)
    assert f.format_date(moment, "es") == "5 mar 2026"
    assert f.format_datetime(moment, "en") == "Mar 5, 2026, 2:07\u202fPM"
    assert f.format_datetime(moment, "es") == "5 mar 2026, 14:07"
    assert f.short_date(day, "en") == "Mar 5" and f.short_date(day, "es") == "5 mar"


def test_an_unknown_locale_formats_in_english():
    assert f.format_date(date(2026, 3, 5), "xx-nope") == "Mar 5, 2026"
    assert f.current_locale(None).language == "en"  # outside a request


@pytest.mark.parametrize(
    ("day", "shown"),
    [
        (TODAY, "today"),
        (date(2026, 3, 19), "tomorrow"),
        (date(2026, 3, 17), "yesterday"),
        (date(2026, 3, 21), "in 3 days"),
        (date(2026, 3, 8), "10 days ago"),
        (None, "—"),
    ],
)
def test_relative_days_from_a_pinned_today(day, shown):
    assert f.relative_days(day, today=TODAY) == shown


def test_relative_days_default_to_the_clock(clock):
    clock.move_to(datetime(2026, 3, 18, 12, tzinfo=UTC))
    assert f.relative_days(date(2026, 3, 20)) == "in 2 days"


def test_metrics_show_through_the_formatting_layer():
    assert METRICS["aht"].format(1202) == "20m 02s"  # never "1202s"
    assert METRICS["resolution_time"].format(3840) == "1h 04m"
    assert METRICS["qa_score"].format(86.45) == "86.5%"
    assert METRICS["csat"].format(None) == "—"
