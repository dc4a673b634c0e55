"""Benchmarks of the ramp board, a hire page and the evaluation of every hire, on SQLite.

    python bench/generate.py          # once: 2,000 hires in 40 cohorts
    python bench/run.py [--db bench/out/bench.sqlite] [--repeat 30]

Prints server time per request (median and p95, measured around the WSGI call, with a
fresh database session per request as in production), the number of SQL statements per
page, and the time to evaluate every active hire. Targets: board 200 ms, hire page 100 ms,
evaluating 2,000 hires 10 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

TARGETS_MS = {"board": 200, "board, filtered to at risk": 200, "hire page": 100}
TARGET_EVALUATE_S = 10


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="bench/out/bench.sqlite")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--pages-only", action="store_true", help="Skip the evaluation timing.")
    args = parser.parse_args()
    path = Path(args.db).resolve()
    if not path.exists():
        raise SystemExit(f"{path} does not exist: run python bench/generate.py first")
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("SECRET_KEY", "bench")

    from sqlalchemy import event, func, select

    from ramp import create_app
    from ramp.accounts.operations import find_user_by_email
    from ramp.extensions import db
    from ramp.milestones.models import Hire
    from ramp.milestones.operations import evaluate_hires

    app = create_app({"RATELIMIT_ENABLED": False})
    client = app.test_client()
    with app.app_context():
        admin = find_user_by_email("admin@bench.example")
        hires = db.session.execute(
            select(func.count(Hire.id)).where(Hire.active.is_(True))
        ).scalar_one()
        hire_ids = list(db.session.execute(select(Hire.id).limit(args.repeat)).scalars())
        admin_id = admin.id
        statements: list[int] = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
    with client.session_transaction() as session:
        session["_user_id"] = str(admin_id)
        session["_fresh"] = True
    print(f"ramp benchmarks on SQLite: {hires} active hires, {args.repeat} requests each")
    pages = {
        "board": lambda i: "/board/",
        "board, filtered to at risk": lambda i: "/board/?status=at_risk&group=cohort",
        "hire page": lambda i: f"/board/hires/{hire_ids[i % len(hire_ids)]}",
    }
    failed = False
    for name, url in pages.items():
        assert client.get(url(0)).status_code == 200  # warm up
        times, counts = [], []
        for i in range(args.repeat):
            statements.clear()
            started = time.perf_counter()
            response = client.get(url(i))
            times.append((time.perf_counter() - started) * 1000)
            counts.append(len(statements))
            assert response.status_code == 200, response.status_code
        median, p95 = statistics.median(times), percentile(times, 95)
        ok = median <= TARGETS_MS[name]
        failed |= not ok
        print(
            f"  {name:28} median {median:7.1f} ms  p95 {p95:7.1f} ms  "
            f"{max(counts):3d} SQL statements  target {TARGETS_MS[name]} ms  {'ok' if ok else 'SLOW'}"
        )
    if args.pages_only:
        raise SystemExit(1 if failed else 0)
    with app.app_context():
        from datetime import date, timedelta

        tomorrow = date.today() + timedelta(days=1)
        for label in ("evaluate all (the next day)", "evaluate all (again, idempotent)"):
            started = time.perf_counter()
            changed = evaluate_hires(None, tomorrow)
            db.session.commit()
            seconds = time.perf_counter() - started
            ok = seconds <= TARGET_EVALUATE_S
            failed |= not ok
            print(
                f"  {label:34} {seconds:6.2f} s  {changed:5d} milestones changed  target {TARGET_EVALUATE_S} s  {'ok' if ok else 'SLOW'}"
            )
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
