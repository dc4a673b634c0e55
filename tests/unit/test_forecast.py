"""Ramp curves and projected proficiency as plain functions: the fit recovers a known curve,
a fit that cannot converge is reported, too little data falls back to the published curve,
and every projection carries an interval."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramp.forecast import curves
from ramp.forecast.curves import (
    HORIZON,
    MIN_HIRES,
    MetricGoal,
    Place,
    build_curve,
    curves_for,
    exponential,
    fit_curve,
    logistic,
)
from ramp.forecast.projection import (
    CLIP,
    SCENARIOS,
    Goal,
    MilestoneGoal,
    line_for,
    passage,
    project,
)


def hires_on(curve, hires=30, weeks=range(4, 25), between=1.0, noise=1.5, seed=1):
    """Weekly figures of hires along a known curve: each hire offset by N(0, between), each
    week scattered by N(0, noise)."""
    rng = random.Random(seed)
    out = {}
    for h in range(hires):
        offset = rng.gauss(0, between)
        out[h] = {w: float(curve(w)) + offset + rng.gauss(0, noise) for w in weeks}
    return out


def points(series):
    return [(w, v) for weeks in series.values() for w, v in weeks.items()]


def test_the_exponential_fit_recovers_the_true_curve():
    # True curve: QA from 60 at week 0 toward 88, closing 63 % of the gap every 4 weeks.
    series = hires_on(lambda t: exponential(t, 88.0, 60.0, 4.0))
    fit = fit_curve(points(series), models=("exponential",))
    assert fit.model == "exponential" and fit.n == 30 * 21
    # Tolerances: the asymptote within 1 point, tau within 15 %, the start within 4 points.
    assert fit.params["a"] == pytest.approx(88.0, abs=1.0)
    assert fit.params["tau"] == pytest.approx(4.0, rel=0.15)
    assert fit.params["b"] == pytest.approx(60.0, abs=4.0)
    # The RMSE is about the scatter put in (hire offsets and weekly noise: √(1² + 1.5²)).
    assert fit.rmse == pytest.approx(math.sqrt(1.0 + 1.5**2), rel=0.2)


def test_the_logistic_fit_recovers_the_true_curve_and_is_chosen_on_held_out_weeks():
    # True curve: handle time from 900 s down to 600 s, midpoint week 8, steepness 1.2 weeks.
    series = hires_on(lambda t: logistic(t, 600.0, 900.0, 8.0, 1.2), between=10, noise=15)
    fit = fit_curve(points(series))
    assert fit.model == "logistic"
    assert set(fit.holdout_rmse) == {"exponential", "logistic"}
    assert fit.holdout_rmse["logistic"] <= fit.holdout_rmse["exponential"]
    assert fit.params["a"] == pytest.approx(600.0, abs=10.0)
    assert fit.params["b"] == pytest.approx(900.0, abs=15.0)
    assert fit.params["m"] == pytest.approx(8.0, abs=0.3)
    assert fit.params["s"] == pytest.approx(1.2, rel=0.25)


def test_a_fit_that_does_not_converge_is_reported_not_raised(monkeypatch):
    def fails(*args, **kwargs):
        raise RuntimeError("Optimal parameters not found: maxfev exceeded")

    monkeypatch.setattr(curves, "curve_fit", fails)
    series = hires_on(lambda t: exponential(t, 88.0, 60.0, 4.0), hires=8)
    fit = fit_curve(points(series))
    assert fit.model is None and not fit.ok
    assert "did not converge" in fit.reason and "maxfev" in fit.reason
    curve = build_curve("qa_score", series, 85.0, True, "team", "whole team")
    assert curve.is_default and curve.level == "default"
    assert "did not converge" in curve.fallback


def test_values_a_fit_cannot_use_are_reported():
    fit = fit_curve([(w, float("nan")) for w in range(1, 20)] + [(3, 70.0)])
    assert fit.model is None and "weeks with data" in fit.reason


def test_too_little_data_gives_the_published_default_curve_labelled_as_such():
    series = hires_on(lambda t: exponential(t, 88.0, 60.0, 4.0), hires=MIN_HIRES - 1)
    curve = build_curve("qa_score", series, 85.0, True, "placement", "queue: billing")
    assert curve.is_default
    assert curve.fallback == f"{MIN_HIRES - 1} hires with figures, {MIN_HIRES} needed"
    assert "published figures" in curve.fit.reason
    # The published ramp: half a tenured agent's output in week 5, 85 % by week 16.
    assert curve.at(5) == pytest.approx(85.0 * 0.5)
    assert curve.at(16) == pytest.approx(85.0 * 0.85, rel=0.01)
    # Handle time starts at 1.6x tenured.
    aht = build_curve("aht", {}, 600.0, False, "team", "whole team", relative=True)
    assert aht.at(5) == pytest.approx(960.0) and aht.at(40) < 620


def test_a_placement_with_few_hires_pools_up_to_its_queue_then_the_team():
    series = hires_on(lambda t: exponential(t, 88.0, 60.0, 4.0), hires=12)
    places = {
        h: Place("billing" if h < 3 else "general", "chat" if h % 2 else "email") for h in series
    }
    lookup = curves_for("qa_score", series, places, lambda p: MetricGoal(85.0, True))
    # 3 billing hires: pooled up past the queue (3) to the channel (6 chat hires)...
    billing = lookup(Place("billing", "chat"))
    assert (billing.level, billing.hires, billing.label) == ("channel", 6, "channel: chat")
    # ... and to the whole team where the channel has too few too.
    places = {h: Place("billing" if h < 3 else "general", f"c{h}") for h in series}
    lookup = curves_for("qa_score", series, places, lambda p: MetricGoal(85.0, True))
    assert (lookup(Place("billing", "c1")).level, lookup(Place("billing", "c1")).hires) == (
        "team",
        12,
    )
    general = lookup(Place("general", "chat"))
    assert general.level in ("placement", "queue") and general.hires >= MIN_HIRES
    assert general.weeks[0].week == 4 and general.weeks[0].q1 <= general.weeks[0].median
    assert general.benchmark_source == "tenured target"
    assert general.weeks[-1].ratio == pytest.approx(general.weeks[-1].median / 85.0)


def _team_curve():
    series = hires_on(lambda t: exponential(t, 88.0, 60.0, 4.0), hires=20)
    return build_curve("qa_score", series, 85.0, True, "team", "whole team")


def test_the_hire_offset_is_shrunk_toward_the_curve_by_n_over_n_plus_k():
    curve = _team_curve()
    k = curve.shrinkage
    assert k > 0
    none = line_for(curve, {})
    assert none.offset == 0 and none.weight == 0
    three = line_for(curve, {w: float(curve.at(w)) + 2.0 for w in (4, 5, 6)})
    assert three.weight == pytest.approx(3 / (3 + k))
    assert three.offset == pytest.approx(2.0 * 3 / (3 + k))
    many = line_for(curve, {w: float(curve.at(w)) + 2.0 for w in range(4, 16)})
    assert many.weight > three.weight and many.posterior < three.posterior


@pytest.mark.parametrize("weeks", [0, 1, 3, 6, 10])
@pytest.mark.parametrize("offset", [-6.0, 0.0, 4.0])
def test_every_projection_has_an_interval(weeks, offset):
    curve = _team_curve()
    figures = {"qa_score": {w: float(curve.at(w)) + offset for w in range(4, 4 + weeks)}}
    goal = Goal("qa_score", 85.0, True, curve)
    p = project(1, figures, [goal], 3 + weeks)
    e = p.overall
    if e.week is None:
        assert e.high is None  # not within the horizon: says so
    else:
        assert e.low is not None and e.low <= e.week
        assert e.high is None or e.high >= e.week  # None: the band runs past the horizon
    # A better hire is projected no later than a worse one.
    assert p.metrics[0].line is not None


def test_a_better_hire_is_projected_earlier_and_a_far_worse_one_after_the_horizon():
    curve = _team_curve()
    goal = Goal("qa_score", 85.0, True, curve)

    def week(offset):
        figures = {"qa_score": {w: float(curve.at(w)) + offset for w in range(4, 9)}}
        return project(1, figures, [goal], 8).overall

    good, typical, poor = week(3.0), week(0.0), week(-10.0)
    assert good.week <= typical.week
    # Far below the curve every week: weeks later, with a wider band.
    assert poor.week is None or poor.week >= typical.week + 3
    assert poor.high is None
    beyond = project(1, {}, [Goal("qa_score", 99.0, True, curve)], 8).overall
    assert beyond.week is None and beyond.high is None
    assert beyond.words() == f"week >{HORIZON} (>{HORIZON}–>{HORIZON})"


def test_a_hire_already_proficient_is_reached_not_projected():
    curve = _team_curve()
    figures = {"qa_score": {9: 86.0, 10: 87.0, 11: 84.0}}
    p = project(1, figures, [Goal("qa_score", 85.0, True, curve)], 11)
    assert p.reached and p.overall.week == 10 == p.overall.low == p.overall.high


def test_too_little_data_falls_back_and_says_so():
    default = build_curve("qa_score", {}, 85.0, True, "team", "whole team")
    p = project(1, {}, [Goal("qa_score", 85.0, True, default)], 2)
    assert p.fallbacks == ["qa_score"]
    assert p.metrics[0].fallback == "0 hires with figures, 5 needed"
    assert p.overall.week is not None and p.overall.low is not None


def test_a_projection_after_the_due_week_is_projected_to_miss_with_the_reason():
    curve = _team_curve()
    weak = {"qa_score": {w: float(curve.at(w)) - 5.0 for w in range(4, 9)}}
    goals = [Goal("qa_score", 85.0, True, curve)]
    milestones = [
        MilestoneGoal("qa-early", "QA 84 by week 9", 9, "qa_score", 84.0, 2),
        MilestoneGoal("qa-late", "QA 70 by week 30", 30, "qa_score", 70.0, 1),
    ]
    p = project(1, weak, goals, 8, milestones)
    [miss] = p.misses
    assert (miss.key, miss.metric, miss.threshold, miss.due_week) == (
        "qa-early",
        "qa_score",
        84.0,
        9,
    )
    assert miss.estimate.week is None or miss.estimate.week > 9
    # On pace: no flag.
    strong = {"qa_score": {w: float(curve.at(w)) + 4.0 for w in range(4, 9)}}
    assert project(1, strong, goals, 8, milestones[1:]).misses == []


def test_no_hire_is_flagged_before_a_week_of_its_own_figures():
    curve = _team_curve()
    goals = [Goal("qa_score", 85.0, True, curve)]
    # Due before the team's curve reaches it: a hire on the curve would miss it.
    early = [MilestoneGoal("qa-early", "QA 84 by week 5", 5, "qa_score", 84.0, 2)]
    assert project(1, {}, goals, 0, early).misses == []
    assert project(1, {"qa_score": {4: float(curve.at(4)) - 5.0}}, goals, 4, early).misses != []


def test_the_curve_is_never_projected_before_the_team_has_figures():
    curve = _team_curve()
    low = Goal("qa_score", 10.0, True, curve)  # met by the curve from its first week
    p = project(1, {}, [low], 0)
    assert p.overall.week == curve.first_week + 1 == 5


def test_offsets_of_durations_are_ratios():
    series = hires_on(lambda t: logistic(t, 600.0, 900.0, 8.0, 1.2), between=10, noise=15)
    curve = build_curve("aht", series, 600.0, False, "team", "whole team", relative=True)
    slow = line_for(curve, {w: float(curve.at(w)) * 1.03 for w in range(4, 12)})
    # A ratio (3 % slower) shrunk, within the clip (CLIP spreads of a hire's weeks).
    expected = min(math.log(1.03), CLIP * curve.sigma_around) * slow.weight
    assert slow.offset == pytest.approx(expected, rel=0.01)
    assert slow.value(30) == pytest.approx(float(curve.at(30)) * np.exp(slow.offset))


def test_the_backtest_scores_ramp_and_both_baselines_at_weeks_4_6_and_8():
    from ramp.forecast import backtest
    from ramp.metrics.display import STARTER_TARGETS
    from ramp.metrics.targets import load_targets_file

    spec = load_targets_file(str(STARTER_TARGETS))
    hires = backtest.generate(spec, cohorts=2, per_placement=6, seed=3)
    assert len(hires) == 24 and {h.place.queue for h in hires} == {"orders", "returns"}
    known = [h.true_week for h in hires if h.true_week is not None]
    assert len(known) >= 18 and all(8 <= w <= backtest.WEEKS for w in known)
    scores = backtest.run(spec, hires)
    assert {(s.method, s.week) for s in scores} == {
        (m, w) for m in ("ramp", "cohort median", "placement curve") for w in (4, 6, 8)
    }
    assert all(s.hires > 0 and s.mae >= 0 and 0 <= s.coverage <= 1 for s in scores)
    table = backtest.report(scores)
    assert table.splitlines()[0].split() == [
        "week",
        "method",
        "hires",
        "MAE",
        "(weeks)",
        "coverage",
    ]
    assert len(table.splitlines()) == 10


def test_the_generator_profile_pace_leaves_the_typical_hire_unchanged():
    from datetime import date

    from ramp.metrics.generator import Profile, generate_for_hire, progress

    assert [progress(w) for w in range(1, 14)] == [progress(w, 1.0) for w in range(1, 14)]
    assert progress(11) == 1.0 and progress(11, 1.4) < 1.0
    start, today = date(2026, 1, 5), date(2026, 3, 1)
    assert generate_for_hire(1, start, today, Profile(), "x") == generate_for_hire(
        1, start, today, Profile(pace=1.0), "x"
    )


def _passage_one_scenario_at_a_time(held, streak, running):
    """The projection's chain as first written: each scenario, then each week, in turn. The
    reference that passage() (every scenario side by side) must agree with exactly."""
    done = np.zeros(held.shape[1])
    for row in held:
        state = np.zeros(running)
        state[min(streak, running - 1)] = 1.0
        passed = 0.0
        for i, h in enumerate(row):
            passed += state[-1] * h
            moved = np.zeros(running)
            moved[0] = state.sum() * (1 - h)
            moved[1:] = state[:-1] * h
            state = moved
            done[i] += passed
    return done / held.shape[0]


def _held(seed, weeks=40):
    """Chances that weeks hold, as a projection's parts give them: rising by week, some
    exactly 0 (before the classroom ends) or 1; a row per scenario."""
    rng = np.random.default_rng(seed)
    rising = np.sort(rng.uniform(0, 1, (len(SCENARIOS), weeks)), axis=1)
    rising[:, : rng.integers(0, 4)] = 0.0
    rising[rng.uniform(0, 1, rising.shape) < 0.05] = 1.0
    return rising


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 5), st.integers(1, 4), st.integers(1, 52))
def test_the_passage_steps_every_scenario_side_by_side_exactly_as_one_at_a_time(
    seed, streak, running, weeks
):
    held = _held(seed, weeks=weeks)
    assert np.array_equal(
        passage(held, streak, running), _passage_one_scenario_at_a_time(held, streak, running)
    )
