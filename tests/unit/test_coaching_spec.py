"""The coaching rules file: every refusal with its place, the category fold, a round trip,
and arbitrary text refused cleanly (never another exception)."""

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramp.coaching.spec import (
    CurriculumOutline,
    ModuleOutline,
    RulesContext,
    RulesFileError,
    assignment_title,
    dump_rules,
    load_rules_file,
    measure_label,
    parse_rules,
)
from ramp.milestones.evaluation import raise_for_coaching

STARTER = Path(__file__).parents[2] / "ramp" / "coaching" / "starter" / "coaching-rules.yaml"
CONTEXT = RulesContext(
    categories={"tone & empathy": "Tone & Empathy", "verification": "Verification"},
    curricula={
        "support-onboarding": CurriculumOutline(
            "New support agent onboarding",
            {
                "tone-and-empathy": ModuleOutline(
                    "Tone and empathy", {"acknowledge-own-personalize": "Acknowledge, own"}
                )
            },
        )
    },
    phases=frozenset({"training", "nesting", "ramp", "proficient"}),
)
RULE = """\
version: 1
rules:
  - key: empathy
    title: Empathy
    when:
      category: Tone & Empathy
      below: 60
      failing: 3
      of_last: 4
    for:
      phases: [nesting]
      placement: {queue: billing}
    assign:
      curriculum: support-onboarding
      module: tone-and-empathy
      due_in_days: 7
"""


def problems(text: str, context: RulesContext | None = CONTEXT) -> list[tuple[str, int, str]]:
    """(place, line, message) of each refusal."""
    with pytest.raises(RulesFileError) as refused:
        parse_rules(text, "rules.yaml", context)
    return [(e.place(), e.line, e.message) for e in refused.value.errors]


def only(text: str, context: RulesContext | None = CONTEXT) -> tuple[str, int, str]:
    [problem] = problems(text, context)
    return problem


def test_the_starter_rules_pass_and_round_trip():
    spec = load_rules_file(str(STARTER), CONTEXT)
    assert [r.key for r in spec.rules] == ["empathy-refresher", "critical-fails"]
    assert parse_rules(dump_rules(spec), context=CONTEXT) == spec


def test_a_category_matches_ignoring_case_and_spacing():
    spec = parse_rules(RULE.replace("Tone & Empathy", "  tone  &   EMPATHY"), context=CONTEXT)
    rule = spec.rules[0]
    assert measure_label(rule, CONTEXT) == "Tone & Empathy"
    assert assignment_title(rule, CONTEXT) == "Tone and empathy"


@pytest.mark.parametrize(
    ("old", "new", "place", "line", "words"),
    [
        (
            "Tone & Empathy",
            "Courtesy",
            "rules[0].when.category",
            6,
            "no imported evaluation has the category 'Courtesy' (categories so far: Tone & "
            "Empathy or Verification)",
        ),
        (
            "category: Tone & Empathy",
            "metric: happiness",
            "rules[0].when.metric",
            6,
            "unknown metric 'happiness'",
        ),
        (
            "curriculum: support-onboarding",
            "curriculum: nope",
            "rules[0].assign.curriculum",
            14,
            "no published curriculum 'nope' (support-onboarding)",
        ),
        (
            "module: tone-and-empathy",
            "module: nope",
            "rules[0].assign.module",
            15,
            "curriculum 'support-onboarding' has no module 'nope'",
        ),
        (
            "module: tone-and-empathy",
            "module: tone-and-empathy\n      lesson: nope",
            "rules[0].assign.lesson",
            16,
            "module 'tone-and-empathy' has no lesson 'nope'",
        ),
        (
            "module: tone-and-empathy",
            "lesson: a",
            "rules[0].assign.lesson",
            15,
            "a lesson needs its module",
        ),
        (
            "[nesting]",
            "[nesting, onboarding]",
            "rules[0].for.phases[1]",
            11,
            "no published ramp template has the phase 'onboarding'",
        ),
        (
            "failing: 3",
            "failing: 5",
            "rules[0].when.failing",
            8,
            "'failing' (5) cannot be more than 'of_last' (4)",
        ),
        ("failing: 3", "failing: 0", "rules[0].when.failing", 8, "must be at least 1"),
        (
            "below: 60",
            "below: 160",
            "rules[0].when.below",
            7,
            "a percent threshold must be from 0 to 100",
        ),
        (
            "below: 60",
            "below: -1",
            "rules[0].when.below",
            7,
            "a percent threshold must be from 0 to 100",
        ),
        ("below: 60", "above: 60", "rules[0].when.above", 7, "higher is better here"),
        (
            "below: 60",
            "below: 60\n      above: 70",
            "rules[0].when.above",
            8,
            "give 'below' or 'above', not both",
        ),
        ("      below: 60\n", "", "rules[0].when", 6, "'below' is required"),
        ("      of_last: 4\n", "", "rules[0].when", 6, "give either 'of_last' or 'within_days'"),
        (
            "of_last: 4",
            "of_last: 4\n      within_days: 9",
            "rules[0].when",
            6,
            "give either 'of_last' or 'within_days'",
        ),
        (
            "category: Tone & Empathy",
            "category: Tone & Empathy\n      overall: qa",
            "rules[0].when",
            6,
            "name exactly one of category, overall, critical or metric",
        ),
        (
            "placement: {queue: billing}",
            "placement: {}",
            "rules[0].for.placement",
            12,
            "a placement needs at least one of",
        ),
        (
            "due_in_days: 7",
            "due_in_days: 7\n      colour: red",
            "rules[0].assign.colour",
            17,
            "is not a known key here",
        ),
        (
            "title: Empathy",
            "title: Empathy\n    title: Again",
            "rules[0].title",
            5,
            "duplicate key 'title' (also on line 4)",
        ),
    ],
)
def test_each_refusal_names_its_place(old, new, place, line, words):
    assert old in RULE
    got_place, got_line, message = only(RULE.replace(old, new, 1))
    assert (got_place, got_line) == (place, line), message
    assert words in message


def test_metric_thresholds_keep_their_direction_and_domain():
    aht = RULE.replace("category: Tone & Empathy", "metric: aht")
    assert only(aht)[0:2] == ("rules[0].when.below", 7)
    assert "lower is better here" in only(aht)[2]
    assert "'above' is required" in only(aht.replace("      below: 60\n", ""))[2]
    parse_rules(aht.replace("below: 60", "above: 600"), context=CONTEXT)
    negative = only(aht.replace("below: 60", "above: -5"))
    assert negative[0] == "rules[0].when.above" and "from 0 to" in negative[2]
    csat = RULE.replace("category: Tone & Empathy", "metric: csat")
    assert "percent threshold" in only(csat.replace("below: 60", "below: 101"))[2]


def test_critical_needs_no_threshold():
    critical = RULE.replace("category: Tone & Empathy", "critical: true")
    assert only(critical)[0::2] == ("rules[0].when.below", "a critical rule takes no threshold")
    parse_rules(critical.replace("      below: 60\n", ""), context=CONTEXT)


def test_duplicate_rule_keys_are_refused():
    body = RULE.split("rules:\n", 1)[1]
    place, line, message = only(RULE + body)
    assert (place, line) == ("rules[1].key", 17)
    assert message == "duplicate rule key 'empathy' (also rules[0])"


def test_without_the_database_only_the_document_is_checked():
    parse_rules(RULE.replace("Tone & Empathy", "Courtesy"), context=None)


def test_an_overdue_refresher_raises_but_never_lowers():
    today, yesterday = date(2026, 3, 18), date(2026, 3, 17)
    assert raise_for_coaching("on_track", yesterday, today) == "at_risk"
    assert raise_for_coaching("achieved", yesterday, today) == "at_risk"
    assert raise_for_coaching("missed", yesterday, today) == "missed"
    assert raise_for_coaching("on_track", today, today) == "on_track"  # due today: not yet
    assert raise_for_coaching("on_track", None, today) == "on_track"


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=400),
        st.builds(
            lambda at, junk: RULE[:at] + junk + RULE[at:],
            st.integers(0, len(RULE)),
            st.text(max_size=30),
        ),
        st.builds(
            lambda cut, key: RULE[:cut] + f"\n{key}: 1\n",
            st.integers(0, len(RULE)),
            st.sampled_from(["version", "rules", "failing", "of_last", "key", "below"]),
        ),
    )
)
def test_arbitrary_text_is_refused_cleanly(text):
    try:
        parse_rules(text, "fuzz.yaml", CONTEXT)
    except RulesFileError as refused:
        assert refused.errors and all(e.message for e in refused.errors)
        refused.report()
