"""A refresher's effect: before and after, which way is better, the share improved, the
mean change and its 95 % Student-t interval, worked out by hand."""

import math

import pytest

from ramp.coaching.effect import (
    MIN_MEASURED,
    AssignmentEffect,
    higher_is_better,
    mean_interval,
    summarize,
    t_quantile,
)
from ramp.coaching.queries import refresher_parts
from ramp.curricula.queries import AssessmentItem, LessonItem, ModuleItem


def effect(before, after, after_count=3, needed=3, kind="category", key="tone", aid=1):
    return AssignmentEffect(aid, kind, key, "Tone", before, 3, after, after_count, needed)


def test_t_quantiles_from_the_table_and_conservative_between_rows():
    assert t_quantile(1) == 12.706
    assert t_quantile(2) == 4.303
    assert t_quantile(30) == 2.042
    assert t_quantile(35) == 2.042  # between 30 and 40: the wider one
    assert t_quantile(5000) == 1.960
    with pytest.raises(ValueError):
        t_quantile(0)


def test_mean_and_interval_by_hand():
    # Changes 50, 30, -10: mean 23.333; deviations 26.667, 6.667, -33.333; squares sum
    # 1866.667; variance 933.333; s 30.551; s/√3 17.638; t(2) 4.303 → half width 75.897.
    mean, low, high = mean_interval([50, 30, -10])
    assert mean == pytest.approx(23.3333, abs=1e-4)
    assert high - mean == pytest.approx(4.303 * math.sqrt(2800 / 3) / math.sqrt(3), abs=1e-6)
    assert low == pytest.approx(23.3333 - 75.897, abs=1e-3)
    assert high == pytest.approx(23.3333 + 75.897, abs=1e-3)
    assert mean_interval([5]) is None


def test_change_and_improvement_follow_the_measure_direction():
    up = effect(40, 90)
    assert up.change == 50 and up.improved is True
    down = effect(60, 45)
    assert down.change == -15 and down.improved is False
    # Critical fails: fewer is better.
    fewer = effect(66.7, 0, kind="critical", key=None)
    assert fewer.improved is True
    # AHT: lower is better; FCR: higher is better.
    assert effect(480, 420, kind="metric", key="aht").improved is True
    assert effect(70, 60, kind="metric", key="fcr").improved is False
    assert higher_is_better("metric", "aht") is False and higher_is_better("overall", None)
    # A tie is no improvement.
    assert effect(50, 50).improved is False


def test_not_enough_after_the_refresher_has_no_change():
    waiting = effect(40, 90, after_count=1, needed=3)
    assert not waiting.enough and waiting.change is None and waiting.improved is None
    no_baseline = effect(None, 90)
    assert not no_baseline.enough and no_baseline.change is None


def test_group_summary_counts_share_mean_and_interval():
    effects = [
        effect(40, 90, aid=1),  # +50
        effect(50, 80, aid=2),  # +30
        effect(60, 50, aid=3),  # -10
        effect(40, 99, after_count=1, aid=4),  # not measured yet
    ]
    g = summarize("empathy", "Empathy", effects, "category", "tone")
    assert (g.assignments, g.measured, g.improved) == (4, 3, 2)
    assert g.improved_share == pytest.approx(66.6667, abs=1e-3)
    assert g.mean_change == pytest.approx(23.3333, abs=1e-4)
    assert (g.low, g.high) == (pytest.approx(-52.564, abs=1e-3), pytest.approx(99.231, abs=1e-3))
    assert g.enough


def test_below_the_minimum_no_mean_is_given():
    effects = [effect(40, 90, aid=1), effect(50, 80, aid=2, after_count=1)]
    g = summarize("empathy", "Empathy", effects, "category", "tone")
    assert MIN_MEASURED == 3
    assert g.measured == 1 and not g.enough
    assert g.mean_change is None and g.low is None and g.high is None


def _module(slug, lessons, check=True, mid=1):
    items = tuple(
        LessonItem(mid * 10 + i, mid, slug, le, le.title(), None, "")
        for i, le in enumerate(lessons)
    )
    assessment = AssessmentItem(mid, mid, f"{slug} check", 50, 3, ()) if check else None
    return ModuleItem(mid, slug, mid, slug.title(), None, items, assessment)


def test_what_completes_a_refresher():
    modules = (
        _module("basics", ["lifecycle", "macros"], mid=1),
        _module("kb", ["search", "filters"], check=False, mid=2),
    )
    lessons, checks, parts = refresher_parts(modules, "basics", "macros")
    assert [le.slug for le in lessons] == ["macros"] and checks == ()
    assert parts == ("lesson:basics/macros",)
    lessons, checks, parts = refresher_parts(modules, "basics", None)
    assert len(lessons) == 2 and [m.slug for m in checks] == ["basics"]
    assert parts == ("module:basics",)
    _, checks, parts = refresher_parts(modules, "kb", None)
    assert checks == () and parts == ("lesson:kb/search", "lesson:kb/filters")
    _, _, parts = refresher_parts(modules, None, None)
    assert parts == ("module:basics", "lesson:kb/search", "lesson:kb/filters")
    assert refresher_parts(modules, "gone", None) == ((), (), ())
    assert refresher_parts(modules, "basics", "gone") == ((), (), ())
