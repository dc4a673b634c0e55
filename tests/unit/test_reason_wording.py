"""Milestone reasons and check summaries worded when shown: every reason code and every check
kind in English and Spanish, titles in place of slugs, and the stored text when the parts do
not fit."""

import re
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from ramp.i18n import catalogues
from ramp.milestones import evaluation
from ramp.milestones.evaluation import (
    Criteria,
    Evidence,
    MetricCriterion,
    MetricReading,
    MilestonePlan,
    SignOff,
    evaluate_plan,
)
from ramp.milestones.wording import REASONS, check_summary, reason_text, worded_check

TITLES = {"week-1": "Week 1: the basics", "week-2": "Week 2: difficult contacts"}
MODULES = {"modules": {"basics": "Ticketing basics", "tone": "Tone and empathy"}}


@pytest.fixture(scope="module")
def app():
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(catalogues.TRANSLATIONS_DIR))
    return app


def worded(app, locale, call, *args):
    with app.test_request_context(), force_locale(locale):
        return call(*args)


def es(text: str) -> str:
    """Spanish as Babel writes it: a no-break space before the percent sign."""
    return text.replace(" %", "\xa0%")


def reason(app, locale, code, **args):
    return worded(app, locale, reason_text, "stored", [{"code": code, "args": args}], TITLES)


# Reasons ----------------------------------------------------------------------------------

REASON_CASES = [
    ("waived", {}, "waived by a manager", "dispensado por un supervisor"),
    ("achieved", {"on": "2026-03-05"}, "achieved on Mar 5, 2026", "logrado el 5 mar 2026"),
    (
        "missed",
        {"due": "2026-03-05"},
        "due Mar 5, 2026 and not achieved",
        "venció el 5 mar 2026 sin lograrse",
    ),
    (
        "overdue_waiting",
        {"due": "2026-03-05"},
        "due Mar 5, 2026 and still waiting for data to judge it",
        "venció el 5 mar 2026 y aún faltan datos para evaluarlo",
    ),
    (
        "behind_modules",
        {"done": 1, "total": 3, "time_percent": 60},
        "behind pace: 1 of 3 modules done, 60% of the time gone",
        "atrasado: 1 de 3 módulos completados, con el 60 % del tiempo transcurrido",
    ),
    (
        "behind_modules",
        {"done": 0, "total": 1, "time_percent": 50},
        "behind pace: 0 of 1 module done, 50% of the time gone",
        "atrasado: 0 de 1 módulo completado, con el 50 % del tiempo transcurrido",
    ),
    (
        "behind_assessments",
        {"done": 0, "total": 1, "time_percent": 75},
        "behind pace: 0 of 1 knowledge check passed, 75% of the time gone",
        "atrasado: 0 de 1 evaluación de conocimientos aprobada, con el 75 % del tiempo "
        "transcurrido",
    ),
    (
        "behind_assessments",
        {"done": 1, "total": 2, "time_percent": 75},
        "behind pace: 1 of 2 knowledge checks passed, 75% of the time gone",
        "atrasado: 1 de 2 evaluaciones de conocimientos aprobadas, con el 75 % del tiempo "
        "transcurrido",
    ),
    (
        "metric_short",
        {"metric": "qa_score", "value": 80.0, "higher_is_better": True, "target": 85},
        "QA score currently short of the threshold (80.0%, target ≥ 85%)",
        "puntaje de calidad por ahora sin alcanzar el umbral (80,0 %, meta ≥ 85 %)",
    ),
    (
        "metric_short",
        {
            "metric": "resolution_time",
            "value": 1500.0,
            "higher_is_better": False,
            "target": 1200,
            "weekly": True,
        },
        "resolution time currently short of the threshold (25m 00s, this week's target ≤ 20m 00s)",
        "tiempo de resolución por ahora sin alcanzar el umbral (25m 00s, meta de esta semana "
        "≤ 20m 00s)",
    ),
    (
        "children_at_risk",
        {"keys": ["week-1"]},
        "sub-milestone at risk: “Week 1: the basics”",
        "sub-hito en riesgo: “Week 1: the basics”",
    ),
    (
        "children_at_risk",
        {"keys": ["week-1", "week-2"]},
        "sub-milestones at risk: “Week 1: the basics”, “Week 2: difficult contacts”",
        "sub-hitos en riesgo: “Week 1: the basics”, “Week 2: difficult contacts”",
    ),
    (
        "due_soon",
        {"days_left": 0, "warning_days": 1},
        "due today (warning window 1 day)",
        "vence hoy (margen de aviso: 1 día)",
    ),
    (
        "due_soon",
        {"days_left": 3, "warning_days": 7},
        "due in 3 days (warning window 7 days)",
        "vence en 3 días (margen de aviso: 7 días)",
    ),
    (
        "on_pace_modules",
        {"done": 2, "total": 3, "days_left": 1},
        "on pace: 2 of 3 modules done, due in 1 day",
        "a buen ritmo: 2 de 3 módulos completados, vence en 1 día",
    ),
    (
        "on_pace_modules",
        {"done": 1, "total": 1, "days_left": 0},
        "on pace: 1 of 1 module done, due today",
        "a buen ritmo: 1 de 1 módulo completado, vence hoy",
    ),
    ("on_pace", {"days_left": 4}, "on pace, due in 4 days", "a buen ritmo, vence en 4 días"),
    (
        "upcoming",
        {"starts": "2026-03-05", "days": 3},
        "phase starts Mar 5, 2026 (in 3 days)",
        "la fase empieza el 5 mar 2026 (en 3 días)",
    ),
    (
        "upcoming",
        {"starts": "2026-03-05", "days": 0},
        "phase starts Mar 5, 2026 (today)",
        "la fase empieza el 5 mar 2026 (hoy)",
    ),
]


@pytest.mark.parametrize(("code", "args", "english", "spanish"), REASON_CASES)
def test_every_reason_reads_in_english_and_spanish(app, code, args, english, spanish):
    assert reason(app, "en", code, **args) == english
    assert reason(app, "es", code, **args) == es(spanish)


def test_every_code_the_evaluation_gives_is_worded_and_tested():
    source = Path(evaluation.__file__).read_text(encoding="utf-8")
    given = set(re.findall(r'Reason\(\s*"(\w+)"', source))
    assert given == set(REASONS)
    assert {case[0] for case in REASON_CASES} == given


def test_a_reason_of_several_parts_reads_as_one_sentence(app):
    parts = [
        {"code": "due_soon", "args": {"days_left": 2, "warning_days": 7}},
        {"code": "children_at_risk", "args": {"keys": ["week-1"]}},
    ]
    assert worded(app, "es", reason_text, "stored", parts, TITLES) == (
        "vence en 2 días (margen de aviso: 7 días); sub-hito en riesgo: “Week 1: the basics”"
    )


def test_outside_a_request_reasons_are_english():
    parts = [{"code": "achieved", "args": {"on": "2026-03-05"}}]
    assert reason_text("achieved on 2026-03-05", parts, {}) == "achieved on Mar 5, 2026"


@pytest.mark.parametrize(
    "parts",
    [
        None,
        [],
        "not a list",
        [{"code": "no_such_code", "args": {}}],
        [{"code": "missed"}],  # no arguments
        [{"code": "missed", "args": {"due": "not a date"}}],
        [{"code": "behind_modules", "args": {"done": "1", "total": 3, "time_percent": 60}}],
        [{"code": "children_at_risk", "args": {"keys": "week-1"}}],
        [{"code": "metric_short", "args": {"metric": "qa_score", "value": None}}],
        [{"code": "waived", "args": {}}, "not a part"],
        ["missed"],
    ],
)
def test_missing_or_broken_parts_show_the_stored_text(app, parts):
    assert worded(app, "es", reason_text, "due 2026-03-05 and not achieved", parts, {}) == (
        "due 2026-03-05 and not achieved"
    )


# Checks -----------------------------------------------------------------------------------


def metric(state, **figures):
    base = {
        "metric": "qa_score",
        "threshold": 85.0,
        "higher_is_better": True,
        "window_days": 14,
        "min_sample": 10,
        "weeks_running": 1,
        "value": 86.25,
        "sample": 12,
        "weeks_met": 1,
        "state": state,
    }
    return {"criterion": "metric:qa_score", "met": None, "figures": {**base, **figures}}


CHECK_CASES = [
    (
        {
            "criterion": "modules",
            "figures": {"done": 1, "total": 2, "completed": ["x"], "missing": ["tone"]},
        },
        "1 of 2 modules completed (to do: “Tone and empathy”)",
        "1 de 2 módulos completados (por hacer: “Tone and empathy”)",
    ),
    (
        {"criterion": "modules", "figures": {"done": 1, "total": 1, "missing": []}},
        "1 of 1 module completed",
        "1 de 1 módulo completado",
    ),
    (
        {"criterion": "assessments", "figures": {"done": 0, "total": 1, "missing": ["basics"]}},
        "0 of 1 knowledge check passed (to do: “Basics check”)",
        "0 de 1 evaluación de conocimientos aprobada (por hacer: “Basics check”)",
    ),
    (
        {"criterion": "assessments", "figures": {"done": 2, "total": 2, "missing": []}},
        "2 of 2 knowledge checks passed",
        "2 de 2 evaluaciones de conocimientos aprobadas",
    ),
    (
        {"criterion": "sign_off", "figures": {"by": None, "on": None}},
        "waiting for a manager's sign-off",
        "esperando la aprobación de un supervisor",
    ),
    (
        {"criterion": "sign_off", "figures": {"by": "Lee Lead", "on": "2026-03-05"}},
        "signed off by Lee Lead on Mar 5, 2026",
        "aprobado por Lee Lead el 5 mar 2026",
    ),
    (
        metric("waiting", metric="resolution_time"),
        "waiting for data: no resolution time records imported yet",
        "esperando datos: aún no se importaron registros de tiempo de resolución",
    ),
    (
        metric("not_enough_data", sample=8),
        "not enough data yet: 8 of 10 records",
        "aún no hay datos suficientes: 8 de 10 registros",
    ),
    (
        metric("not_enough_data", sample=0, min_sample=1),
        "not enough data yet: 0 of 1 record",
        "aún no hay datos suficientes: 0 de 1 registro",
    ),
    (
        metric("met"),
        "QA score 86.3% over 14 days (12 records), target ≥ 85%: met",
        "puntaje de calidad 86,3 % en 14 días (12 registros), meta ≥ 85 %: cumplido",
    ),
    (
        metric("short", value=80.0, sample=1, window_days=1, min_sample=1, threshold=82.5),
        "QA score 80.0% over 1 day (1 record), target ≥ 82.5%: short",
        "puntaje de calidad 80,0 % en 1 día (1 registro), meta ≥ 82,5 %: no alcanzado",
    ),
    (
        metric("weeks_short", weeks_running=2, weeks_met=1),
        "QA score 86.3% over 14 days (12 records), target ≥ 85% for 2 weeks running: "
        "1 of 2 so far: short",
        "puntaje de calidad 86,3 % en 14 días (12 registros), meta ≥ 85 % durante 2 semanas "
        "seguidas: 1 de 2 hasta ahora: no alcanzado",
    ),
    (
        metric("met", weeks_running=2, weeks_met=5),
        "QA score 86.3% over 14 days (12 records), target ≥ 85% for 2 weeks running: "
        "2 of 2 so far: met",
        "puntaje de calidad 86,3 % en 14 días (12 registros), meta ≥ 85 % durante 2 semanas "
        "seguidas: 2 de 2 hasta ahora: cumplido",
    ),
    (
        metric(
            "short",
            metric="aht",
            value=400.0,
            threshold=300.0,
            higher_is_better=False,
        ),
        "AHT 6m 40s over 14 days (12 records), target ≤ 5m 00s: short",
        "AHT 6m 40s en 14 días (12 registros), meta ≤ 5m 00s: no alcanzado",
    ),
    (
        {
            "criterion": "children",
            "figures": {
                "done": 1,
                "total": 2,
                "missing": ["week-2"],
                "waived": ["week-1"],
                "optional": 0,
            },
        },
        "1 of 2 required sub-milestones achieved (1 waived; to do: “Week 2: difficult contacts”)",
        "1 de 2 sub-hitos obligatorios logrados (1 dispensado; por hacer: “Week 2: difficult "
        "contacts”)",
    ),
    (
        {
            "criterion": "children",
            "figures": {"done": 1, "total": 1, "missing": [], "waived": [], "optional": 2},
        },
        "1 of 1 required sub-milestone achieved",
        "1 de 1 sub-hito obligatorio logrado",
    ),
    (
        {
            "criterion": "children",
            "figures": {
                "done": 2,
                "total": 2,
                "missing": [],
                "waived": ["week-1", "week-2"],
                "optional": 0,
            },
        },
        "2 of 2 required sub-milestones achieved (2 waived)",
        "2 de 2 sub-hitos obligatorios logrados (2 dispensados)",
    ),
    (
        {
            "criterion": "children",
            "figures": {"done": 0, "total": 0, "missing": [], "waived": [], "optional": 2},
        },
        "no required sub-milestones (2 optional)",
        "ningún sub-hito obligatorio (2 opcionales)",
    ),
]

CHECK_TITLES = {
    **MODULES,
    "assessments": {"basics": "Basics check"},
    "milestones": TITLES,
}


@pytest.mark.parametrize(("check", "english", "spanish"), CHECK_CASES)
def test_every_check_kind_reads_in_english_and_spanish(app, check, english, spanish):
    stored = {**check, "summary": "stored", "met": check.get("met")}
    assert worded(app, "en", check_summary, stored, CHECK_TITLES) == english
    assert worded(app, "es", check_summary, stored, CHECK_TITLES) == es(spanish)
    # The check keeps everything else it stored.
    worded_es = worded(app, "es", worded_check, stored, CHECK_TITLES)
    assert worded_es == {**stored, "summary": es(spanish)}


@pytest.mark.parametrize(
    "check",
    [
        {"criterion": "modules", "figures": {"missing": ["tone"]}},  # no counts
        {"criterion": "modules", "figures": {"done": 1, "total": 2, "missing": "tone"}},
        {"criterion": "sign_off", "figures": {"by": "Lee", "on": "5 March"}},
        metric("no_such_state"),
        metric("met", value=None),
        metric("met", threshold=float("inf"), value=float("nan")),
        {"criterion": "children", "figures": {}},
        {"criterion": "something_new", "figures": {}},
        {"criterion": "modules", "figures": None},
        {"figures": {"done": 1, "total": 1, "missing": []}},
    ],
)
def test_a_check_that_cannot_be_worded_shows_its_stored_summary(app, check):
    stored = {**check, "summary": "as stored"}
    assert worded(app, "es", check_summary, stored, CHECK_TITLES) == "as stored"


def test_unknown_names_and_metrics_stay_readable(app):
    check = {"criterion": "modules", "figures": {"done": 0, "total": 1, "missing": ["ghost"]}}
    assert "“ghost”" in worded(app, "es", check_summary, check, CHECK_TITLES)
    odd = metric("short", metric="handle_score", value=3.25, threshold=4)
    assert worded(app, "en", check_summary, odd, {}) == (
        "handle score 3.3 over 14 days (12 records), target ≥ 4: short"
    )


# The evaluation's own output ---------------------------------------------------------------


def test_what_the_evaluation_stores_is_worded_from_its_parts(app):
    """Every reason and check of a real evaluation words from its parts, never falling back."""
    start = date(2026, 3, 2)
    qa = MetricCriterion("qa_score", 85.0, 14, 10)
    plans = [
        MilestonePlan(
            "week-1",
            "Week 1",
            start,
            date(2026, 3, 9),
            Criteria(modules=("basics", "tone"), assessments=("basics",), sign_off=True),
            parent="ramp",
        ),
        MilestonePlan(
            "week-2", "Week 2", start, date(2026, 3, 16), Criteria(metrics=(qa,)), parent="ramp"
        ),
        MilestonePlan("ramp", "Ramp", start, date(2026, 3, 30), Criteria(sign_off=True)),
        MilestonePlan("later", "Later", date(2026, 4, 1), date(2026, 4, 20), Criteria()),
    ]
    evidence = Evidence(
        modules_completed=frozenset({"basics"}),
        sign_offs={"ramp": SignOff("Lee Lead", date(2026, 3, 3))},
        metrics={qa: MetricReading(80.0, 12, 0, pace_target=82.0)},
    )
    results = evaluate_plan(plans, evidence, date(2026, 3, 8), warning_days=7)
    for result in results.values():
        assert result.reason_parts, result
        assert result.reason == "; ".join(r.text for r in result.reasons)
        english = worded(app, "en", reason_text, "stored", result.reason_parts, TITLES)
        spanish = worded(app, "es", reason_text, "stored", result.reason_parts, TITLES)
        assert "stored" not in (english, spanish)
        assert english != spanish
        for check in result.checks:
            stored = {
                "criterion": check.criterion,
                "met": check.met,
                "summary": "stored",
                "figures": dict(check.figures),
            }
            assert worded(app, "es", check_summary, stored, CHECK_TITLES) != "stored", check
    week_1 = results["week-1"]
    assert worded(app, "es", reason_text, week_1.reason, week_1.reason_parts, TITLES) == es(
        "vence en 1 día (margen de aviso: 7 días); atrasado: 1 de 2 módulos completados, "
        "con el 86 % del tiempo transcurrido"
    )
    assert results["week-2"].reason_parts == [
        {
            "code": "metric_short",
            "args": {
                "metric": "qa_score",
                "value": 80.0,
                "higher_is_better": True,
                "target": 82.0,
                "weekly": True,
            },
        }
    ]
    assert results["later"].reason_parts == [
        {"code": "upcoming", "args": {"starts": "2026-04-01", "days": 24}}
    ]
