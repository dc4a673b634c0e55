"""Metric math: evaluation percents, contact outcomes, the seven metrics and tenure days."""

import statistics
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramp.metrics import formulas, readings
from ramp.metrics.definitions import METRICS
from ramp.metrics.formulas import (
    ContactRec,
    MetricValue,
    QACategory,
    QAEval,
    aht,
    compute,
    contact_metric_date,
    csat,
    csat_is_good,
    evaluation_percent,
    fcr,
    first_contact_resolved,
    first_response_time,
    median,
    percentile,
    qa_metric_date,
    qa_score,
    resolution_time,
    sla_compliance,
    sla_outcome,
    tenure_day,
    tenure_week_of,
)
from ramp.milestones.evaluation import MetricCriterion

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
EST = timezone(timedelta(hours=-5))


def contact(**kw) -> ContactRec:
    return ContactRec(created_at=T0, **kw)


def after(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def solved(**kw) -> ContactRec:
    return contact(solved_at=after(3600), **kw)


# No records / nothing that counts ------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(METRICS))
def test_every_metric_over_no_records_is_none_with_sample_0(name):
    assert compute(name, []) == MetricValue(None, 0)


@pytest.mark.parametrize(
    "name", ["fcr", "aht", "resolution_time", "first_response_time", "csat", "sla_compliance"]
)
def test_contacts_with_nothing_known_count_for_nothing(name):
    assert compute(name, [contact(), contact()]) == MetricValue(None, 0)


def test_evaluations_with_nothing_known_count_for_nothing():
    evals = [QAEval(None, None), QAEval(8, None), QAEval(8, 0), QAEval(None, 10)]
    assert [evaluation_percent(e) for e in evals] == [None, None, None, None]
    assert qa_score(evals) == MetricValue(None, 0)


# QA ------------------------------------------------------------------------------------------


def test_evaluation_percent_without_categories_is_score_over_max():
    assert evaluation_percent(QAEval(45, 50)) == 90
    assert evaluation_percent(QAEval(0, 50)) == 0
    # Import validates scores; nothing is clamped here.
    assert evaluation_percent(QAEval(55, 50)) == pytest.approx(110)


def test_critical_fail_makes_the_evaluation_0():
    assert evaluation_percent(QAEval(50, 50, critical_fail=True)) == 0
    cats = (QACategory(5, 5), QACategory(4, 4))
    assert evaluation_percent(QAEval(None, None, critical_fail=True, categories=cats)) == 0


def test_categories_use_their_own_range():
    # (3 − 1) ÷ (5 − 1) = 50 %; 8 of 0–10 = 80 %.
    cats = (QACategory(3, 5, min_score=1), QACategory(8, 10))
    assert evaluation_percent(QAEval(None, None, categories=cats)) == pytest.approx(65)


def test_categories_are_weighted():
    cats = (QACategory(10, 10, weight=3), QACategory(0, 10, weight=1))
    assert evaluation_percent(QAEval(None, None, categories=cats)) == pytest.approx(75)


def test_categories_win_over_the_overall_score():
    cats = (QACategory(1, 2), QACategory(2, 2))
    assert evaluation_percent(QAEval(10, 10, categories=cats)) == pytest.approx(75)


def test_na_categories_are_left_out_with_their_weight():
    cats = (QACategory(9, 10), QACategory(None, 10, weight=5), QACategory(7, 10))
    assert evaluation_percent(QAEval(None, None, categories=cats)) == pytest.approx(80)


def test_all_na_categories_fall_back_on_the_score_or_give_none():
    cats = (QACategory(None, 10), QACategory(None, 5, critical=True))
    assert evaluation_percent(QAEval(None, None, categories=cats)) is None
    assert evaluation_percent(QAEval(7, 10, categories=cats)) == pytest.approx(70)


def test_critical_category_below_50_percent_makes_the_evaluation_0():
    cats = (QACategory(10, 10), QACategory(4, 10, critical=True), QACategory(10, 10))
    assert evaluation_percent(QAEval(None, None, categories=cats)) == 0


def test_critical_category_at_50_percent_or_na_does_not_fail():
    at_half = (QACategory(10, 10), QACategory(5, 10, critical=True))
    assert evaluation_percent(QAEval(None, None, categories=at_half)) == pytest.approx(75)
    na = (QACategory(10, 10), QACategory(None, 10, critical=True))
    assert evaluation_percent(QAEval(None, None, categories=na)) == pytest.approx(100)


def test_non_critical_category_below_50_percent_only_lowers_the_mean():
    cats = (QACategory(10, 10), QACategory(0, 10))
    assert evaluation_percent(QAEval(None, None, categories=cats)) == pytest.approx(50)


def test_qa_score_is_the_mean_of_percents_that_exist():
    evals = [QAEval(9, 10), QAEval(7, 10), QAEval(None, 10), QAEval(5, 5, critical_fail=True)]
    result = qa_score(evals)
    assert result.value == pytest.approx((90 + 70 + 0) / 3)
    assert result.sample == 3
    assert result.p90 is None


def test_qa_metric_date_prefers_the_interaction_and_takes_naive_as_utc():
    evaluated = datetime(2024, 3, 10, 12, 0)
    interaction = datetime(2024, 3, 8, 12, 0, tzinfo=EST)
    assert qa_metric_date(QAEval(1, 1, evaluated_at=evaluated)) == evaluated.replace(tzinfo=UTC)
    both = QAEval(1, 1, evaluated_at=evaluated, interaction_at=interaction)
    assert qa_metric_date(both) == interaction
    assert qa_metric_date(QAEval(1, 1)) is None


# FCR -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reopens", "contacts", "expected"),
    [
        (0, None, True),
        (1, None, False),
        (None, 1, True),
        (None, 2, False),
        (0, 1, True),
        (0, 2, False),
        (1, 1, False),
        (None, None, None),
    ],
)
def test_first_contact_resolution_information_rules(reopens, contacts, expected):
    c = solved(reopens=reopens, contacts_to_resolve=contacts)
    assert first_contact_resolved(c) is expected


def test_unsolved_contacts_have_no_fcr_outcome():
    assert first_contact_resolved(contact(reopens=0, contacts_to_resolve=1)) is None


def test_fcr_counts_solved_contacts_with_information():
    contacts = [
        solved(reopens=0),
        solved(contacts_to_resolve=1),
        solved(reopens=2),
        solved(reopens=0, contacts_to_resolve=3),
        solved(),  # no information
        contact(reopens=0),  # not solved
    ]
    assert fcr(contacts) == MetricValue(50.0, 4)


# AHT, resolution time, first response time -----------------------------------------------------


def test_aht_is_the_mean_over_contacts_that_have_it():
    contacts = [contact(handle_seconds=300), contact(handle_seconds=600), contact()]
    assert aht(contacts) == MetricValue(450.0, 2)


def test_resolution_time_median_odd_count_and_p90():
    contacts = [contact(solved_at=after(s)) for s in (600, 60, 300)] + [contact()]
    result = resolution_time(contacts)
    assert (result.value, result.sample) == (300.0, 3)
    # Sorted 60, 300, 600: rank 0.9 × 2 = 1.8 → 300 + 0.8 × 300.
    assert result.p90 == pytest.approx(540)


def test_resolution_time_median_even_count():
    contacts = [contact(solved_at=after(s)) for s in (100, 200, 300, 1000)]
    result = resolution_time(contacts)
    assert (result.value, result.sample) == (250.0, 4)
    assert result.p90 == pytest.approx(790)


def test_resolution_time_of_a_single_contact():
    assert resolution_time([contact(solved_at=after(90))]) == MetricValue(90.0, 1, 90.0)


def test_first_response_time_is_the_median_over_contacts_with_a_response():
    contacts = [contact(first_response_at=after(s)) for s in (30, 90)] + [contact()]
    assert first_response_time(contacts) == MetricValue(60.0, 2)


def test_first_response_time_takes_the_exported_wait_where_there_is_no_time():
    contacts = [
        contact(first_response_seconds=120.0),  # the export gave only the wait
        contact(first_response_at=after(30), first_response_seconds=999.0),  # the time wins
        contact(first_response_seconds=0.0),  # an instant reply is a reply
        contact(),
    ]
    assert first_response_time(contacts) == MetricValue(30.0, 3)


def test_sla_outcome_from_an_exported_wait():
    assert sla_outcome(contact(sla_target_seconds=60, first_response_seconds=60.0)) is True
    assert sla_outcome(contact(sla_target_seconds=60, first_response_seconds=61.0)) is False
    assert sla_outcome(contact(first_response_seconds=5.0)) is None  # no target


def test_durations_mix_zones_and_take_naive_as_utc():
    created = datetime(2024, 3, 4, 9, 0)  # naive: UTC
    responded = datetime(2024, 3, 4, 4, 10, tzinfo=EST)  # 09:10 UTC
    c = ContactRec(created_at=created, first_response_at=responded, solved_at=responded)
    assert first_response_time([c]).value == 600
    assert resolution_time([c]).value == 600


# CSAT ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "good"),
    [(1, 5, {4, 5}), (1, 10, {8, 9, 10}), (0, 10, {8, 9, 10}), (1, 3, {3})],
)
def test_csat_good_is_the_top_quarter_of_the_scale(low, high, good):
    assert {r for r in range(low, high + 1) if csat_is_good(r, low, high)} == good


def test_csat_is_good_refuses_a_scale_that_does_not_run_upwards():
    with pytest.raises(ValueError):
        csat_is_good(3, 5, 5)


def test_csat_is_good_ratings_over_all_ratings():
    contacts = [contact(csat_rating=r) for r in (5, 4, 3, 1)] + [contact()]
    assert csat(contacts) == MetricValue(50.0, 4)


def test_csat_mixes_scales():
    contacts = [
        contact(csat_rating=8, csat_min=0, csat_max=10),
        contact(csat_rating=7, csat_min=1, csat_max=10),
        contact(csat_rating=3, csat_min=1, csat_max=3),
        contact(csat_rating=2, csat_min=1, csat_max=3),
    ]
    assert csat(contacts) == MetricValue(50.0, 4)


# SLA -----------------------------------------------------------------------------------------


def test_sla_outcome_as_exported_wins_over_the_target():
    c = contact(sla_met=False, sla_target_seconds=60, first_response_at=after(10))
    assert sla_outcome(c) is False


def test_sla_outcome_from_the_target():
    assert sla_outcome(contact(sla_target_seconds=60, first_response_at=after(60))) is True
    assert sla_outcome(contact(sla_target_seconds=60, first_response_at=after(61))) is False


def test_sla_outcome_unknown_without_target_or_response():
    assert sla_outcome(contact(sla_target_seconds=60)) is None
    assert sla_outcome(contact(first_response_at=after(10))) is None


def test_sla_compliance_over_known_outcomes():
    contacts = [
        contact(sla_met=True),
        contact(sla_met=False),
        contact(sla_target_seconds=20, first_response_at=after(15)),
        contact(sla_target_seconds=20, first_response_at=after(25)),
        contact(first_response_at=after(5)),  # unknown
    ]
    assert sla_compliance(contacts) == MetricValue(50.0, 4)


# Dispatch ------------------------------------------------------------------------------------


def test_compute_dispatches_by_name():
    contacts = [solved(reopens=0, csat_rating=5, handle_seconds=120, sla_met=True)]
    assert compute("fcr", contacts) == fcr(contacts)
    assert compute("csat", contacts) == MetricValue(100.0, 1)
    assert compute("aht", contacts) == MetricValue(120.0, 1)
    assert compute("resolution_time", contacts) == MetricValue(3600.0, 1, 3600.0)
    assert compute("sla_compliance", contacts) == MetricValue(100.0, 1)
    assert compute("qa_score", [QAEval(3, 4)]) == MetricValue(75.0, 1)


def test_compute_refuses_an_unknown_metric():
    with pytest.raises(ValueError, match="nps"):
        compute("nps", [])


# Median and percentile -----------------------------------------------------------------------


def test_median_of_odd_and_even_counts():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5


def test_percentile_matches_statistics_inclusive_for_every_whole_p():
    values = [12.5, 3, 99, 47, 47, 8, 1000, 0.25, 61]
    expected = statistics.quantiles(values, n=100, method="inclusive")
    assert [percentile(values, p) for p in range(1, 100)] == expected


def test_percentile_ends_and_single_value():
    assert percentile([5, 1, 9], 0) == 1
    assert percentile([5, 1, 9], 100) == 9
    assert percentile([7], 90) == 7


def test_percentile_refuses_no_values_and_p_out_of_range():
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1, 2], 101)


# Metric dates and tenure ---------------------------------------------------------------------


def test_contact_metric_date_is_solved_else_created():
    assert contact_metric_date(contact()) == T0
    assert contact_metric_date(solved()) == after(3600)
    naive = ContactRec(created_at=datetime(2024, 3, 4, 9, 0))
    assert contact_metric_date(naive) == T0


def test_late_evening_solve_counts_on_the_next_utc_day_but_same_local_day():
    start = date(2024, 3, 4)
    c = ContactRec(
        created_at=datetime(2024, 3, 5, 22, 0, tzinfo=EST),
        solved_at=datetime(2024, 3, 5, 23, 30, tzinfo=EST),
    )
    on = contact_metric_date(c)
    assert tenure_day(start, on) == 2
    assert tenure_day(start, on, tz=UTC) == 2
    assert tenure_day(start, on, tz=EST) == 1


def test_tenure_day_takes_naive_datetimes_as_utc_and_dates_as_they_are():
    start = date(2024, 3, 4)
    assert tenure_day(start, datetime(2024, 3, 4, 23, 0)) == 0
    assert tenure_day(start, datetime(2024, 3, 4, 23, 0), tz=EST) == 0
    assert tenure_day(start, datetime(2024, 3, 4, 2, 0), tz=EST) == -1
    assert tenure_day(start, date(2024, 3, 10), tz=EST) == 6


@pytest.mark.parametrize(
    ("days", "week"), [(-8, 0), (-1, 0), (0, 1), (6, 1), (7, 2), (13, 2), (14, 3)]
)
def test_tenure_week_boundaries(days, week):
    start = date(2024, 3, 4)
    assert tenure_week_of(start, start + timedelta(days=days)) == week


def test_tenure_week_of_converts_datetimes_to_the_zone():
    start = date(2024, 3, 4)
    sunday_night = datetime(2024, 3, 10, 23, 30, tzinfo=EST)  # day 6 locally, day 7 in UTC
    assert tenure_week_of(start, sunday_night) == 2
    assert tenure_week_of(start, sunday_night, tz=EST) == 1


# Properties ----------------------------------------------------------------------------------

ZONES = st.sampled_from([None, UTC, EST, timezone(timedelta(hours=5, minutes=30))])
MOMENTS = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=ZONES
)
SCALES = st.sampled_from([(1, 5), (1, 10), (0, 10), (1, 3)])


@st.composite
def contact_recs(draw) -> ContactRec:
    low, high = draw(SCALES)
    return ContactRec(
        created_at=draw(MOMENTS),
        first_response_at=draw(st.none() | MOMENTS),
        solved_at=draw(st.none() | MOMENTS),
        handle_seconds=draw(st.none() | st.floats(0, 1e5)),
        reopens=draw(st.none() | st.integers(0, 5)),
        contacts_to_resolve=draw(st.none() | st.integers(1, 5)),
        csat_rating=draw(st.none() | st.integers(low, high)),
        csat_min=low,
        csat_max=high,
        sla_met=draw(st.none() | st.booleans()),
        sla_target_seconds=draw(st.none() | st.floats(0, 1e6)),
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(contact_recs(), max_size=30))
def test_rates_lie_between_0_and_100_over_at_most_every_record(records):
    for formula in (csat, fcr, sla_compliance):
        result = formula(records)
        assert result.sample <= len(records)
        assert (result.value is None) == (result.sample == 0)
        if result.value is not None:
            assert 0 <= result.value <= 100


@settings(deadline=None)
@given(st.lists(st.floats(0.5, 1e6, allow_nan=False), min_size=1, max_size=20))
def test_evaluations_all_at_max_score_100(maxima):
    evals = [QAEval(m, m) for m in maxima]
    result = qa_score(evals)
    assert result.sample == len(evals)
    assert result.value == pytest.approx(100)


def test_criteria_over_one_metric_and_window_share_figures_and_read_as_alone():
    # QA over 14 days in three milestones (other thresholds, weeks running), and AHT beside.
    start = date(2026, 9, 7)
    today = start + timedelta(days=40)
    records = [
        readings.DatedRecord(start + timedelta(days=d), formulas.QAEval(score=p, max_score=100))
        for d, p in zip(range(0, 41, 2), [70, 95, 88, 91, 84, 90, 86, 92] * 3, strict=False)
    ]
    criteria = [
        MetricCriterion("qa_score", 85, 14, 3),
        MetricCriterion("qa_score", 90, 14, 3, weeks_running=2),
        MetricCriterion("qa_score", 80, 14, 3, weeks_running=3),
        MetricCriterion("qa_score", 85, 7, 2, weeks_running=2),
    ]
    figures: dict = {}
    shared = [readings.reading_for(c, records, start, today, figures) for c in criteria]
    alone = [readings.reading_for(c, records, start, today) for c in criteria]
    assert shared == alone
    assert [r.weeks_met for r in alone] != [alone[0].weeks_met] * 4  # thresholds tell apart
    assert {key[:2] for key in figures} == {("qa_score", 14), ("qa_score", 7)}
