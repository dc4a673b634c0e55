"""Skills in ramp templates: the kind:value shape and the level checked, each refusal placed
by line and column; the exports' columns, with no agents the header alone."""

import csv
import io

import pytest

from ramp.milestones.template_spec import TemplateFileError, dump_template, parse_template
from ramp.skills.exports import (
    CALABRIO_COLUMNS,
    FORMATS,
    GENESYS_COLUMNS,
    NICE_COLUMNS,
    AgentSkills,
    skills_csv,
    split_name,
)

TEMPLATE = """\
slug: skills-ramp
title: Skills ramp
curriculum: onboarding
phases:
  - name: training
    days: 14
  - name: proficient
milestones:
  - key: classroom
    title: Classroom done
    phase: training
    due_day: 14
    criteria:
      sign_off: true
    skills:
{milestone}
certificate_skills:
{certificate}
"""


def template(milestone: str = "      - channel:chat", certificate: str = "  - language:es"):
    return TEMPLATE.format(milestone=milestone, certificate=certificate)


def problems(text: str) -> list[tuple[int | None, int | None, str, str]]:
    with pytest.raises(TemplateFileError) as exc:
        parse_template(text, "t.yaml")
    return [(e.line, e.column, e.place(), e.message) for e in exc.value.errors]


def test_skills_read_in_both_forms_with_levels_and_round_trip():
    spec = parse_template(
        template(
            "      - channel:chat\n      - skill: queue:billing\n        level: 4",
            "  - language:es-MX\n  - {skill: product:billing.v2, level: 5}",
        )
    )
    milestone = spec.milestones[0]
    assert [(s.skill, s.level) for s in milestone.skills] == [
        ("channel:chat", 3),
        ("queue:billing", 4),
    ]
    assert [(s.skill, s.level) for s in spec.certificate_skills] == [
        ("language:es-MX", 3),
        ("product:billing.v2", 5),
    ]
    assert parse_template(dump_template(spec)) == spec


def test_a_template_without_skills_dumps_as_before():
    text = (
        template()
        .replace("    skills:\n      - channel:chat\n", "")
        .replace("certificate_skills:\n  - language:es\n", "")
    )
    spec = parse_template(text)
    assert spec.certificate_skills == () and spec.milestones[0].skills == ()
    assert "skills:" not in dump_template(spec)


@pytest.mark.parametrize(
    "milestone, line, column, place, words",
    [
        (
            "      - queue billing",
            16,
            9,
            "milestones[0].skills[0]",
            "is not a skill: write kind:value",
        ),
        ("      - Queue:billing", 16, 9, "milestones[0].skills[0]", "is not a skill"),
        ("      - queue:", 16, 9, "milestones[0].skills[0]", "is not a skill"),
        ("      - queue:a b", 16, 9, "milestones[0].skills[0]", "is not a skill"),
        ("      - channel:fax", 16, 9, "milestones[0].skills[0]", "unknown channel 'fax'"),
        ("      - language:Spanish", 16, 9, "milestones[0].skills[0]", "is not a language tag"),
        (
            "      - skill: queue:billing\n        level: 9",
            17,
            16,
            "milestones[0].skills[0].level",
            "must be at most 5",
        ),
        (
            "      - skill: queue:billing\n        level: 0",
            17,
            16,
            "milestones[0].skills[0].level",
            "must be at least 1",
        ),
        (
            "      - skill: queue:billing\n        level: high",
            17,
            16,
            "milestones[0].skills[0].level",
            "must be a whole number",
        ),
        (
            "      - skill: queue:billing\n        rank: 2",
            17,
            15,
            "milestones[0].skills[0].rank",
            "is not a known key here",
        ),
        ("      - 42", 16, 9, "milestones[0].skills[0]", "mapping"),
        (
            "      - queue:billing\n      - queue:billing",
            17,
            9,
            "milestones[0].skills[1]",
            "listed twice",
        ),
    ],
)
def test_bad_skills_are_refused_with_line_and_column(milestone, line, column, place, words):
    found = problems(template(milestone))
    assert len(found) == 1, found
    got_line, got_column, got_place, message = found[0]
    assert (got_line, got_column, got_place) == (line, column, place)
    assert words in message


def test_a_bad_certificate_skill_is_placed_too():
    [(line, column, place, message)] = problems(template(certificate="  - language:"))
    assert (line, column, place) == (18, 5, "certificate_skills[0]")
    assert "'language:' is not a skill" in message


def test_a_space_after_the_colon_is_refused_quoting_what_was_written():
    [(line, column, place, message)] = problems(template(certificate="  - language: es"))
    assert (line, column, place) == (18, 5, "certificate_skills[0]")
    assert "'language: es' is not a skill" in message


AGENTS = [
    AgentSkills("Ana María López", "ana@example.com", [("language:es", 5), ("queue:billing", 1)]),
    AgentSkills("Ben", "ben@example.com", [("channel:chat", 3)]),
    AgentSkills("Cleo Quiet", "cleo@example.com", []),
]


def rows(fmt, agents=AGENTS):
    text = skills_csv(fmt, agents)
    return list(csv.reader(io.StringIO(text)))


def test_no_agents_gives_the_header_alone():
    assert rows("nice", []) == [list(NICE_COLUMNS)]
    assert rows("calabrio", []) == [list(CALABRIO_COLUMNS)]
    assert rows("genesys", []) == [list(GENESYS_COLUMNS)]
    assert set(FORMATS) == {"nice", "calabrio", "genesys"}


def test_nice_rows_one_per_skill_with_proficiency_one_highest():
    assert rows("nice")[1:] == [
        ["language:es", "ana@example.com", "Ana María", "López", "1"],
        ["queue:billing", "ana@example.com", "Ana María", "López", "20"],
        ["channel:chat", "ben@example.com", "Ben", "", "10"],
    ]


def test_calabrio_rows_with_percent_proficiency():
    assert rows("calabrio")[1:] == [
        ["ana@example.com", "Ana María", "López", "language:es", "100"],
        ["ana@example.com", "Ana María", "López", "queue:billing", "20"],
        ["ben@example.com", "Ben", "", "channel:chat", "60"],
    ]


def test_genesys_one_row_per_agent_skills_as_name_colon_stars():
    body = rows("genesys")[1:]
    assert body == [
        ["Ana María López", "ana@example.com", *[""] * 9, "language_es:5,queue_billing:1"],
        ["Ben", "ben@example.com", *[""] * 9, "channel_chat:3"],
    ]


def test_cells_a_spreadsheet_would_run_are_made_text():
    hostile = [AgentSkills("=HYPERLINK(1)", "x@example.com", [("queue:billing", 2)])]
    assert rows("genesys", hostile)[1][0] == "'=HYPERLINK(1)"


def test_split_name():
    assert split_name("Ana López") == ("Ana", "López")
    assert split_name("Plato") == ("Plato", "")
