"""The import mapping format: rules placed by line, value parsers, row parsing and reading."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from flask import Flask
from flask_babel import Babel, force_locale

from ramp.i18n import catalogues
from ramp.metrics.mapping import (
    CONTACT_FIELDS,
    EXTRA_CELLS,
    KINDS,
    QA_FIELDS,
    REQUIRED,
    FieldSpec,
    MappingColumnsError,
    MappingFileError,
    MappingSpec,
    ParsedRow,
    RowError,
    RowErrors,
    SkipRule,
    check_record,
    load_mapping_file,
    parse_mapping,
    parse_row,
    parse_value,
    read_rows,
    reduce_latest,
)
from ramp.metrics.problem_words import word_problem

CONTACTS = """\
name: helpdesk-tickets
title: Helpdesk tickets
kind: contacts
source: helpdesk
timezone: Europe/Berlin
fields:
  external_id: Ticket ID
  created_at:
    column: Created
    format: day_first
  solved_at:
    column: Solved
    format: day_first
  handle_seconds:
    column: Handle time
  csat_rating:
    column: Rating
  channel:
    column: Channel
    map: {voice: phone, web: email}
  sla_met:
    column: SLA met
  agent_email: Assignee email
"""

QA = """\
name: qa-export
title: QA export
kind: qa
source: qa-tool
fields:
  external_id: Review ID
  evaluated_at: Reviewed at
  score: Score
  max_score: {value: 100}
  agent_id: Agent
categories:
  - name: Tone
    score: Tone
    max_score: 10
  - name: Accuracy
    score: Accuracy
    max_column: Accuracy max
    weight: 2
    critical: true
"""

BERLIN = ZoneInfo("Europe/Berlin")
DOC = Path(__file__).parents[2] / "docs" / "mapping-format.md"


def errors_of(text: str) -> list[str]:
    with pytest.raises(MappingFileError) as exc:
        parse_mapping(text, "map.yaml")
    return exc.value.report().splitlines()


def only_error(text: str) -> str:
    lines = errors_of(text)
    assert len(lines) == 1, lines
    return lines[0]


def mutate(fn: Callable[[dict], None], text: str = CONTACTS) -> str:
    data = yaml.safe_load(text)
    fn(data)
    return yaml.safe_dump(data, sort_keys=False)


def mapping(text: str = CONTACTS, **changes: object) -> MappingSpec:
    def apply(data: dict) -> None:
        data.update(changes)

    return parse_mapping(mutate(apply, text) if changes else text)


def value(raw: str | None, ftype: str, spec: FieldSpec | None = None, **changes: object):
    return parse_value(raw, ftype, spec or FieldSpec(column="C"), mapping(**changes))


def bad_value(raw: str, ftype: str, spec: FieldSpec | None = None, **changes: object) -> str:
    with pytest.raises(RowError) as exc:
        value(raw, ftype, spec, **changes)
    return exc.value.message


def csv_rows(text: str, spec: MappingSpec) -> list[tuple[int, dict[str, str]]]:
    return list(read_rows(io.StringIO(text, newline=""), spec))


def row_errors(row: dict[str, str], spec: MappingSpec) -> list[tuple[str | None, str]]:
    with pytest.raises(RowErrors) as exc:
        parse_row(7, row, spec)
    assert exc.value.line == 7
    return [(e.column, e.message) for e in exc.value.errors]


GOOD_ROW = {
    "Ticket ID": "T-1",
    "Created": "03/04/2026 09:00",
    "Solved": "03/04/2026 10:30",
    "Handle time": "12:30",
    "Rating": "4",
    "Channel": "Voice",
    "SLA met": "yes",
    "Assignee email": "ana@example.com",
}


# The document


def test_contacts_mapping_parses_with_defaults_and_shorthand():
    spec = parse_mapping(CONTACTS)
    assert spec.kind in KINDS
    assert spec.format == "csv" and spec.delimiter is None and spec.encoding == "utf-8"
    assert spec.csat_scale == (1.0, 5.0)
    assert spec.fields["external_id"] == FieldSpec(column="Ticket ID")
    assert spec.fields["created_at"].format == "day_first"
    assert "n/a" in spec.null_values and "y" in spec.true_values and "0" in spec.false_values
    assert spec.columns() == {
        "Ticket ID",
        "Created",
        "Solved",
        "Handle time",
        "Rating",
        "Channel",
        "SLA met",
        "Assignee email",
    }


def test_qa_mapping_columns_include_categories_skip_and_latest():
    spec = parse_mapping(
        QA
        + "skip:\n  - {column: Status, equals: draft}\nlatest_per: Review ID\norder_by: Updated\n"
    )
    assert spec.columns() == {
        "Review ID",
        "Reviewed at",
        "Score",
        "Agent",
        "Tone",
        "Accuracy",
        "Accuracy max",
        "Status",
        "Updated",
    }
    assert spec.categories[1].weight == 2 and spec.categories[1].critical is True


def test_field_tables_and_required():
    assert CONTACT_FIELDS["created_at"] == "datetime" and CONTACT_FIELDS["sla_met"] == "boolean"
    assert QA_FIELDS["score"] == "number"
    assert REQUIRED == {
        "contacts": ("external_id", "created_at"),
        "qa": ("external_id", "evaluated_at"),
    }


def test_load_mapping_file(tmp_path):
    path = tmp_path / "zendesk.yaml"
    path.write_text(CONTACTS, encoding="utf-8")
    assert load_mapping_file(path).name == "helpdesk-tickets"
    path.write_text(CONTACTS.replace("kind: contacts", "kind: calls"), encoding="utf-8")
    with pytest.raises(MappingFileError) as exc:
        load_mapping_file(path)
    assert exc.value.report().startswith(f"{path}:3:7: kind: ")


def test_the_documented_examples_parse():
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    specs = [parse_mapping(block, "doc.yaml") for block in blocks]
    assert [s.kind for s in specs] == ["contacts", "qa", "qa", "qa", "contacts", "contacts"]
    assert len(specs[1].categories) == 3
    # The copies of the Zendesk QA and Playvox presets with a scorecard's categories.
    assert specs[2].categories[0].score == "rating.Tone and empathy"
    assert [c.weight for c in specs[3].categories] == [1, 3]
    specs = [specs[0], specs[1], *specs[4:]]
    assert specs[0].skip[1].matches == r"^\[test\]"
    assert specs[0].skip[2].not_in == ("solved", "closed")
    call = {
        "VRU": "vru7",
        "Call ID": "00123",
        "Date": "29/03/2026",
        "Time": "2:05 PM",
        "Talk time": "95",
        "Agent": "ana@example.com",
    }
    values = parse_row(2, call, specs[2]).values
    assert values["external_id"] == "vru7-00123"
    assert values["created_at"] == datetime(2026, 3, 29, 14, 5, tzinfo=BERLIN)


# Rules, each placed by line


def test_unknown_kind_exact_place():
    assert only_error(CONTACTS.replace("kind: contacts", "kind: calls")) == (
        "map.yaml:3:7: kind: unknown kind 'calls' (contacts or qa)"
    )


def test_unknown_time_zone_exact_place():
    assert only_error(CONTACTS.replace("Europe/Berlin", "Europe/Berln")) == (
        "map.yaml:5:11: timezone: unknown time zone 'Europe/Berln' "
        "(an IANA name like Europe/Berlin or UTC)"
    )


def test_unknown_field_lists_the_known_ones():
    line = only_error(CONTACTS.replace("  handle_seconds:", "  handle_time:"))
    assert line.startswith(
        "map.yaml:15:5: fields.handle_time: unknown field 'handle_time' for contacts"
    )
    assert "(known: external_id, channel, queue, created_at" in line


def test_qa_field_in_a_contacts_mapping_is_unknown():
    line = only_error(CONTACTS + "  score: Score\n")
    assert "fields.score: unknown field 'score' for contacts" in line


def test_required_field_not_mapped():
    line = only_error(CONTACTS.replace("  external_id: Ticket ID\n", ""))
    assert line == (
        "map.yaml:7:3: fields: the required field 'external_id' is not mapped "
        "(a contacts mapping needs external_id and created_at)"
    )


def test_an_agent_field_must_be_mapped():
    line = only_error(CONTACTS.replace("  agent_email: Assignee email\n", ""))
    assert line.endswith(
        "fields: map agent_email or agent_id (or both): records are matched to agents by them"
    )


def test_field_needs_a_column_or_a_value_not_both():
    neither = only_error(CONTACTS.replace("    column: Rating\n", "    required: true\n"))
    assert (
        neither == "map.yaml:17:5: fields.csat_rating: csat_rating needs a column "
        "(or a constant value, a template, or a date and a time)"
    )
    both = only_error(
        CONTACTS.replace("    column: Rating\n", "    column: Rating\n    value: 5\n")
    )
    assert both.endswith("fields.csat_rating: csat_rating has both a column and a value: use one")


def test_type_must_exist_and_fit_the_field():
    unknown = only_error(
        CONTACTS.replace("    column: Rating\n", "    column: Rating\n    type: float\n")
    )
    assert unknown == (
        "map.yaml:18:11: fields.csat_rating.type: unknown type 'float' "
        "(text, integer, number, duration, datetime or boolean)"
    )
    misfit = only_error(
        CONTACTS.replace("    format: day_first\n  solved_at", "    type: text\n  solved_at")
    )
    assert misfit.endswith(
        "fields.created_at.type: created_at is a datetime field: it can be read as datetime, not text"
    )


def test_format_must_fit_the_type():
    dt = only_error(
        CONTACTS.replace("format: day_first\n  solved_at", "format: european\n  solved_at")
    )
    assert (
        "fields.created_at.format: unknown datetime format 'european' (iso, epoch, day_first or month_first"
        in dt
    )
    directive = only_error(
        CONTACTS.replace("format: day_first\n  solved_at", "format: '%d/%q'\n  solved_at")
    )
    assert (
        "fields.created_at.format: not a usable strptime pattern: 'q' is a bad directive"
        in directive
    )
    duration = only_error(
        CONTACTS.replace("column: Handle time", "column: Handle time\n    format: hours")
    )
    assert duration.endswith(
        "fields.handle_seconds.format: unknown duration format 'hours' (seconds, minutes or hms)"
    )
    text = only_error(CONTACTS.replace("map: {voice", "format: iso\n    map: {voice"))
    assert text.endswith(
        "fields.channel.format: format only applies to datetime and duration values, not text"
    )


def test_scale_rules():
    low_high = only_error(CONTACTS.replace("column: Rating", "column: Rating\n    scale: [5, 1]"))
    assert low_high.endswith(
        "fields.csat_rating.scale: the low end of the scale must be below the high end"
    )
    on_text = only_error(CONTACTS.replace("map: {voice", "scale: [1, 5]\n    map: {voice"))
    assert on_text.endswith("fields.channel.scale: scale only applies to number fields")
    csat = only_error(CONTACTS + "csat_scale: [10, 0]\n")
    assert csat.endswith("csat_scale: the low end of the scale must be below the high end")


def test_latest_per_needs_order_by_and_back():
    assert only_error(CONTACTS + "latest_per: Ticket ID\n").endswith(
        "latest_per: latest_per needs order_by: the column that says which row is the latest"
    )
    assert only_error(CONTACTS + "order_by: Updated\n").endswith(
        "order_by: order_by only applies with latest_per"
    )


def test_categories_only_for_qa():
    line = only_error(CONTACTS + "categories:\n  - {name: Tone, score: Tone, max_score: 5}\n")
    assert line == "map.yaml:25:3: categories: categories are only for qa mappings"


def test_category_rules():
    text = QA.replace("    max_score: 10\n", "") + "  - {name: tone, score: T2, max_score: 0}\n"
    lines = errors_of(text)
    assert lines == [
        "map.yaml:12:5: categories[0]: a category needs max_score (a number) or max_column, one of them",
        "map.yaml:19:12: categories[2].name: duplicate category 'tone' (also categories[0])",
        "map.yaml:19:40: categories[2].max_score: max_score must be above min_score",
    ]


def test_skip_rules_need_a_test_and_a_valid_regex():
    lines = errors_of(
        CONTACTS + "skip:\n  - column: Status\n  - {column: Subject, matches: '(test'}\n"
    )
    assert lines[0] == (
        "map.yaml:25:5: skip[0]: a skip rule needs equals, not_equals, in, not_in, empty or matches"
    )
    assert lines[1] == (
        "map.yaml:26:32: skip[1].matches: not a regular expression ramp can run: missing ): (test"
    )


@pytest.mark.parametrize("pattern", [r"(a)\1", "(?=x)y", "(?<!a)b"])
def test_backreferences_and_lookarounds_are_refused(pattern):
    lines = errors_of(CONTACTS + f"skip:\n  - {{column: Subject, matches: '{pattern}'}}\n")
    assert "skip[0].matches: not a regular expression ramp can run" in lines[0]


def test_a_catastrophic_pattern_cannot_hang_a_skip_rule():
    # '^(a+)+$' against 35 a's and a b: hours with backtracking, microseconds on RE2.
    rule = SkipRule(column="Subject", matches="^(a+)+$")
    assert rule._regex.search("a" * 35 + "b") is None
    assert rule._regex.search("A" * 35) is not None  # case ignored


def test_unknown_key_is_refused():
    line = only_error(
        CONTACTS.replace("    format: day_first\n  solved_at", "    formt: day_first\n  solved_at")
    )
    assert line == "map.yaml:10:12: fields.created_at.formt: is not a known key here"


def test_unquoted_yaml_booleans_are_refused():
    line = only_error(CONTACTS + "true_values: [yes, 'y']\n")
    assert "true_values: write yes/no/true/false/on/off in quotes here" in line
    # numbers are fine: YAML's 1 is the text "1"
    assert parse_mapping(CONTACTS + "true_values: ['ja', 1]\n").true_values == ("ja", "1")


def test_true_and_false_values_must_not_overlap():
    lines = errors_of(CONTACTS + "true_values: ['yes', 'ok']\nfalse_values: ['no', 'OK', 'n/a']\n")
    assert lines[0].endswith("false_values: ok cannot mean both yes and no")
    assert lines[1].endswith("false_values: n/a also mark an empty value (null_values)")


def test_delimiter_and_encoding_rules():
    assert parse_mapping(CONTACTS + "delimiter: tab\n").delimiter == "\t"
    assert parse_mapping(CONTACTS + "encoding: UTF-8-SIG\n").encoding == "utf-8"
    assert only_error(CONTACTS + "delimiter: ';;'\n").endswith(
        "delimiter: the delimiter must be one character, such as , ; | or tab"
    )
    assert only_error(CONTACTS + "format: jsonl\ndelimiter: ';'\n").endswith(
        "delimiter: delimiter only applies to csv files"
    )
    assert only_error(CONTACTS + "encoding: latin-1\n").endswith(
        "encoding: only utf-8 is supported, not 'latin-1': export the file as UTF-8"
    )


def test_map_values_and_constants_must_fit_the_type():
    lines = errors_of(
        CONTACTS.replace("    column: Rating\n", "    column: Rating\n    map: {great: five}\n")
        + "  sla_target_seconds: {value: '-1:00'}\n"
    )
    assert lines[0] == "map.yaml:18:18: fields.csat_rating.map.great: 'five' is not a number"
    assert lines[1] == (
        "map.yaml:25:31: fields.sla_target_seconds.value: '-1:00' is a negative duration"
    )


def test_map_on_a_constant_and_duplicate_keys():
    lines = errors_of(
        CONTACTS.replace("    column: Channel\n", "    value: phone\n").replace(
            "{voice: phone, web: email}", "{voice: phone, Voice: phone}"
        )
    )
    assert lines[0].endswith(
        "fields.channel.map: map translates column values: a constant needs none"
    )
    assert lines[1].endswith(
        "fields.channel.map.Voice: 'Voice' is mapped twice (also 'voice'; case is ignored)"
    )


def test_every_problem_is_reported_at_once():
    lines = errors_of(
        CONTACTS.replace("kind: contacts", "kind: contacts\nlatest_per: Ticket ID").replace(
            "Europe/Berlin", "Mars/Olympus"
        )
        + "skip:\n  - column: Status\n"
    )
    assert len(lines) == 3
    assert [line.split(": ")[1] for line in lines] == ["timezone", "latest_per", "skip[0]"]


# Values: datetimes


def test_day_first_and_month_first_read_the_same_text_differently():
    day = FieldSpec(column="C", format="day_first")
    month = FieldSpec(column="C", format="month_first")
    assert value("03/04/26", "datetime", day) == datetime(2026, 4, 3, tzinfo=BERLIN)
    assert value("03/04/26", "datetime", month) == datetime(2026, 3, 4, tzinfo=BERLIN)
    assert value("31.01.2026 14:05:09", "datetime", day) == datetime(
        2026, 1, 31, 14, 5, 9, tzinfo=BERLIN
    )
    assert value("1-31-2026 2:05 PM", "datetime", month) == datetime(
        2026, 1, 31, 14, 5, tzinfo=BERLIN
    )
    assert value("01/31/2026 12:05 am", "datetime", month) == datetime(
        2026, 1, 31, 0, 5, tzinfo=BERLIN
    )


def test_impossible_day_first_date_message():
    assert bad_value("31/02/2026", "datetime", FieldSpec(column="C", format="day_first")) == (
        "'31/02/2026' is not a date (expected day-first, e.g. 31/01/2026 14:05)"
    )
    assert bad_value("13/31/2026", "datetime", FieldSpec(column="C", format="month_first")) == (
        "'13/31/2026' is not a date (expected month-first, e.g. 01/31/2026 2:05 PM)"
    )
    assert "is not a date" in bad_value(
        "13:05 PM 01/01/26", "datetime", FieldSpec(column="C", format="day_first")
    )
    assert "is not a date" in bad_value(
        "01/01/2026 13:05 PM", "datetime", FieldSpec(column="C", format="day_first")
    )


def test_two_digit_years_follow_percent_y():
    day = FieldSpec(column="C", format="day_first")
    assert value("31/12/68", "datetime", day).year == 2068
    assert value("01/01/69", "datetime", day).year == 1969
    assert value("01/01/99", "datetime", day).year == 1999
    assert value("01/01/00", "datetime", day).year == 2000


def test_iso_with_z_offset_and_naive():
    iso = FieldSpec(column="C")
    assert value("2026-01-31T14:05:00Z", "datetime", iso) == datetime(
        2026, 1, 31, 14, 5, tzinfo=UTC
    )
    with_offset = value("2026-01-31T14:05:00-05:00", "datetime", iso)
    assert with_offset.utcoffset() == timedelta(hours=-5)
    assert value("2026-01-31", "datetime", iso) == datetime(2026, 1, 31, tzinfo=BERLIN)
    assert bad_value("31/01/2026", "datetime", iso) == (
        "'31/01/2026' is not a date (expected ISO 8601, e.g. 2026-01-31T14:05:00Z)"
    )


def test_naive_times_take_the_mapping_time_zone_across_dst():
    iso = FieldSpec(column="C")
    before = value("2026-03-29 01:30", "datetime", iso)
    assert before.tzinfo is not None
    assert before.utcoffset() == timedelta(hours=1)
    assert before.astimezone(UTC) == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    after = value("2026-03-29 03:30", "datetime", iso)
    assert after.utcoffset() == timedelta(hours=2)
    assert after.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert bad_value("2026-03-29 02:30", "datetime", iso) == (
        "'2026-03-29 02:30' does not exist in Europe/Berlin: the clocks skip it (summer time)"
    )
    # the repeated hour in autumn is read as its first occurrence (summer time)
    autumn = value("2026-10-25 02:30", "datetime", iso)
    assert autumn.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    # the same text in UTC
    assert value("2026-03-29 02:30", "datetime", iso, timezone="UTC") == datetime(
        2026, 3, 29, 2, 30, tzinfo=ZoneInfo("UTC")
    )


def test_epoch_seconds_are_utc():
    epoch = FieldSpec(column="C", format="epoch")
    assert value("1769868300", "datetime", epoch) == datetime(2026, 1, 31, 14, 5, tzinfo=UTC)
    assert value("1769868300.5", "datetime", epoch) == datetime(
        2026, 1, 31, 14, 5, 0, 500000, tzinfo=UTC
    )
    assert bad_value("yesterday", "datetime", epoch) == (
        "'yesterday' is not a date (expected seconds since 1970-01-01 UTC, e.g. 1769868300)"
    )


def test_strptime_patterns():
    pattern = FieldSpec(column="C", format="%d/%m/%y %H:%M")
    assert value("31/01/26 14:05", "datetime", pattern) == datetime(
        2026, 1, 31, 14, 5, tzinfo=BERLIN
    )
    assert bad_value("2026-01-31", "datetime", pattern) == (
        "'2026-01-31' is not a date (expected %d/%m/%y %H:%M, e.g. 31/01/26 14:05)"
    )
    zoned = FieldSpec(column="C", format="%Y-%m-%d %H:%M %z")
    assert value("2026-01-31 14:05 +0530", "datetime", zoned).utcoffset() == timedelta(
        hours=5, minutes=30
    )


# Values: durations, numbers, booleans, text


def test_durations():
    plain = FieldSpec(column="C")
    assert value("95", "duration", plain) == 95.0
    assert value("12.5", "duration", plain) == 12.5
    assert value("1:35", "duration", plain) == 95.0
    assert value("1:02:03", "duration", plain) == 3723.0
    assert value("0:00:07.5", "duration", plain) == 7.5
    assert value("1.5", "duration", FieldSpec(column="C", format="minutes")) == 90.0
    assert value("95", "duration", FieldSpec(column="C", format="seconds")) == 95.0
    assert value("12:30", "duration", FieldSpec(column="C", format="hms")) == 750.0
    assert bad_value("-5", "duration", plain) == "'-5' is a negative duration"
    assert bad_value("-0:30", "duration", plain) == "'-0:30' is a negative duration"
    assert bad_value("1:75", "duration", plain) == (
        "'1:75' is not a duration (expected seconds, or h:mm:ss or m:ss, e.g. 95 or 1:35)"
    )
    assert bad_value("95", "duration", FieldSpec(column="C", format="hms")) == (
        "'95' is not a duration (expected h:mm:ss or m:ss, e.g. 1:02:03 or 4:05)"
    )
    assert bad_value("1:35", "duration", FieldSpec(column="C", format="seconds")).startswith(
        "'1:35' is not a duration (expected a number of seconds"
    )


def test_null_markers_for_every_type():
    for raw in ("", "  ", "-", "N/A", " na ", "NULL", "None", None):
        for ftype in ("text", "integer", "number", "duration", "datetime", "boolean"):
            assert value(raw, ftype) is None
    assert value("n/a", "text", null_values=["", "unknown"]) == "n/a"
    assert value("Unknown", "number", null_values=["", "unknown"]) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("yes", True),
        ("Y", True),
        ("TRUE", True),
        ("1", True),
        ("t", True),
        ("no", False),
        ("N", False),
        ("False", False),
        ("0", False),
    ],
)
def test_booleans(raw, expected):
    assert value(raw, "boolean") is expected


def test_boolean_errors_and_custom_words():
    assert bad_value("maybe", "boolean") == "'maybe' is not yes or no"
    assert value("Ja", "boolean", true_values=["ja"], false_values=["nein"]) is True
    assert bad_value("yes", "boolean", true_values=["ja"], false_values=["nein"]) == (
        "'yes' is not yes or no"
    )


def test_numbers_and_integers():
    assert value("4.5", "number") == 4.5
    assert value("85%", "number") == 85.0
    assert value(" 85 % ", "number") == 85.0
    assert value("-.5", "number") == -0.5
    assert value("3", "integer") == 3 and isinstance(value("3", "integer"), int)
    assert value("2.0", "integer") == 2
    assert bad_value("4,5", "number") == "'4,5' is not a number"
    assert bad_value("nan", "number") == "'nan' is not a number"
    assert bad_value("1_000", "number") == "'1_000' is not a number"
    assert bad_value("2.5", "integer") == "'2.5' is not a whole number"
    assert value(" T-1 ", "text") == "T-1"


def test_rating_scale():
    scale = FieldSpec(column="C", scale=(1, 5))
    assert value("5", "number", scale) == 5.0
    assert bad_value("7", "number", scale) == "'7' is outside the rating scale 1–5"
    assert bad_value("0.5", "number", scale) == "'0.5' is outside the rating scale 1–5"
    spec = mapping(csat_scale=[0, 10])
    row = {**GOOD_ROW, "Rating": "9"}
    assert parse_row(2, row, spec).values["_csat_scale"] == (0.0, 10.0)
    assert row_errors({**GOOD_ROW, "Rating": "11"}, spec) == [
        ("Rating", "'11' is outside the rating scale 0–10")
    ]


def test_map_translates_first_ignoring_case():
    spec = FieldSpec(column="C", map={"voice": "phone", "Web": "email"})
    assert value("Voice", "text", spec) == "phone"
    assert value(" WEB ", "text", spec) == "email"
    assert value("chat", "text", spec) == "chat"
    ratings = FieldSpec(column="C", map={"very satisfied": 5, "unknown": ""}, scale=(1, 5))
    assert value("Very Satisfied", "number", ratings) == 5.0
    assert value("unknown", "number", ratings) is None
    assert value("3", "number", ratings) == 3.0
    flags = FieldSpec(column="C", map={"breached": False, "achieved": True})
    assert value("Breached", "boolean", flags) is False


def test_type_override_reads_an_excel_id_as_a_whole_number():
    spec = parse_mapping(
        CONTACTS.replace(
            "  external_id: Ticket ID\n", "  external_id: {column: Ticket ID, type: integer}\n"
        )
    )
    assert parse_row(2, {**GOOD_ROW, "Ticket ID": "12345.0"}, spec).values["external_id"] == "12345"


# Rows


def test_parse_row_reads_every_field():
    parsed = parse_row(2, GOOD_ROW, mapping())
    assert parsed == ParsedRow(
        2,
        {
            "external_id": "T-1",
            "created_at": datetime(2026, 4, 3, 9, 0, tzinfo=BERLIN),
            "solved_at": datetime(2026, 4, 3, 10, 30, tzinfo=BERLIN),
            "handle_seconds": 750.0,
            "csat_rating": 4.0,
            "channel": "phone",
            "sla_met": True,
            "agent_email": "ana@example.com",
            "_csat_scale": (1.0, 5.0),
        },
    )


def test_constants_fill_fields():
    spec = parse_mapping(
        CONTACTS + "  queue: {value: Billing}\n  sla_target_seconds: {value: '1:00:00'}\n"
    )
    values = parse_row(2, GOOD_ROW, spec).values
    assert values["queue"] == "Billing"
    assert values["sla_target_seconds"] == 3600.0


def test_a_row_with_several_bad_columns_reports_all_of_them():
    row = {
        **GOOD_ROW,
        "Created": "31/02/2026",
        "Handle time": "-5",
        "Rating": "7",
        "SLA met": "maybe",
        "Assignee email": "",
    }
    assert row_errors(row, mapping()) == [
        ("Created", "'31/02/2026' is not a date (expected day-first, e.g. 31/01/2026 14:05)"),
        ("Handle time", "'-5' is a negative duration"),
        ("Rating", "'7' is outside the rating scale 1–5"),
        ("SLA met", "'maybe' is not yes or no"),
        ("Assignee email", "no agent: agent_email is empty"),
    ]


def test_required_fields_must_have_a_value():
    spec = parse_mapping(
        CONTACTS.replace("    column: Rating\n", "    column: Rating\n    required: true\n")
    )
    assert row_errors({**GOOD_ROW, "Ticket ID": " ", "Rating": "n/a"}, spec) == [
        ("Ticket ID", "external_id is required, but the cell is empty"),
        ("Rating", "csat_rating is required, but the cell is empty"),
    ]


def test_one_agent_field_is_enough():
    spec = parse_mapping(CONTACTS + "  agent_id: Agent ID\n")
    assert (
        parse_row(2, {**GOOD_ROW, "Assignee email": "", "Agent ID": "42"}, spec).values["agent_id"]
        == "42"
    )
    assert row_errors({**GOOD_ROW, "Assignee email": "-", "Agent ID": ""}, spec) == [
        ("Assignee email", "no agent: agent_email and agent_id are both empty")
    ]


def test_cross_field_errors_name_the_column():
    assert row_errors({**GOOD_ROW, "Solved": "02/04/2026 10:00"}, mapping()) == [
        (
            "Solved",
            "solved before it was created "
            "(solved_at 2026-04-02 10:00+02:00 is before created_at 2026-04-03 09:00+02:00)",
        )
    ]


def test_extra_cells_are_an_error():
    assert row_errors({**GOOD_ROW, EXTRA_CELLS: "oops"}, mapping()) == [
        (None, "the row has more cells than the header has columns (a stray delimiter?)")
    ]


def test_qa_row_with_categories():
    spec = parse_mapping(QA)
    row = {
        "Review ID": "R-1",
        "Reviewed at": "2026-02-01T10:00:00Z",
        "Score": "85%",
        "Agent": "a-7",
        "Tone": "8",
        "Accuracy": "N/A",
        "Accuracy max": "20",
    }
    values = parse_row(2, row, spec).values
    assert values["score"] == 85.0 and values["max_score"] == 100.0
    assert values["categories"] == [
        {
            "name": "Tone",
            "key": "tone",
            "score": 8.0,
            "max_score": 10.0,
            "min_score": 0.0,
            "weight": 1.0,
            "critical": False,
        },
        {
            "name": "Accuracy",
            "key": "accuracy",
            "score": None,
            "max_score": 20.0,
            "min_score": 0.0,
            "weight": 2.0,
            "critical": True,
        },
    ]
    assert row_errors({**row, "Tone": "12", "Score": "120"}, spec) == [
        ("Tone", "'12' is above the maximum 10 of 'Tone'"),
        ("Score", "score above the maximum (120 > 100)"),
    ]
    assert row_errors({**row, "Tone": "-1", "Accuracy": "5", "Accuracy max": ""}, spec) == [
        ("Tone", "'-1' is below the minimum 0 of 'Tone'"),
        ("Accuracy max", "'Accuracy' has a score but no maximum"),
    ]


# Skip rules


SKIPPING = (
    CONTACTS
    + """\
skip:
  - {column: Status, equals: Deleted}
  - {column: Channel, in: [internal, test]}
  - {column: Assignee email, empty: true}
  - {column: Subject, matches: '^\\[(test|demo)\\]'}
  - {column: Rating, empty: false, equals: '1'}
"""
)


@pytest.mark.parametrize(
    ("changes", "skipped"),
    [
        ({}, False),
        ({"Status": " deleted "}, True),
        ({"Status": "deleted later"}, False),
        ({"Channel": "TEST"}, True),
        ({"Channel": "tests"}, False),
        ({"Assignee email": "n/a"}, True),
        ({"Subject": "[Demo] checkout"}, True),
        ({"Subject": "about a [demo]"}, False),
        ({"Rating": "1"}, True),
        ({"Rating": ""}, False),
    ],
)
def test_skip_rules(changes, skipped):
    spec = parse_mapping(SKIPPING)
    row = {**GOOD_ROW, "Status": "open", "Subject": "Refund", **changes}
    assert (parse_row(2, row, spec) is None) is skipped


NEGATED = (
    CONTACTS
    + """\
skip:
  - {column: Status, not_in: [solved, 'Closed ']}
  - {column: Channel, not_equals: Email}
  - {column: Subject, not_equals: '', matches: '^\\[test\\]'}
"""
)


@pytest.mark.parametrize(
    ("changes", "skipped"),
    [
        ({}, False),
        ({"Status": " CLOSED "}, False),
        ({"Status": "open"}, True),
        ({"Status": ""}, True),  # an empty cell is in no list
        ({"Channel": "email "}, False),
        ({"Channel": "phone"}, True),
        ({"Channel": ""}, True),
        ({"Subject": "[test] refund"}, True),
        ({"Subject": "refund [test]"}, False),
    ],
)
def test_negated_skip_rules(changes, skipped):
    spec = parse_mapping(NEGATED)
    row = {**GOOD_ROW, "Status": "solved", "Channel": "Email", "Subject": "Refund", **changes}
    assert (parse_row(2, row, spec) is None) is skipped


def test_negated_skip_rules_want_their_words_quoted_and_listed():
    lines = errors_of(CONTACTS + "skip:\n  - {column: Status, not_in: [open, no]}\n")
    assert len(lines) == 1 and "skip[0].not_in" in lines[0] and "in quotes" in lines[0]
    assert "not_equal" in only_error(CONTACTS + "skip:\n  - {column: Status, not_equal: x}\n")


# latest_per


LATEST = CONTACTS + "latest_per: Ticket ID\norder_by: Updated\n"


def test_latest_per_keeps_the_latest_row_per_key_in_file_order():
    spec = parse_mapping(LATEST)
    rows = [
        (2, {**GOOD_ROW, "Ticket ID": "A", "Updated": "2026-04-03T10:00:00Z", "Rating": "2"}),
        (3, {**GOOD_ROW, "Ticket ID": "B", "Updated": "2026-04-03T09:00:00Z"}),
        (4, {**GOOD_ROW, "Ticket ID": "A", "Updated": "2026-04-03T12:00:00+02:00", "Rating": "5"}),
        (5, {**GOOD_ROW, "Ticket ID": "A", "Updated": "2026-04-03T11:00:00Z", "Rating": "4"}),
        (6, {**GOOD_ROW, "Ticket ID": "B", "Updated": "2026-04-03T08:00:00Z"}),
    ]
    # 12:00+02:00 is 10:00Z: a tie with line 2, so the later line wins, but 11:00Z is later.
    kept = list(reduce_latest(rows, spec))
    assert [line for line, _ in kept] == [3, 5]
    parsed = [parse_row(line, row, spec) for line, row in rows]
    assert parsed[0].values["_key"] == "A"
    assert parsed[0].values["_order"] == datetime(2026, 4, 3, 10, tzinfo=UTC).timestamp()
    assert [p.line for p in reduce_latest(parsed, spec)] == [3, 5]
    assert [line for line, _ in reduce_latest(rows[:3], spec)] == [3, 4]  # tie: later line


def test_latest_per_orders_by_numbers_or_the_main_date_format():
    spec = parse_mapping(LATEST)
    rows = [
        (2, {**GOOD_ROW, "Updated": "10"}),
        (3, {**GOOD_ROW, "Updated": "9.5"}),
    ]
    assert [line for line, _ in reduce_latest(rows, spec)] == [2]
    # an unmapped order column with day-first dates is read like created_at
    spec = parse_mapping(LATEST.replace("timezone: Europe/Berlin\n", ""))
    rows = [
        (2, {**GOOD_ROW, "Updated": "02/03/2026 10:00"}),
        (3, {**GOOD_ROW, "Updated": "01/03/2026 11:00"}),
    ]
    assert [line for line, _ in reduce_latest(rows, spec)] == [2]
    with pytest.raises(RowErrors) as exc:
        list(reduce_latest([(4, {**GOOD_ROW, "Updated": "soon"})], spec))
    assert exc.value.line == 4
    assert exc.value.errors[0].column == "Updated"
    assert "'soon' cannot order rows" in exc.value.errors[0].message
    assert row_errors({**GOOD_ROW, "Updated": ""}, spec) == [
        ("Updated", "the cell is empty: latest_per needs it to find the latest row")
    ]


def test_without_latest_per_rows_pass_through_lazily():
    def endless():
        line = 1
        while True:
            line += 1
            yield line, {}

    rows = reduce_latest(endless(), mapping())
    assert next(rows)[0] == 2 and next(rows)[0] == 3


# Reading files


HEADER = [
    "Ticket ID",
    "Created",
    "Solved",
    "Handle time",
    "Rating",
    "Channel",
    "SLA met",
    "Assignee email",
]


def csv_text(delimiter: str, *rows: list[str]) -> str:
    return "\n".join(delimiter.join(r) for r in (HEADER, *rows)) + "\n"


ROW = ["T-1", "03/04/2026 09:00", "", "95", "5", "web", "no", "ana@example.com"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiters_are_detected(delimiter):
    rows = csv_rows(csv_text(delimiter, ROW, ROW), mapping())
    assert [line for line, _ in rows] == [2, 3]
    assert rows[0][1]["Assignee email"] == "ana@example.com"
    assert parse_row(*rows[0], mapping()).values["channel"] == "email"


def test_semicolon_file_with_commas_inside_cells():
    text = csv_text(";", ["T-1", "03/04/2026 09:00", "", "1,5", "5", "web", "no", "a@x.com"])
    row = csv_rows(text, mapping())[0][1]
    assert row["Handle time"] == "1,5"


def test_given_delimiter_is_used():
    text = csv_text("|", ROW).replace("T-1", "T,1")
    assert csv_rows(text, mapping(delimiter="|"))[0][1]["Ticket ID"] == "T,1"


def test_bom_is_dropped():
    rows = csv_rows("\ufeff" + csv_text(",", ROW), mapping())
    assert rows[0][1]["Ticket ID"] == "T-1"


def test_quoted_newlines_keep_line_numbers_right():
    note = '"first line\nsecond line\nthird"'
    text = (
        ",".join([*HEADER, "Note"])
        + "\n"
        + ",".join([*ROW, note])
        + "\r\n"
        + ",".join([*ROW, "plain"])
        + "\n\n"
        + ",".join(["T-3", *ROW[1:], '"a\r\nb"'])
        + "\n"
        + ",".join(["T-4", *ROW[1:], "c"])
        + "\n"
    )
    rows = csv_rows(text, mapping())
    assert [line for line, _ in rows] == [2, 5, 7, 9]
    assert rows[0][1]["Note"] == "first line\nsecond line\nthird"
    assert rows[2][1]["Ticket ID"] == "T-3"


def test_header_matches_ignoring_case_and_spaces_short_rows_and_extra_cells():
    text = (
        " ticket id ,CREATED,"
        + ",".join(HEADER[2:])
        + "\n"
        + ",".join(ROW[:3])
        + "\n"
        + ",".join([*ROW, "x", ""])
        + "\n,,,\n"
    )
    rows = csv_rows(text, mapping())
    assert rows[0] == (
        2,
        {name: (ROW[i] if i < 3 else "") for i, name in enumerate(HEADER)},
    )
    assert rows[1][1][EXTRA_CELLS] == "x,"
    assert len(rows) == 2


def test_missing_columns_are_reported_before_any_row():
    text = csv_text(",", ROW).replace("Assignee email", "Assignee e-mail").replace("Rating,", "")
    with pytest.raises(MappingColumnsError) as exc:
        read_rows(io.StringIO(text), mapping())
    assert exc.value.missing == ["Rating", "Assignee email"]
    assert exc.value.found == [
        h.replace("Assignee email", "Assignee e-mail") for h in HEADER if h != "Rating"
    ]
    assert "(did you mean 'Assignee e-mail'?)" in str(exc.value)
    with pytest.raises(MappingColumnsError) as empty:
        read_rows(io.StringIO(""), mapping())
    assert empty.value.found == []


def test_reading_streams_without_reading_the_whole_file():
    body = ",".join(ROW) + "\n"
    stream = io.StringIO(",".join(HEADER) + "\n" + body * 50_000)
    rows = read_rows(stream, mapping())
    line, _ = next(rows)
    assert line == 2
    assert stream.tell() < 70 * 1024
    assert sum(1 for _ in rows) == 49_999


JSONL = CONTACTS + "format: jsonl\n"


def test_json_lines():
    spec = parse_mapping(
        JSONL.replace("  agent_email: Assignee email\n", "  agent_email: assignee.email\n")
    )
    text = (
        '\ufeff{"Ticket ID": 1001, "Created": "03/04/2026 09:00", "Rating": 4.5, "SLA met": true,'
        ' "assignee": {"email": "ana@example.com"}, "Solved": null, "tags": ["a", "b"]}\n'
        "\n"
        '{"Ticket ID": "1002", "Created": "03/04/2026 09:00", "assignee": {"email": "bo@example.com"}}\n'
    )
    rows = list(read_rows(io.StringIO(text), spec))
    assert [line for line, _ in rows] == [1, 3]
    first = rows[0][1]
    assert first["Ticket ID"] == "1001" and first["Rating"] == "4.5" and first["SLA met"] == "true"
    assert first["Solved"] == "" and first["tags"] == '["a", "b"]'
    values = parse_row(*rows[0], spec).values
    assert values["agent_email"] == "ana@example.com" and values["solved_at"] is None
    assert values["sla_met"] is True and values["external_id"] == "1001"
    assert parse_row(*rows[1], spec).values["csat_rating"] is None


def test_a_bad_json_line_raises_and_reading_goes_on():
    text = (
        '{"Ticket ID": "1", "Created": "01/01/2026", "Assignee email": "a@x"}\n'
        '{"Ticket ID": "2", "Created": \n'
        "[1, 2]\n"
        '{"Ticket ID": "4", "Created": "01/01/2026", "Assignee email": "a@x"}\n'
    )
    rows = read_rows(io.StringIO(text), parse_mapping(JSONL))
    seen: list[object] = []
    while True:
        try:
            seen.append(next(rows)[0])
        except StopIteration:
            break
        except RowErrors as exc:
            seen.append((exc.line, exc.errors[0].message))
    assert seen[0] == 1 and seen[3] == 4
    assert seen[1][0] == 2 and seen[1][1].startswith("not valid JSON: Expecting value")
    assert seen[2] == (3, "each line must be a JSON object {...}")


def test_json_lines_missing_key_columns():
    text = '{"id": "1", "Created": "01/01/2026"}\n'
    with pytest.raises(MappingColumnsError) as exc:
        read_rows(io.StringIO(text), parse_mapping(JSONL))
    assert exc.value.missing == ["Ticket ID", "Assignee email"]
    assert exc.value.found == ["Created", "id"]
    # optional keys may be absent: exporters leave nulls out
    ok = '{"Ticket ID": "1", "Created": "01/01/2026", "Assignee email": "a@x"}\n'
    assert len(list(read_rows(io.StringIO(ok), parse_mapping(JSONL)))) == 1


# check_record


def at(hour: int) -> datetime:
    return datetime(2026, 4, 3, hour, tzinfo=UTC)


def test_check_record_contacts():
    good = {
        "created_at": at(9),
        "first_response_at": at(10),
        "solved_at": at(11),
        "handle_seconds": 5.0,
    }
    assert check_record(good, "contacts") == []
    errors = check_record(
        {
            "created_at": at(9),
            "first_response_at": at(8),
            "solved_at": at(7),
            "handle_seconds": -1.0,
            "reopens": -2,
        },
        "contacts",
    )
    assert [(e.field, e.column) for e in errors] == [
        ("solved_at", None),
        ("first_response_at", None),
        ("handle_seconds", None),
        ("reopens", None),
    ]
    assert errors[0].message.startswith("solved before it was created (solved_at 2026-04-03 07:00")
    assert errors[1].message.startswith("first response before it was created")
    assert errors[2].message == "negative handle time (handle_seconds is -1)"
    assert errors[3].message == "negative number of reopens (reopens is -2)"
    # missing values are not compared
    assert check_record({"created_at": at(9), "solved_at": None}, "contacts") == []
    [wait] = check_record({"created_at": at(9), "first_response_seconds": -60.0}, "contacts")
    assert (wait.field, wait.message) == (
        "first_response_seconds",
        "negative first response time (first_response_seconds is -60)",
    )


def test_check_record_qa():
    assert check_record({"score": 80.0, "max_score": 100.0}, "qa") == []
    above = check_record({"score": 101.0, "max_score": 100.0}, "qa")
    assert [(e.field, e.message) for e in above] == [
        ("score", "score above the maximum (101 > 100)")
    ]
    zero = check_record({"score": 0.0, "max_score": 0.0}, "qa")
    assert [(e.field, e.message) for e in zero] == [
        ("max_score", "the maximum score must be more than 0 (max_score is 0)")
    ]
    assert check_record({"score": 5.0}, "qa") == []


# Fields built from several columns: templates, and a date with a time


CALLS = """\
name: phone-calls
title: Phone calls
kind: contacts
source: pbx
timezone: Europe/Berlin
fields:
  external_id: {template: "{VRU}-{Call ID}"}
  created_at: {date: Date, time: Time, format: day_first}
  queue: {template: "{{{VRU}}} {Queue}"}
  handle_seconds: Talk
  agent_email: Agent
"""
CALL = {
    "VRU": "vru7",
    "Call ID": "00123",
    "Date": "29/03/2026",
    "Time": "01:59",
    "Queue": "Billing",
    "Talk": "95",
    "Agent": "ana@example.com",
}


def test_a_template_joins_columns_and_a_date_joins_its_time():
    spec = parse_mapping(CALLS)
    assert spec.column_list() == ["VRU", "Call ID", "Date", "Time", "Queue", "Talk", "Agent"]
    values = parse_row(2, CALL, spec).values
    assert values["external_id"] == "vru7-00123"
    assert values["queue"] == "{vru7} Billing"  # {{ and }} are braces
    assert values["created_at"] == datetime(2026, 3, 29, 1, 59, tzinfo=BERLIN)
    assert values["created_at"].utcoffset() == timedelta(hours=1)
    row = {**CALL, "Date": " 3/4/26 ", "Time": "2:05 PM"}
    assert parse_row(2, row, spec).values["created_at"] == datetime(
        2026, 4, 3, 14, 5, tzinfo=BERLIN
    )


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"Call ID": " "},
            [
                (
                    "{VRU}-{Call ID}",
                    "'Call ID' is empty but not the rest: {VRU}-{Call ID} needs them all",
                )
            ],
        ),
        (
            {"VRU": "", "Call ID": "n/a", "Queue": ""},
            [("{VRU}-{Call ID}", "external_id is required, but the cell is empty")],
        ),
        (
            {"Time": ""},
            [("Date + Time", "'Time' is empty but not the rest: Date + Time needs them all")],
        ),
        (
            {"Date": "", "Time": "-"},
            [("Date + Time", "created_at is required, but the cell is empty")],
        ),
        (
            {"Date": "31/02/2026"},
            [
                (
                    "Date + Time",
                    "'31/02/2026 01:59' is not a date (expected day-first, e.g. 31/01/2026 14:05)",
                )
            ],
        ),
        (
            {"Time": "02:30"},  # the clocks skip 02:00-03:00 that night in Berlin
            [
                (
                    "Date + Time",
                    "'29/03/2026 02:30' does not exist in Europe/Berlin: the clocks skip it (summer time)",
                )
            ],
        ),
    ],
)
def test_composite_fields_report_their_columns(changes, errors):
    assert row_errors({**CALL, **changes}, parse_mapping(CALLS)) == errors


def test_a_template_column_missing_from_the_file_gets_a_did_you_mean():
    header = "VRU,CallID,Date,Time,Queue,Talk,Agent\n"
    with pytest.raises(MappingColumnsError) as exc:
        read_rows(
            io.StringIO(header + "v,1,29/03/2026,10:00,Q,5,a@example.com\n"), parse_mapping(CALLS)
        )
    assert exc.value.missing == ["Call ID"]
    assert "'Call ID' (did you mean 'CallID'?)" in str(exc.value)


def test_a_template_in_json_lines_needs_its_columns():
    spec = parse_mapping(CALLS + "format: jsonl\n")
    with pytest.raises(MappingColumnsError) as exc:
        read_rows(
            io.StringIO('{"VRU": "v", "Date": "1/1/2026", "Time": "1:00", "Agent": "a"}\n'), spec
        )
    assert exc.value.missing == ["Call ID"]


@pytest.mark.parametrize(
    ("field", "error"),
    [
        (
            "{template: '{VRU'}",
            "fields.external_id.template: not a usable template: the '{' at character 1 is never closed (write {{ for a brace)",
        ),
        (
            "{template: 'VRU}'}",
            "fields.external_id.template: not a usable template: a '}' at character 4 closes nothing (write }} for a brace)",
        ),
        (
            "{template: 'a{ }b'}",
            "fields.external_id.template: not a usable template: the '{}' at character 2 names no column",
        ),
        (
            "{template: 'x{{y}}'}",
            "fields.external_id.template: not a usable template: a template names at least one {column} (a fixed text is a value)",
        ),
        (
            "{template: '{VRU}', column: VRU}",
            "fields.external_id: external_id has both a column and a template: use one",
        ),
        (
            "{date: Date, time: Time}",
            "fields.external_id.date: date and time only build datetime fields, not text",
        ),
    ],
)
def test_template_problems_are_placed(field, error):
    text = CALLS.replace('external_id: {template: "{VRU}-{Call ID}"}', f"external_id: {field}")
    assert only_error(text).split(": ", 1)[1] == error


@pytest.mark.parametrize(
    ("field", "error"),
    [
        ("{time: Time}", "fields.created_at.time: time goes with date: the column holding the day"),
        (
            "{date: Date}",
            "fields.created_at.date: date goes with time (a date and time in one column: use column)",
        ),
        (
            "{date: Date, time: Time, format: epoch}",
            "fields.created_at.format: epoch reads one number: it cannot join a date and a time",
        ),
        (
            "{date: Date, time: Time, map: {x: '2026-01-01'}}",
            "fields.created_at.map: map translates one column's values: not a date and a time",
        ),
        (
            "{date: Date, time: Time, value: '2026-01-01'}",
            "fields.created_at: created_at has both a value and a date: use one",
        ),
    ],
)
def test_date_and_time_problems_are_placed(field, error):
    text = CALLS.replace(
        "created_at: {date: Date, time: Time, format: day_first}", f"created_at: {field}"
    )
    assert only_error(text).split(": ", 1)[1] == error


# Values a column cannot store, and cells no reader should choke on


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        (
            {"Ticket ID": "T\x001"},
            ("Ticket ID", "the text holds a NUL character (is the file UTF-16?)"),
        ),
        (
            {"Ticket ID": "T" * 201},
            ("Ticket ID", f"'{'T' * 59}…' is longer than 200 characters (external_id)"),
        ),
        (
            {"Channel": "c" * 33},
            ("Channel", f"'{'c' * 33}' is longer than 32 characters (channel)"),
        ),
        (
            {"Created": "01/01/0001 00:30"},
            (
                "Created",
                "'01/01/0001 00:30' is too far in the past or the future to be a date here",
            ),
        ),
        (
            {"Solved": "31/12/9999 23:00"},
            ("Solved", "'31/12/9999 23:00' is too far in the past or the future to be a date here"),
        ),
        (
            {"Handle time": "9" * 5000 + ":00"},
            (
                "Handle time",
                f"'{'9' * 59}…' is not a duration (expected seconds, or h:mm:ss or m:ss, e.g. 95 or 1:35)",
            ),
        ),
        ({"Rating": "9" * 100}, ("Rating", f"'{'9' * 59}…' is outside the rating scale 1–5")),
    ],
)
def test_cells_a_column_cannot_store_are_refused(changes, error):
    assert row_errors({**GOOD_ROW, **changes}, mapping()) == [error]


@pytest.mark.parametrize("reopens", ["2147483648", "99999999999999", "1e20", "-2147483649"])
def test_integers_too_large_for_their_column_are_refused(reopens):
    spec = mapping(
        CONTACTS.replace(
            "  agent_email: Assignee email", "  agent_email: Assignee email\n  reopens: Reopens"
        )
    )
    [(column, message)] = row_errors({**GOOD_ROW, "Reopens": reopens}, spec)
    assert column == "Reopens" and message.endswith("is too large a number (reopens)")
    assert parse_row(2, {**GOOD_ROW, "Reopens": "2147483647"}, spec).values["reopens"] == 2147483647


def test_constants_must_fit_their_column_too():
    text = CONTACTS.replace(
        "  agent_email: Assignee email",
        "  agent_email: Assignee email\n  queue: {value: " + "q" * 121 + "}",
    )
    assert only_error(text).endswith(
        f"fields.queue.value: '{'q' * 59}…' is longer than 120 characters (queue)"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"a":' * 5000 + "1" + "}" * 5000, "not usable JSON: objects or lists nested too deeply"),
        ('{"Ticket ID": ' + "9" * 5000 + "}", "not usable JSON: Exceeds the limit (4300 digits)"),
        ('{"Ticket ID": "T\\ud800"}', "not usable JSON: a \\u escape of half a character"),
        ('{"Assignee email\\udc00": "a"}', "not usable JSON: a \\u escape of half a character"),
    ],
)
def test_json_lines_python_cannot_read_are_errors_of_their_line(line, message):
    spec = mapping(format="jsonl")
    good = json.dumps({**GOOD_ROW})
    pair = json.dumps({**GOOD_ROW, "Ticket ID": "T-\U0001f600"})  # a surrogate pair is whole
    rows = read_rows(io.StringIO(good + "\n" + line + "\n" + pair + "\n"), spec)
    assert next(rows)[0] == 1
    with pytest.raises(RowErrors) as exc:
        next(rows)
    assert exc.value.line == 2 and exc.value.errors[0].message.startswith(message)
    line, raw = next(rows)
    assert (line, raw["Ticket ID"]) == (3, "T-\U0001f600")


@pytest.mark.parametrize(
    ("kind", "name", "value", "message"),
    [
        (
            "contacts",
            "handle_seconds",
            1e308,
            "handle_seconds of 1e+308 is not plausible (at most a day)",
        ),
        (
            "contacts",
            "handle_seconds",
            float("nan"),
            "handle_seconds of nan is not plausible (at most a day)",
        ),
        ("contacts", "reopens", 10**30, "reopens of 1e+30 is not plausible (at most 1,000)"),
        (
            "contacts",
            "first_response_seconds",
            400 * 86_400.0,
            "first_response_seconds of 34560000 is not plausible (at most a year)",
        ),
        ("qa", "score", 1e308, "score of 1e+308 is not plausible (at most 1,000,000)"),
        ("qa", "score", -1e308, "score of -1e+308 is not plausible (at most 1,000,000)"),
    ],
)
def test_numbers_past_their_plausible_range_are_row_errors(kind, name, value, message):
    values = {name: value, "max_score": 100.0} if kind == "qa" else {name: value}
    assert message in [e.message for e in check_record(values, kind)]


def test_plausible_numbers_pass():
    assert check_record({"handle_seconds": 86_400, "reopens": 3}, "contacts") == []
    assert check_record({"score": 85.0, "max_score": 100.0}, "qa") == []


def test_a_bad_mapping_is_refused_in_the_readers_language():
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(catalogues.TRANSLATIONS_DIR))
    text = (
        CONTACTS.replace("kind: contacts\n", "kind: contacts\ndelimiter: ';;'\n")
        .replace("Europe/Berlin", "Europe/Berln")
        .replace("format: day_first", "format: '%Q'", 1)
        .replace("map: {voice: phone, web: email}", "map: {voice: phone, web: letter}")
        .replace("  external_id: Ticket ID\n", "  external_id: {template: fixed}\n")
    )
    english = errors_of(text)
    with app.test_request_context(), force_locale("es"):
        spanish = errors_of(text)
    with app.test_request_context(), force_locale("en"):
        assert errors_of(text) == english
    assert len(spanish) == len(english)
    assert any(
        "unknown time zone 'Europe/Berln' (an IANA name like Europe/Berlin or UTC)" in x
        for x in english
    )
    assert any("zona horaria desconocida 'Europe/Berln'" in x for x in spanish)
    assert any("el delimitador debe ser un solo carácter" in x for x in spanish)
    assert any(
        "no es una plantilla utilizable: una plantilla nombra al menos una {columna}" in x
        for x in spanish
    )
    assert not any("unknown" in x or "not a usable" in x for x in spanish)
    # A constant is read as a cell would be: the reader's problem, worded the same way.
    constant = CONTACTS.replace(
        "  handle_seconds:\n    column: Handle time\n",
        "  handle_seconds:\n    value: -5\n    type: duration\n",
    )
    assert only_error(constant).endswith("handle_seconds.value: '-5' is a negative duration")
    with app.test_request_context(), force_locale("es"):
        worded = only_error(constant)
    assert "handle_seconds.value: '-5' " in worded
    assert "negative duration" not in worded


def test_a_row_with_part_of_a_template_empty_is_kept_in_english_and_worded_in_spanish():
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(catalogues.TRANSLATIONS_DIR))
    one = "'Time' is empty but not the rest: Date + Time needs them all"
    two = "'VRU', 'Queue' or 'Call ID' are empty but not the rest: {VRU}-{Call ID} needs them all"
    with app.test_request_context(), force_locale("en"):
        assert word_problem(one) == one
        assert word_problem(two) == two
    with app.test_request_context(), force_locale("es"):
        assert word_problem(one) == (
            "'Time' está vacía pero no el resto: Date + Time las necesita todas"
        )
        assert word_problem(two) == (
            "'VRU', 'Queue' o 'Call ID' están vacías pero no el resto: "
            "{VRU}-{Call ID} las necesita todas"
        )
