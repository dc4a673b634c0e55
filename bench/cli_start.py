"""Start-up time of the command line, beside the bare interpreter starting Flask.

    python bench/cli_start.py [--runs 15] [--db bench/out/cli.sqlite]

Each command runs in a fresh child process, as a person or a cron job runs it: the
`ramp` console script next to this interpreter (or `python -c` calling ramp.cli.main when
there is none), with this checkout first on PYTHONPATH. For every command the median
wall time and the median CPU time of the child (user + sys) over --runs runs are printed,
beside the same figures for `python -c "import flask"` and `python -c pass` from the same
run, so the ratios hold on a busy machine.

The commands: `ramp --help` (lists every command group, loading none of them) and
`ramp users list` on a database with a few users (loads the accounts area only, in an app
without the web layer). The database is a fresh SQLite file, or the PostgreSQL database
DATABASE_URL names (it must be empty or ramp's own: the script migrates it and adds its
users when they are missing).

Then bulk users: `ramp users import` of --users new users (1,000 by default; agents in
a team, each with a Zendesk id) in one process, beside --singles `ramp users create`
commands run one after another (each a process, as a script calling it per user would run
it); both are printed per user, and the single commands' total is extrapolated to --users.

Target: each command under half a second (wall, median, on an idle machine); the ratio to
`import flask` is the figure that holds on a busy one.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import fresh_database, percentile

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 0.5
USERS = [
    ("admin@bench.example", "Bench Admin", "admin"),
    ("lead@bench.example", "Dana Whitfield", "manager"),
    ("agent1@bench.example", "Agent One", "agent"),
    ("agent2@bench.example", "Agent Two", "agent"),
]


def ramp_command() -> list[str]:
    """How to start the CLI: the installed console script, else the same entry point by -c."""
    script = Path(sys.executable).parent / "ramp"
    if script.is_file():
        return [sys.executable, str(script)]
    return [sys.executable, "-c", "import sys; from ramp.cli import main; sys.exit(main())"]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("FLASK_APP", None)
    return env


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + sys) seconds of one child process running argv to its end."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    err = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {child.returncode}:\n{err}")
    return wall, usage.ru_utime + usage.ru_stime


def measure(argv: list[str], env: dict[str, str], runs: int) -> dict[str, float]:
    run_once(argv, env)  # warm the file cache and the bytecode cache
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = run_once(argv, env)
        walls.append(wall)
        cpus.append(cpu)
    return {
        "wall": statistics.median(walls),
        "p90": percentile(walls, 90),
        "cpu": statistics.median(cpus),
    }


def prepare_database(db: str, env: dict[str, str]) -> str:
    """Migrate the database and add the bench users; returns where it is, for the printout."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        where = url.rsplit("@", 1)[-1]
    else:
        where = str(fresh_database(db))
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    env.setdefault("SECRET_KEY", "bench")
    ramp = ramp_command()
    subprocess.run([*ramp, "db", "upgrade"], env=env, check=True, capture_output=True)
    listed = subprocess.run(
        [*ramp, "users", "list"], env=env, check=True, capture_output=True, text=True
    ).stdout
    for email, name, role in USERS:
        if email not in listed:
            options = ["--name", name, "--role", role, "--password", "bench-password-1"]
            create = [*ramp, "users", "create", email, *options]
            subprocess.run(create, env=env, check=True, capture_output=True)
    return where


def bulk_users(env: dict[str, str], users: int, singles: int) -> None:
    """Time one `ramp users import` of `users` new users, and `singles` `ramp users create`."""
    ramp = ramp_command()
    out = ROOT / "bench" / "out"
    subprocess.run([*ramp, "teams", "create", "Bench Chat"], env=env, capture_output=True)
    path = out / "bulk-users.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["email", "name", "role", "team", "agent_id:zendesk"])
        for i in range(users):
            writer.writerow([f"bulk{i}@bench.example", f"Bulk Agent {i}", "agent", "Bench Chat", i])
    bulk, _cpu = run_once([*ramp, "users", "import", str(path)], env)
    again, _cpu = run_once([*ramp, "users", "import", str(path)], env)
    started = time.perf_counter()
    for i in range(singles):
        run_once(
            [
                *ramp,
                "users",
                "create",
                f"single{i}@bench.example",
                "--name",
                f"Single {i}",
                "--team",
                "Bench Chat",
                "--password",
                "bench-password-1",
            ],
            env,
        )
    single = (time.perf_counter() - started) / singles
    print(f"Bulk users: {users} new agents in a team, each with a Zendesk id")
    print(f"  ramp users import (1 process)   {bulk:7.2f} s   {bulk / users * 1000:6.1f} ms a user")
    print(f"  the same file again (unchanged) {again:7.2f} s")
    print(
        f"  ramp users create ({singles} processes) {single * singles:6.2f} s   "
        f"{single * 1000:6.1f} ms a user; {users} would take {single * users:.0f} s, "
        f"{single * users / bulk:.0f}x the import"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--db", default="bench/out/cli.sqlite")
    parser.add_argument("--users", type=int, default=1000, help="users in the bulk import")
    parser.add_argument("--singles", type=int, default=20, help="single `users create` runs")
    args = parser.parse_args()
    env = child_env()
    where = prepare_database(args.db, env)
    env["SECRET_KEY"] = os.environ.get("SECRET_KEY", "bench")

    ramp = ramp_command()
    rows = [
        ("python -c pass", [sys.executable, "-c", "pass"], False),
        ('python -c "import flask"', [sys.executable, "-c", "import flask"], False),
        ("ramp --help", [*ramp, "--help"], True),
        ("ramp users list", [*ramp, "users", "list"], True),
    ]
    print(f"CLI start-up, median of {args.runs} runs each; database {where}")
    print(f"  {'command':28} {'wall':>8} {'p90':>8} {'cpu':>8}   wall / flask  cpu / flask")
    figures = {}
    for label, argv, _judged in rows:
        figures[label] = measure(argv, env, args.runs)
    flask = figures['python -c "import flask"']
    for label, _argv, judged in rows:
        f = figures[label]
        verdict = ""
        if judged:
            ok = f["wall"] < TARGET_S
            verdict = f"   target < {TARGET_S:.1f} s  {'ok' if ok else 'SLOW'}"
        print(
            f"  {label:28} {f['wall'] * 1000:6.0f} ms {f['p90'] * 1000:5.0f} ms "
            f"{f['cpu'] * 1000:5.0f} ms   {f['wall'] / flask['wall']:5.1f}x"
            f"        {f['cpu'] / flask['cpu']:5.1f}x{verdict}"
        )
    print("  (cpu: user + sys time of the child process)")
    if args.users:
        bulk_users(env, args.users, args.singles)


if __name__ == "__main__":
    main()
