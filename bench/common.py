"""What the benchmark scripts share: a percentile, a fresh SQLite database path, and the CPU
seconds of a local PostgreSQL server process."""

from __future__ import annotations

import os
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


def server_cpu(connection) -> float:
    """CPU seconds of the PostgreSQL server process behind this connection, when local."""
    if connection.dialect.name != "postgresql":
        return 0.0
    pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0  # a server elsewhere: not counted
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
