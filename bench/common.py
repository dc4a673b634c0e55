"""What the benchmark scripts share: a percentile, and a fresh SQLite database path."""

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
