"""The database aggregation agrees with the plain formulas, on random records (hypothesis)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from ramp.metrics import formulas
from ramp.metrics.aggregates import aggregate
from ramp.metrics.definitions import METRICS
from ramp.metrics.models import Contact, QAEvaluation
from ramp.metrics.records import contact_row, qa_row

UTC_ZONE = ZoneInfo("UTC")
BASE = datetime(2026, 9, 1, tzinfo=UTC)
opt = st.one_of

contacts_st = st.lists(
    st.builds(
        lambda created, frt, solve, handle, reopens, ctr, rating, met, target, wait: (
            formulas.ContactRec(
                created_at=BASE + timedelta(minutes=created),
                first_response_at=(BASE + timedelta(minutes=created + frt))
                if frt is not None
                else None,
                solved_at=(BASE + timedelta(minutes=created + solve))
                if solve is not None
                else None,
                handle_seconds=handle,
                reopens=reopens,
                contacts_to_resolve=ctr,
                csat_rating=rating,
                sla_met=met,
                sla_target_seconds=target,
                first_response_seconds=wait,  # an exported wait: counts where there is no time
            )
        ),
        st.integers(0, 60 * 24 * 20),
        opt(st.none(), st.integers(0, 600)),
        opt(st.none(), st.integers(0, 60 * 24 * 5)),
        opt(st.none(), st.floats(10, 5000, allow_nan=False)),
        opt(st.none(), st.integers(0, 3)),
        opt(st.none(), st.integers(1, 4)),
        opt(st.none(), st.integers(1, 5).map(float)),
        opt(st.none(), st.booleans()),
        opt(st.none(), st.integers(60, 86_400).map(float)),
        opt(st.none(), st.integers(0, 36_000).map(float)),
    ),
    max_size=40,
)

qa_st = st.lists(
    st.builds(
        lambda score, crit, day: formulas.QAEval(
            score=score,
            max_score=100.0,
            critical_fail=crit,
            evaluated_at=BASE + timedelta(days=day),
        ),
        opt(st.none(), st.floats(0, 100, allow_nan=False)),
        st.booleans(),
        st.integers(0, 20),
    ),
    max_size=40,
)


def _values(c: formulas.ContactRec, i: int) -> dict:
    return {
        "external_id": f"c{i}",
        "created_at": c.created_at,
        "first_response_at": c.first_response_at,
        "solved_at": c.solved_at,
        "handle_seconds": c.handle_seconds,
        "reopens": c.reopens,
        "contacts_to_resolve": c.contacts_to_resolve,
        "csat_rating": c.csat_rating,
        "sla_met": c.sla_met,
        "sla_target_seconds": c.sla_target_seconds,
        "first_response_seconds": c.first_response_seconds,
    }


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return a == pytest.approx(b, rel=1e-9, abs=1e-6)


@pytest.fixture
def agent(make_user):
    return make_user("agent")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(contacts=contacts_st, evaluations=qa_st)
def test_database_and_formulas_agree(db, agent, contacts, evaluations):
    db.session.execute(delete(Contact))
    db.session.execute(delete(QAEvaluation))
    if contacts:
        rows = [
            contact_row(_values(c, i), "test", agent.id, None, UTC_ZONE)
            for i, c in enumerate(contacts)
        ]
        db.session.execute(insert(Contact), rows)
    if evaluations:
        rows = [
            qa_row(
                {
                    "external_id": f"q{i}",
                    "evaluated_at": e.evaluated_at,
                    "score": e.score,
                    "max_score": e.max_score,
                    "critical_fail": e.critical_fail,
                },
                "test",
                agent.id,
                None,
                UTC_ZONE,
            )
            for i, e in enumerate(evaluations)
        ]
        db.session.execute(insert(QAEvaluation), rows)
    db.session.flush()
    since, until = date(2026, 1, 1), date(2027, 1, 1)
    for metric in METRICS:
        records = evaluations if metric == "qa_score" else contacts
        expected = formulas.compute(metric, records)
        got = aggregate(metric, [agent.id], since, until)
        assert got.sample == expected.sample, metric
        assert _close(got.value, expected.value), (metric, got, expected)
        assert _close(got.p90, expected.p90), metric
    db.session.rollback()
