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

Target: each command under half a second (wall, median, on an idle machine); the ratio to
`import flask` is the figure that holds on a busy one.
"""

from __future__ import annotations

import argparse
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
            subprocess.run(
                [*ramp, "users", "create", email, "--name", name, "--role", role,
                 "--password", "bench-password-1"],
                env=env, check=True, capture_output=True,
            )  # fmt: skip
    return where


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--db", default="bench/out/cli.sqlite")
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


if __name__ == "__main__":
    main()
