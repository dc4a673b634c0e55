"""The set-based firing statement finds exactly what the rules say, worked out in plain
Python over random evaluation histories: several evaluations on one day, N/A categories,
critical fails, windows of the last M and of D days, and the baseline.

The statement ranks only each hire's newest rows (a cutoff by the n-th newest day); this
checks that it loses none of the rows the window, the evidence or the baseline read."""

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from ramp.coaching.firing import EVIDENCE_NEWEST, find_firings
from ramp.coaching.operations import current_rules, publish_rules_text
from ramp.metrics.models import QACategoryScore, QAEvaluation

TODAY = date(2026, 3, 18)
RULES = """\
version: 1
rules:
  - key: empathy
    title: Empathy
    when: {category: Tone & Empathy, below: 60, failing: 2, of_last: 4}
    assign: {curriculum: mini-onboarding, due_in_days: 7}
    measure_over: 6
  - key: overall
    title: Overall
    when: {overall: qa, below: 70, failing: 3, of_last: 3}
    assign: {curriculum: mini-onboarding, due_in_days: 7}
  - key: week
    title: A bad week
    when: {overall: qa, below: 65, failing: 2, within_days: 7}
    assign: {curriculum: mini-onboarding, due_in_days: 7}
    measure_over: 4
  - key: critical
    title: Critical fails
    when: {critical: true, failing: 2, within_days: 14}
    assign: {curriculum: mini-onboarding, due_in_days: 7}
"""


def _history(rng: random.Random, hire, start: date, serial) -> list[dict]:
    """Random evaluations of the hire since its start, several on some days."""
    from ramp.extensions import db

    rows = []
    days = (TODAY - start).days
    for _ in range(rng.randint(0, 30)):
        day = start + timedelta(days=rng.randint(0, days + 3))  # a few after today: unread
        percent = float(rng.choice([30, 55, 64, 66, 69, 71, 80, 95]))
        empathy = rng.choice([None, 20.0, 59.0, 60.0, 75.0, 90.0])  # None: not scored (N/A)
        critical = rng.random() < 0.15
        n = next(serial)
        e = QAEvaluation(
            source="ref",
            external_id=f"R{n}",
            user_id=hire.user_id,
            evaluated_at=datetime.combine(day, time(rng.randint(8, 17)), UTC),
            score=percent,
            max_score=100,
            critical_fail=critical,
            categories=[],
            percent=percent,
            metric_date=day,
        )
        db.session.add(e)
        db.session.flush()
        db.session.add(
            QACategoryScore(
                evaluation_id=e.id,
                position=0,
                name="Tone & Empathy",
                key="tone & empathy",
                score=None if empathy is None else empathy / 20,
                max_score=5,
                min_score=0,
                weight=1,
                critical=False,
                not_applicable=empathy is None,
                percent=empathy,
            )
        )
        rows.append(
            {
                "id": e.id,
                "review": e.external_id,
                "day": day,
                "at": e.evaluated_at,
                "percent": percent,
                "empathy": empathy,
                "critical": critical,
            }
        )
    return rows


def _expected(rule, history: list[dict], start: date) -> dict | None:
    """What the rule reads of one hire, by the rules' own words: None when it does not hold."""
    when = rule.when
    read = [r for r in history if start <= r["day"] <= TODAY]
    if when.kind == "category":
        measured = [(r, r["empathy"]) for r in read if r["empathy"] is not None]
    else:
        measured = [(r, r["percent"]) for r in read]
    measured.sort(key=lambda pair: (pair[0]["day"], pair[0]["at"], pair[0]["id"]), reverse=True)

    def short(row, figure) -> bool:
        if when.kind == "critical":
            return row["critical"]
        return figure < when.below

    if when.of_last is not None:
        window = measured[: when.of_last]
        shown = window
    else:
        since = TODAY - timedelta(days=when.within_days - 1)
        window = [(r, f) for r, f in measured if r["day"] >= since]
        shown = [
            (r, f)
            for rank, (r, f) in enumerate(measured, 1)
            if r["day"] >= since and (short(r, f) or rank <= EVIDENCE_NEWEST)
        ]
    if sum(short(r, f) for r, f in window) < when.failing:
        return None
    return {
        "evidence": [(r["review"], f, short(r, f)) for r, f in reversed(shown)],
        "baseline": [f for _, f in reversed(measured[: rule.measure_over])],  # oldest first
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_firing_statement_agrees_with_the_rules_worked_out_by_hand(db, ramp_world, seed):
    rng = random.Random(seed)
    serial = iter(range(1, 100_000))
    hires = {}
    for _ in range(14):
        start = TODAY - timedelta(days=rng.randint(10, 60))
        hire = ramp_world.hire(start_date=start)
        hires[hire.id] = (hire, start)
    db.session.flush()
    histories = {hid: _history(rng, hire, start, serial) for hid, (hire, start) in hires.items()}
    publish_rules_text(RULES)
    db.session.commit()
    _, spec = current_rules()

    fired_somewhere = 0
    for rule in spec.rules:
        found = {f.hire_id: f for f in find_firings(rule, TODAY)}
        expected = {
            hid: want
            for hid, (_, start) in hires.items()
            if (want := _expected(rule, histories[hid], start)) is not None
        }
        assert set(found) == set(expected), rule.key
        for hid, want in expected.items():
            got = found[hid]
            assert [(e["review"], e["figure"], e["short"]) for e in got.evidence] == want[
                "evidence"
            ], (rule.key, hid)
            assert got.baseline_figures == want["baseline"], (rule.key, hid)
        fired_somewhere += len(found)
    assert fired_somewhere > 0  # the histories are not all quiet
