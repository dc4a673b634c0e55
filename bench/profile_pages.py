"""CPU time and SQL statements per request of the learner pages, the board and the hire page.

    python bench/profile_pages.py [--learners 200] [--managers 10] [--repeat 20] [--profile PAGE]

Runs in one process with Flask's test client (no HTTP server) against the demo plus
`--learners` agents in `--managers` classes, on a fresh SQLite file (or the PostgreSQL
database DATABASE_URL names, which should be empty). Each request gets its own database
session, as under gunicorn. Prints per page the median CPU time of a request, its p95, and
the SQL statements it sends; `--profile PAGE` prints that page's cProfile (cumulative) too.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import time
from pathlib import Path

from common import fresh_database, percentile

PAGES = (
    "my ramp",
    "lesson",
    "lesson seen",
    "complete lesson",
    "knowledge check",
    "board",
    "hire page",
    "comparison",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--managers", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--db", default="bench/out/pages.sqlite")
    parser.add_argument("--profile", choices=PAGES, help="Print this page's cProfile.")
    parser.add_argument("--statements", choices=PAGES, help="Print this page's SQL.")
    parser.add_argument("--top", type=int, default=30, help="Lines of the profile to print.")
    parser.add_argument("--reuse", action="store_true", help="Keep the SQLite file if seeded.")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        if args.reuse and Path(args.db).exists():
            os.environ["DATABASE_URL"] = f"sqlite:///{Path(args.db).resolve()}"
        else:
            fresh_database(args.db)
    os.environ.setdefault("SECRET_KEY", "bench")

    from flask_migrate import upgrade
    from loaddata import PASSWORD, seed_load
    from sqlalchemy import event

    from ramp import create_app
    from ramp.extensions import db
    from ramp.serving import settle

    app = create_app({"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        data = seed_load(args.learners, args.managers)
        engine = db.engine
    print(
        f"seeded {len(data.learners)} learners, {len(data.managers)} managers "
        f"in {time.perf_counter() - started:.1f} s ({engine.dialect.name})"
    )
    statements = [0]
    shown: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, *_args) -> None:
        statements[0] += 1
        shown.append(statement)

    learner = app.test_client()
    email, enrollment = data.learners[0]
    learner.post("/auth/login", data={"email": email, "password": PASSWORD})
    manager = app.test_client()
    manager_email, hire_ids = data.managers[0]
    manager.post("/auth/login", data={"email": manager_email, "password": PASSWORD})
    module_slug, lesson_slug = data.lessons[0]
    lesson_url = f"/learn/{enrollment}/{module_slug}/lessons/{lesson_slug}"
    requests = {
        "my ramp": (learner, "GET", "/learn/ramp", 200),
        "lesson": (learner, "GET", lesson_url, 200),
        "lesson seen": (learner, "POST", lesson_url + "/seen", 204),
        "complete lesson": (learner, "POST", lesson_url + "/complete", 303),
        "knowledge check": (learner, "GET", f"/learn/{enrollment}/{module_slug}/check", 200),
        "board": (manager, "GET", "/board/", 200),
        "hire page": (manager, "GET", f"/board/hires/{hire_ids[0]}", 200),
        "comparison": (manager, "GET", "/board/compare", 200),
    }
    settle()  # as a gunicorn worker does with ramp.serving, once the app is built
    print(f"{'page':18} {'CPU p50 ms':>10} {'CPU p95 ms':>10} {'statements':>10}")
    for page in PAGES:
        client, method, url, expected = requests[page]
        call = client.get if method == "GET" else client.post
        assert call(url).status_code == expected, (page, url)  # warm: first-use work
        cpu, counts = [], []
        for _ in range(args.repeat):
            statements[0] = 0
            before = time.process_time()
            response = call(url)
            cpu.append((time.process_time() - before) * 1000)
            counts.append(statements[0])
            assert response.status_code == expected, (page, response.status_code)
        print(
            f"{page:18} {statistics.median(cpu):10.1f} {percentile(cpu, 95):10.1f} "
            f"{statistics.median(counts):10.0f}"
        )
        if page == args.statements:
            shown.clear()
            call(url)
            for n, statement in enumerate(shown, 1):
                print(f"  {n:2d}. {' '.join(statement.split())[:300]}")
        if page == args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.repeat):
                call(url)
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
