"""The demo generator's scorecards: categories that add up to the review's overall score."""

import math
import random
from datetime import date

import pytest

from ramp.metrics import formulas
from ramp.metrics.generator import SCORECARD, Profile, generate_for_hire, scorecard


def _percent(categories):
    return formulas.percent_of(
        None,
        None,
        False,
        tuple(
            formulas.QACategory(c["score"], c["max_score"], 0.0, c["weight"], False)
            for c in categories
        ),
    )


@pytest.mark.parametrize("score", [0.0, 31.5, 74.3, 88.8, 99.9, 100.0])
def test_a_scorecards_weighted_mean_is_the_overall_score(score):
    for seed in range(200):
        categories = scorecard(score, random.Random(seed), "Tone & Empathy", 30.0)
        assert [c["name"] for c in categories] == [name for name, _ in SCORECARD]
        assert all(0.0 <= c["score"] <= 100.0 for c in categories)
        assert math.isclose(_percent(categories), score, abs_tol=1e-9)


def test_a_weak_category_is_below_the_rest_only_in_its_stretch():
    profile = Profile(weak_category="Tone & Empathy", weak_by=30, weak_from=30, weak_until=40)
    _, reviews = generate_for_hire(7, date(2026, 1, 5), date(2026, 3, 30), profile, seed="x")
    plain_reviews = generate_for_hire(7, date(2026, 1, 5), date(2026, 3, 30), seed="x")[1]

    def empathy_gap(review):
        by_name = {c["name"]: c["score"] for c in review["categories"]}
        return by_name["Tone & Empathy"] - review["percent"]

    inside = [r for r in reviews if 30 <= int(r["external_id"].split("-d")[1].split("-")[0]) < 40]
    outside = [r for r in reviews if r not in inside]
    assert inside and outside
    assert sum(map(empathy_gap, inside)) / len(inside) < -15
    assert abs(sum(map(empathy_gap, outside)) / len(outside)) < 5
    # The weakness moves no overall score: the hire's story is the same.
    assert [round(r["percent"], 9) for r in reviews] == [
        round(r["percent"], 9) for r in plain_reviews
    ]
