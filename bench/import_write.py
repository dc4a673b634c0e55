"""The import's write path beside a bare script writing the same file, on SQLite or PostgreSQL.

    python bench/import_write.py --contacts 200000 --qa 50000
    DATABASE_URL=postgresql://... python bench/import_write.py --contacts 200000

The database DATABASE_URL names is emptied first (use a scratch database); without one, a
SQLite file under bench/out. Each figure runs in a child process of its own:

- ramp: `import_file` of a contacts CSV (every row parsed and checked, staged, merged in
  one transaction), then the same file again (every record updated, its old values kept
  for undo). On SQLite the time the import held the write lock is printed beside it.
- bare: the standard csv module, datetime.fromisoformat, an agent looked up in a dict,
  into a copy of ramp's contacts table (its columns, keys, indexes and foreign keys, to the
  agent and to an import run, checked as ramp's connection checks them), the columns the
  file has: executemany on SQLite (the baseline there), binary COPY on PostgreSQL (the
  baseline there, as ramp writes its stage) and executemany.
- QA: a QA export with five scorecard categories per evaluation, imported by a mapping
  that reads only the overall score, then by one that reads the categories too (each
  evaluation's category rows written in the same transaction), then again (updates). The
  bare baseline writes the same evaluations and the same category rows (ids assigned by
  the script) into copies of ramp's two tables, the same way as for contacts.
CPU counts every process: the child, its own children (ramp reads a large file in a second
process) and, for a local PostgreSQL server, the server process of the connection. Memory:
the import's peak at the full size and at a fifth of it (flat when they are close).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from common import server_cpu

OUT = Path("bench/out")
AGENTS = 200
BARE_COLUMNS = (
    "source, external_id, user_id, metric_date, channel, queue, created_at, "
    "first_response_at, solved_at, handle_seconds, reopens, csat_rating, sla_met, import_run_id"
)

# The binary COPY format, as ramp uses it (its moments are naive UTC here).
BARE_COPY_TYPES = ["text", "text", "int4", "date", "text", "text", "timestamp", "timestamp"]
BARE_COPY_TYPES += ["timestamp", "float8", "int4", "float8", "bool", "int4"]


def url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{(OUT / 'write.sqlite').resolve()}"


def bare_run(conn, kind: str) -> tuple[int, dict[str, int]]:
    """The import run the bare script's rows belong to (a literal kind: "contacts", "qa"),
    and the agents' ids by lower-cased e-mail."""
    run_id = conn.exec_driver_sql(
        "INSERT INTO import_runs (kind, source, mapping, filename, status, started_at, "
        "rows_read, rows_written, rows_skipped, rows_rejected, report) VALUES "
        f"('{kind}', 'bench', 'bare', 'bare.csv', 'done', CURRENT_TIMESTAMP, 0, 0, 0, 0, '{{}}') "
        "RETURNING id"
    ).scalar()
    return run_id, dict(conn.exec_driver_sql("SELECT lower(email), id FROM users").all())


def own_cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def child_setup() -> dict:
    """An empty database at the current schema with the bench agents."""
    os.environ["DATABASE_URL"] = url()
    os.environ.setdefault("SECRET_KEY", "bench")
    from flask_migrate import upgrade
    from sqlalchemy import text

    from ramp import create_app
    from ramp.accounts.models import User
    from ramp.extensions import db

    app = create_app()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(db.engine.url.database + suffix).unlink(missing_ok=True)
            db.engine.dispose()
        upgrade()
        for i in range(AGENTS):
            db.session.add(User(email=f"agent{i}@bench.example", name=f"Agent {i}", role="agent"))
        db.session.commit()
    return {"agents": AGENTS}


def child_ramp(csv_path: str) -> dict:
    os.environ["DATABASE_URL"] = url()
    os.environ.setdefault("SECRET_KEY", "bench")
    from ramp import create_app
    from ramp.extensions import db
    from ramp.metrics.imports import import_file
    from ramp.metrics.mapping import load_mapping_file

    app = create_app()
    with app.app_context():
        mapping = load_mapping_file("bench/mappings/contacts.yaml")
        out = {}
        for name in ("new", "again"):
            writing = {}

            def progress(stage: str, _done: int, _total: int | None, writing=writing) -> None:
                if stage == "writing":
                    writing["at"] = time.perf_counter()

            connection = db.session.connection()
            server = server_cpu(connection)
            started, cpu = time.perf_counter(), own_cpu()
            report = import_file(csv_path, mapping, progress=progress)
            server = server_cpu(connection) - server
            db.session.commit()
            ended = time.perf_counter()
            out[name] = {
                "rows": report.created + report.updated,
                "updated": report.updated,
                "seconds": ended - started,
                "cpu": own_cpu() - cpu + server,
                "locked": ended - writing.get("at", started),  # from the start, if no phase
            }
        db.session.execute(db.text("DELETE FROM replaced_contacts"))
        db.session.execute(db.text("DELETE FROM contacts"))
        db.session.execute(db.text("DELETE FROM import_runs"))
        db.session.commit()
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


def bare_rows(csv_path: str, agents: dict[str, int]):
    with open(csv_path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        for r in reader:
            created = utc(r[4])
            yield (
                "bench",
                r[0],
                agents.get(r[1].lower()),
                created.date(),
                r[2],
                r[3],
                created,
                utc(r[5]),
                utc(r[6]),
                float(r[7]),
                int(r[8]),
                float(r[9]) if r[9] else None,
                r[10] == "yes",
            )


def child_bare(csv_path: str, how: str) -> dict:
    """The same file into a copy of ramp's contacts table (the same columns, keys, indexes and
    foreign keys, checked as ramp's connection checks them), in one transaction."""
    from sqlalchemy import create_engine

    engine = create_engine(url())
    postgresql = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bare_contacts")
        if postgresql:
            conn.exec_driver_sql("CREATE TABLE bare_contacts (LIKE contacts INCLUDING ALL)")
            conn.exec_driver_sql(
                "ALTER TABLE bare_contacts ADD FOREIGN KEY (user_id) REFERENCES users (id), "
                "ADD FOREIGN KEY (import_run_id) REFERENCES import_runs (id)"
            )
        else:
            ddl = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'contacts'"
            ).scalar()
            conn.exec_driver_sql(
                ddl.replace("CREATE TABLE contacts", "CREATE TABLE bare_contacts", 1)
            )
            conn.exec_driver_sql(
                "CREATE INDEX bare_user_day ON bare_contacts (user_id, metric_date)"
            )
        run_id, agents = bare_run(conn, "contacts")
    with engine.begin() as conn:
        server = server_cpu(conn)
        started, cpu = time.perf_counter(), own_cpu()
        raw = conn.connection.dbapi_connection
        if not postgresql:
            raw.execute("PRAGMA foreign_keys = ON")  # as ramp's connections are set
        rows = ((*row, run_id) for row in bare_rows(csv_path, agents))
        if how == "copy":
            with (
                raw.cursor() as cursor,
                cursor.copy(
                    f"COPY bare_contacts ({BARE_COLUMNS}) FROM STDIN (FORMAT BINARY)"
                ) as copy,
            ):
                copy.set_types(BARE_COPY_TYPES)
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s" if postgresql else "?"] * 14)
            sql = f"INSERT INTO bare_contacts ({BARE_COLUMNS}) VALUES ({marks})"
            cursor = raw.cursor()
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) == 5000:
                    cursor.executemany(sql, batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
            cursor.close()
        server = server_cpu(conn) - server
    seconds, cpu = time.perf_counter() - started, own_cpu() - cpu + server
    with engine.begin() as conn:
        rows = conn.exec_driver_sql("SELECT count(*) FROM bare_contacts").scalar()
        conn.exec_driver_sql("DROP TABLE bare_contacts")
        conn.exec_driver_sql(f"DELETE FROM import_runs WHERE id = {int(run_id)}")
    return {"rows": rows, "seconds": seconds, "cpu": cpu}


QA_CATEGORIES = (  # name, maximum, weight, critical: as bench/mappings/qa-categories.yaml
    ("Greeting", 5, 1, False),
    ("Tone and empathy", 5, 2, False),
    ("Troubleshooting", 10, 3, False),
    ("Verification", 1, 1, True),
    ("Closing", 5, 1, False),
)
QA_COLUMNS = (
    "id, source, external_id, user_id, interaction_at, evaluated_at, scorecard, score, "
    "max_score, critical_fail, categories, percent, metric_date, import_run_id"
)
QA_COPY_TYPES = ["int4", "text", "text", "int4", "timestamp", "timestamp", "text", "float8"]
QA_COPY_TYPES += ["float8", "bool", "json", "float8", "date", "int4"]
CATEGORY_COLUMNS = (
    "evaluation_id, position, name, key, score, max_score, min_score, weight, critical, "
    "not_applicable, percent"
)
CATEGORY_COPY_TYPES = ["int4", "int4", "text", "text", "float8", "float8", "float8", "float8"]
CATEGORY_COPY_TYPES += ["bool", "bool", "float8"]


def write_qa_csv(path: Path, n: int, agents: list[str]) -> None:
    """A QA export of n evaluations with five category columns (one in twenty N/A)."""
    import random
    from datetime import timedelta

    rng = random.Random(12)
    now = datetime.now(UTC).replace(microsecond=0)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["id", "agent_email", "evaluated_at", "interaction_at", "scorecard", "score"]
            + ["max_score", "critical_fail"]
            + [name for name, *_ in QA_CATEGORIES]
        )
        for i in range(n):
            at = now - timedelta(minutes=rng.randint(60, 16 * 7 * 24 * 60))
            cells = [
                "" if rng.random() < 0.05 else str(rng.randint(0, high))
                for _, high, _, _ in QA_CATEGORIES
            ]
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
                    *cells,
                ]
            )


def child_ramp_qa(csv_path: str) -> dict:
    """The QA file imported by the plain mapping, then by the one reading categories, then
    again; each into empty tables but the last."""
    os.environ["DATABASE_URL"] = url()
    os.environ.setdefault("SECRET_KEY", "bench")
    from ramp import create_app
    from ramp.extensions import db
    from ramp.metrics.imports import import_file
    from ramp.metrics.mapping import load_mapping_file

    def empty() -> None:
        for table in ("replaced_qa_evaluations", "qa_evaluations", "import_runs"):
            db.session.execute(db.text(f"DELETE FROM {table}"))  # categories go with them
        db.session.commit()

    app = create_app()
    with app.app_context():
        out = {}
        for name, mapping_file in (
            ("plain", "bench/mappings/qa.yaml"),
            ("categories", "bench/mappings/qa-categories.yaml"),
            ("again", "bench/mappings/qa-categories.yaml"),
        ):
            if name != "again":
                empty()
            mapping = load_mapping_file(mapping_file)
            connection = db.session.connection()
            server = server_cpu(connection)
            started, cpu = time.perf_counter(), own_cpu()
            report = import_file(csv_path, mapping)
            server = server_cpu(connection) - server
            db.session.commit()
            out[name] = {
                "rows": report.created + report.updated,
                "seconds": time.perf_counter() - started,
                "cpu": own_cpu() - cpu + server,
                "categories": db.session.execute(
                    db.text("SELECT count(*) FROM qa_category_scores")
                ).scalar(),
            }
        empty()
    return out


def bare_qa_rows(csv_path: str, agents: dict[str, int], run_id: int):
    """(evaluation row, its category rows), worked out as ramp works them out."""
    names = [name for name, *_ in QA_CATEGORIES]
    with open(csv_path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        for number, r in enumerate(reader, start=1):
            interaction = utc(r[3])
            categories, rows, total, weights, failed = [], [], 0.0, 0.0, False
            for position, (name, high, weight, critical) in enumerate(QA_CATEGORIES):
                cell = r[8 + position]
                score = float(cell) if cell else None
                percent = None if score is None else score / high * 100
                categories.append(
                    {
                        "name": name,
                        "key": name.lower(),
                        "score": score,
                        "max_score": high,
                        "min_score": 0.0,
                        "weight": weight,
                        "critical": critical,
                    }
                )
                rows.append(
                    (
                        number,
                        position,
                        names[position],
                        name.lower(),
                        score,
                        float(high),
                        0.0,
                        float(weight),
                        critical,
                        score is None,
                        percent,
                    )
                )
                if percent is not None:
                    total, weights = total + weight * percent, weights + weight
                    failed |= critical and percent < 50
            critical_fail = r[7] == "yes"
            percent = 0.0 if critical_fail or failed else (total / weights if weights else None)
            evaluation = (
                number,
                "bench",
                r[0],
                agents.get(r[1].lower()),
                interaction,
                utc(r[2]),
                r[4],
                float(r[5]),
                float(r[6]),
                critical_fail,
                json.dumps(categories),
                percent,
                interaction.date(),
                run_id,
            )
            yield evaluation, rows


def child_bare_qa(csv_path: str, how: str) -> dict:
    """The same evaluations and category rows into copies of ramp's two tables (columns,
    keys, indexes and foreign keys), in one transaction."""
    from sqlalchemy import create_engine

    engine = create_engine(url())
    postgresql = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bare_qa_category_scores")
        conn.exec_driver_sql("DROP TABLE IF EXISTS bare_qa_evaluations")
        if postgresql:
            conn.exec_driver_sql(
                "CREATE TABLE bare_qa_evaluations (LIKE qa_evaluations INCLUDING ALL)"
            )
            conn.exec_driver_sql(
                "CREATE TABLE bare_qa_category_scores (LIKE qa_category_scores INCLUDING ALL)"
            )
            conn.exec_driver_sql(
                "ALTER TABLE bare_qa_evaluations ADD FOREIGN KEY (user_id) REFERENCES users (id), "
                "ADD FOREIGN KEY (import_run_id) REFERENCES import_runs (id)"
            )
            conn.exec_driver_sql(
                "ALTER TABLE bare_qa_category_scores ADD FOREIGN KEY (evaluation_id) "
                "REFERENCES bare_qa_evaluations (id) ON DELETE CASCADE"
            )
        else:
            for table in ("qa_evaluations", "qa_category_scores"):
                ddl = conn.exec_driver_sql(
                    f"SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}'"
                ).scalar()
                conn.exec_driver_sql(
                    ddl.replace(f"CREATE TABLE {table}", f"CREATE TABLE bare_{table}", 1).replace(
                        "REFERENCES qa_evaluations", "REFERENCES bare_qa_evaluations"
                    )
                )
            conn.exec_driver_sql(
                "CREATE INDEX bare_qa_user_day ON bare_qa_evaluations (user_id, metric_date)"
            )
        run_id, agents = bare_run(conn, "qa")
    with engine.begin() as conn:
        server = server_cpu(conn)
        started, cpu = time.perf_counter(), own_cpu()
        raw = conn.connection.dbapi_connection
        if not postgresql:
            raw.execute("PRAGMA foreign_keys = ON")  # as ramp's connections are set
        evaluations, categories = [], []
        cursor = raw.cursor()

        def flush() -> None:
            if how == "copy":
                for table, columns, types, rows in (
                    ("bare_qa_evaluations", QA_COLUMNS, QA_COPY_TYPES, evaluations),
                    ("bare_qa_category_scores", CATEGORY_COLUMNS, CATEGORY_COPY_TYPES, categories),
                ):
                    with cursor.copy(
                        f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"
                    ) as copy:
                        copy.set_types(types)
                        for row in rows:
                            copy.write_row(row)
            else:
                mark = "%s" if postgresql else "?"
                for table, columns, width, rows in (
                    ("bare_qa_evaluations", QA_COLUMNS, 14, evaluations),
                    ("bare_qa_category_scores", CATEGORY_COLUMNS, 11, categories),
                ):
                    marks = ", ".join([mark] * width)
                    cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
            evaluations.clear()
            categories.clear()

        for evaluation, rows in bare_qa_rows(csv_path, agents, run_id):
            evaluations.append(evaluation)
            categories.extend(rows)
            if len(evaluations) == 5000:
                flush()
        flush()
        cursor.close()
        server = server_cpu(conn) - server
    seconds, cpu = time.perf_counter() - started, own_cpu() - cpu + server
    with engine.begin() as conn:
        rows = conn.exec_driver_sql("SELECT count(*) FROM bare_qa_evaluations").scalar()
        count = conn.exec_driver_sql("SELECT count(*) FROM bare_qa_category_scores").scalar()
        conn.exec_driver_sql("DROP TABLE bare_qa_category_scores")
        conn.exec_driver_sql("DROP TABLE bare_qa_evaluations")
        conn.exec_driver_sql(f"DELETE FROM import_runs WHERE id = {int(run_id)}")
    return {"rows": rows, "categories": count, "seconds": seconds, "cpu": cpu}


def run_child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--qa", type=int, default=50_000, help="QA evaluations (0: none)")
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        result = {
            "setup": child_setup,
            "ramp": child_ramp,
            "bare": child_bare,
            "ramp-qa": child_ramp_qa,
            "bare-qa": child_bare_qa,
        }[mode](*rest)
        print(json.dumps(result))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    n = args.contacts
    full, fifth = OUT / f"write-{n}.csv", OUT / f"write-{n // 5}.csv"
    from imports import write_csv  # bench/imports.py: the same export the import bench reads

    agents = [f"agent{i}@bench.example" for i in range(AGENTS)]
    for path, size in ((full, n), (fifth, n // 5)):
        if size and not path.exists():
            write_csv(path, size, agents)
    engine = url().split(":", 1)[0].split("+", 1)[0]
    load = os.getloadavg()
    print(
        f"# import write path on {engine}, {n:,} contacts, {args.qa:,} QA evaluations, {AGENTS} agents"
    )
    print(f"# load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores)")
    run_child("setup")
    if args.qa:
        qa_figures(args.qa, agents)
    if not n:
        return
    ramp = run_child("ramp", str(full))
    small = run_child("ramp", str(fifth))
    baselines = ["copy", "executemany"] if engine == "postgresql" else ["executemany"]
    bare = {how: run_child("bare", str(full), how) for how in baselines}

    def rate(result: dict) -> float:
        return result["rows"] / result["seconds"]

    def cpu_rate(result: dict) -> float:
        return result["rows"] / result["cpu"]

    base = bare[baselines[0]]
    lines = [(f"bare {how}", result) for how, result in bare.items()]
    lines += [
        ("ramp import, new records", ramp["new"]),
        ("ramp, same file (updates)", ramp["again"]),
    ]
    print(f"{'':30}{'rows/s':>9}{'wall s':>8}{'cpu s':>7}{'ratio':>7}{'cpu ratio':>11}")
    for label, result in lines:
        print(
            f"{label:30}{rate(result):>9,.0f}{result['seconds']:>8.1f}{result['cpu']:>7.1f}"
            f"{rate(result) / rate(base):>7.2f}{cpu_rate(result) / cpu_rate(base):>11.2f}"
        )
    print("# ratio: rows per second of wall time; cpu ratio: rows per CPU second, all processes")
    target = 0.5 if engine == "postgresql" else 0.75
    print(f"# target: ramp's new-record rate >= {target}x bare {baselines[0]}")
    for name in ("new", "again"):
        result = ramp[name]
        share = result["locked"] / result["seconds"]
        print(
            f"# {name}: records written (write lock held on SQLite) for the last "
            f"{result['locked']:.1f} s of {result['seconds']:.1f} s ({share:.0%})"
        )
    print(
        f"# peak memory of the import: {ramp['peak_mb']:.0f} MiB at {n:,} rows, "
        f"{small['peak_mb']:.0f} MiB at {n // 5:,}"
        + (
            " (on SQLite the merge's page cache grows to 128 MiB, then stays)"
            if engine == "sqlite"
            else ""
        )
    )


def qa_figures(n: int, agents: list[str]) -> None:
    """The QA import with categories beside the bare script writing the same rows."""
    path = OUT / f"write-qa-{n}.csv"
    if not path.exists():
        write_qa_csv(path, n, agents)
    engine = url().split(":", 1)[0].split("+", 1)[0]
    ramp = run_child("ramp-qa", str(path))
    baselines = ["copy", "executemany"] if engine == "postgresql" else ["executemany"]
    bare = {how: run_child("bare-qa", str(path), how) for how in baselines}
    base = bare[baselines[0]]

    def rate(result: dict) -> float:
        return result["rows"] / result["seconds"]

    def cpu_rate(result: dict) -> float:
        return result["rows"] / result["cpu"]

    print(f"# QA: {n:,} evaluations, {len(QA_CATEGORIES)} categories each (1 in 20 N/A)")
    print(
        f"{'':44}{'evals/s':>9}{'category rows':>15}{'wall s':>8}{'cpu s':>7}{'ratio':>7}"
        f"{'cpu ratio':>11}"
    )
    lines = [(f"bare {how}, evaluations + categories", r) for how, r in bare.items()]
    lines += [
        ("ramp, overall score only", ramp["plain"]),
        ("ramp, with categories", ramp["categories"]),
        ("ramp, with categories, again", ramp["again"]),
    ]
    for label, result in lines:
        print(
            f"{label:44}{rate(result):>9,.0f}{result['categories']:>15,}{result['seconds']:>8.1f}"
            f"{result['cpu']:>7.1f}{rate(result) / rate(base):>7.2f}"
            f"{cpu_rate(result) / cpu_rate(base):>11.2f}"
        )
    cost = ramp["categories"]["seconds"] / ramp["plain"]["seconds"]
    print(
        f"# the categories cost the import {cost:.2f}x the time of the overall score alone "
        f"(the bare script writes {base['categories']:,} category rows too)"
    )


if __name__ == "__main__":
    main()
