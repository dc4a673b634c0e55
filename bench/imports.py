"""Import, comparison and board benchmarks on a large team, each beside a bare baseline.

    python bench/generate.py                      # 2,000 hires in 40 cohorts (once)
    python bench/imports.py --contacts 1000000    # or 5000000 for the full figure

1. Writes a contacts CSV (one row per contact, the bench agents, the last 16 weeks).
2. Imports it with ramp (every row checked, written in one transaction) into a copy of the
   bench database, in a child process, and prints rows per second and peak memory (of the
   importing process, and of the reading work ramp does in a second process for a large
   file, run on its own); then the
   same file with the standard csv module and sqlite3 executemany into an equivalent plain
   table (the same keys and indexes ramp's contacts table has), its timestamps parsed
   (datetime.fromisoformat) and stored in UTC as ramp stores them.
3. Times the follow-up every import does, in its parts (the agents' weekly figures, then
   their plans), beside the import's own time (target: at most half of it), and the weekly
   figures beside a bare SQL aggregation over the same rows: one GROUP BY hire and tenure
   week of the means and shares (no medians), the least a set-based recount costs.
4. Times the cohort comparison of 10 cohorts (ramp, from the weekly parts) beside one
   hand-written SQL aggregation over the raw rows, and the board page with metric trends.
Memory flat in the file's size: the import runs again on a file a fifth as large, and both
peaks are printed.

When DATABASE_URL names a PostgreSQL database, the import of the full file and its
follow-up run there too, beside the same bare aggregation. That database is the
benchmark's own: the team is generated into it when it has none (bench/generate.py, the
same hires as the SQLite one), and its records are emptied before the import.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path("bench/out")


def write_csv(path: Path, n: int, agents: list[str]) -> None:
    rng = random.Random(11)
    now = datetime.now(UTC).replace(microsecond=0)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "id",
                "agent_email",
                "channel",
                "queue",
                "created_at",
                "first_response_at",
                "solved_at",
                "handle_seconds",
                "reopens",
                "csat",
                "sla_met",
            ]
        )
        for i in range(n):
            created = now - timedelta(minutes=rng.randint(60, 16 * 7 * 24 * 60))
            frt = created + timedelta(seconds=rng.randint(30, 7200))
            solved = frt + timedelta(seconds=rng.randint(60, 86_400))
            w.writerow(
                [
                    f"T{i}",
                    agents[i % len(agents)],
                    "chat",
                    "general",
                    created.isoformat(),
                    frt.isoformat(),
                    solved.isoformat(),
                    rng.randint(120, 1800),
                    rng.choice([0, 0, 0, 1]),
                    rng.choice(["", "", "", "5", "4", "3", "1"]),
                    rng.choice(["yes", "yes", "no"]),
                ]
            )


def write_qa_csv(path: Path, n: int, agents: list[str]) -> None:
    rng = random.Random(12)
    now = datetime.now(UTC).replace(microsecond=0)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "id",
                "agent_email",
                "evaluated_at",
                "interaction_at",
                "scorecard",
                "score",
                "max_score",
                "critical_fail",
            ]
        )
        for i in range(n):
            at = now - timedelta(minutes=rng.randint(60, 16 * 7 * 24 * 60))
            w.writerow(
                [
                    f"Q{i}",
                    agents[i % len(agents)],
                    at.isoformat(),
                    (at - timedelta(hours=3)).isoformat(),
                    "Tier 1 chat",
                    rng.randint(55, 100),
                    100,
                    rng.choice(["no"] * 30 + ["yes"]),
                ]
            )


def child_qa(db_path: str, csv_path: str) -> dict:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("SECRET_KEY", "bench")
    from ramp import create_app
    from ramp.extensions import db
    from ramp.metrics.imports import import_file
    from ramp.metrics.mapping import load_mapping_file

    app = create_app()
    with app.app_context():
        started, cpu = time.perf_counter(), time.process_time()
        report = import_file(csv_path, load_mapping_file("bench/mappings/qa.yaml"))
        db.session.commit()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "rows": report.rows_read,
        "seconds": seconds,
        "cpu": cpu,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child_ramp(db_path: str, csv_path: str) -> dict:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("SECRET_KEY", "bench")
    from ramp import create_app
    from ramp.extensions import db
    from ramp.metrics.imports import import_file
    from ramp.metrics.mapping import load_mapping_file

    app = create_app()
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()  # a database generated by an older release
        mapping = load_mapping_file("bench/mappings/contacts.yaml")
        started, cpu = time.perf_counter(), time.process_time()
        report = import_file(csv_path, mapping)
        db.session.commit()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        after = follow_up(report.affected_users)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": report.rows_read, "seconds": seconds, "cpu": cpu, "peak_mb": peak_mb, **after}


# One GROUP BY over the rows the weekly figures read: every active hire's records from its
# start to today, by tenure week; means and shares only (medians need a sort on top).
BARE_AGGREGATION = """
SELECT h.id, {week} AS week, count(c.handle_seconds), avg(c.handle_seconds),
       avg(CASE WHEN c.first_contact_resolved THEN 100.0 WHEN c.first_contact_resolved IS NOT NULL THEN 0 END),
       avg(CASE WHEN c.csat_good THEN 100.0 WHEN c.csat_good IS NOT NULL THEN 0 END),
       avg(CASE WHEN c.sla_outcome THEN 100.0 WHEN c.sla_outcome IS NOT NULL THEN 0 END)
FROM contacts c JOIN hires h ON h.user_id = c.user_id
WHERE h.active AND c.metric_date >= h.start_date AND c.metric_date <= :today
GROUP BY 1, 2
"""
WEEK = {
    "sqlite": "CAST(julianday(c.metric_date) - julianday(h.start_date) AS INTEGER) / 7 + 1",
    "postgresql": "(c.metric_date - h.start_date) / 7 + 1",
}


def follow_up(users: set[int]) -> dict:
    """The follow-up every import does, timed in its parts (wall and CPU), then the bare
    aggregation over the same rows; in the app context, after the import's commit."""
    from sqlalchemy import text

    from ramp import clock
    from ramp.extensions import db
    from ramp.metrics.weekly import refresh_weeks
    from ramp.milestones.operations import evaluate_users

    out = {}
    for part, work in (("weekly", refresh_weeks), ("plans", evaluate_users)):
        started, cpu = time.perf_counter(), time.process_time()
        work(users)
        db.session.flush()
        out[part], out[part + "_cpu"] = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    db.session.commit()
    out["follow_up"] = out["weekly"] + out["plans"] + time.perf_counter() - started
    sql = text(BARE_AGGREGATION.format(week=WEEK[db.engine.dialect.name]))
    started, cpu = time.perf_counter(), time.process_time()
    out["bare_rows"] = len(db.session.execute(sql, {"today": clock.today()}).all())
    out["bare"], out["bare_cpu"] = time.perf_counter() - started, time.process_time() - cpu
    db.session.rollback()
    return out


def child_postgresql(url: str, csv_path: str) -> dict:
    """The import of the file into the benchmark's PostgreSQL database, and its follow-up."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench")
    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from ramp import create_app
    from ramp.extensions import db
    from ramp.metrics.imports import import_file
    from ramp.metrics.mapping import load_mapping_file
    from ramp.milestones.models import Hire

    app = create_app()
    with app.app_context():
        upgrade()
        if not db.session.execute(select(func.count()).select_from(Hire)).scalar_one():
            db.session.remove()
            subprocess.run([sys.executable, "bench/generate.py"], check=True, capture_output=True)
        db.session.execute(
            text(
                "TRUNCATE contacts, qa_evaluations, hire_week_metrics, "
                "replaced_contacts, replaced_qa_evaluations"
            )
        )
        db.session.commit()
        started, cpu = time.perf_counter(), time.process_time()
        report = import_file(csv_path, load_mapping_file("bench/mappings/contacts.yaml"))
        db.session.commit()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        after = follow_up(report.affected_users)
    return {"rows": report.rows_read, "seconds": seconds, "cpu": cpu, **after}


def print_follow_up(r: dict, where: str) -> bool:
    """Print the follow-up beside the import's own time and the bare aggregation; True if
    it takes at most half the import's time."""
    ratio = r["follow_up"] / r["seconds"]
    ok = ratio <= 0.5
    print(
        f"  follow-up {where}: {r['follow_up']:.1f} s = {ratio:.2f} × the import's own {r['seconds']:.1f} s   "
        f"target ≤ 0.5 ×  {'ok' if ok else 'SLOW'}"
    )
    print(
        f"          weekly figures {r['weekly']:.2f} s (cpu {r['weekly_cpu']:.2f} s), plans {r['plans']:.2f} s "
        f"(cpu {r['plans_cpu']:.2f} s)"
    )
    print(
        f"          bare SQL aggregation over the same rows {r['bare']:.2f} s (cpu {r['bare_cpu']:.2f} s, "
        f"{r['bare_rows']:,} hire-weeks); weekly figures / bare {r['weekly'] / r['bare']:.1f} "
        f"(cpu {r['weekly_cpu'] / max(r['bare_cpu'], 1e-9):.1f})"
    )
    return ok


def child_reader(csv_path: str, users_db: str) -> dict:
    """The work of the process ramp reads a large file in, alone, for its peak memory.

    (A child's own figure cannot be had from outside: Linux counts in it the memory of the
    process it was forked from, before it started Python afresh.)
    """
    from ramp.metrics.mapping import load_mapping_file
    from ramp.metrics.rows import Reading, read_chunks

    users = sqlite3.connect(users_db).execute("SELECT lower(email), id FROM users")
    agents = {("email", email): uid for email, uid in users}
    reading = Reading(
        csv_path,
        load_mapping_file("bench/mappings/contacts.yaml"),
        agents,
        sqlite=True,
        keep_raw=False,
    )
    rows = sum(chunk.read for chunk in read_chunks(reading))
    return {"rows": rows, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def utc_text(text: str) -> str:
    """An ISO 8601 timestamp as ramp stores it on SQLite: UTC, 'YYYY-MM-DD HH:MM:SS.ffffff'."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(" ", "microseconds")


def child_baseline(db_path: str, csv_path: str, users_db: str) -> dict:
    """A bare script: csv + sqlite3 into a table equivalent to ramp's contacts table.

    Equivalent means the same keys and indexes ramp needs: a unique (source, external id)
    so re-imports update, and (agent, day) for the weekly figures; the agent is looked up
    in a dict as ramp does. Foreign keys are not checked here (ramp checks them).
    """
    agents = dict(sqlite3.connect(users_db).execute("SELECT lower(email), id FROM users"))
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE raw_contacts (id INTEGER PRIMARY KEY, source TEXT NOT NULL, "
        "external_id TEXT NOT NULL, user_id INTEGER, metric_date TEXT, channel TEXT, queue TEXT, "
        "created_at TEXT, first_response_at TEXT, solved_at TEXT, handle_seconds REAL, "
        "reopens INTEGER, csat REAL, sla_met INTEGER, UNIQUE (source, external_id))"
    )
    conn.execute("CREATE INDEX raw_contacts_user_day ON raw_contacts (user_id, metric_date)")
    insert = (
        "INSERT INTO raw_contacts (source, external_id, user_id, metric_date, channel, queue, "
        "created_at, first_response_at, solved_at, handle_seconds, reopens, csat, sla_met) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
    )
    started, cpu = time.perf_counter(), time.process_time()
    rows = 0
    with open(csv_path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        batch = []
        for r in reader:
            created = utc_text(r[4])
            user = agents.get(r[1].lower())
            batch.append(
                (
                    "bench",
                    r[0],
                    user,
                    created[:10],
                    r[2],
                    r[3],
                    created,
                    utc_text(r[5]),
                    utc_text(r[6]),
                    float(r[7]),
                    int(r[8]),
                    float(r[9]) if r[9] else None,
                    1 if r[10] == "yes" else 0,
                )
            )
            if len(batch) == 5000:
                conn.executemany(insert, batch)
                rows += len(batch)
                batch = []
        if batch:
            conn.executemany(insert, batch)
            rows += len(batch)
    conn.commit()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "rows": rows,
        "seconds": seconds,
        "cpu": cpu,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child_compare(db_path: str) -> dict:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("SECRET_KEY", "bench")
    from sqlalchemy import select

    from ramp import create_app
    from ramp.extensions import db
    from ramp.metrics.comparison import compare
    from ramp.milestones.models import Cohort

    app = create_app()
    with app.app_context():
        ids = list(db.session.execute(select(Cohort.id).order_by(Cohort.id).limit(10)).scalars())
        compare(ids, ["qa_score", "aht", "csat", "fcr", "sla_compliance"])
        times = []
        for _ in range(5):
            started = time.perf_counter()
            compare(ids, ["qa_score", "aht", "csat", "fcr", "sla_compliance"])
            times.append(time.perf_counter() - started)
            db.session.remove()
    conn = sqlite3.connect(db_path)
    started = time.perf_counter()
    conn.execute(
        "SELECT h.cohort_id, CAST((julianday(date(c.created_at)) - julianday(h.start_date)) / 7 AS INTEGER) + 1 AS week, "
        "AVG(c.handle_seconds), AVG(CASE WHEN c.csat >= 4 THEN 100.0 WHEN c.csat IS NOT NULL THEN 0 END), "
        "AVG(CASE WHEN c.reopens = 0 THEN 100.0 ELSE 0 END), AVG(c.sla_met) * 100, COUNT(*) "
        "FROM raw_contacts c JOIN hires h ON h.user_id = c.user_id "
        "WHERE h.cohort_id IN (SELECT id FROM cohorts ORDER BY id LIMIT 10) GROUP BY 1, 2"
    ).fetchall()
    baseline = time.perf_counter() - started
    return {"ramp_median": sorted(times)[len(times) // 2], "baseline": baseline}


def copy_db(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database in WAL mode (the backup API, not a file copy)."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.close()


def run_child(mode: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, *args], capture_output=True, text=True
    )
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--db", default="bench/out/bench.sqlite")
    parser.add_argument("--child", nargs="+")
    parser.add_argument(
        "--reuse", action="store_true", help="Reuse the CSV files of an earlier run."
    )
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        modes = {
            "ramp": child_ramp,
            "qa": child_qa,
            "baseline": child_baseline,
            "compare": child_compare,
            "reader": child_reader,
            "postgresql": child_postgresql,
        }
        result = modes[mode](*rest)
        print(json.dumps(result))
        return
    source = Path(args.db).resolve()
    if not source.exists():
        raise SystemExit(f"{source} does not exist: run python bench/generate.py first")
    agents = [
        r[0]
        for r in sqlite3.connect(source).execute(
            "SELECT u.email FROM users u JOIN hires h ON h.user_id = u.id ORDER BY u.id"
        )
    ]
    out = OUT.resolve()
    work = out / "imports.sqlite"
    small, big = out / "contacts-small.csv", out / "contacts.csv"
    qa_csv = out / "qa.csv"
    if not (args.reuse and big.exists() and small.exists() and qa_csv.exists()):
        print(f"writing {args.contacts:,} contacts for {len(agents):,} agents ...", flush=True)
        write_csv(big, args.contacts, agents)
        write_csv(small, args.contacts // 5, agents)
        write_qa_csv(qa_csv, args.contacts // 10, agents)
    failed = False
    peaks, readers = {}, {}
    for label, path in (("small", small), ("full", big)):
        copy_db(source, work)
        r = run_child("ramp", str(work), str(path))
        peaks[label] = r["peak_mb"]
        readers[label] = run_child("reader", str(path), str(source))["peak_mb"]
        if label == "full":
            ramp = r
    q = run_child("qa", str(work), str(qa_csv))
    print(
        f"  import  QA        {q['rows'] / q['seconds']:10,.0f} rows/s  ({q['rows']:,} evaluations in {q['seconds']:.1f} s, peak {q['peak_mb']:.0f} MB)"
    )
    base_db = out / "baseline.sqlite"
    base_db.unlink(missing_ok=True)
    base = run_child("baseline", str(base_db), str(big), str(source))
    ramp_rate, base_rate = ramp["rows"] / ramp["seconds"], base["rows"] / base["seconds"]
    ok = ramp_rate >= 50_000 and ramp_rate >= base_rate / 2
    failed |= not ok
    print(
        f"  import  ramp      {ramp_rate:10,.0f} rows/s  ({ramp['rows']:,} rows in {ramp['seconds']:.1f} s)"
    )
    print(
        f"          baseline  {base_rate:10,.0f} rows/s  (csv module + sqlite3 executemany, same keys and indexes as ramp's table)"
    )
    print(
        f"          ratio     {ramp_rate / base_rate:10.2f}   target ≥ 50,000 rows/s and ≥ 0.5 × baseline  {'ok' if ok else 'SLOW'}"
    )
    # On a shared machine the wall clock also counts other work: the same rates in CPU time.
    ramp_cpu, base_cpu, qa_cpu = (r["rows"] / r["cpu"] for r in (ramp, base, q))
    print(
        f"          cpu time  ramp {ramp_cpu:,.0f}, baseline {base_cpu:,.0f} rows/s (ratio "
        f"{ramp_cpu / base_cpu:.2f}); QA {qa_cpu:,.0f} rows/s"
    )
    failed |= not print_follow_up(ramp, "on SQLite")
    # The merge's SQLite page cache (IMPORT_CACHE_KIB) fills with the table's indexes as they
    # grow, up to its bound: a constant, not a growth with the file's size.
    cache_mb = 128
    flat = (
        peaks["full"] <= peaks["small"] * 1.5 + cache_mb
        and readers["full"] <= readers["small"] * 1.5
    )
    failed |= not flat
    print(
        f"  memory  peak {peaks['small']:.0f} MB at {args.contacts // 5:,} rows, {peaks['full']:.0f} MB at "
        f"{args.contacts:,} rows (baseline {base['peak_mb']:.0f} MB; up to {cache_mb} MB of it SQLite's page cache)  {'flat' if flat else 'GROWS'}"
    )
    print(
        f"          the reading process (its work run alone): {readers['small']:.0f} MB, {readers['full']:.0f} MB"
    )
    # Cohort comparison on the imported database, beside one SQL query over the raw rows.
    conn = sqlite3.connect(work)
    conn.execute("ATTACH DATABASE ? AS b", (str(base_db),))
    conn.execute("CREATE TABLE raw_contacts AS SELECT * FROM b.raw_contacts")
    conn.commit()
    conn.close()
    c = run_child("compare", str(work))
    ok = c["ramp_median"] <= 0.5
    failed |= not ok
    print(
        f"  compare 10 cohorts  ramp {c['ramp_median'] * 1000:7.1f} ms   baseline SQL {c['baseline'] * 1000:7.1f} ms   "
        f"ratio {c['ramp_median'] / c['baseline']:.2f}   target 500 ms  {'ok' if ok else 'SLOW'}"
    )
    board = subprocess.run(
        [sys.executable, "bench/run.py", "--db", str(work), "--repeat", "15", "--pages-only"],
        capture_output=True,
        text=True,
    )
    print("  board with metric trends (bench/run.py on the imported database):")
    print("\n".join("    " + line for line in board.stdout.strip().splitlines()[1:]))
    failed |= board.returncode != 0
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        pg = run_child("postgresql", url, str(big))
        print(
            f"  import  PostgreSQL {pg['rows'] / pg['seconds']:9,.0f} rows/s  ({pg['rows']:,} rows in {pg['seconds']:.1f} s)"
        )
        failed |= not print_follow_up(pg, "on PostgreSQL")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
