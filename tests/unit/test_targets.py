"""The graduated-targets file format: rules placed by line, round trip, choosing a target."""

import itertools
import math
from collections.abc import Callable
from enum import Enum
from pathlib import Path

import pytest
import yaml

from ramp.metrics.definitions import METRICS
from ramp.metrics.targets import (
    MetricTargets,
    PlacementMatch,
    Target,
    TargetsFileError,
    TargetsSpec,
    WeekTarget,
    dump_targets,
    glide_path,
    load_targets_file,
    meets,
    parse_targets,
    target_for,
    targets_to_document,
)
from ramp.milestones.template_spec import load_template_file

ROOT = Path(__file__).parents[2]
STARTER_TARGETS = ROOT / "ramp" / "metrics" / "starter" / "targets.yaml"
STARTER_TEMPLATE = ROOT / "ramp" / "milestones" / "starter" / "contact-center-12-weeks.yaml"

MINI = """\
name: mini-targets
title: Mini targets
targets:
  - metric: qa_score
    weeks:
      - from: 1
        to: 2
        value: 75
      - from: 3
        to: 4
        value: 80
      - from: 5
        value: 85
  - metric: aht
    min_sample: 40
    weeks:
      - from: 1
        to: 4
        value: 900
      - from: 5
        value: 600
  - metric: aht
    placement:
      queue: billing
    weeks:
      - from: 1
        value: 1080
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(TargetsFileError) as exc:
        parse_targets(text, "mini.yaml")
    return exc.value.report().splitlines()


def only_error(text: str) -> str:
    lines = errors_of(text)
    assert len(lines) == 1, lines
    return lines[0]


def mutate(fn: Callable[[dict], None], text: str = MINI) -> str:
    data = yaml.safe_load(text)
    fn(data)
    return yaml.safe_dump(data, sort_keys=False)


def weeks(*steps: tuple[int, int | None, float]) -> list[dict]:
    out = []
    for start, end, value in steps:
        step: dict = {"from": start, "value": value}
        if end is not None:
            step["to"] = end
        out.append(step)
    return out


@pytest.fixture(scope="module")
def starter() -> TargetsSpec:
    return load_targets_file(str(STARTER_TARGETS))


# The shipped file


def test_starter_has_a_default_for_every_metric_and_placement_rules(starter):
    defaults = [t.metric for t in starter.targets if t.placement is None]
    assert sorted(defaults) == sorted(METRICS)
    placed = [t for t in starter.targets if t.placement is not None]
    assert len(placed) >= 2
    assert any(t.metric == "aht" and t.placement.queue == "billing" for t in placed)
    assert any(t.metric == "first_response_time" and t.placement.channel == "phone" for t in placed)
    csat = [t for t in starter.targets if t.metric == "csat"]
    assert all((t.min_sample or 30) >= 30 for t in csat)


PLACEMENTS = [
    None,
    {"queue": "general", "channel": "chat", "tier": "tier-1", "language": "en"},
    {"queue": "nesting-simple", "channel": "email"},
    {"queue": "billing"},
    {"queue": "billing", "channel": "phone"},
    {"channel": "phone"},
]


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_starter_covers_weeks_1_to_52_for_every_metric(starter, placement):
    for metric, definition in METRICS.items():
        path = glide_path(starter, metric, placement, 52)
        assert len(path) == 52
        assert all(t is not None for t in path), (metric, placement)
        assert [t.week for t in path] == list(range(1, 53))
        values = [t.value for t in path]
        # a glide path only gets stricter as the hire's tenure grows
        steps = list(itertools.pairwise(values))
        if definition.higher_is_better:
            assert all(a <= b for a, b in steps), (metric, values)
        else:
            assert all(a >= b for a, b in steps), (metric, values)


def test_starter_agrees_with_the_starter_template(starter):
    """Every metric criterion of the template equals the default target in its weeks."""
    template = load_template_file(str(STARTER_TEMPLATE))
    checked = 0
    for milestone in template.milestones:
        due_week = math.ceil(milestone.due_day / 7)
        for criterion in milestone.criteria.metrics:
            for week in range(due_week - criterion.weeks_running + 1, due_week + 1):
                target = target_for(starter, criterion.metric, week, None)
                assert target is not None
                assert target.value == criterion.threshold, (milestone.key, week)
                checked += 1
    assert checked >= 12


def test_starter_figures_from_the_domain(starter):
    general = {"queue": "general", "channel": "chat"}
    assert target_for(starter, "aht", 1, general).value == 900
    assert target_for(starter, "aht", 8, general).value == 780
    assert target_for(starter, "aht", 12, general).value == 600
    assert target_for(starter, "qa_score", 6, general).value == 75
    assert target_for(starter, "qa_score", 12, general).value == 85
    assert target_for(starter, "sla_compliance", 52, general).value == 90
    billing = target_for(starter, "aht", 8, {"queue": "billing"})
    assert billing.value > 780
    assert billing.placement == PlacementMatch(queue="billing")
    phone = target_for(starter, "first_response_time", 12, {"channel": "phone"})
    assert phone.value == 20
    assert target_for(starter, "first_response_time", 12, general).value < 3600


# Parsing and round trip


def test_mini_parses_with_defaults():
    spec = parse_targets(MINI)
    assert spec.name == "mini-targets"
    assert spec.description is None
    qa = spec.targets[0]
    assert qa.placement is None and qa.direction is None and qa.min_sample is None
    assert qa.weeks[0] == WeekTarget(from_=1, to=2, value=75)
    assert qa.weeks[2].to is None
    assert spec.targets[2].placement == PlacementMatch(queue="billing")


def test_round_trip_of_the_starter_is_lossless(starter):
    text = dump_targets(starter)
    again = parse_targets(text)
    assert again == starter
    assert dump_targets(again) == text
    assert "- from: 1\n" in text
    assert "from_" not in text


def test_round_trip_keeps_awkward_values():
    def awkward(d):
        d["description"] = "Line with trailing space \nand: colons, # hashes"
        d["targets"][0]["direction"] = "higher"
        d["targets"][0]["weeks"][1]["value"] = 72.5
        d["targets"][2]["placement"] = {"queue": "Billing: EU", "language": "pt-BR"}
        d["targets"][2]["min_sample"] = 25

    spec = parse_targets(mutate(awkward))
    assert parse_targets(dump_targets(spec)) == spec


def test_document_has_documented_order_and_no_empty_keys():
    doc = targets_to_document(parse_targets(MINI))
    assert list(doc) == ["name", "title", "targets"]
    assert doc["targets"][0]["weeks"][0] == {"from": 1, "to": 2, "value": 75}
    assert doc["targets"][0]["weeks"][2] == {"from": 5, "value": 85}
    assert doc["targets"][1] == {
        "metric": "aht",
        "min_sample": 40,
        "weeks": [{"from": 1, "to": 4, "value": 900}, {"from": 5, "value": 600}],
    }
    assert doc["targets"][2]["placement"] == {"queue": "billing"}


def test_a_spec_built_in_python_dumps_and_parses_back():
    spec = TargetsSpec(
        name="built",
        title="Built",
        targets=(
            MetricTargets(
                metric="csat",
                weeks=(WeekTarget(from_=1, to=3, value=80), WeekTarget(from_=4, value=85.5)),
            ),
        ),
    )
    assert parse_targets(dump_targets(spec)) == spec


# Rules: metric and direction


def test_unknown_metric():
    line = only_error(MINI.replace("metric: qa_score", "metric: qa"))
    assert line == (
        "mini.yaml:4:13: targets[0].metric: unknown metric 'qa' "
        "(qa_score, fcr, aht, resolution_time, first_response_time, csat or sla_compliance)"
    )


def test_direction_must_be_the_metrics_own():
    text = MINI.replace("min_sample: 40", "direction: higher\n    min_sample: 40")
    line = only_error(text)
    assert line == (
        "mini.yaml:15:16: targets[1].direction: "
        "AHT is better when lower; direction cannot be 'higher'"
    )


def test_direction_of_a_higher_metric():
    def lower(d):
        d["targets"][0]["direction"] = "lower"

    line = only_error(mutate(lower))
    assert "targets[0].direction: QA score is better when higher; direction cannot be 'lower'" in (
        line
    )


def test_direction_written_right_is_accepted():
    def right(d):
        d["targets"][0]["direction"] = "higher"
        d["targets"][1]["direction"] = "lower"

    spec = parse_targets(mutate(right))
    assert spec.targets[0].direction == "higher"


def test_direction_is_higher_or_lower():
    def sideways(d):
        d["targets"][0]["direction"] = "up"

    line = only_error(mutate(sideways))
    assert "targets[0].direction:" in line
    assert "'higher' or 'lower'" in line


# Rules: the steps of a glide path


def test_first_step_must_start_at_week_1():
    def late(d):
        d["targets"][0]["weeks"][0]["from"] = 2

    line = only_error(mutate(late))
    assert line.endswith("targets[0].weeks[0].from: the first step must start at week 1")
    assert line.startswith("mini.yaml:")


def test_from_is_at_least_1():
    def zero(d):
        d["targets"][0]["weeks"][0]["from"] = 0

    line = only_error(mutate(zero))
    assert "targets[0].weeks[0].from: must be at least 1" in line


def test_overlapping_steps():
    line = only_error(MINI.replace("- from: 3", "- from: 2"))
    assert line == "mini.yaml:9:15: targets[0].weeks[1].from: weeks 1–2 overlap weeks 2–4"


def test_overlap_with_the_steps_of_the_brief():
    def overlap(d):
        d["targets"][0]["weeks"] = weeks((1, 2, 70), (3, 4, 75), (4, 6, 80), (7, None, 85))

    line = only_error(mutate(overlap))
    assert "targets[0].weeks[2].from: weeks 3–4 overlap weeks 4–6" in line


def test_gap_between_steps():
    def gap(d):
        d["targets"][0]["weeks"] = weeks((1, 3, 75), (5, 6, 80), (7, None, 85))

    line = only_error(mutate(gap))
    assert "targets[0].weeks[1].from: weeks 5–6 leave a gap after week 3" in line


def test_steps_in_week_order():
    def shuffled(d):
        d["targets"][0]["weeks"] = weeks((1, 2, 75), (5, 6, 85), (3, 4, 80), (7, None, 85))

    lines = errors_of(mutate(shuffled))
    assert any(
        "targets[0].weeks[2].from: weeks 3–4 must come before weeks 5–6: "
        "list steps in week order" in line
        for line in lines
    ), lines


def test_only_the_last_step_may_be_open_ended():
    def open_middle(d):
        del d["targets"][0]["weeks"][1]["to"]

    line = only_error(mutate(open_middle))
    assert (
        "targets[0].weeks[1].to: weeks 3 onward leave out 'to': "
        "only the last step may be open-ended" in line
    )


def test_the_last_step_must_be_open_ended():
    closed = MINI.replace(
        "- from: 5\n        value: 85", "- from: 5\n        to: 12\n        value: 85"
    )
    line = only_error(closed)
    assert line == (
        "mini.yaml:13:13: targets[0].weeks[2].to: the last step must be open-ended "
        "(leave out 'to') so every later week has a target"
    )


def test_to_not_before_from():
    def backwards(d):
        d["targets"][0]["weeks"][1]["to"] = 2

    line = only_error(mutate(backwards))
    assert "targets[0].weeks[1].to: 'to' (2) must not be before 'from' (3)" in line


def test_weeks_not_empty():
    def empty(d):
        d["targets"][0]["weeks"] = []

    line = only_error(mutate(empty))
    assert "targets[0].weeks: must not be empty" in line


def test_a_single_week_step_reads_in_the_singular():
    def single(d):
        d["targets"][0]["weeks"] = weeks((1, 2, 75), (4, 4, 80), (5, None, 85))

    line = only_error(mutate(single))
    assert "targets[0].weeks[1].from: week 4 leaves a gap after week 2" in line


# Rules: values


def test_percentages_are_0_to_100():
    def over(d):
        d["targets"][0]["weeks"][2]["value"] = 101

    line = only_error(mutate(over))
    assert "targets[0].weeks[2].value: QA score is a percentage: the target must be 0 to 100" in (
        line
    )


def test_seconds_are_more_than_0():
    def zero(d):
        d["targets"][1]["weeks"][1]["value"] = 0

    line = only_error(mutate(zero))
    assert "targets[1].weeks[1].value: AHT is in seconds: the target must be more than 0" in line


def test_value_is_a_number():
    def text(d):
        d["targets"][0]["weeks"][0]["value"] = "seventy"

    line = only_error(mutate(text))
    assert "targets[0].weeks[0].value: must be a number" in line


def test_min_sample_at_least_1():
    line = only_error(MINI.replace("min_sample: 40", "min_sample: 0"))
    assert "targets[1].min_sample: must be at least 1" in line


def test_unknown_key_is_refused():
    typo = MINI.replace("- from: 5\n        value: 85", "- form: 5\n        value: 85")
    assert errors_of(typo) == [
        "mini.yaml:12:9: targets[0].weeks[2].from: is required",
        "mini.yaml:12:15: targets[0].weeks[2].form: is not a known key here",
    ]


# Rules: defaults and placements


def test_two_default_rules():
    def twice(d):
        d["targets"].append({"metric": "qa_score", "weeks": weeks((1, None, 80))})

    line = only_error(mutate(twice))
    assert "mini.yaml:28:" in line
    assert line.endswith("targets[3]: two default rules for qa_score (also targets[0])")


def test_two_rules_for_the_same_placement_ignore_case():
    def twice(d):
        d["targets"].append(
            {"metric": "aht", "placement": {"queue": "Billing"}, "weeks": weeks((1, None, 999))}
        )

    line = only_error(mutate(twice))
    assert (
        "targets[3].placement: two rules for aht with the same placement "
        "(queue: Billing) (also targets[2])" in line
    )


def test_the_same_placement_for_another_metric_is_fine():
    def other(d):
        d["targets"].append(
            {"metric": "qa_score", "placement": {"queue": "billing"}, "weeks": weeks((1, None, 80))}
        )

    spec = parse_targets(mutate(other))
    assert len(spec.targets) == 4


def test_a_placement_with_no_fields():
    def empty(d):
        d["targets"][2]["placement"] = {}

    line = only_error(mutate(empty))
    assert "targets[2].placement: a placement needs at least one of queue, channel" in line
    assert "leave out 'placement' for the default rule" in line


def test_placement_rules_need_a_default():
    def no_default(d):
        del d["targets"][1]

    line = only_error(mutate(no_default))
    assert "targets[1].placement: aht has placement rules but no default" in line


def test_placement_field_not_empty():
    def blank(d):
        d["targets"][2]["placement"] = {"queue": "  "}

    line = only_error(mutate(blank))
    assert "targets[2].placement.queue: must not be empty" in line


def test_every_problem_is_reported_at_once():
    def many(d):
        d["targets"][0]["metric"] = "qa"
        d["targets"][1]["direction"] = "higher"
        d["targets"][1]["weeks"][1]["from"] = 6
        d["targets"][2]["weeks"][0]["to"] = 3

    lines = errors_of(mutate(many))
    assert len(lines) == 4, lines
    assert "targets[0].metric: unknown metric 'qa'" in lines[0]
    assert "targets[1].direction:" in lines[1]
    assert "targets[1].weeks[1].from: weeks 6 onward leave a gap after week 4" in lines[2]
    assert "targets[2].weeks[0].to: the last step must be open-ended" in lines[3]


def test_load_reports_the_path():
    with pytest.raises(TargetsFileError) as exc:
        load_targets_file(str(ROOT / "no-such-targets.yaml"))
    assert "cannot read the file" in exc.value.report()


# Choosing a target

CHOOSING = """\
name: choosing
title: Choosing
targets:
  - metric: aht
    weeks:
      - from: 1
        to: 4
        value: 900
      - from: 5
        value: 600
  - metric: aht
    placement:
      queue: billing
    min_sample: 40
    weeks:
      - from: 1
        value: 1080
  - metric: aht
    placement:
      channel: phone
    weeks:
      - from: 1
        value: 1000
  - metric: aht
    placement:
      queue: billing
      channel: phone
    weeks:
      - from: 1
        value: 1200
  - metric: qa_score
    weeks:
      - from: 1
        to: 2
        value: 75
      - from: 3
        value: 85
"""


@pytest.fixture(scope="module")
def choosing() -> TargetsSpec:
    return parse_targets(CHOOSING)


def test_most_specific_rule_wins(choosing):
    target = target_for(choosing, "aht", 3, {"queue": "billing", "channel": "phone"})
    assert target == Target(
        metric="aht",
        value=1200,
        week=3,
        higher_is_better=False,
        min_sample=10,
        placement=PlacementMatch(queue="billing", channel="phone"),
    )


def test_equally_specific_rules_first_in_the_file_wins():
    def rules(*placements: dict) -> TargetsSpec:
        data = {
            "name": "ties",
            "title": "Ties",
            "targets": [{"metric": "aht", "weeks": weeks((1, None, 900))}]
            + [
                {"metric": "aht", "placement": p, "weeks": weeks((1, None, 1000 + k))}
                for k, p in enumerate(placements)
            ],
        }
        return parse_targets(yaml.safe_dump(data, sort_keys=False))

    hire = {"queue": "billing", "channel": "phone"}
    billing_first = rules({"queue": "billing"}, {"channel": "phone"})
    assert target_for(billing_first, "aht", 3, hire).placement == PlacementMatch(queue="billing")
    phone_first = rules({"channel": "phone"}, {"queue": "billing"})
    assert target_for(phone_first, "aht", 3, hire).placement == PlacementMatch(channel="phone")


def test_matching_ignores_case_and_spaces(choosing):
    target = target_for(choosing, "aht", 2, {"queue": " BILLING ", "channel": "Phone"})
    assert target.value == 1200
    assert target_for(choosing, "aht", 2, {"queue": "Billing"}).value == 1080


def test_placement_values_may_be_enums(choosing):
    class Channel(Enum):
        PHONE = "phone"

    assert target_for(choosing, "aht", 2, {"channel": Channel.PHONE}).value == 1000


def test_rule_min_sample_and_metric_default(choosing):
    assert target_for(choosing, "aht", 2, {"queue": "billing"}).min_sample == 40
    assert target_for(choosing, "aht", 2, None).min_sample == METRICS["aht"].default_min_sample


def test_default_when_no_rule_matches(choosing):
    for placement in (None, {}, {"queue": "general"}, {"queue": None, "channel": "chat"}):
        target = target_for(choosing, "aht", 2, placement)
        assert target is not None
        assert target.value == 900
        assert target.placement is None


def test_a_rule_needs_every_field_it_names(choosing):
    # queue: billing + channel: phone does not apply to billing on chat
    target = target_for(choosing, "aht", 2, {"queue": "billing", "channel": "chat"})
    assert target.value == 1080


def test_week_boundaries(choosing):
    assert target_for(choosing, "qa_score", 1, None).value == 75
    assert target_for(choosing, "qa_score", 2, None).value == 75
    assert target_for(choosing, "qa_score", 3, None).value == 85
    assert target_for(choosing, "aht", 4, None).value == 900
    assert target_for(choosing, "aht", 5, None).value == 600
    assert target_for(choosing, "aht", 520, None).value == 600
    assert target_for(choosing, "qa_score", 3, None).higher_is_better is True


def test_no_target_before_week_1(choosing):
    assert target_for(choosing, "aht", 0, None) is None
    assert target_for(choosing, "aht", -3, {"queue": "billing"}) is None


def test_no_target_for_a_metric_without_rules(choosing):
    assert target_for(choosing, "csat", 3, None) is None
    assert target_for(choosing, "nonsense", 3, None) is None


def test_glide_path(choosing):
    path = glide_path(choosing, "qa_score", {"queue": "billing"}, 4)
    assert [t.value for t in path] == [75, 75, 85, 85]
    assert [t.week for t in path] == [1, 2, 3, 4]
    billing = glide_path(choosing, "aht", {"queue": "billing"}, 6)
    assert {t.value for t in billing} == {1080}
    assert glide_path(choosing, "aht", None, 0) == []
    assert glide_path(choosing, "csat", None, 3) == [None, None, None]


def test_meets_for_a_higher_metric(choosing):
    target = target_for(choosing, "qa_score", 3, None)
    assert meets(target, 85)
    assert meets(target, 90.5)
    assert not meets(target, 84.9)


def test_meets_for_a_lower_metric(choosing):
    target = target_for(choosing, "aht", 5, None)
    assert meets(target, 600)
    assert meets(target, 540)
    assert not meets(target, 600.1)
