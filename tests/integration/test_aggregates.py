"""The database aggregation agrees with the plain formulas, on random records (hypothesis):
over a period (aggregates.py) and per hire and tenure week (weekly.py)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from ramp.metrics import formulas
from ramp.metrics.aggregates import aggregate
from ramp.metrics.definitions import METRICS
from ramp.metrics.models import Contact, HireWeekMetric, QAEvaluation
from ramp.metrics.records import contact_row, qa_row
from ramp.metrics.weekly import MEAN_METRICS, SHARE_METRICS, refresh_weeks

UTC_ZONE = ZoneInfo("UTC")
BASE = datetime(2026, 9, 1, tzinfo=UTC)
opt = st.one_of


def contacts_over(minutes: int, base: datetime = BASE, max_size: int = 40):
    """Lists of contacts created within `minutes` of `base`, every field known or not."""
    return st.lists(
        st.builds(
            lambda created, frt, solve, handle, reopens, ctr, rating, met, target, wait: (
                formulas.ContactRec(
                    created_at=base + timedelta(minutes=created),
                    first_response_at=(base + timedelta(minutes=created + frt))
                    if frt is not None
                    else None,
                    solved_at=(base + timedelta(minutes=created + solve))
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
            st.integers(0, minutes),
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
        max_size=max_size,
    )


def evaluations_over(days: int, base: datetime = BASE, max_size: int = 40):
    """Lists of QA evaluations made within `days` of `base`, scored or not, some failed."""
    return st.lists(
        st.builds(
            lambda score, crit, day: formulas.QAEval(
                score=score,
                max_score=100.0,
                critical_fail=crit,
                evaluated_at=base + timedelta(days=day),
            ),
            opt(st.none(), st.floats(0, 100, allow_nan=False)),
            st.booleans(),
            st.integers(0, days),
        ),
        max_size=max_size,
    )


contacts_st = contacts_over(60 * 24 * 20)
qa_st = evaluations_over(20)


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


def _store(db, user_id: int, contacts, evaluations) -> None:
    """The records as an import writes them (outcomes derived), for this agent."""
    if contacts:
        rows = [
            contact_row(_values(c, i), "test", user_id, None, UTC_ZONE)
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
                user_id,
                None,
                UTC_ZONE,
            )
            for i, e in enumerate(evaluations)
        ]
        db.session.execute(insert(QAEvaluation), rows)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(contacts=contacts_st, evaluations=qa_st)
def test_database_and_formulas_agree(db, agent, contacts, evaluations):
    db.session.execute(delete(Contact))
    db.session.execute(delete(QAEvaluation))
    _store(db, agent.id, contacts, evaluations)
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


# Weekly figures: records from a few days before the hire's start to a week past "today",
# so some fall before week 1 and some after today (both left out), and a week may have
# records but none that a metric counts (no row for it), or an even count of values (the
# median is the mean of the middle two).
START = date(2026, 3, 2)
TODAY = START + timedelta(days=27)  # the last day of tenure week 4
WEEKLY_BASE = datetime(2026, 2, 26, 18, 0, tzinfo=UTC)


def expected_by(contacts, evaluations, since: date, until: date, group) -> dict:
    """Each metric's figure by the plain formulas per group of the records dated since..until
    (group(day) names a record's group), where a record counts."""
    by_group: dict[str, dict] = {"qa": {}, "contacts": {}}
    dated = [("qa", e, e.evaluated_at) for e in evaluations] + [
        ("contacts", c, formulas.contact_metric_date(c)) for c in contacts
    ]
    for kind, record, moment in dated:
        day = moment.astimezone(UTC).date()
        if since <= day <= until:
            by_group[kind].setdefault(group(day), []).append(record)
    out = {}
    for metric in METRICS:
        for key, records in by_group["qa" if metric == "qa_score" else "contacts"].items():
            figure = formulas.compute(metric, records)
            if figure.sample:
                out[metric, key] = figure
    return out


def expected_weeks(contacts, evaluations) -> dict[tuple[str, int], formulas.MetricValue]:
    """Each metric's figure per tenure week by the plain formulas, where a record counts."""
    return expected_by(
        contacts, evaluations, START, TODAY, lambda day: formulas.tenure_week_of(START, day)
    )


@pytest.fixture
def weekly_hire(ramp_world, db):
    hire = ramp_world.hire(start_date=START)
    # A second active hire of someone else, whose figures the refresh must leave alone.
    other = ramp_world.hire(start_date=START)
    db.session.add(
        HireWeekMetric(hire_id=other.id, metric="aht", week=1, sample=3, total=30.0, value=10.0)
    )
    db.session.commit()
    return hire, other


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    contacts=contacts_over(60 * 24 * 35, WEEKLY_BASE, max_size=60),
    evaluations=evaluations_over(35, WEEKLY_BASE, max_size=30),
)
def test_weekly_figures_are_the_formulas_per_week(db, weekly_hire, contacts, evaluations):
    hire, other = weekly_hire
    db.session.execute(delete(Contact))
    db.session.execute(delete(QAEvaluation))
    # Figures left from an earlier refresh must go: the records behind them are gone.
    db.session.add(
        HireWeekMetric(hire_id=hire.id, metric="csat", week=9, sample=30, hits=3, value=10.0)
    )
    _store(db, hire.user_id, contacts, evaluations)
    db.session.flush()
    written = refresh_weeks([hire.user_id], today=TODAY)

    rows = {
        (r.metric, r.week): r
        for r in db.session.execute(
            select(HireWeekMetric).where(HireWeekMetric.hire_id == hire.id)
        ).scalars()
    }
    expected = expected_weeks(contacts, evaluations)
    assert written == len(rows)
    assert set(rows) == set(expected)
    for key, figure in expected.items():
        row = rows[key]
        assert row.sample == figure.sample, key
        assert _close(row.value, figure.value), (key, row.value, figure)
        metric = key[0]
        if metric in MEAN_METRICS:
            assert _close(row.total, figure.value * figure.sample) and row.hits is None, key
        elif metric in SHARE_METRICS:
            assert row.hits == round(figure.value * figure.sample / 100), key
            assert row.total is None
        else:
            assert row.total is None and row.hits is None, key
    untouched = db.session.execute(
        select(HireWeekMetric.value).where(HireWeekMetric.hire_id == other.id)
    ).scalars()
    assert list(untouched) == [10.0]
    db.session.rollback()
