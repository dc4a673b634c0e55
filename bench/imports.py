"""Import, comparison and board benchmarks on a large team, each beside a bare baseline.

    python bench/generate.py                      # 2,000 hires in 40 cohorts (once)
    python bench/imports.py --contacts 1000000    # or 5000000 for the full figure

1. Writes a contacts CSV (one row per contact, the bench agents, the last 16 weeks).
2. Imports it with ramp (two passes: check everything, then write) into a copy of the bench
   database, in a child process, and prints rows per second and peak memory; then the same
   file with the standard csv module and sqlite3 executemany into an equivalent plain table.
3. Times the cohort comparison of 10 cohorts (ramp, from the weekly parts) beside one
   hand-written SQL aggregation over the raw rows, and the board page with metric trends.
Memory flat in the file's size: the import runs again on a file a fifth as large, and both
peaks are printed.
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
        w.writerow(["id", "agent_email", "channel", "queue", "created_at", "first_response_at", "solved_at",
                    "handle_seconds", "reopens", "csat", "sla_met"])  # fmt: skip
        for i in range(n):
            created = now - timedelta(minutes=rng.randint(60, 16 * 7 * 24 * 60))
            frt = created + timedelta(seconds=rng.randint(30, 7200))
            solved = frt + timedelta(seconds=rng.randint(60, 86_400))
            w.writerow([
                f"T{i}", agents[i % len(agents)], "chat", "general", created.isoformat(), frt.isoformat(),
                solved.isoformat(), rng.randint(120, 1800), rng.choice([0, 0, 0, 1]),
                rng.choice(["", "", "", "5", "4", "3", "1"]), rng.choice(["yes", "yes", "no"]),
            ])  # fmt: skip


def child_ramp(db_path: str, csv_path: str) -> dict:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("SECRET_KEY", "bench")
    from ramp import create_app
    from ramp.extensions import db
    from ramp.metrics.imports import import_and_update, import_file
    from ramp.metrics.mapping import load_mapping_file

    app = create_app()
    with app.app_context():
        mapping = load_mapping_file("bench/mappings/contacts.yaml")
        started = time.perf_counter()
        report = import_file(csv_path, mapping)
        db.session.commit()
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        # The follow-up every import does: weekly parts and plan evaluation of the agents.
        from ramp.metrics.weekly import refresh_weeks
        from ramp.milestones.operations import evaluate_users

        refresh_weeks(report.affected_users)
        evaluate_users(report.affected_users)
        db.session.commit()
        follow_up = time.perf_counter() - started
        _ = import_and_update
    return {"rows": report.rows_read, "seconds": seconds, "follow_up": follow_up,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # fmt: skip


def child_baseline(db_path: str, csv_path: str) -> dict:
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE raw_contacts (id TEXT PRIMARY KEY, agent_email TEXT, channel TEXT, queue TEXT, "
        "created_at TEXT, first_response_at TEXT, solved_at TEXT, handle_seconds REAL, reopens INTEGER, "
        "csat REAL, sla_met INTEGER)"
    )
    started = time.perf_counter()
    rows = 0
    with open(csv_path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        batch = []
        for r in reader:
            batch.append((r[0], r[1], r[2], r[3], r[4], r[5], r[6], float(r[7]), int(r[8]),
                          float(r[9]) if r[9] else None, 1 if r[10] == "yes" else 0))  # fmt: skip
            if len(batch) == 5000:
                conn.executemany("INSERT INTO raw_contacts VALUES (?,?,?,?,?,?,?,?,?,?,?)", batch)
                rows += len(batch)
                batch = []
        if batch:
            conn.executemany("INSERT INTO raw_contacts VALUES (?,?,?,?,?,?,?,?,?,?,?)", batch)
            rows += len(batch)
    conn.commit()
    seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "seconds": seconds,
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
        "FROM raw_contacts c JOIN users u ON lower(u.email) = c.agent_email JOIN hires h ON h.user_id = u.id "
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
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        result = {"ramp": child_ramp, "baseline": child_baseline, "compare": child_compare}[mode](
            *rest
        )
        print(json.dumps(result))
        return
    source = Path(args.db).resolve()
    if not source.exists():
        raise SystemExit(f"{source} does not exist: run python bench/generate.py first")
    agents = [r[0] for r in sqlite3.connect(source).execute(
        "SELECT u.email FROM users u JOIN hires h ON h.user_id = u.id ORDER BY u.id")]  # fmt: skip
    out = OUT.resolve()
    work = out / "imports.sqlite"
    small, big = out / "contacts-small.csv", out / "contacts.csv"
    print(f"writing {args.contacts:,} contacts for {len(agents):,} agents ...", flush=True)
    write_csv(big, args.contacts, agents)
    write_csv(small, args.contacts // 5, agents)
    failed = False
    peaks = {}
    for label, path in (("small", small), ("full", big)):
        copy_db(source, work)
        r = run_child("ramp", str(work), str(path))
        peaks[label] = r["peak_mb"]
        if label == "full":
            ramp = r
    base_db = out / "baseline.sqlite"
    base_db.unlink(missing_ok=True)
    base = run_child("baseline", str(base_db), str(big))
    ramp_rate, base_rate = ramp["rows"] / ramp["seconds"], base["rows"] / base["seconds"]
    ok = ramp_rate >= 50_000 and ramp_rate >= base_rate / 2
    failed |= not ok
    print(f"  import  ramp      {ramp_rate:10,.0f} rows/s  ({ramp['rows']:,} rows in {ramp['seconds']:.1f} s; "
          f"then weekly parts and plans of the agents: {ramp['follow_up']:.1f} s)")  # fmt: skip
    print(f"          baseline  {base_rate:10,.0f} rows/s  (csv module + sqlite3 executemany)")
    print(
        f"          ratio     {ramp_rate / base_rate:10.2f}   target ≥ 50,000 rows/s and ≥ 0.5 × baseline  {'ok' if ok else 'SLOW'}"
    )
    flat = peaks["full"] <= peaks["small"] * 1.5
    failed |= not flat
    print(f"  memory  peak {peaks['small']:.0f} MB at {args.contacts // 5:,} rows, {peaks['full']:.0f} MB at "
          f"{args.contacts:,} rows (baseline {base['peak_mb']:.0f} MB)  {'flat' if flat else 'GROWS'}")  # fmt: skip
    # Cohort comparison on the imported database, beside one SQL query over the raw rows.
    conn = sqlite3.connect(work)
    conn.execute("ATTACH DATABASE ? AS b", (str(base_db),))
    conn.execute("CREATE TABLE raw_contacts AS SELECT * FROM b.raw_contacts")
    conn.commit()
    conn.close()
    c = run_child("compare", str(work))
    ok = c["ramp_median"] <= 0.5
    failed |= not ok
    print(f"  compare 10 cohorts  ramp {c['ramp_median'] * 1000:7.1f} ms   baseline SQL {c['baseline'] * 1000:7.1f} ms   "
          f"ratio {c['ramp_median'] / c['baseline']:.2f}   target 500 ms  {'ok' if ok else 'SLOW'}")  # fmt: skip
    board = subprocess.run([sys.executable, "bench/run.py", "--db", str(work), "--repeat", "15", "--pages-only"],
                           capture_output=True, text=True)  # fmt: skip
    print("  board with metric trends (bench/run.py on the imported database):")
    print("\n".join("    " + line for line in board.stdout.strip().splitlines()[1:]))
    failed |= board.returncode != 0
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
