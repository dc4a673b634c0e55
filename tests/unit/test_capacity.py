"""Capacity and attrition figures against values worked out by hand."""

from datetime import date

import pytest

from ramp.forecast import attrition
from ramp.forecast.capacity import (
    COLUMNS,
    HireInput,
    PlannedInput,
    Productivity,
    aht_factor,
    capacity,
    capacity_csv,
    monday,
    survival,
    tenure_week_in,
    totals,
)

WEEKS = [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]


def curve(t: int) -> float:
    """AHT by tenure week: 600 s in week 1, 400 in week 3, toward 300 (the tenured AHT)."""
    return 300 + 300 / t


ORDERS = Productivity(300.0, curve, 1, False)


def test_a_calendar_week_is_the_tenure_week_its_thursday_falls_in():
    assert tenure_week_in(date(2026, 11, 2), date(2026, 11, 2)) == 1  # a Monday start
    assert tenure_week_in(date(2026, 11, 4), date(2026, 11, 2)) == 1  # a Wednesday start
    assert tenure_week_in(date(2026, 11, 4), date(2026, 11, 9)) == 2
    assert tenure_week_in(date(2026, 11, 6), date(2026, 11, 2)) is None  # a Friday start
    assert tenure_week_in(date(2026, 11, 6), date(2026, 11, 9)) == 1
    assert tenure_week_in(date(2026, 11, 2), date(2026, 10, 26)) is None
    assert monday(date(2026, 11, 8)) == date(2026, 11, 2)


def test_the_factor_is_tenured_aht_over_the_hires_capped_at_one():
    assert aht_factor(300, 600) == 0.5
    assert aht_factor(300, 250) == 1.0
    assert aht_factor(300, 0) == 0.0
    assert ORDERS.factor(2, {2: 400}) == (0.75, "measured")
    assert ORDERS.factor(4) == (0.8, "projected")  # 300 / 375
    assert Productivity(300.0, curve, 2, False).factor(1) == (0.0, "projected")  # classroom


def hires():
    ana = HireInput("Wave A", "orders · chat", date(2026, 11, 2), None, {1: 600, 2: 400}, ORDERS)
    # Starts on a Wednesday, leaves on Tuesday 17 November: 0 heads from that week on.
    ben = HireInput(
        "Wave A", "orders · chat", date(2026, 11, 4), date(2026, 11, 17), {1: 500, 2: 360}, ORDERS
    )
    return [ana, ben]


def january_class() -> PlannedInput:
    """Ten heads from 16 November on the default curve, the classroom in week 1."""
    return PlannedInput(
        "January class",
        "orders · chat",
        date(2026, 11, 16),
        10,
        Productivity(300.0, curve, 2, True),
    )


def test_capacity_of_a_cohort_by_week_worked_by_hand():
    rows = capacity(hires(), [], WEEKS)
    got = [
        (r.week, r.heads, round(r.effective_fte, 6), round(r.productivity_factor, 6), r.source)
        for r in rows
    ]
    assert got == [
        # 600 s and 500 s against 300: 0.5 + 0.6
        (date(2026, 11, 2), 2.0, 1.1, 0.55, "measured"),
        # 300/400 + 300/360
        (
            date(2026, 11, 9),
            2.0,
            round(0.75 + 300 / 360, 6),
            round((0.75 + 300 / 360) / 2, 6),
            "measured",
        ),
        # Ben has left: 0 heads. Ana's week 3 is projected: 300 / 400.
        (date(2026, 11, 16), 1.0, 0.75, 0.75, "projected"),
        (date(2026, 11, 23), 1.0, 0.8, 0.8, "projected"),
    ]
    assert {r.cohort for r in rows} == {"Wave A"} and {r.curve for r in rows} == {"fitted"}


def test_planned_classes_follow_the_curve_and_the_observed_attrition():
    today = date(2026, 11, 25)
    observed = [(h.start, h.left_on) for h in hires()]
    survive = survival(observed, today)
    # Two hires at risk in weeks 1 and 2; Ben left in his tenure week 2 (13 days in).
    assert [survive(t) for t in (1, 2, 3)] == [1.0, 0.5, 0.5]
    planned = january_class()
    rows = [r for r in capacity([], [planned], WEEKS, survive)]
    assert [(r.week, r.heads, round(r.effective_fte, 6), r.source, r.curve) for r in rows] == [
        (date(2026, 11, 16), 10.0, 0.0, "planned", "default"),  # week 1: the classroom
        (date(2026, 11, 23), 5.0, round(5 * 300 / 450, 6), "planned", "default"),
    ]


def test_totals_add_a_weeks_cohorts_and_classes_of_each_placement():
    planned = january_class()
    rows = capacity(hires(), [planned], WEEKS, lambda t: 0.5)
    got = [
        (
            t.week,
            t.placement,
            t.parts,
            t.sources,
            t.default_curve,
            t.heads,
            round(t.effective_fte, 6),
        )
        for t in totals(rows)
    ]
    assert got == [
        (date(2026, 11, 2), "orders · chat", 1, ("measured",), False, 2.0, 1.1),
        (
            date(2026, 11, 9),
            "orders · chat",
            1,
            ("measured",),
            False,
            2.0,
            round(0.75 + 300 / 360, 6),
        ),
        # Ana's projected week 3 beside the class's first week (the classroom: no FTE).
        (date(2026, 11, 16), "orders · chat", 2, ("projected", "planned"), True, 6.0, 0.75),
        (
            date(2026, 11, 23),
            "orders · chat",
            2,
            ("projected", "planned"),
            True,
            6.0,
            round(0.8 + 5 * 300 / 450, 6),
        ),
    ]
    last = totals(rows)[-1]
    assert last.productivity_factor == pytest.approx((0.8 + 5 * 300 / 450) / 6)
    assert totals([]) == []


def test_the_csv_has_the_documented_columns_and_headers_only_without_hires():
    assert capacity_csv([]) == ",".join(COLUMNS) + "\r\n"
    text = capacity_csv(capacity(hires(), [], WEEKS[:1]))
    assert text.splitlines()[1] == "orders · chat,2026-11-02,2.0,1.1,0.55,Wave A,measured,fitted"


def test_names_that_look_like_formulas_are_made_safe():
    hire = HireInput("=HYPERLINK(1)", "@q", date(2026, 11, 2), None, {}, ORDERS)
    line = capacity_csv(capacity([hire], [], WEEKS[:1])).splitlines()[1]
    assert line.startswith("'@q,") and ",'=HYPERLINK(1)," in line


def test_30_60_90_day_attrition_worked_by_hand():
    tenures = [
        attrition.Tenure(1, "A", date(2026, 11, 2), date(2026, 11, 20)),  # day 18
        attrition.Tenure(2, "B", date(2026, 11, 2)),
        attrition.Tenure(3, "C", date(2026, 12, 1), date(2027, 1, 15)),  # day 45
        attrition.Tenure(4, "D", date(2027, 2, 15)),  # 14 days in: in no window
    ]
    got = [(w.days, w.eligible, w.left) for w in attrition.windows(tenures, date(2027, 3, 1))]
    # C started exactly 90 days before: in the 90-day window.
    assert got == [(30, 3, 1), (60, 3, 2), (90, 3, 2)]
    assert attrition.windows([], date(2027, 3, 1))[0].share is None
    weeks = attrition.leavers_by_week(tenures)
    assert [(w, [t.name for t in ts]) for w, ts in weeks] == [(3, ["A"]), (7, ["C"])]


def test_signals_are_counted_per_leaver_and_listed_for_active_hires():
    counts = attrition.signal_counts({1: {"missed_milestone", "below_curve"}, 3: ["below_curve"]})
    assert counts == {"missed_milestone": 1, "below_curve": 2, "overdue_refresher": 0}
    flagged = attrition.flagged(
        [(5, "Eve", "W"), (6, "Fay", "W"), (7, "Gus", "W")],
        {5: {"below_curve"}, 7: {"overdue_refresher", "missed_milestone"}},
    )
    assert [(f.name, f.signals) for f in flagged] == [
        ("Gus", ("missed_milestone", "overdue_refresher")),
        ("Eve", ("below_curve",)),
    ]


@pytest.mark.parametrize("aht", [float("nan"), float("inf"), -1.0])
def test_odd_handle_times_give_no_nonsense_factor(aht):
    factor = aht_factor(300, aht)
    assert factor == factor and 0.0 <= factor <= 1.0


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (0.0, [0.0, 1.0]),
        (0.4, [0.0, 0.1, 0.2, 0.3, 0.4]),
        (3.7, [0.0, 1.0, 2.0, 3.0, 4.0]),
        (11.0, [0.0, 5.0, 10.0, 15.0]),
        (27.0, [0.0, 10.0, 20.0, 30.0]),
        (130.0, [0.0, 50.0, 100.0, 150.0]),
    ],
)
def test_the_capacity_chart_reads_on_round_ticks_covering_the_highest_value(top, ticks):
    from ramp.forecast.chart import _round_ticks, capacity_svg

    assert _round_ticks(top) == ticks
    svg = capacity_svg("c", "Capacity", ["2026-11-02", "2026-11-09"], [("a", [0, top])], [top])
    labels = [f">{t:g}</text>" for t in ticks]
    assert all(label in svg for label in labels)


@pytest.mark.parametrize("n", range(1, 105))
def test_the_capacity_charts_week_labels_never_overlap(n):
    """However many weeks are shown (1 to 104), the week labels under the chart keep apart,
    and the first and the last week are named."""
    import re
    from datetime import date, timedelta
    from itertools import pairwise

    from ramp.forecast.chart import HEIGHT, LABEL, capacity_svg

    weeks = [(date(2026, 11, 2) + timedelta(weeks=i)).isoformat() for i in range(n)]
    svg = capacity_svg("c", "Capacity", weeks, [("a", [1.0] * n)], [1.0] * n)
    found = re.findall(
        rf'<text x="([\d.]+)" y="{HEIGHT - 12}" font-size="11" text-anchor="(\w+)"[^>]*>([^<]+)<',
        svg,
    )
    spans = sorted(
        (float(x) - (LABEL if anchor == "end" else LABEL / 2), text) for x, anchor, text in found
    )
    assert spans[0][1] == weeks[0][5:]
    assert all(b[0] - a[0] >= LABEL for a, b in pairwise(spans)), spans
