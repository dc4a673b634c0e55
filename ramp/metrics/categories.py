"""QA scorecard categories as rows: written from each evaluation's categories, read by
agent and tenure week.

An evaluation keeps its categories as it was imported (qa_evaluations.categories, a JSON
list); qa_category_scores holds the same categories one row each, so they can be queried
across evaluations. The rows are worked out from that JSON by the database, set-based
(json_each on SQLite, json_array_elements on PostgreSQL): by the import from its staged
rows, in its transaction, and by an undo from the values it gives back. So the rows never
say anything the evaluations do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, Float, bindparam, case, cast, func, select, text

from ramp import clock
from ramp.extensions import db
from ramp.metrics.models import QACategoryScore, QAEvaluation
from ramp.metrics.weekly import WeekFigure, _Weeks, weeks_of
from ramp.milestones.models import Hire

TABLE = QACategoryScore.__tablename__
_COLUMNS = (
    "evaluation_id, position, name, key, score, max_score, min_score, weight, critical, "
    "not_applicable, percent"
)

# One row per category of the evaluations `{source}` names: {items} is the FROM item of
# their JSON lists' elements (alias j), {evaluation} the evaluation's id. percent as
# formulas._category_percent works it out, in the same order of operations. A key missing
# from the JSON (categories written before keys were) is the name in lower case, trimmed.
_SELECT = """
SELECT evaluation_id, position, name, key, score, max_score, min_score, weight, critical,
       score IS NULL,
       CASE WHEN score IS NULL OR max_score IS NULL OR max_score = min_score THEN NULL
            ELSE (score - min_score) / (max_score - min_score) * 100 END
FROM (
  SELECT {evaluation} AS evaluation_id, {position} AS position,
         {name} AS name, COALESCE({key}, lower(trim({name}))) AS key,
         {score} AS score, {max} AS max_score,
         COALESCE({min}, 0.0) AS min_score, COALESCE({weight}, 1.0) AS weight,
         COALESCE({critical}, {false}) AS critical
  FROM {source}
) c
"""


def _sql_select(dialect: str, source: str, evaluation: str, categories: str) -> str:
    """The SELECT of category rows from `source`, whose column `categories` holds the JSON."""
    # A JSON value that is not a list (null) has no categories: its elements are not asked for.
    if dialect == "postgresql":
        items = (
            f"json_array_elements(CASE WHEN json_typeof({categories}) = 'array' "
            f"THEN {categories} END) WITH ORDINALITY AS j(value, ordinality)"
        )

        def text_of(name: str) -> str:
            return f"(j.value ->> '{name}')"

        def number(name: str) -> str:
            return f"CAST(j.value ->> '{name}' AS DOUBLE PRECISION)"

        parts = {
            "position": "CAST(j.ordinality - 1 AS INTEGER)",
            "critical": "CAST(j.value ->> 'critical' AS BOOLEAN)",
            "false": "FALSE",
        }
    else:
        items = f"json_each(CASE WHEN json_type({categories}) = 'array' THEN {categories} END) AS j"

        def text_of(name: str) -> str:
            return f"json_extract(j.value, '$.{name}')"

        def number(name: str) -> str:
            # REAL: a whole number in the JSON is an integer to SQLite, and would divide as one.
            return f"CAST(json_extract(j.value, '$.{name}') AS REAL)"

        parts = {
            "position": "j.key",
            "critical": "json_extract(j.value, '$.critical')",
            "false": "0",
        }
    return _SELECT.format(
        source=f"{source}, {items}",
        evaluation=evaluation,
        name=text_of("name"),
        key=text_of("key"),
        score=number("score"),
        max=number("max_score"),
        min=number("min_score"),
        weight=number("weight"),
        **parts,
    )


def write_staged(connection: Connection, stage: str, source: str, run_id: int, updated: int) -> int:
    """The category rows of an import's evaluations, from its staged rows (after its merge).

    The rows of the evaluations the run updated go first (their ids are kept in
    replaced_qa_evaluations for undo), then every staged evaluation's categories are written
    as they now stand: two statements for the whole import. Returns the rows written.
    """
    dialect = connection.dialect.name
    if updated:
        connection.execute(
            text(
                f"DELETE FROM {TABLE} WHERE evaluation_id IN "
                "(SELECT record_id FROM replaced_qa_evaluations WHERE replaced_by_run_id = :run)"
            ),
            {"run": run_id},
        )
    joined = (
        f"{stage} s JOIN qa_evaluations e ON e.source = :source AND e.external_id = s.external_id"
    )
    statement = f"INSERT INTO {TABLE} ({_COLUMNS})" + _sql_select(
        dialect, joined, "e.id", "s.categories"
    )
    return connection.execute(
        text(statement), {"source": source}, execution_options={"preserve_rowcount": True}
    ).rowcount


def write_restored(run_id: int) -> None:
    """The category rows of the evaluations an undo gave back their earlier values.

    Called after the restore, while replaced_qa_evaluations still names them: their rows
    are written again from the categories they have now. (The evaluations the run created
    are deleted, and their rows with them.)
    """
    connection = db.session.connection()
    records = "SELECT record_id FROM replaced_qa_evaluations WHERE replaced_by_run_id = :run"
    connection.execute(
        text(f"DELETE FROM {TABLE} WHERE evaluation_id IN ({records})"), {"run": run_id}
    )
    source = f"qa_evaluations e JOIN ({records}) r ON e.id = r.record_id"
    connection.execute(
        text(
            f"INSERT INTO {TABLE} ({_COLUMNS})"
            + _sql_select(connection.dialect.name, source, "e.id", "e.categories")
        ),
        {"run": run_id},
    )


def write_missing(user_ids: list[int]) -> None:
    """The category rows of these agents' evaluations that have none yet: for evaluations
    written without an import (the demo's generated reviews). One statement."""
    if not user_ids:
        return
    connection = db.session.connection()
    source = (
        "(SELECT id, categories FROM qa_evaluations WHERE user_id IN :users AND NOT EXISTS "
        f"(SELECT 1 FROM {TABLE} x WHERE x.evaluation_id = qa_evaluations.id)) e"
    )
    statement = text(
        f"INSERT INTO {TABLE} ({_COLUMNS})"
        + _sql_select(connection.dialect.name, source, "e.id", "e.categories")
    ).bindparams(bindparam("users", expanding=True))
    connection.execute(statement, {"users": list(user_ids)})


# The read side -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryWeek:
    """One category's figure in one tenure week: the mean of its percents over the
    evaluations that scored it (sample), and the evaluations that marked it N/A."""

    value: float | None
    sample: int
    not_applicable: int
    critical_below_half: int  # scored below 50 % where the category is critical


@dataclass
class CategoryRow:
    key: str
    name: str  # as the latest evaluation wrote it
    critical: bool  # critical in the latest evaluation
    weeks: dict[int, CategoryWeek] = field(default_factory=dict)


@dataclass
class CategoryTable:
    """A hire's scorecard categories by tenure week, beside the overall QA score."""

    weeks: list[int]
    overall: dict[int, WeekFigure]
    rows: list[CategoryRow]

    @property
    def empty(self) -> bool:
        return not self.rows


def category_weeks(hire: Hire, today: date | None = None) -> CategoryTable:
    """A hire's category figures by tenure week (the weeks and records weekly.py counts:
    from the start date to today), with the overall QA score of each week."""
    today = today or clock.today()
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    hires = select(Hire.id, Hire.user_id, Hire.start_date).where(Hire.id == hire.id)
    if not postgresql:
        hires = hires.add_columns(func.julianday(Hire.start_date).label("start_day"))
    c = QACategoryScore
    dated = (
        _Weeks(hires.subquery("h"), today, postgresql)
        .dated(
            QAEvaluation,
            c.key,
            c.percent,
            c.not_applicable,
            c.critical,
        )
        .join(c, c.evaluation_id == QAEvaluation.id)
        .subquery("d")
    )
    below = case((dated.c.critical.is_(True) & (dated.c.percent < 50), 1), else_=0)
    grouped = db.session.execute(
        select(
            dated.c.key,
            dated.c.bucket,
            func.count(dated.c.percent),
            cast(func.sum(dated.c.percent), Float) / cast(func.count(dated.c.percent), Float),
            func.sum(case((dated.c.not_applicable.is_(True), 1), else_=0)),
            func.sum(below),
        ).group_by(dated.c.key, dated.c.bucket)
    ).all()
    rows: dict[str, CategoryRow] = {}
    order: dict[str, int] = {}
    for key, name, critical, position in _latest_names(hire, today):
        if key not in rows:
            rows[key], order[key] = CategoryRow(key, name, critical), position
    for key, week, sample, value, not_applicable, critical_below in grouped:
        row = rows.get(key)
        if row is None:  # not in the hire's weeks at all: not shown
            continue
        row.weeks[int(week)] = CategoryWeek(
            value if sample else None, int(sample), int(not_applicable), int(critical_below)
        )
    overall = {f.week: f for f in weeks_of([hire.id], ["qa_score"])[hire.id].get("qa_score", [])}
    shown = [row for row in rows.values() if row.weeks]
    weeks = sorted(set(overall) | {w for row in shown for w in row.weeks})
    # In the order of the latest scorecard that has them.
    shown.sort(key=lambda r: (order[r.key], r.key))
    return CategoryTable(weeks, overall, shown)


def _latest_names(hire: Hire, today: date) -> list[tuple[str, str, bool, int]]:
    """(key, name, critical, position) of each category of the hire's evaluations, latest first."""
    c, e = QACategoryScore, QAEvaluation
    return [
        tuple(row)
        for row in db.session.execute(
            select(c.key, c.name, c.critical, c.position)
            .join(e, e.id == c.evaluation_id)
            .where(
                e.user_id == hire.user_id,
                e.metric_date >= hire.start_date,
                e.metric_date <= today,
            )
            .order_by(e.metric_date.desc(), e.evaluated_at.desc(), e.id.desc())
        )
    ]
