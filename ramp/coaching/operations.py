"""Publishing coaching rules and running them. They flush; the caller commits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select, update

from ramp.accounts.models import User
from ramp.audit.operations import record
from ramp.coaching import queries
from ramp.coaching.due import refresh_due
from ramp.coaching.firing import RuleAssignment, assign, find_firings
from ramp.coaching.models import OPEN, CoachingAssignment, CoachingRulesVersion
from ramp.coaching.spec import (
    RulesContext,
    RulesFileError,
    RulesSpec,
    assignment_title,
    dump_rules,
    measure_label,
    parse_rules,
    rules_from_document,
    rules_to_document,
)
from ramp.errors import ValidationError
from ramp.events import announce
from ramp.extensions import db
from ramp.metrics.mapping import category_key
from ramp.milestones.models import Hire
from ramp.milestones.operations import evaluate_hires


def check_rules(text: str, filename: str = "coaching rules") -> RulesSpec:
    """Check a rules file against the database (categories, curricula, phases); raise
    RulesFileError with every problem placed."""
    return parse_rules(text, filename, queries.rules_context())


def publish_rules(
    spec: RulesSpec, actor: User | None = None, source: str | None = None
) -> CoachingRulesVersion:
    """Publish checked rules as the next version (the one in force); audited."""
    number = (db.session.execute(select(func.max(CoachingRulesVersion.number))).scalar() or 0) + 1
    document = rules_to_document(spec)
    version = CoachingRulesVersion(
        number=number,
        source=source if source is not None else dump_rules(spec),
        rules=document.get("rules", []),
        published_by_id=actor.id if actor else None,
    )
    db.session.add(version)
    db.session.flush()
    record(
        actor,
        "coaching.publish",
        f"coaching-rules:{version.number}",
        rules=len(spec.rules),
        keys=[rule.key for rule in spec.rules],
    )
    return version


def publish_rules_text(
    text: str, actor: User | None = None, filename: str = "coaching rules"
) -> CoachingRulesVersion:
    """Check a rules file and publish it; ValidationError (one line per problem) when refused."""
    try:
        spec = check_rules(text, filename)
    except RulesFileError as exc:
        raise ValidationError(exc.report().splitlines()) from None
    return publish_rules(spec, actor, source=text)


def current_rules() -> tuple[CoachingRulesVersion, RulesSpec] | None:
    """The rules version in force and its rules, or None before any is published."""
    version = queries.current_version()
    if version is None:
        return None
    return version, rules_from_document({"version": 1, "rules": version.rules})


@dataclass
class RunResult:
    """What one run of the rules opened: per rule, the assignments (id, hire id)."""

    rules_version: int | None = None
    opened: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        """Assignments opened per rule key."""
        return {key: len(pairs) for key, pairs in self.opened.items()}

    @property
    def total(self) -> int:
        return sum(len(pairs) for pairs in self.opened.values())

    @property
    def hire_ids(self) -> list[int]:
        return sorted({hire for pairs in self.opened.values() for _, hire in pairs})


def run_rules(
    today: date, user_ids: Iterable[int] | None = None, actor: User | None = None
) -> RunResult:
    """Run every rule in force for all active hires (or those of `user_ids`), open the
    refreshers they call for, and keep the hires' earliest due dates."""
    found = current_rules()
    if found is None:
        return RunResult()
    version, spec = found
    result = RunResult(version.number, {rule.key: [] for rule in spec.rules})
    users = None if user_ids is None else sorted(set(user_ids))
    if spec.rules and users != []:
        _fire(version, spec, today, users, actor, result)
    if actor is not None:
        record(
            actor,
            "coaching.run",
            f"coaching-rules:{version.number}",
            day=today.isoformat(),
            opened=result.counts,
        )
    return result


def _fire(
    version: CoachingRulesVersion,
    spec: RulesSpec,
    today: date,
    users: list[int] | None,
    actor: User | None,
    result: RunResult,
) -> None:
    """Every rule's firings opened, then the hires' earliest due dates kept."""
    db.session.flush()
    outlines = queries.curriculum_outlines({rule.assign.curriculum for rule in spec.rules})
    keys = [category_key(r.when.category) for r in spec.rules if r.when.category is not None]
    labels = RulesContext(categories=queries.category_names(keys), curricula=outlines)
    for rule in spec.rules:
        what = RuleAssignment(
            version.id, rule, measure_label(rule, labels), assignment_title(rule, labels)
        )
        firings = find_firings(rule, today, users)
        result.opened[rule.key] = assign(what, firings, today, actor.id if actor else None)
    if result.total:
        refresh_due(result.hire_ids, today)


@dataclass
class DailyResult:
    run: RunResult
    overdue: list[tuple[int, int]]  # (assignment id, hire id) announced overdue today
    reevaluated: int


def mark_overdue(today: date) -> list[tuple[int, int]]:
    """Announce coaching.overdue once per open assignment past its due date."""
    a = CoachingAssignment
    rows = db.session.execute(
        update(a)
        .where(a.status == OPEN, a.due_on < today, a.overdue_announced.is_(False))
        .values(overdue_announced=True)
        .returning(a.id, a.hire_id),
        execution_options={"synchronize_session": False},
    ).all()
    pairs = sorted((row.id, row.hire_id) for row in rows)
    for assignment_id, hire_id in pairs:
        announce("coaching.overdue", assignment_id=assignment_id, hire_id=hire_id)
    return pairs


def daily(today: date) -> DailyResult:
    """The daily run: every rule for every active hire, overdue refreshers announced, and each
    hire's earliest due date kept (the hires turning overdue today evaluated again)."""
    run = run_rules(today)
    overdue = mark_overdue(today)
    held = db.session.execute(
        select(Hire.id).where(
            or_(
                Hire.coaching_due.is_not(None),
                Hire.id.in_(
                    select(CoachingAssignment.hire_id).where(CoachingAssignment.status == OPEN)
                ),
            )
        )
    ).scalars()
    refresh_due(held, today)
    # A due date that did not move can still have passed: those hires are evaluated today.
    turned = sorted({hire_id for _, hire_id in overdue})
    changed = evaluate_hires(turned, today) if turned else 0
    return DailyResult(run, overdue, changed)
