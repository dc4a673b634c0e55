"""Refreshers made directly as rows, as the rules engine would write them, and QA results
to measure them against (tests that need an assignment without running the rules)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from ramp.coaching.models import OPEN, CoachingAssignment, CoachingRulesVersion
from ramp.extensions import db
from ramp.metrics.mapping.fields import category_key
from ramp.metrics.models import QACategoryScore, QAEvaluation

EMPATHY = "Tone & Empathy"
RULES = [
    {"key": "empathy-refresher", "title": "Tone and empathy refresher"},
    {"key": "critical-refresher", "title": "Critical fails refresher"},
]


def rules_version() -> CoachingRulesVersion:
    """The rules version in force (one is made on first use)."""
    version = db.session.execute(
        select(CoachingRulesVersion).order_by(CoachingRulesVersion.number.desc())
    ).scalar()
    if version is None:
        version = CoachingRulesVersion(number=1, source="version: 1\n", rules=RULES)
        db.session.add(version)
        db.session.flush()
    return version


def make_assignment(
    hire,
    *,
    fired_on: date,
    due_on: date | None = None,
    rule: str = "empathy-refresher",
    module: str | None = "tone",
    lesson: str | None = None,
    curriculum: str = "mini-onboarding",
    title: str = "Tone and empathy",
    status: str = OPEN,
    kind: str = "category",
    label: str = EMPATHY,
    condition: dict | None = None,
    evidence: list | None = None,
    baseline: float | None = 40.0,
    baseline_count: int = 2,
    measure_over: int = 2,
    one_to_one: bool = False,
    completed_on: date | None = None,
    done: list | None = None,
) -> CoachingAssignment:
    """One assignment for the hire, committed."""
    key = {"category": category_key(label), "metric": label}.get(kind)
    assignment = CoachingAssignment(
        hire_id=hire.id,
        user_id=hire.user_id,
        rules_version_id=rules_version().id,
        rule_key=rule,
        measure_kind=kind,
        measure_key=key,
        measure_label=label,
        condition=condition
        if condition is not None
        else {"category": label, "below": 60, "failing": 3, "of_last": 4},
        evidence=evidence
        if evidence is not None
        else [
            {
                "day": (fired_on - timedelta(days=8)).isoformat(),
                "review": "qa-1",
                "figure": 45.0,
                "short": True,
            },
            {
                "day": (fired_on - timedelta(days=5)).isoformat(),
                "review": "qa-2",
                "figure": 72.0,
                "short": False,
            },
            {
                "day": (fired_on - timedelta(days=3)).isoformat(),
                "review": "qa-3",
                "figure": 35.0,
                "short": True,
            },
            {
                "day": (fired_on - timedelta(days=1)).isoformat(),
                "review": "qa-4",
                "figure": 50.0,
                "short": True,
            },
        ],
        baseline=baseline,
        baseline_count=baseline_count,
        measure_over=measure_over,
        curriculum_slug=curriculum,
        module_slug=module,
        lesson_slug=lesson,
        title=title,
        done=done or [],
        fired_on=fired_on,
        due_on=due_on or fired_on + timedelta(days=7),
        status=status,
        completed_on=completed_on,
        one_to_one=one_to_one,
    )
    db.session.add(assignment)
    db.session.flush()
    if status == OPEN:
        hire.coaching_due = min(filter(None, [hire.coaching_due, assignment.due_on]))
    db.session.commit()
    return assignment


_counter = iter(range(1, 1_000_000))


def make_evaluation(
    user,
    day: date,
    percent: float,
    categories: dict[str, float] | None = None,
    critical_fail: bool = False,
) -> QAEvaluation:
    """One QA evaluation of the user on `day`, with category percents, committed."""
    n = next(_counter)
    evaluation = QAEvaluation(
        source="maestroqa",
        external_id=f"eval-{n}",
        user_id=user.id,
        evaluated_at=datetime.combine(day, time(12), UTC),
        score=percent,
        max_score=100,
        critical_fail=critical_fail,
        categories=[],
        percent=percent,
        metric_date=day,
    )
    db.session.add(evaluation)
    db.session.flush()
    for position, (name, value) in enumerate((categories or {}).items()):
        db.session.add(
            QACategoryScore(
                evaluation_id=evaluation.id,
                position=position,
                name=name,
                key=category_key(name),
                score=value,
                max_score=100,
                min_score=0,
                weight=1,
                critical=False,
                not_applicable=False,
                percent=value,
            )
        )
    db.session.commit()
    return evaluation
