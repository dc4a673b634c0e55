"""The import stages rows through the DBAPI (executemany on SQLite, COPY on PostgreSQL) and
merges them with SQL: they must be stored as the ORM stores them."""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.sqlite import DATE, DATETIME

from ramp.metrics import records
from ramp.metrics.imports import _Stage
from ramp.metrics.models import Contact, ImportRun, QAEvaluation
from ramp.metrics.rows import record_maker, sqlite_stamper

BERLIN = ZoneInfo("Europe/Berlin")
AT = datetime(2026, 3, 28, 23, 30, 5, 120, tzinfo=UTC)

CONTACTS = [
    # Every field, an offset that is not UTC, microseconds.
    {
        "external_id": "T1",
        "channel": "chat",
        "queue": "billing",
        "created_at": AT,
        "first_response_at": AT.astimezone(timezone(timedelta(hours=-5))) + timedelta(seconds=90),
        "solved_at": (AT + timedelta(hours=2)).astimezone(BERLIN),
        "handle_seconds": 95.5,
        "reopens": 0,
        "contacts_to_resolve": 1,
        "csat_rating": 4.0,
        "sla_met": True,
        "sla_target_seconds": 3600.0,
    },
    # Unsolved, no rating, SLA worked out from the target, whole numbers.
    {
        "external_id": "T2",
        "created_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=BERLIN),
        "first_response_at": datetime(2026, 1, 2, 3, 14, 5, tzinfo=BERLIN),
        "solved_at": None,
        "handle_seconds": 60,
        "reopens": 2,
        "csat_rating": None,
        "sla_met": None,
        "sla_target_seconds": 60,
    },
    # Naive moments (UTC), a failed SLA, a bad rating, an early year.
    {
        "external_id": "T3",
        "created_at": datetime(999, 12, 31, 23, 59, 59, 999999),
        "solved_at": datetime(1000, 1, 1, 0, 0, 1),
        "csat_rating": 1.0,
        "sla_met": False,
    },
]
EVALUATIONS = [
    {
        "external_id": "Q1",
        "interaction_id": "T1",
        "evaluated_at": AT,
        "interaction_at": AT.astimezone(BERLIN) - timedelta(hours=3),
        "scorecard": "Tier 1",
        "score": 88.0,
        "max_score": 100.0,
        "critical_fail": False,
        "categories": [
            {
                "name": "Tone",
                "score": 4.0,
                "max_score": 5.0,
                "min_score": 0,
                "weight": 2,
                "critical": False,
            },
            {
                "name": "Accuracy",
                "score": None,
                "max_score": 5.0,
                "min_score": 0,
                "weight": 1,
                "critical": True,
            },
        ],
    },
    {
        "external_id": "Q2",
        "evaluated_at": datetime(2026, 5, 1, 9),
        "score": 3,
        "max_score": 4,
        "critical_fail": True,
    },
]
ALL_FIELDS = {
    "contacts": set(records.CONTACT_COLUMNS),
    "qa": set(records.QA_COLUMNS),
}


def _write_both(db, kind: str, rows: list[dict], user_id: int, again: bool) -> None:
    model = QAEvaluation if kind == "qa" else Contact
    as_dict = records.qa_row if kind == "qa" else records.contact_row
    for values in rows:
        db.session.add(model(**as_dict(values, "orm", user_id, None, BERLIN, (1.0, 5.0))))
    db.session.flush()
    # Written twice when `again`: the second merge updates every record the first inserted.
    for _ in range(2 if again else 1):
        run = ImportRun(kind=kind, source="fast", mapping="every field", filename="t.csv")
        db.session.add(run)
        db.session.flush()
        stage = _Stage(kind, "fast", ALL_FIELDS[kind], keep_raw=False)
        make = record_maker(kind, stage.sqlite)
        stage.add(
            [
                (line, None, make(values, "fast", user_id, None, BERLIN, (1.0, 5.0)))
                for line, values in enumerate(rows, start=2)
            ]
        )
        stage.merge(run.id)
        stage.drop()
    db.session.commit()
    db.session.expunge_all()


@pytest.mark.parametrize("again", [False, True], ids=["inserted", "updated"])
@pytest.mark.parametrize(
    ("kind", "rows"), [("contacts", CONTACTS), ("qa", EVALUATIONS)], ids=["contacts", "qa"]
)
def test_rows_written_by_the_import_read_back_as_orm_rows(db, make_user, kind, rows, again):
    model = QAEvaluation if kind == "qa" else Contact
    user = make_user("agent", email="ana.silva@example.com")
    _write_both(db, kind, rows, user.id, again)
    skipped = ("id", "source", "import_run_id")  # the ORM's rows belong to no import
    columns = [c.name for c in model.__table__.columns if c.name not in skipped]

    def read(source: str) -> list[dict]:
        found = db.session.execute(
            select(model).where(model.source == source).order_by(model.external_id)
        ).scalars()
        return [{c: getattr(r, c) for c in columns} for r in found]

    orm, fast = read("orm"), read("fast")
    assert len(orm) == len(rows)
    assert fast == orm
    # Not only equal once read: stored the same, value for value and type for type.
    table = model.__tablename__
    stored = ", ".join(f"{c}, typeof({c})" if db.engine.name == "sqlite" else c for c in columns)
    raw = {
        source: db.session.execute(
            text(f"SELECT {stored} FROM {table} WHERE source = :s ORDER BY external_id"),
            {"s": source},
        ).all()
        for source in ("orm", "fast")
    }
    assert raw["fast"] == raw["orm"]


def test_sqlite_stamp_is_sqlalchemys_own_text():
    dialect = sqlite.dialect()
    moment_text = DATETIME().bind_processor(dialect)
    day_text = DATE().bind_processor(dialect)
    moments = [
        datetime(1, 1, 1),
        datetime(999, 12, 31, 23, 59, 59, 999999),
        datetime(9999, 12, 31, 23),
        AT,
        AT.astimezone(BERLIN),
        datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN),
        datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN),
        datetime(2026, 7, 1, 12, 0, 0, 1),
        datetime(2026, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-3))),
        datetime(2027, 1, 1, 0, 0, 0),
        datetime(2026, 2, 28, 9, 0, 59, tzinfo=UTC),
    ]
    stamp = sqlite_stamper()
    for moment in moments + [m.replace(microsecond=0) for m in moments] * 2:
        assert stamp(moment) == moment_text(records.utc(moment)), moment
    assert stamp(None) is None
    for day in (date(1, 1, 1), date(999, 2, 3), date(2026, 12, 31)):
        assert date.isoformat(day) == day_text(day)
