"""The ramp template file format: rules placed by line, lossless round trip, metric registry."""

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from flask import Flask
from flask_babel import Babel, force_locale

from ramp.curricula.spec import load_curriculum_file
from ramp.i18n import catalogues
from ramp.metrics.definitions import METRICS
from ramp.milestones.template_spec import (
    PHASES,
    TemplateFileError,
    dump_template,
    load_template_file,
    parse_template,
    template_to_document,
)

ROOT = Path(__file__).parents[2]
STARTER_TEMPLATE = ROOT / "ramp" / "milestones" / "starter" / "contact-center-12-weeks.yaml"
STARTER_CURRICULUM = ROOT / "ramp" / "curricula" / "starter" / "support-onboarding.yaml"

MINI = """\
slug: mini-ramp
title: Mini ramp
curriculum: support-onboarding
phases:
  - name: training
    days: 14
  - name: nesting
    days: 14
  - name: ramp
milestones:
  - key: classroom
    title: Classroom done
    phase: training
    due_day: 14
    criteria:
      modules: [ticketing-basics, tone-and-empathy]
      sign_off: true
  - key: basics
    title: Basics
    phase: training
    due_day: 7
    parent: classroom
    criteria:
      assessments: [ticketing-basics]
  - key: nesting-qa
    title: Nesting QA
    phase: nesting
    due_day: 28
    criteria:
      metrics:
        - metric: qa_score
          threshold: 75
          window_days: 14
          min_sample: 10
  - key: ramped
    title: Ramped
    phase: ramp
    due_day: 56
    criteria:
      metrics:
        - metric: aht
          threshold: 600
          window_days: 14
          min_sample: 40
          weeks_running: 2
"""


@pytest.fixture(scope="module")
def modules() -> dict[str, bool]:
    """The starter curriculum's module slugs -> whether the module has a knowledge check."""
    curriculum = load_curriculum_file(str(STARTER_CURRICULUM))
    return {m.slug: m.assessment is not None for m in curriculum.modules}


def errors_of(text: str, modules: dict[str, bool] | None = None) -> list[str]:
    with pytest.raises(TemplateFileError) as exc:
        parse_template(text, "ramp.yaml", modules=modules)
    return exc.value.report().splitlines()


def mutate(fn: Callable[[dict], None], text: str = MINI) -> str:
    data = yaml.safe_load(text)
    fn(data)
    return yaml.safe_dump(data, sort_keys=False)


def only_error(text: str, modules: dict[str, bool] | None = None) -> str:
    lines = errors_of(text, modules)
    assert len(lines) == 1, lines
    return lines[0]


# The shipped template


def test_starter_template_parses_against_the_starter_curriculum(modules):
    spec = load_template_file(str(STARTER_TEMPLATE), modules=modules)
    assert spec.curriculum == "support-onboarding"
    assert [p.name for p in spec.phases] == list(PHASES)
    assert len(spec.milestones) >= 8
    keys = {m.key for m in spec.milestones}
    children = [m for m in spec.milestones if m.parent]
    assert children and all(m.parent in keys for m in children)
    assert any(m.optional for m in children)
    running = [c for m in spec.milestones for c in m.criteria.metrics if c.weeks_running == 2]
    assert {c.metric for c in running} >= {"qa_score", "csat", "aht", "sla_compliance"}
    assert all(c.min_sample for m in spec.milestones for c in m.criteria.metrics)
    csat = [c for m in spec.milestones for c in m.criteria.metrics if c.metric == "csat"]
    assert csat and all(c.min_sample >= 30 for c in csat)
    named = {s for m in spec.milestones for s in (*m.criteria.modules, *m.criteria.assessments)}
    assert named == set(modules)
    assert spec.phases[1].placement is not None
    assert spec.phases[1].placement.tier == "tier-1"


def test_starter_phase_bounds(modules):
    spec = load_template_file(str(STARTER_TEMPLATE), modules=modules)
    assert spec.phase_bounds() == {
        "training": (0, 21),
        "nesting": (21, 42),
        "ramp": (42, 84),
        "proficient": (84, None),
    }
    proficient = next(m for m in spec.milestones if m.key == "proficient")
    assert proficient.due_day == 84


def test_mini_parses_with_defaults():
    spec = parse_template(MINI)
    assert spec.warning_days == 7
    assert spec.certificate_validity_days == 365
    assert spec.milestones[1].parent == "classroom"
    assert spec.milestones[1].optional is False
    assert spec.milestones[2].criteria.metrics[0].weeks_running == 1
    assert spec.milestones[2].criteria.metrics[0].threshold == 75.0
    assert spec.phase_bounds() == {"training": (0, 14), "nesting": (14, 28), "ramp": (28, None)}


# Round trip


def test_round_trip_of_the_starter_is_lossless(modules):
    spec = load_template_file(str(STARTER_TEMPLATE), modules=modules)
    text = dump_template(spec)
    again = parse_template(text, modules=modules)
    assert again == spec
    assert dump_template(again) == text


def test_document_has_documented_order_and_no_empty_defaults():
    doc = template_to_document(parse_template(MINI))
    assert list(doc) == [
        "slug",
        "title",
        "curriculum",
        "warning_days",
        "certificate_validity_days",
        "phases",
        "milestones",
    ]
    assert doc["phases"][2] == {"name": "ramp"}
    assert doc["milestones"][1] == {
        "key": "basics",
        "title": "Basics",
        "phase": "training",
        "due_day": 7,
        "parent": "classroom",
        "criteria": {"assessments": ["ticketing-basics"]},
    }
    assert doc["milestones"][2]["criteria"]["metrics"][0]["threshold"] == 75


def test_round_trip_keeps_awkward_values():
    def awkward(d):
        d["description"] = "Line with trailing space \nand: colons, # hashes"
        d["phases"][1]["placement"] = {"channel": "chat", "skills": ["billing"]}
        d["milestones"][2]["optional"] = True
        d["milestones"][2]["criteria"]["metrics"][0]["threshold"] = 72.5

    spec = parse_template(mutate(awkward))
    assert parse_template(dump_template(spec)) == spec


# Rules: phases


def test_unknown_phase_name():
    lines = errors_of(MINI.replace("- name: nesting", "- name: coaching"))
    assert lines[0] == (
        "ramp.yaml:7:11: phases[1].name: "
        "unknown phase 'coaching' (training, nesting, ramp or proficient)"
    )
    # and the milestone in 'nesting' now names a phase the template does not have
    assert len(lines) == 2
    assert "milestones[2].phase: phase 'nesting' is not one of this template's phases" in lines[1]


def test_duplicate_phase():
    def dup(d):
        d["phases"][2]["name"] = "nesting"
        d["milestones"][3]["phase"] = "nesting"
        d["milestones"][3]["due_day"] = 20

    line = only_error(mutate(dup))
    assert "phases[2].name: duplicate phase 'nesting' (also phases[1])" in line


def test_phases_in_canonical_order():
    def swap(d):
        d["phases"][0]["name"], d["phases"][1]["name"] = "nesting", "training"

    line = only_error(mutate(swap))
    assert "phases[1].name: phase 'training' is out of order" in line
    assert "training, nesting, ramp, proficient" in line


def test_only_last_phase_may_omit_days():
    def no_days(d):
        del d["phases"][0]["days"]

    line = only_error(mutate(no_days))
    assert (
        "phases[0].days: phase 'training' needs 'days': only the last phase may be open-ended"
        in line
    )


def test_phase_days_at_least_one():
    line = only_error(MINI.replace("days: 14\n  - name: ramp", "days: 0\n  - name: ramp"))
    assert "phases[1].days: must be at least 1" in line


def test_bad_channel_is_refused():
    def channel(d):
        d["phases"][1]["placement"] = {"channel": "fax"}

    line = only_error(mutate(channel))
    assert "phases[1].placement.channel:" in line
    assert "'phone', 'chat', 'email' or 'social'" in line


# Rules: milestones


def test_duplicate_milestone_key():
    def dup(d):
        d["milestones"][3]["key"] = "nesting-qa"

    line = only_error(mutate(dup))
    assert "milestones[3].key: duplicate milestone key 'nesting-qa' (also milestones[2])" in line


def test_milestone_phase_must_be_a_template_phase():
    def phase(d):
        d["milestones"][3]["phase"] = "proficient"

    line = only_error(mutate(phase))
    assert (
        "milestones[3].phase: phase 'proficient' is not one of this template's phases "
        "(training, nesting, ramp)" in line
    )


def test_due_day_after_its_phase_ends():
    line = only_error(MINI.replace("due_day: 28", "due_day: 30"))
    assert line == (
        "ramp.yaml:28:14: milestones[2].due_day: "
        "due on day 30, outside its phase 'nesting' (due_day 15 to 28)"
    )


def test_due_day_on_its_phase_start_is_outside():
    line = only_error(MINI.replace("due_day: 28", "due_day: 14"))
    assert (
        "milestones[2].due_day: due on day 14, outside its phase 'nesting' (due_day 15 to 28)"
        in line
    )


def test_due_day_before_an_open_ended_phase():
    line = only_error(MINI.replace("due_day: 56", "due_day: 20"))
    assert (
        "milestones[3].due_day: due on day 20, outside its phase 'ramp' (due_day 29 or later)"
        in line
    )


def test_due_day_at_least_one():
    line = only_error(MINI.replace("due_day: 7", "due_day: 0"))
    assert "milestones[1].due_day: must be at least 1" in line


def test_unknown_parent():
    line = only_error(MINI.replace("parent: classroom", "parent: clasroom"))
    assert line == "ramp.yaml:22:13: milestones[1].parent: unknown parent 'clasroom'"


def test_parent_not_itself():
    line = only_error(MINI.replace("parent: classroom", "parent: basics"))
    assert "milestones[1].parent: milestone 'basics' cannot be its own parent" in line


def test_parents_must_not_form_a_cycle():
    def cycle(d):
        d["milestones"][0]["parent"] = "basics"
        d["milestones"][0]["due_day"] = 7

    line = only_error(mutate(cycle))
    assert "milestones[0].parent: parents form a cycle: classroom -> basics -> classroom" in line


def test_child_due_before_its_parents_phase_starts():
    def child(d):
        d["milestones"][1]["parent"] = "nesting-qa"
        d["milestones"][1]["due_day"] = 10

    line = only_error(mutate(child))
    assert (
        "milestones[1].due_day: due on day 10, before its parent 'nesting-qa' starts (day 14)"
        in line
    )


def test_child_due_as_its_parents_phase_starts_is_fine():
    def child(d):
        d["milestones"][1]["parent"] = "nesting-qa"
        d["milestones"][1]["due_day"] = 14

    assert parse_template(mutate(child)).milestones[1].parent == "nesting-qa"


def test_child_due_after_its_parent():
    def child(d):
        d["milestones"][1]["due_day"] = 14
        d["milestones"][0]["due_day"] = 10

    line = only_error(mutate(child))
    assert (
        "milestones[1].due_day: due on day 14, after its parent 'classroom' is due (day 10)" in line
    )


def test_milestone_needs_a_criterion():
    def empty(d):
        d["milestones"][1]["criteria"] = {"sign_off": False}

    line = only_error(mutate(empty))
    assert (
        "milestones[1].criteria: a milestone needs at least one criterion "
        "(modules, assessments, sign_off: true or metrics)" in line
    )


def test_criteria_are_required():
    def missing(d):
        del d["milestones"][1]["criteria"]

    line = only_error(mutate(missing))
    assert "milestones[1].criteria: is required" in line


# Rules: criteria


def test_unknown_metric():
    line = only_error(MINI.replace("metric: qa_score", "metric: qa"))
    assert line == (
        "ramp.yaml:31:19: milestones[2].criteria.metrics[0].metric: unknown metric 'qa' "
        "(qa_score, fcr, aht, resolution_time, first_response_time, csat or sla_compliance)"
    )


def test_metric_window_needs_min_sample():
    line = only_error(MINI.replace("          min_sample: 10\n", ""))
    assert (
        "milestones[2].criteria.metrics[0].min_sample: "
        "a metric window needs a minimum sample (min_sample)" in line
    )


def test_percentage_threshold_in_range():
    line = only_error(MINI.replace("threshold: 75", "threshold: 175"))
    assert (
        "milestones[2].criteria.metrics[0].threshold: "
        "QA score is a percentage: the threshold must be 0 to 100" in line
    )


def test_metric_numbers_checked():
    def numbers(d):
        metric = d["milestones"][3]["criteria"]["metrics"][0]
        metric["window_days"] = 0
        metric["weeks_running"] = 0
        metric["threshold"] = "fast"

    lines = errors_of(mutate(numbers))
    text = "\n".join(lines)
    assert "milestones[3].criteria.metrics[0].window_days: must be at least 1" in text
    assert "milestones[3].criteria.metrics[0].weeks_running: must be at least 1" in text
    assert "milestones[3].criteria.metrics[0].threshold: must be a number" in text


def test_duplicate_modules_and_assessments():
    def dup(d):
        d["milestones"][0]["criteria"]["modules"].append("ticketing-basics")
        d["milestones"][1]["criteria"]["assessments"].append("ticketing-basics")

    lines = errors_of(mutate(dup))
    assert len(lines) == 2
    assert (
        "milestones[0].criteria.modules[2]: module 'ticketing-basics' is listed twice" in lines[0]
    )
    assert (
        "milestones[1].criteria.assessments[1]: module 'ticketing-basics' is listed twice"
        in lines[1]
    )


def test_unknown_module_in_curriculum(modules):
    line = only_error(MINI.replace("tone-and-empathy]", "tone-basics]"), modules)
    assert (
        "milestones[0].criteria.modules[1]: "
        "unknown module 'tone-basics' in curriculum 'support-onboarding'" in line
    )


def test_unknown_modules_not_checked_without_a_curriculum():
    assert parse_template(MINI.replace("tone-and-empathy]", "tone-basics]"))


def test_assessment_needs_a_knowledge_check(modules):
    no_check = {**modules, "ticketing-basics": False}
    line = only_error(MINI, no_check)
    assert (
        "milestones[1].criteria.assessments[0]: module 'ticketing-basics' has no knowledge check"
        in line
    )


def test_bad_slug_in_criteria():
    line = only_error(MINI.replace("[ticketing-basics]", "[Ticketing Basics]"))
    assert "milestones[1].criteria.assessments[0]: must be 1-64 characters" in line


# Whole-document behaviour


def test_all_problems_at_once(modules):
    def many(d):
        d["milestones"][0]["criteria"]["modules"].append("tone-basics")
        d["milestones"][1]["parent"] = "nobody"
        d["milestones"][2]["phase"] = "proficient"
        d["milestones"][3]["due_day"] = 5
        d["milestones"][3]["criteria"]["metrics"][0]["metric"] = "speed"
        del d["milestones"][3]["criteria"]["metrics"][0]["min_sample"]

    lines = errors_of(mutate(many), modules)
    places = [line.split(": ")[1] for line in lines]
    assert places == [
        "milestones[0].criteria.modules[2]",
        "milestones[1].parent",
        "milestones[2].phase",
        "milestones[3].due_day",
        "milestones[3].criteria.metrics[0].metric",
        "milestones[3].criteria.metrics[0].min_sample",
    ]
    assert all(line.startswith("ramp.yaml:") for line in lines)


def test_model_errors_reported_together():
    def bad(d):
        d["warning_days"] = -1
        d["milestones"][0]["title"] = "  "
        d["milestones"][1]["optional"] = "maybe"

    text = "\n".join(errors_of(mutate(bad)))
    assert "warning_days: must be at least 0" in text
    assert "milestones[0].title: must not be empty" in text
    assert "milestones[1].optional: must be true or false" in text


def test_unknown_keys_refused():
    def typo(d):
        d["milestones"][0]["due_days"] = 14
        d["milestones"][2]["criteria"]["metrics"][0]["window"] = 7
        d["phases"][1]["placement"] = {"queues": "simple"}
        d["owner"] = "ops"

    text = "\n".join(errors_of(mutate(typo)))
    assert "milestones[0].due_days: is not a known key here" in text
    assert "milestones[2].criteria.metrics[0].window: is not a known key here" in text
    assert "phases[1].placement.queues: is not a known key here" in text
    assert "owner: is not a known key here" in text


def test_not_a_mapping_and_bad_yaml():
    [line] = errors_of("- just\n- a list\n")
    assert (
        line
        == "ramp.yaml:1:1: (document): the ramp template file must be a mapping of keys to values"
    )
    [line] = errors_of("slug: x\ntitle: [unclosed\n")
    assert line.startswith("ramp.yaml:") and "not valid YAML" in line


def test_unreadable_file(tmp_path):
    with pytest.raises(TemplateFileError) as exc:
        load_template_file(str(tmp_path / "missing.yaml"))
    assert "cannot read the file" in exc.value.report()


# Metric registry


def test_metric_registry_names_and_directions():
    assert list(METRICS) == [
        "qa_score",
        "fcr",
        "aht",
        "resolution_time",
        "first_response_time",
        "csat",
        "sla_compliance",
    ]
    higher = {name for name, m in METRICS.items() if m.higher_is_better}
    assert higher == {"qa_score", "fcr", "csat", "sla_compliance"}
    assert {m.unit for m in METRICS.values() if m.higher_is_better} == {"%"}
    assert {m.unit for m in METRICS.values() if not m.higher_is_better} == {"s"}
    assert METRICS["csat"].default_min_sample == 30
    assert {m.default_min_sample for n, m in METRICS.items() if n != "csat"} == {10}
    assert METRICS["qa_score"].label == "QA score"
    assert METRICS["sla_compliance"].label == "SLA compliance"


def test_meets_higher_is_better():
    qa = METRICS["qa_score"]
    assert qa.meets(85.0, 85.0)
    assert qa.meets(90.2, 85)
    assert not qa.meets(84.99, 85)


def test_meets_lower_is_better():
    aht = METRICS["aht"]
    assert aht.meets(600, 600)
    assert aht.meets(540.5, 600)
    assert not aht.meets(600.5, 600)


def test_format_percent():
    assert METRICS["qa_score"].format(86.5) == "86.5%"
    assert METRICS["csat"].format(80) == "80.0%"
    assert METRICS["fcr"].format(71.26) == "71.3%"


def test_format_seconds():
    aht = METRICS["aht"]
    assert aht.format(45) == "45s"
    assert aht.format(0) == "0s"
    assert aht.format(750) == "12m 30s"
    assert aht.format(605) == "10m 05s"
    assert aht.format(59.6) == "1m 00s"
    assert METRICS["resolution_time"].format(3900) == "1h 05m"
    assert METRICS["first_response_time"].format(2 * 3600 + 59) == "2h 00m"


def test_a_bad_template_is_refused_in_the_readers_language(modules):
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(catalogues.TRANSLATIONS_DIR))

    def many(d):
        d["milestones"][0]["criteria"]["modules"].append("tone-basics")
        d["milestones"][1]["parent"] = "nobody"
        d["milestones"][2]["due_day"] = 30
        d["milestones"][3]["criteria"]["metrics"][0]["metric"] = "speed"

    text = mutate(many)
    english = errors_of(text, modules)
    with app.test_request_context(), force_locale("es"):
        spanish = errors_of(text, modules)
    with app.test_request_context(), force_locale("en"):
        assert errors_of(text, modules) == english
    assert len(spanish) == len(english) == 4
    assert "unknown parent 'nobody'" in english[1]
    assert spanish[0].endswith(
        "módulo desconocido 'tone-basics' en el currículo 'support-onboarding'"
    )
    assert spanish[1].endswith("milestones[1].parent: hito padre desconocido 'nobody'")
    assert spanish[2].endswith("vence el día 30, fuera de su fase 'nesting' (due_day de 15 a 28)")
    assert "métrica desconocida 'speed'" in spanish[3]
    assert " o " in spanish[3]
