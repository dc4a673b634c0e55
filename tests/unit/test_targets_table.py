"""Targets as tables: the shipped targets survive a round trip, and bad cells are named."""

import pytest

from ramp.metrics.display import STARTER_TARGETS
from ramp.metrics.targets import load_targets_file, parse_targets, target_for
from ramp.metrics.targets_table import (
    TableProblems,
    document_from_tables,
    field_name,
    format_value,
    tables_of,
    with_spare_rows,
)
from ramp.yamlspec import dump_yaml

PLACEMENTS = [
    None,
    {"queue": "billing"},
    {"queue": "billing", "channel": "phone"},
    {"channel": "phone"},
    {"channel": "chat"},
    {"queue": "general"},
]


def as_fields(tables) -> dict[str, str]:
    """What the page's form sends for these tables, untouched."""
    fields = {"tables": str(len(tables))}
    for t, table in enumerate(tables):
        fields[field_name(t, "rows")] = str(len(table.starts))
        fields.update({field_name(t, f): v for f, v in table.placement.items()})
        for r, start in enumerate(table.starts):
            fields[field_name(t, "from", r)] = "" if start is None else str(start)
            for metric, values in table.values.items():
                fields[field_name(t, metric, r)] = format_value(values[r])
        for metric, sample in table.min_sample.items():
            fields[field_name(t, f"{metric}-min_sample")] = "" if sample is None else str(sample)
    return fields


@pytest.fixture
def starter():
    return load_targets_file(str(STARTER_TARGETS))


def test_tables_of_the_shipped_targets(starter):
    tables = tables_of(starter)
    assert [t.label() for t in tables] == [
        "Default",
        "queue billing",
        "queue billing, channel phone",
        "channel phone",
        "channel chat",
    ]
    default = tables[0]
    assert default.starts == [1, 7, 8, 9, 10, 11]  # AHT steps every week from 7 to 11
    assert default.values["qa_score"] == [75, 80, 80, 82, 82, 85]
    assert default.values["aht"] == [900, 840, 780, 720, 660, 600]
    assert default.min_sample["qa_score"] == 10 and default.min_sample["resolution_time"] is None
    assert default.span(0) == "weeks 1–6" and default.span(1) == "week 7"
    assert default.span(5) == "weeks 11 onward"
    assert tables[1].values["qa_score"] == [None] * len(tables[1].starts)


def test_round_trip_keeps_every_target(starter):
    tables = [with_spare_rows(t) for t in tables_of(starter)]
    document, places = document_from_tables(as_fields(tables), starter)
    again = parse_targets(dump_yaml(document))
    for metric in (
        "qa_score",
        "fcr",
        "aht",
        "resolution_time",
        "first_response_time",
        "csat",
        "sla_compliance",
    ):
        for week in range(1, 20):
            for placement in PLACEMENTS:
                assert target_for(again, metric, week, placement) == target_for(
                    starter, metric, week, placement
                ), (metric, week, placement)
    # equal neighbouring rows merge back into one step
    qa = next(r for r in document["targets"] if r["metric"] == "qa_score")
    assert [s["from"] for s in qa["weeks"]] == [1, 7, 9, 11]
    assert places[0].table == "Default" and places[0].spans[0] == "weeks 1–6"


def test_a_non_number_a_blank_cell_and_a_bad_week_are_named(starter):
    fields = as_fields(tables_of(starter))
    fields[field_name(0, "qa_score", 0)] = "abc"
    fields[field_name(0, "csat", 1)] = ""
    fields[field_name(1, "from", 1)] = "seven"
    with pytest.raises(TableProblems) as exc:
        document_from_tables(fields, starter)
    assert exc.value.problems == [
        "Default, QA score, weeks 1–6: 'abc' is not a number",
        "Default, CSAT, week 7: no value (fill every row of the column, or none)",
        "queue billing: 'seven' is not a week number (1, 2, 3 ...)",
    ]


def test_a_table_without_a_placement_is_refused_unless_empty(starter):
    tables = tables_of(starter)
    fields = as_fields(tables)
    fields["tables"] = str(len(tables) + 1)
    extra = len(tables)
    fields[field_name(extra, "rows")] = "1"
    fields[field_name(extra, "from", 0)] = "1"
    document, _ = document_from_tables(fields, starter)  # a blank new table is ignored
    assert len(document["targets"]) == len(starter.targets)
    fields[field_name(extra, "qa_score", 0)] = "90"
    with pytest.raises(TableProblems, match="name the placement"):
        document_from_tables(fields, starter)
    fields[field_name(extra, "language")] = "de"
    document, _ = document_from_tables(fields, starter)
    assert document["targets"][-1] == {
        "metric": "qa_score",
        "placement": {"language": "de"},
        "weeks": [{"from": 1, "value": 90}],
    }
