"""A throwaway PostgreSQL cluster on a Unix socket, for the tests and the benchmarks.

Debian's server binaries (scripts/system-deps.sh installs them), run as the postgres account
when ramp runs as root (initdb refuses root), trusting local connections, with durability
off: nothing here outlives the run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

NOT_INSTALLED = "PostgreSQL is not installed: run scripts/system-deps.sh --test"


def start_cluster(tmp: Path, options: str = "", stop_mode: str = "fast") -> tuple[str, list[str]]:
    """Create and start a cluster in `tmp` (made if missing); return its URL (user app,
    database postgres) and the command that stops it. Raises FileNotFoundError when
    PostgreSQL is not installed. The server runs in a session of its own, so a Ctrl-C in the
    terminal does not reach it: whoever starts it stops it."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
    if not candidates:
        raise FileNotFoundError(NOT_INSTALLED)
    pgbin = candidates[-1]
    tmp.mkdir(parents=True, exist_ok=True)
    tmp.chmod(0o755)
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = tmp / "data"
    initdb = [str(pgbin / "initdb"), "-D", str(data), "-U", "app", "--auth=trust", "-E", "UTF8"]
    subprocess.run([*as_user, *initdb, "--locale=C.UTF-8"], check=True, capture_output=True)
    stop = [*as_user, str(pgbin / "pg_ctl"), "-D", str(data), "-m", stop_mode, "stop"]
    settings = f"-c listen_addresses= -k {tmp} -c fsync=off {options}".strip()
    start = [str(pgbin / "pg_ctl"), "-D", str(data), "-l", str(tmp / "log"), "-w", "-o", settings]
    subprocess.run(
        [*as_user, *start, "start"], check=True, capture_output=True, start_new_session=True
    )
    return f"postgresql+psycopg://app@/postgres?host={tmp}", stop
