"""Evaluating every hire's milestones: the first run of a day and the idempotent re-run,
each beside the bare read of the same inputs.

    python bench/evaluation.py [--sizes 500,2000,6000] [--records 12]

For each size, in a child process of its own, builds a team: the starter curriculum and
12-week template, cohorts of 50 hires started over the last 16 weeks (hired with ramp's own
operations, so plans are built as in production), curriculum progress, and for two hires
in three some QA evaluations and contacts (bulk-inserted). Then it times:

- the baseline: the bare SQL read of every input the evaluation reads (hires, their plans,
  placements, lesson completions, passed checks, the records in the metric windows), as
  plain rows, with nothing done to them;
- evaluate all, the next day: every hire's day has changed, so every plan is evaluated;
- evaluate all again the same day, with nothing changed (the idempotent re-run);
- evaluate all again after an import touched the records of one hire in twenty.

Each figure is printed in wall and CPU seconds (this process's: on SQLite that includes
the database's work) and with its wall-time ratio to the baseline measured in the same run. On SQLite
by default (a fresh file under bench/out/); on PostgreSQL when DATABASE_URL names one,
which is emptied first. Target: 6,000 hires evaluated in under 10 s.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time

from common import fresh_database

TARGET_S = 10.0
TARGET_HIRES = 6000
PER_COHORT = 50


def prepare_database(db: str) -> str:
    """A fresh database: a new SQLite file, or the PostgreSQL one emptied; returns its name."""
    url = os.environ.get("DATABASE_URL", "")
    os.environ.setdefault("SECRET_KEY", "bench")
    if not url.startswith("postgresql"):
        return str(fresh_database(db))
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url.rsplit("@", 1)[-1]


def build(hires: int, records: int, today: date) -> None:
    """The team: cohorts of PER_COHORT hires with progress and, for most, records."""
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from ramp.accounts.operations import create_team, create_user, find_team
    from ramp.curricula import STARTER_CURRICULUM
    from ramp.curricula import queries as cq
    from ramp.curricula.models import Attempt, LessonCompletion
    from ramp.curricula.operations import publish_curriculum
    from ramp.curricula.spec import load_curriculum_file
    from ramp.extensions import db
    from ramp.metrics.models import Contact, QAEvaluation
    from ramp.milestones import STARTER_TEMPLATE
    from ramp.milestones.operations import NewHire, add_hires, create_cohort, publish_template
    from ramp.milestones.template_spec import load_template_file

    rng = random.Random(20261202)
    upgrade()
    version = publish_curriculum(load_curriculum_file(str(STARTER_CURRICULUM))).version
    loaded = cq.load_version(version.id)
    modules = {m.slug: m.assessment is not None for m in loaded.modules}
    template = publish_template(load_template_file(str(STARTER_TEMPLATE), modules)).version
    lessons = [(m, le) for m in loaded.modules for le in m.lessons]
    cohorts = max(1, hires // PER_COHORT)
    managers = []
    for i in range(max(1, cohorts // 4)):
        managers.append(
            create_user(f"manager{i}@bench.example", f"Manager {i}", "bench-pw-1", "manager")
        )
        create_team(f"Team {i}", managers[-1].email)
    queues = ["billing", "general", "technical", "onboarding", "returns"]
    for c in range(cohorts):
        manager = managers[c % len(managers)]
        start = today - timedelta(days=rng.randint(0, 110))
        cohort = create_cohort(
            f"Cohort {c:03d}", start, template, version, find_team(f"Team {c % len(managers)}")
        )
        new = [
            NewHire(
                f"Agent {c:03d}-{i:03d}",
                f"agent{c:03d}.{i:03d}@bench.example",
                start,
                manager,
                cohort,
                {
                    "queue": rng.choice(queues),
                    "channel": rng.choice(["chat", "email"]),
                    "tier": "tier-1",
                },
            )
            for i in range(PER_COHORT)
        ]
        made = add_hires(new, manager)
        completions, attempts, qa, contacts = [], [], [], []
        for hire in made:
            done = rng.randint(0, len(lessons))
            completions += [
                {"enrollment_id": hire.enrollment_id, "lesson_id": le.id}
                for _, le in lessons[:done]
            ]
            finished = {m.id for m, _ in lessons[:done]} - {m.id for m, _ in lessons[done:]}
            attempts += [
                {
                    "enrollment_id": hire.enrollment_id,
                    "assessment_id": m.assessment.id,
                    "number": 1,
                    "score": 100,
                    "passed": True,
                    "answers": {},
                }
                for m in loaded.modules
                if m.id in finished and m.assessment
            ]
            days = (today - start).days
            if days < 21 or rng.random() < 1 / 3:
                continue  # still in the classroom, or no records imported yet
            for n in range(records * days // 110 + 1):
                at = datetime.combine(
                    start + timedelta(days=rng.randint(21, days)), day_time(10), UTC
                )
                qa.append(
                    {
                        "source": "bench",
                        "external_id": f"Q{hire.id}-{n}",
                        "user_id": hire.user_id,
                        "evaluated_at": at,
                        "score": rng.randint(60, 100),
                        "max_score": 100,
                        "percent": float(rng.randint(60, 100)),
                        "metric_date": at.date(),
                        "categories": [],
                    }
                )
                for k in range(2):
                    solved = at + timedelta(minutes=rng.randint(5, 600))
                    contacts.append(
                        {
                            "source": "bench",
                            "external_id": f"C{hire.id}-{n}-{k}",
                            "user_id": hire.user_id,
                            "created_at": at,
                            "first_response_at": at + timedelta(minutes=3),
                            "solved_at": solved,
                            "handle_seconds": float(rng.randint(200, 1500)),
                            "reopens": rng.choice([0, 0, 1]),
                            "contacts_to_resolve": 1,
                            "csat_rating": float(rng.randint(1, 5)),
                            "csat_min": 1.0,
                            "csat_max": 5.0,
                            "sla_met": rng.random() < 0.8,
                            "first_response_seconds": 180.0,
                            "metric_date": solved.date(),
                        }
                    )
        for model, rows in (
            (LessonCompletion, completions),
            (Attempt, attempts),
            (QAEvaluation, qa),
            (Contact, contacts),
        ):
            if rows:
                db.session.execute(insert(model), rows)
        db.session.commit()


def bare_read(today: date) -> int:
    """Every input of the evaluation, read as plain rows; returns the number of rows."""
    from sqlalchemy import select

    from ramp.curricula.models import Attempt, LessonCompletion
    from ramp.extensions import db
    from ramp.metrics.models import Contact, QAEvaluation
    from ramp.milestones.models import Cohort, Hire, Placement, PlanMilestone, RampTemplateVersion

    active = select(Hire.id).where(Hire.active.is_(True))
    users = select(Hire.user_id).where(Hire.active.is_(True))
    enrollments = select(Hire.enrollment_id).where(Hire.active.is_(True))
    since = today - timedelta(days=42)
    queries = [
        select(Hire, Cohort.id, RampTemplateVersion.document)
        .join(Cohort, Hire.cohort_id == Cohort.id)
        .join(RampTemplateVersion, Cohort.template_version_id == RampTemplateVersion.id)
        .where(Hire.active.is_(True)),
        select(*PlanMilestone.__table__.c).where(PlanMilestone.hire_id.in_(active)),
        select(*Placement.__table__.c).where(Placement.hire_id.in_(active)),
        select(LessonCompletion.enrollment_id, LessonCompletion.lesson_id).where(
            LessonCompletion.enrollment_id.in_(enrollments)
        ),
        select(Attempt.enrollment_id, Attempt.assessment_id).where(
            Attempt.enrollment_id.in_(enrollments), Attempt.passed.is_(True)
        ),
        select(QAEvaluation.user_id, QAEvaluation.metric_date, QAEvaluation.percent).where(
            QAEvaluation.user_id.in_(users), QAEvaluation.metric_date >= since
        ),
        select(*Contact.__table__.c).where(
            Contact.user_id.in_(users), Contact.metric_date >= since
        ),
    ]
    rows = sum(len(db.session.execute(q).all()) for q in queries)
    db.session.rollback()
    return rows


def touch_records(share: int, today: date) -> list[int]:
    """Change one QA score of every share-th agent with records, as a re-import would."""
    from sqlalchemy import select, update

    from ramp.extensions import db
    from ramp.metrics.models import QAEvaluation

    ids = list(
        db.session.execute(
            select(QAEvaluation.user_id, QAEvaluation.id).order_by(
                QAEvaluation.user_id, QAEvaluation.metric_date.desc()
            )
        ).all()
    )
    latest = {}
    for user_id, qa_id in ids:
        latest.setdefault(user_id, qa_id)
    chosen = sorted(latest)[::share]
    db.session.execute(
        update(QAEvaluation)
        .where(QAEvaluation.id.in_([latest[u] for u in chosen]))
        .values(percent=QAEvaluation.percent - 7)
    )
    db.session.commit()
    return chosen


def run_one(hires: int, records: int, db_path: str) -> None:
    where = prepare_database(db_path)
    from sqlalchemy import func, select

    from ramp import create_app
    from ramp.extensions import db
    from ramp.milestones.models import Hire, PlanMilestone
    from ramp.milestones.operations import evaluate_hires

    today = date.today()
    app = create_app({"RATELIMIT_ENABLED": False})
    with app.app_context():
        started = time.perf_counter()
        build(hires, records, today)
        built = time.perf_counter() - started
        active = db.session.execute(select(func.count(Hire.id))).scalar_one()
        milestones = db.session.execute(select(func.count(PlanMilestone.id))).scalar_one()
        db.session.remove()
        rows = bare_read(today)
        baseline, baseline_cpu = min(_timed(lambda: bare_read(today)) for _ in range(3))
        print(
            f"{active} hires, {milestones} milestones, {rows} input rows ({where}; built in {built:.0f} s)"
        )
        print(f"  {'':50} {'wall':>8} {'cpu':>8}  wall/baseline")
        print(
            f"  {'bare read of the inputs (baseline)':50} {baseline:6.2f} s {baseline_cpu:6.2f} s   1.0x"
        )
        tomorrow = today + timedelta(days=1)

        def evaluate_all() -> int:
            changed = evaluate_hires(None, tomorrow)
            db.session.commit()
            db.session.remove()
            return changed

        for label in ("evaluate all, the next day", "evaluate all again, nothing changed"):
            changed, seconds, cpu = _timed_result(evaluate_all)
            verdict = ""
            if hires >= TARGET_HIRES:
                verdict = f"  target {TARGET_S:.0f} s {'ok' if seconds < TARGET_S else 'SLOW'}"
            print(
                f"  {label:50} {seconds:6.2f} s {cpu:6.2f} s {seconds / baseline:5.1f}x"
                f"  {changed:6d} milestones changed{verdict}"
            )
        touched = touch_records(20, tomorrow)
        changed, seconds, cpu = _timed_result(evaluate_all)
        print(
            f"  {f'evaluate all after records of {len(touched)} agents changed':50} {seconds:6.2f} s {cpu:6.2f} s "
            f"{seconds / baseline:5.1f}x  {changed:6d} milestones changed"
        )


def _timed(fn) -> tuple[float, float]:
    """Wall and CPU seconds of fn()."""
    return _timed_result(fn)[1:]


def _timed_result(fn):
    """fn()'s result, and its wall and CPU seconds (this process's: with SQLite, the
    database's work too)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2000,6000", help="Hire counts, comma-separated.")
    parser.add_argument(
        "--records",
        type=int,
        default=12,
        help="QA evaluations per hire over 16 weeks (contacts: twice as many).",
    )
    parser.add_argument("--db", default="bench/out/evaluation.sqlite")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(args.one, args.records, args.db)
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print("Evaluating every hire's milestones; each figure beside the bare read of its inputs")
    for size in sizes:
        # A process per size: nothing cached by one size helps the next.
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                str(size),
                "--records",
                str(args.records),
                "--db",
                args.db,
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
