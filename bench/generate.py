"""Generate a large team for the benchmarks: 2,000 active hires in 40 cohorts, with progress.

    python bench/generate.py [--hires 2000] [--cohorts 40] [--db bench/out/bench.sqlite]

Into a fresh SQLite file, or into the empty PostgreSQL database DATABASE_URL names.

Uses the shipped starter curriculum and ramp template, and ramp's own operations to hire
(so plans are built as in production); curriculum progress is bulk-inserted.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import date, timedelta

from common import fresh_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hires", type=int, default=2000)
    parser.add_argument("--cohorts", type=int, default=40)
    parser.add_argument("--db", default="bench/out/bench.sqlite")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    # A PostgreSQL database that DATABASE_URL names is used as it is: it must be empty.
    path = url.rsplit("@", 1)[-1] if url.startswith("postgresql") else fresh_database(args.db)

    from flask_migrate import upgrade
    from sqlalchemy import insert

    from ramp import create_app
    from ramp.accounts.operations import create_team, create_user
    from ramp.curricula import STARTER_CURRICULUM
    from ramp.curricula import queries as cq
    from ramp.curricula.models import Attempt, LessonCompletion
    from ramp.curricula.operations import publish_curriculum
    from ramp.curricula.spec import load_curriculum_file
    from ramp.extensions import db
    from ramp.milestones import STARTER_TEMPLATE
    from ramp.milestones.operations import (
        NewHire,
        add_hires,
        create_cohort,
        evaluate_hires,
        publish_template,
    )
    from ramp.milestones.template_spec import load_template_file

    rng = random.Random(20261122)
    app = create_app()
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        version = publish_curriculum(load_curriculum_file(str(STARTER_CURRICULUM))).version
        loaded = cq.load_version(version.id)
        modules = {m.slug: m.assessment is not None for m in loaded.modules}
        template = publish_template(load_template_file(str(STARTER_TEMPLATE), modules)).version
        create_user("admin@bench.example", "Bench Admin", "bench-password", "admin")
        managers = []
        for i in range(args.cohorts // 4 or 1):
            manager = create_user(
                f"manager{i}@bench.example", f"Manager {i}", "bench-password", "manager"
            )
            create_team(f"Team {i}", manager.email)
            managers.append(manager)
        lessons = [(m, le) for m in loaded.modules for le in m.lessons]
        today = date.today()
        per_cohort = args.hires // args.cohorts
        queues = ["billing", "general", "technical", "onboarding", "returns"]
        for c in range(args.cohorts):
            manager = managers[c % len(managers)]
            start = today - timedelta(days=rng.randint(0, 110))
            from ramp.accounts.operations import find_team

            cohort = create_cohort(
                f"Cohort {c:02d}", start, template, version, find_team(f"Team {c % len(managers)}")
            )
            new = [
                NewHire(
                    f"Agent {c:02d}-{i:03d}",
                    f"agent{c:02d}.{i:03d}@bench.example",
                    start,
                    manager,
                    cohort,
                    {
                        "queue": rng.choice(queues),
                        "channel": rng.choice(["chat", "email", "phone"]),
                        "tier": "tier-1",
                    },
                )
                for i in range(per_cohort)
            ]
            hires = add_hires(new, manager)
            completions, attempts = [], []
            for hire in hires:
                done = rng.randint(0, len(lessons))
                for _module, lesson in lessons[:done]:
                    completions.append(
                        {"enrollment_id": hire.enrollment_id, "lesson_id": lesson.id}
                    )
                finished = {m.id for m, _ in lessons[:done]} - {m.id for m, _ in lessons[done:]}
                for module in loaded.modules:
                    if module.id in finished and module.assessment:
                        attempts.append(
                            {
                                "enrollment_id": hire.enrollment_id,
                                "assessment_id": module.assessment.id,
                                "number": 1,
                                "score": 100,
                                "passed": True,
                                "answers": {},
                            }
                        )
            if completions:
                db.session.execute(insert(LessonCompletion), completions)
            if attempts:
                db.session.execute(insert(Attempt), attempts)
            db.session.commit()
        evaluate_hires(None, today)
        db.session.commit()
    print(
        f"generated {args.hires} hires in {args.cohorts} cohorts into {path} in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
