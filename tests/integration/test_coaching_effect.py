"""Each measure's figures after a refresher, read from the database in a fixed number of
queries: categories, the overall percent, critical fails and weekly metrics."""

from datetime import date

from sqlalchemy import event

from ramp.coaching.effect import effects_of
from ramp.coaching.models import COMPLETED
from ramp.extensions import db
from ramp.metrics.models import HireWeekMetric
from tests.coaching_factory import EMPATHY, make_assignment, make_evaluation

DONE = date(2026, 3, 5)


def completed(hire, **kw):
    return make_assignment(
        hire, fired_on=date(2026, 3, 1), status=COMPLETED, completed_on=DONE, **kw
    )


def test_category_overall_and_critical_after_completion(ramp_world):
    hire = ramp_world.hire()
    category = completed(hire, baseline=40, measure_over=2)
    overall = completed(hire, rule="overall", kind="overall", label="QA score", baseline=70)
    critical = completed(
        hire, rule="critical", kind="critical", label="Critical fails", baseline=50, measure_over=3
    )
    make_evaluation(hire.user, date(2026, 3, 4), 10, {EMPATHY: 10}, critical_fail=True)  # before
    make_evaluation(hire.user, DONE, 20, {EMPATHY: 20}, critical_fail=True)  # the day itself
    make_evaluation(hire.user, date(2026, 3, 6), 80, {EMPATHY: 70})
    make_evaluation(hire.user, date(2026, 3, 7), 90, {"Accuracy": 50}, critical_fail=True)
    make_evaluation(hire.user, date(2026, 3, 9), 100, {EMPATHY: 90})
    make_evaluation(hire.user, date(2026, 3, 10), 0, {EMPATHY: 0})  # beyond the K measured
    effects = effects_of([category, overall, critical])
    e = effects[category.id]
    assert (e.after, e.after_count, e.change, e.improved) == (80, 2, 40, True)
    o = effects[overall.id]  # the first 2 after: 80 and 90
    assert (o.after, o.after_count, o.change) == (85, 2, 15)
    c = effects[critical.id]  # 1 of the first 3 failed critically: 33.3 %, from 50 %
    assert c.after_count == 3 and round(c.after, 2) == 33.33 and c.improved is True


def test_weekly_metric_counts_weeks_that_start_after_completion(ramp_world):
    hire = ramp_world.hire(start_date=date(2026, 2, 2))  # week 5 starts Mar 2, week 6 Mar 9
    aht = completed(hire, rule="aht", kind="metric", label="aht", baseline=500, measure_over=2)
    for week, value in ((5, 900), (6, 450), (7, 430), (8, 100)):
        db.session.add(
            HireWeekMetric(hire_id=hire.id, metric="aht", week=week, sample=20, value=value)
        )
    db.session.commit()
    e = effects_of([aht])[aht.id]
    assert (e.after, e.after_count, e.change) == (440, 2, -60)
    assert e.improved is True  # lower handle time is better


def test_open_or_unmeasured_refreshers_have_no_effect_and_queries_stay_few(ramp_world):
    hires = [ramp_world.hire() for _ in range(4)]
    rows = [completed(h, baseline=40, measure_over=3) for h in hires]
    rows.append(make_assignment(hires[0], fired_on=date(2026, 3, 10), rule="open-one"))
    make_evaluation(hires[0].user, date(2026, 3, 6), 80, {EMPATHY: 80})
    for row in rows:
        db.session.refresh(row)  # loaded, as a page has them: only the figures are read
    statements = []
    engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        effects = effects_of(rows)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 1  # one statement for every QA measure, however many rows
    assert rows[-1].id not in effects
    first = effects[rows[0].id]
    assert first.after_count == 1 and not first.enough and first.change is None
    assert effects[rows[1].id].after_count == 0
