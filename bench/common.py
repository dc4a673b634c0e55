"""What the benchmark scripts share: a percentile, a fresh SQLite database path, and the CPU
seconds of a local PostgreSQL server process."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def fresh_database(db: str) -> Path:
    """Remove the SQLite file at `db` (and its WAL files) and point ramp at it."""
    path = Path(db).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("SECRET_KEY", "bench")
    return path


def bench_database(db: str) -> str:
    """The database a bench runs on, in words: the PostgreSQL database DATABASE_URL names, or
    a fresh SQLite file at `db`. Sets a secret key and puts the checkout on sys.path."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        where = "PostgreSQL " + url.rsplit("@", 1)[-1]
    else:
        where = f"SQLite {fresh_database(db)}"
    os.environ.setdefault("SECRET_KEY", "bench")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    return where


def _stat(pid: int | str) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (state is [0], ppid [1])."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def server_cpu(connection) -> float:
    """CPU seconds of the local PostgreSQL server behind this connection: the postmaster
    (with the children it has reaped: parallel workers that finished) and every process it
    runs now (this connection's backend, parallel workers, background writers). 0 on SQLite
    or for a server elsewhere. Compare two readings."""
    if connection.dialect.name != "postgresql":
        return 0.0
    pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    try:
        postmaster = _stat(pid)[1]
        fields = _stat(postmaster)
    except OSError:
        return 0.0  # a server elsewhere: not counted
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            child = _stat(entry.name)
        except OSError:
            continue  # gone meanwhile
        if child[1] == postmaster:
            ticks += int(child[11]) + int(child[12])
    return ticks / os.sysconf("SC_CLK_TCK")
