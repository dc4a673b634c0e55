"""Firing coaching rules, set-based: one statement per rule finds every hire it holds for,
with the evaluations (or weeks) it read.

A rule reads one measure per hire, newest first:

- a category: its percent in each evaluation that scored it (qa_category_scores, N/A left
  out), matched by the folded key;
- overall: each evaluation's QA percent;
- critical: each evaluation, short when it is a critical fail (its figure the QA percent);
- a metric: the hire's completed tenure weeks whose figure has the metric's minimum sample
  (hire_week_metrics), the week standing for the evaluation.

It holds when at least `failing` of the last `of_last` (or of those dated within the last
`within_days` days, today included) are short. Only active hires in the rule's phases and
placement are read, never one with the rule's refresher still open, and after one closed
(completed or dismissed) only what is dated after its close day counts (the cooldown).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Date, Integer, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from ramp.accounts.models import utcnow
from ramp.coaching.models import OPEN, CoachingAssignment
from ramp.coaching.spec import CATEGORY, METRIC, OVERALL, Rule
from ramp.events import announce
from ramp.extensions import db
from ramp.metrics.definitions import METRICS
from ramp.metrics.mapping import category_key
from ramp.metrics.models import HireWeekMetric, QACategoryScore, QAEvaluation
from ramp.milestones.models import Hire, HireEvent, Placement

# Within a window of days, the evidence keeps every short evaluation and at most this many
# of the newest others.
EVIDENCE_NEWEST = 20


@dataclass
class Firing:
    """One hire a rule holds for: what it read (oldest first) and the baseline."""

    hire_id: int
    user_id: int
    evidence: list[dict] = field(default_factory=list)
    baseline_figures: list[float] = field(default_factory=list)

    @property
    def baseline(self) -> float | None:
        """The measure's mean over the baseline evaluations (None without any)."""
        if not self.baseline_figures:
            return None
        return sum(self.baseline_figures) / len(self.baseline_figures)


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _days(later, earlier):
    """Whole days from `earlier` to `later` (both dates), in SQL."""
    if _postgresql():
        return later - earlier
    return cast(func.julianday(later) - func.julianday(earlier), Integer)


def _close_day():
    """The day an assignment closed: completed, or else dismissed."""
    if _postgresql():
        dismissed = cast(CoachingAssignment.dismissed_at, Date)
    else:
        dismissed = func.date(CoachingAssignment.dismissed_at)
    return func.coalesce(CoachingAssignment.completed_on, dismissed)


def _scope(rule: Rule, today: date, user_ids: Iterable[int] | None, name: str = "h"):
    """The hires the rule may fire for: active, started, in its phases and placement, without
    its refresher open; with the day their last one closed (the cooldown floor)."""
    a = CoachingAssignment
    # Grouped once (not looked up per evaluation row): the few closed refreshers of the rule.
    closed = (
        select(a.hire_id.label("hire_id"), func.max(_close_day()).label("floor"))
        .where(a.rule_key == rule.key, a.status != OPEN)
        .group_by(a.hire_id)
        .subquery("closed")
    )
    floor = closed.c.floor
    query = (
        select(
            Hire.id.label("hire_id"),
            Hire.user_id.label("user_id"),
            Hire.start_date.label("start_date"),
            floor.label("floor"),
        )
        .outerjoin(closed, closed.c.hire_id == Hire.id)
        .where(
            # Not `active IS 1`: the index on active would hand the hires over in another
            # order than their ids, and the newest-first ranking per hire would then sort
            # every evaluation instead of each hire's own.
            cast(Hire.active, Integer) == 1,
            Hire.start_date <= today,
            ~exists().where(
                CoachingAssignment.hire_id == Hire.id,
                CoachingAssignment.rule_key == rule.key,
                CoachingAssignment.status == OPEN,
            ),
        )
    )
    if user_ids is not None:
        query = query.where(Hire.user_id.in_(sorted(set(user_ids))))
    scope = rule.for_
    if scope is not None and scope.phases is not None:
        query = query.where(Hire.phase.in_(scope.phases))
    if scope is not None and scope.placement is not None and scope.placement.named():
        p = aliased(Placement)
        current = (
            select(p.id)
            .where(p.hire_id == Hire.id, p.effective_from <= today)
            .order_by(p.effective_from.desc(), p.id.desc())
            .limit(1)
            .correlate(Hire)
            .scalar_subquery()
        )
        query = query.join(Placement, Placement.id == current)
        for name, value in scope.placement.named().items():
            column = getattr(Placement, name)
            query = query.where(func.lower(func.trim(column)) == value.strip().casefold())
    return query.subquery(name)


def _short(rule: Rule, figure):
    when = rule.when
    if when.below is not None:
        return figure < when.below
    return figure > when.above


def _qa_measure(rule: Rule, h, today: date, e, c, correlated: bool = False):
    """The rule's QA rows of the hires in `h` (evaluations `e`, categories `c`): the query
    selecting hire and user (or, `correlated`, the day of one hire of an enclosing query's
    `h`), and the figure and short expressions."""
    kind = rule.when.kind
    belongs = and_(
        e.user_id == h.c.user_id, e.metric_date >= h.c.start_date, e.metric_date <= today
    )
    if correlated:
        query = select(e.metric_date).where(belongs)
    else:
        query = select(h.c.hire_id, h.c.user_id).join_from(e, h, belongs)
    query = query.where(or_(h.c.floor.is_(None), e.metric_date > h.c.floor))
    if kind == CATEGORY:
        # On SQLite `+ 0` keeps the planner on the hire's evaluations, then their categories
        # (by evaluation id): without it, it scans every category row for the key.
        evaluation = e.id if _postgresql() else e.id + 0
        query = query.join(c, c.evaluation_id == evaluation).where(
            c.key == category_key(rule.when.category or ""), c.percent.is_not(None)
        )
        return query, c.percent, _short(rule, c.percent)
    if kind == OVERALL:
        return query.where(e.percent.is_not(None)), e.percent, _short(rule, e.percent)
    return query, e.percent, e.critical_fail.is_(True)


def _with_cutoff(rule: Rule, h, today: date):
    """`h` with each hire's cutoff: the day of its n-th newest row of the measure, n being
    as many as the rule reads (its window, or the baseline of a window of days); None with
    fewer. Rows dated before it cannot rank among the n newest, so only the newer ones are
    ranked: a few per hire instead of every evaluation since the start. Materialized, so
    the cutoff is looked up once per hire through the (user, day) index."""
    n = max(rule.when.of_last or 0, rule.measure_over)
    e, c = aliased(QAEvaluation), aliased(QACategoryScore)
    query, _, _ = _qa_measure(rule, h, today, e, c, correlated=True)
    nth = query.order_by(e.metric_date.desc()).limit(1).offset(n - 1).correlate(h).scalar_subquery()
    if rule.when.within_days is not None:  # the window's rows too, and all of them lack n
        since = literal(today - timedelta(days=rule.when.within_days - 1), Date)
        cutoff = case((nth.is_(None), h.c.start_date), (nth < since, nth), else_=since)
    else:
        cutoff = func.coalesce(nth, h.c.start_date)
    return select(h, cutoff.label("cutoff")).cte(f"{h.name}_cut").prefix_with("MATERIALIZED")


def _qa_rows(rule: Rule, h, today: date, candidates: bool = False):
    """(hire, day, review, figure, short, newest-first rank, in window) of the rule's QA
    measure; with `candidates`, the hires with enough short ones in the window instead."""
    e = QAEvaluation
    if not candidates:
        h = _with_cutoff(rule, h, today)
    query, figure, short = _qa_measure(rule, h, today, e, QACategoryScore)
    rank = func.row_number().over(
        partition_by=h.c.hire_id,
        order_by=(e.metric_date.desc(), e.evaluated_at.desc(), e.id.desc()),
    )
    if rule.when.within_days is not None:
        in_window = e.metric_date >= today - timedelta(days=rule.when.within_days - 1)
    else:
        in_window = literal(True)
    if candidates:
        return _candidates(rule, query, h, short, in_window)
    query = query.where(e.metric_date >= h.c.cutoff)
    return query.add_columns(
        e.metric_date.label("day"),
        e.id.label("review"),  # its external id is read for the evidence only
        literal(None, Integer).label("week"),
        figure.label("figure"),
        case((short, 1), else_=0).label("short"),
        rank.label("rank"),
        case((in_window, 1), else_=0).label("in_window"),
    )


def _metric_rows(rule: Rule, h, today: date, candidates: bool = False):
    """The same columns for a metric rule, one row per completed tenure week with enough data."""
    w = HireWeekMetric
    definition = METRICS[rule.when.metric]
    query = (
        select(h.c.hire_id, h.c.user_id)
        .join_from(w, h, w.hire_id == h.c.hire_id)
        .where(
            w.metric == definition.name,
            w.value.is_not(None),
            w.sample >= definition.default_min_sample,
            # Completed weeks only: week w's last day is day 7w - 1 from the start.
            w.week * 7 <= _days(literal(today, Date), h.c.start_date),
            # After the cooldown floor: the week begins after the close day.
            or_(h.c.floor.is_(None), (w.week - 1) * 7 > _days(h.c.floor, h.c.start_date)),
        )
    )
    if rule.when.within_days is not None:
        since = today - timedelta(days=rule.when.within_days - 1)
        in_window = w.week * 7 - 1 >= _days(literal(since, Date), h.c.start_date)
    else:
        in_window = literal(True)
    if candidates:
        return _candidates(rule, query, h, _short(rule, w.value), in_window)
    rank = func.row_number().over(partition_by=h.c.hire_id, order_by=w.week.desc())
    return query.add_columns(
        h.c.start_date.label("day"),
        literal(None, Integer).label("review"),
        w.week.label("week"),
        w.value.label("figure"),
        case((_short(rule, w.value), 1), else_=0).label("short"),
        rank.label("rank"),
        case((in_window, 1), else_=0).label("in_window"),
    )


def _candidates(rule: Rule, query, h, short, in_window):
    """The hires with at least `failing` short rows in the window: a plain count, which
    spares ranking every evaluation of the hires a window of days cannot fire for."""
    return (
        query.with_only_columns(h.c.hire_id)
        .where(in_window, short)
        .group_by(h.c.hire_id)
        .having(func.count() >= rule.when.failing)
    )


def firing_statement(rule: Rule, today: date, user_ids: Iterable[int] | None = None):
    """The one statement that finds the hires `rule` holds for on `today`, with their rows
    (the window's and the baseline's), newest first.

    One pass over the measure's rows: ranked newest first per hire, cut to the window and
    the baseline, the window's short ones counted per hire by a second window function,
    and the hires with enough of them kept.
    """
    h = _scope(rule, today, user_ids)
    source = _metric_rows if rule.when.kind == METRIC else _qa_rows
    if rule.when.within_days is not None:
        held = source(rule, _scope(rule, today, user_ids, "hc"), today, candidates=True)
        h = select(h).where(h.c.hire_id.in_(held)).subquery("hh")
    ranked = source(rule, h, today).subquery("r")
    window = ranked.c.in_window == 1
    if rule.when.of_last is not None:
        window = and_(window, ranked.c.rank <= rule.when.of_last)
        shown = window
    else:
        # A busy fortnight can hold many evaluations: its short ones, and the newest others.
        shown = and_(window, or_(ranked.c.short == 1, ranked.c.rank <= EVIDENCE_NEWEST))
    counted = (
        select(
            ranked,
            case((shown, 1), else_=0).label("evidence"),
            func.sum(case((and_(window, ranked.c.short == 1), 1), else_=0))
            .over(partition_by=ranked.c.hire_id)
            .label("failing"),
        )
        .where(or_(shown, ranked.c.rank <= rule.measure_over))
        .subquery("c")
    )
    return (
        select(counted)
        .where(counted.c.failing >= rule.when.failing)
        .order_by(counted.c.hire_id, counted.c.rank.desc())
    )


def find_firings(rule: Rule, today: date, user_ids: Iterable[int] | None = None) -> list[Firing]:
    """The hires `rule` holds for on `today` (among `user_ids`' hires when given), each with
    its evidence (oldest first) and baseline figures."""
    out: dict[int, Firing] = {}
    reviews: list[tuple[dict, int]] = []  # evidence items waiting for their review's id
    for row in db.session.execute(firing_statement(rule, today, user_ids)):
        firing = out.get(row.hire_id)
        if firing is None:
            firing = out[row.hire_id] = Firing(row.hire_id, row.user_id)
        figure = float(row.figure) if row.figure is not None else None
        if row.evidence:
            if row.week is not None:
                day, review = row.day + timedelta(days=7 * (row.week - 1)), f"week {row.week}"
            else:
                day, review = row.day, None
            item = {
                "day": day.isoformat(),
                "review": review,
                "figure": figure,
                "short": bool(row.short),
            }
            if row.review is not None:
                reviews.append((item, row.review))
            firing.evidence.append(item)
        if row.rank <= rule.measure_over and figure is not None:
            firing.baseline_figures.append(figure)
    _name_reviews(reviews)
    return list(out.values())


def _name_reviews(items: list[tuple[dict, int]], chunk: int = 5000) -> None:
    """Each evidence item's review: its evaluation's external id, read in a few queries."""
    ids = sorted({evaluation_id for _, evaluation_id in items})
    names: dict[int, str] = {}
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        names.update(
            db.session.execute(
                select(QAEvaluation.id, QAEvaluation.external_id).where(QAEvaluation.id.in_(part))
            ).all()
        )
    for item, evaluation_id in items:
        item["review"] = names.get(evaluation_id)


@dataclass(frozen=True)
class RuleAssignment:
    """What a rule's assignments share: the version, the measure and the refresher."""

    rules_version_id: int
    rule: Rule
    measure_label: str
    title: str


def _condition(rule: Rule) -> dict:
    when = rule.when
    out: dict = {"kind": when.kind}
    for name in ("below", "above", "failing", "of_last", "within_days"):
        value = getattr(when, name)
        if value is not None:
            out[name] = value
    return out


def _measure_key(rule: Rule) -> str | None:
    if rule.when.kind == CATEGORY:
        return category_key(rule.when.category or "")
    if rule.when.kind == METRIC:
        return rule.when.metric
    return None


def _insert():
    """INSERT … ON CONFLICT DO NOTHING RETURNING (id, hire_id): a refresher another run
    opened meanwhile is left as it is, and is not announced twice."""
    table = CoachingAssignment.__table__
    maker = pg_insert if _postgresql() else sqlite_insert
    return maker(table).on_conflict_do_nothing().returning(table.c.id, table.c.hire_id)


def assign(
    what: RuleAssignment,
    firings: list[Firing],
    today: date,
    actor_id: int | None = None,
) -> list[tuple[int, int]]:
    """Open the refreshers of these firings, in bulk; a HireEvent and an announcement each.
    Returns (assignment id, hire id) of those opened."""
    if not firings:
        return []
    rule = what.rule
    now = utcnow()
    base = {
        "rules_version_id": what.rules_version_id,
        "rule_key": rule.key,
        "measure_kind": rule.when.kind,
        "measure_key": _measure_key(rule),
        "measure_label": what.measure_label[:200],
        "condition": _condition(rule),
        "measure_over": rule.measure_over,
        "curriculum_slug": rule.assign.curriculum,
        "module_slug": rule.assign.module,
        "lesson_slug": rule.assign.lesson,
        "title": what.title[:200],
        "done": [],
        "fired_on": today,
        "fired_at": now,
        "due_on": today + timedelta(days=rule.assign.due_in_days),
        "status": OPEN,
        "overdue_announced": False,
        "one_to_one": rule.assign.one_to_one,
    }
    opened: list[tuple[int, int]] = []
    for start in range(0, len(firings), 500):
        chunk = firings[start : start + 500]
        rows = [
            {
                **base,
                "hire_id": f.hire_id,
                "user_id": f.user_id,
                "evidence": f.evidence,
                "baseline": f.baseline,
                "baseline_count": len(f.baseline_figures),
            }
            for f in chunk
        ]
        opened += [(row.id, row.hire_id) for row in db.session.execute(_insert(), rows)]
    if opened:
        db.session.execute(
            HireEvent.__table__.insert(),
            [
                {
                    "hire_id": hire_id,
                    "actor_id": actor_id,
                    "at": now,
                    "action": "coaching_assigned",
                    "milestone_key": None,
                    "reason": None,
                    "details": {"rule": rule.key, "assignment_id": assignment_id},
                }
                for assignment_id, hire_id in opened
            ],
        )
    for assignment_id, hire_id in opened:
        announce("coaching.assigned", assignment_id=assignment_id, hire_id=hire_id)
    return opened


def group_by_rule(opened: dict[str, list[tuple[int, int]]]) -> dict[int, list[str]]:
    """The rule keys that fired for each hire."""
    out: dict[int, list[str]] = defaultdict(list)
    for key, pairs in opened.items():
        for _assignment, hire_id in pairs:
            out[hire_id].append(key)
    return out
