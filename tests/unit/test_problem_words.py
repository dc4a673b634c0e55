"""An import's summary and problems, kept in English, worded again for the reader."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from ramp.errors import LineProblem
from ramp.i18n import catalogues
from ramp.metrics.imports import ImportReport, _refusal
from ramp.metrics.mapping import check_record
from ramp.metrics.problem_words import (
    word_placed_problem,
    word_problem,
    word_refusal,
    word_summary,
)


@pytest.fixture
def spanish():
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(catalogues.TRANSLATIONS_DIR))
    with app.test_request_context(), force_locale("es"):
        yield


def _report(**counts) -> ImportReport:
    report = ImportReport("reviews.csv", "qa-basic", "qa")
    for name, value in counts.items():
        setattr(report, name, value)
    return report


REPORTS = [
    _report(rows_read=4, rows_valid=2, rows_rejected=2, problem_count=3),
    _report(rows_read=9, rows_valid=9, rows_superseded=2, dry_run=True),
    _report(rows_read=5, rows_valid=5, written=True, created=3, updated=2),
    _report(rows_read=7, rows_valid=5, unknown_agents=[("ghost@example.com", 2)]),
    _report(rows_read=7, rows_valid=3, unknown_agents=[("a", 2), ("b", 2)], kind="contacts"),
]

PROBLEMS = [
    "'abc' is not a number",
    "'1.5' is not a whole number",
    "'someday' is not a date (expected day-first, e.g. 31/01/2026 14:05)",
    "'9 hours' is not a duration (expected seconds, e.g. 320)",
    "'-5' is a negative duration",
    "'maybe' is not yes or no",
    "'31/12/0001' is too far in the past or the future to be a date here",
    "'7' is outside the rating scale 1–5",
    "'R1' appears more than once in the file",
    "score is required, but the cell is empty",
    "no agent: agent_email is empty",
    "no agent: agent_email and agent_external_id are both empty",
    "unknown agent 'ghost@example.com': 1 row",
    "unknown agent 'Ana Silva' (zendesk): 3 rows",
    "unknown agent 'ghost@example.com': not a ramp user, and not linked to one",
    "the file is empty: it has no rows (only a header, or nothing at all)",
    "the file has no rows (only a header, or nothing at all)",
    "the text holds a NUL character (is the file UTF-16?)",
    "score above the maximum (12 > 10)",
    "the maximum score must be more than 0 (max_score is 0)",
    "'12' is above the maximum 10 of 'Empathy'",
    "'-1' is below the minimum 0 of 'Empathy'",
    "'Empathy' has a score but no maximum",
    "score of 2e+06 is not plausible (at most 1,000,000)",
    "handle_seconds of 90000 is not plausible (at most a day)",
    "sla_target_seconds of 4e+07 is not plausible (at most a year)",
    "solved before it was created (solved_at 2026-01-01 09:00 is before created_at 2026-01-02 10:00)",
    "first response before it was created "
    "(first_response_at 2026-01-01 09:00 is before created_at 2026-01-02 10:00)",
    "negative handle time (handle_seconds is -5)",
    "'Time' is empty but not the rest: Date + Time needs them all",
    "'VRU' or 'Call ID' are empty but not the rest: {VRU}-{Call ID} needs them all",
    "negative first response time (first_response_seconds is -1.5)",
    "negative SLA target (sla_target_seconds is -60)",
    "negative number of reopens (reopens is -1)",
    "negative number of contacts to resolve (contacts_to_resolve is -2)",
    "'xxxxxxxx…' is longer than 200 characters (agent_name)",
    "99999999999 is too large a number (reopens)",
    "'29/03/2026 02:30' does not exist in Europe/Berlin: the clocks skip it (summer time)",
]


@pytest.mark.parametrize("report", REPORTS)
def test_a_summary_reads_the_same_in_english_and_wholly_in_spanish(report, spanish):
    kept = report.summary()
    with force_locale("en"):
        assert word_summary(kept) == kept
    worded = word_summary(kept)
    assert worded != kept
    for english in ("rows read", "valid", "skip rule", "unknown agent", "written", "wrote"):
        assert english not in worded


def test_a_summary_in_spanish(spanish):
    report = _report(rows_read=4, rows_valid=3, rows_rejected=1, problem_count=1)
    report.unknown_agents = [("ghost@example.com", 1)]
    assert word_summary(report.summary()) == (
        "4 filas leídas, 3 válidas, 0 omitidas por una regla de omisión, "
        "1 con problemas (1 problemas), 1 agente desconocido en 1 fila; no se escribió nada."
    )
    report = _report(rows_read=12345, rows_valid=12345, written=True, created=12345)
    assert word_summary(report.summary()) == (
        "12.345 filas leídas, 12.345 válidas, 0 omitidas por una regla de omisión; "
        "se escribieron 12.345 evaluaciones (12.345 nuevas, 0 actualizadas)."
    )


@pytest.mark.parametrize("message", PROBLEMS)
def test_each_row_problem_reads_the_same_in_english_and_is_worded_in_spanish(message, spanish):
    with force_locale("en"):
        assert word_problem(message) == message
        assert word_problem(f"Reviewed: {message}") == f"Reviewed: {message}"
    assert word_problem(message) != message
    assert word_problem(f"Reviewed: {message}").startswith("Reviewed: ")


def test_row_problems_in_spanish_keep_what_they_quote(spanish):
    assert word_problem("'abc' is not a number") == "'abc' no es un número"
    assert word_problem("unknown agent 'Ana Silva' (zendesk): 3 rows") == (
        "agente desconocido 'Ana Silva' (zendesk): 3 filas"
    )
    assert word_placed_problem(str(LineProblem(12, "Reviewed", "'x' is not yes or no"))) == (
        "línea 12, columna Reviewed: 'x' no es sí ni no"
    )
    assert word_placed_problem(
        str(LineProblem(3, None, "'R1' appears more than once in the file"))
    ) == ("línea 3: 'R1' aparece más de una vez en el archivo")


def test_what_is_not_known_here_is_shown_as_kept(spanish):
    for kept in ("a problem of an older version", "line 4: something new", "", None):
        assert word_problem(kept) == kept
        assert word_refusal(kept) == kept
    assert word_placed_problem("line 4: something new") == "línea 4: something new"
    assert word_summary("3 rows read, 3 valid; something else.") == (
        "3 rows read, 3 valid; something else."
    )


def test_a_refusal_as_the_history_keeps_it(spanish):
    report = _report(rows_read=4, rows_valid=2, rows_rejected=2, problem_count=2)
    report.add(LineProblem(3, "Reviewed", "'someday' is not a date (expected ISO 8601)"))
    report.add(LineProblem(5, None, "unknown agent 'ghost@example.com': 1 row"))
    report.problem_count = 2
    kept = _refusal(report)
    with force_locale("en"):
        assert word_refusal(kept) == kept
    assert word_refusal(kept) == (
        "4 filas leídas, 2 válidas, 0 omitidas por una regla de omisión, "
        "2 con problemas (2 problemas); no se escribió nada. Primer problema: línea 3, "
        "columna Reviewed: 'someday' no es una fecha (se esperaba ISO 8601) (y 1 más)."
    )


TARGETS = """\
name: t
title: T
targets:
  - metric: qa_score
    direction: lower
    weeks:
      - {from: 2, to: 4, value: 170}
      - {from: 6, value: 80}
  - metric: aht
    placement: {queue: billing}
    weeks:
      - {from: 1, value: 0}
"""


def _targets_problems() -> list[str]:
    from ramp.metrics.targets import TargetsFileError, parse_targets

    with pytest.raises(TargetsFileError) as raised:
        parse_targets(TARGETS, "t.yaml")
    return [err.message for err in raised.value.errors]


def test_targets_problems_in_english_outside_a_request_and_in_spanish_in_one():
    assert _targets_problems() == [
        "QA score is better when higher; direction cannot be 'lower'",
        "QA score is a percentage: the target must be 0 to 100",
        "the first step must start at week 1",
        "weeks 6 onward leave a gap after week 4",
        "AHT is in seconds: the target must be more than 0",
        "aht has placement rules but no default",
    ]
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(catalogues.TRANSLATIONS_DIR))
    with app.test_request_context(), force_locale("es"):
        assert _targets_problems() == [
            "Puntaje de calidad es mejor cuanto más alto; direction no puede ser 'lower'",
            "Puntaje de calidad es un porcentaje: la meta debe estar entre 0 y 100",
            "el primer tramo debe empezar en la semana 1",
            "semanas 6 en adelante dejan un hueco después de la semana 4",
            "AHT se mide en segundos: la meta debe ser mayor que 0",
            "aht tiene reglas por ubicación pero ninguna predeterminada",
        ]


def test_a_bad_contact_record_is_kept_in_english_and_worded_in_spanish(spanish):
    """check_record runs while the rows are read and keeps its sentences in English."""
    values = {
        "created_at": datetime(2026, 1, 2, 10, 0),
        "solved_at": datetime(2026, 1, 1, 9, 0),
        "first_response_at": datetime(2026, 1, 1, 9, 30),
        "handle_seconds": -5,
        "reopens": 5_000,
        "first_response_seconds": 400 * 86_400,
    }
    kept = [error.message for error in check_record(values, "contacts")]
    assert kept[0] == (
        "solved before it was created (solved_at 2026-01-01 09:00 is before created_at "
        "2026-01-02 10:00)"
    )
    assert "negative handle time (handle_seconds is -5)" in kept
    with force_locale("en"):
        assert [word_problem(m) for m in kept] == kept
    worded = [word_problem(m) for m in kept]
    assert worded[0] == (
        "resuelto antes de crearse (solved_at 2026-01-01 09:00 es anterior a created_at "
        "2026-01-02 10:00)"
    )
    assert "tiempo de gestión negativo (handle_seconds es -5)" in worded
    assert "first_response_seconds de 34560000 no es verosímil (como máximo un año)" in worded
    assert "reopens de 5000 no es verosímil (como máximo 1,000)" in worded
    assert len(worded) == len(kept) == 5
