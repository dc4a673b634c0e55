"""Pages under load: ramp under gunicorn on loopback, learners and managers as closed loops.

    pip install -e '.[prod]'            # gunicorn
    python bench/load.py                # PostgreSQL: a throwaway cluster, 200 learners, 10 managers
    DATABASE_URL=postgresql://... python bench/load.py   # an empty scratch database instead
    python bench/load.py --sqlite       # SQLite, 40 learners and 4 managers unless told

Seeds the demo plus --learners agents in --managers classes (bench/loaddata.py), starts
gunicorn on 127.0.0.1 (gthread: --workers processes x --threads threads), and runs the
generator in a separate process: one thread per user, each with its own keep-alive
connection. A learner signs in, then loops My ramp -> a lesson -> "seen" POST -> "complete"
POST -> the module's knowledge check over the lessons of the open modules; a manager signs
in, then loops board -> a hire page -> cohort comparison. Between two requests a user
thinks for a uniform random 0.5x to 1.5x --think seconds (default 5 s: someone reading a
lesson or a board, so 210 users ask about 40 pages a second). Users sign in spread over the
first --ramp-up seconds (60 s: a password check costs about 0.1 s of CPU by design, and a
morning's sign-ins do not all come in one second); the figures are of the --duration seconds
(60) after that, sign-ins apart. Everything stops then.

Prints per page: requests, req/s, p50, p95, p99 (ms) and errors; the generator's CPU; the
server's CPU (gunicorn master and workers, and the PostgreSQL server's processes, read from
/proc) per request in the measured window. The baseline, in the same run: a minimal Flask page (bench/minimal_app.py)
under the same gunicorn settings, asked by --baseline-users users with no think time; its
requests per server CPU-second is the ceiling beside ramp's.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
HOST = "127.0.0.1"
CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)
TICKS = os.sysconf("SC_CLK_TCK")


# The server side ---------------------------------------------------------------------------


def start_postgres(tmp: Path) -> tuple[str, list[str]]:
    """A private PostgreSQL cluster on a Unix socket in `tmp`: its URL and the stop command."""
    sys.path.insert(0, str(ROOT))  # the tests' own throwaway cluster, from this checkout
    from tests.pgcluster import start_cluster

    try:
        return start_cluster(tmp, "-c max_connections=100")
    except FileNotFoundError as exc:
        raise SystemExit(str(exc)) from None


def postgres_pid(url: str) -> int | None:
    """The postmaster's pid of a local cluster (its data folder is known), else None."""
    host = url.rsplit("host=", 1)[-1] if "host=" in url else None
    pidfile = Path(host, "data", "postmaster.pid") if host else None
    if pidfile and pidfile.exists():
        return int(pidfile.read_text().split()[0])
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_gunicorn(
    app: str, port: int, args, env: dict, chdir: Path, ready: str | None = None
) -> subprocess.Popen:
    """gunicorn with the bench's worker settings, answering on HOST:port (a 200 at `ready`:
    ramp's sign-in page, else the root)."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:ramp.serving",  # ramp's settings and its post_worker_init, for every app alike
        "--bind",
        f"{HOST}:{port}",
        "--worker-class",
        args.worker_class,
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--keep-alive",
        "30",
        "--backlog",
        "512",
        "--chdir",
        str(chdir),
        "--log-level",
        "warning",
        app,
    ]
    server = subprocess.Popen(command, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", ready or ("/auth/login" if app.startswith("ramp") else "/"))
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped with {server.returncode}")
    stop(server)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):  # the thread ended meanwhile
            out += [int(c) for c in (task / "children").read_text().split()]
    return out


def tree_cpu(pid: int | None) -> float:
    """CPU seconds of a process, its live descendants and its reaped children."""
    if pid is None:
        return 0.0
    total = 0
    stack, root = [pid], True
    while stack:
        p = stack.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if root:
            total += int(fields[13]) + int(fields[14])  # children waited for
            root = False
        stack += _children(p)
    return total / TICKS


# The generator (runs in its own process) -----------------------------------------------------


class User:
    """One simulated person: a keep-alive connection, a cookie jar, their CSRF token."""

    def __init__(self, port: int, results: list, stop_at: float) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.results = results
        self.stop_at = stop_at

    def request(self, page: str, method: str, path: str, body: dict | None = None, ok=(200,)):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            text, status = repr(exc), 0
        elapsed = time.perf_counter() - started
        if status:
            for value in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        self.results.append((page, elapsed, status in ok, status, time.monotonic()))
        if found := CSRF.search(text):
            self.token = found.group(1) or found.group(2)
        return status, text

    def think(self, rng: random.Random, mean: float) -> bool:
        """Wait as a person would; False when the run is over."""
        pause = rng.uniform(0.5 * mean, 1.5 * mean)
        if time.monotonic() + pause >= self.stop_at:
            return False
        time.sleep(pause)
        return True

    def sign_in(self, email: str, password: str) -> bool:
        self.request("sign-in form", "GET", "/auth/login")
        status, _ = self.request(
            "sign in",
            "POST",
            "/auth/login",
            {"csrf_token": self.token, "email": email, "password": password},
            ok=(302,),
        )
        return status == 302


def learner_loop(user: User, rng: random.Random, cfg: dict, email: str, enrollment: int) -> None:
    if not user.sign_in(email, cfg["password"]):
        return
    lessons = cfg["lessons"]
    i = rng.randrange(len(lessons))
    while user.think(rng, cfg["think"]):
        module, lesson = lessons[i % len(lessons)]
        i += 1
        base = f"/learn/{enrollment}/{module}"
        steps = [
            ("my ramp", "GET", "/learn/ramp", None, (200,)),
            ("lesson", "GET", f"{base}/lessons/{lesson}", None, (200,)),
            ("lesson seen", "POST", f"{base}/lessons/{lesson}/seen", {}, (204,)),
            ("complete lesson", "POST", f"{base}/lessons/{lesson}/complete", {}, (303,)),
            ("knowledge check", "GET", f"{base}/check", None, (200,)),
        ]
        for n, (page, method, path, body, ok) in enumerate(steps):
            if n and not user.think(rng, cfg["think"]):
                return
            if body is not None:
                body = {"csrf_token": user.token}
            user.request(page, method, path, body, ok)


def manager_loop(user: User, rng: random.Random, cfg: dict, email: str, hires: list[int]) -> None:
    if not user.sign_in(email, cfg["password"]):
        return
    while user.think(rng, cfg["think"]):
        user.request("board", "GET", "/board/")
        if not user.think(rng, cfg["think"]):
            return
        user.request("hire page", "GET", f"/board/hires/{rng.choice(hires)}")
        if not user.think(rng, cfg["think"]):
            return
        user.request("comparison", "GET", "/board/compare")


def hammer_loop(user: User, _rng, _cfg, *_args) -> None:
    while time.monotonic() < user.stop_at:
        user.request("minimal page", "GET", "/")


def generate(cfg: dict) -> dict:
    """Run every user until the deadline; per-page latencies and the generator's own CPU."""
    results: list = []
    start = time.monotonic()
    stop_at = start + cfg["ramp_up"] + cfg["duration"]
    threads = []
    users = [(learner_loop, *u) for u in cfg["learners"]]
    users += [(manager_loop, *m) for m in cfg["managers"]]
    users += [(hammer_loop, None, None)] * cfg.get("hammer", 0)
    for n, (loop, *who) in enumerate(users):
        rng = random.Random(n)
        delay = rng.uniform(0, cfg["ramp_up"])

        def run(loop=loop, who=who, rng=rng, delay=delay) -> None:
            time.sleep(delay)
            loop(User(cfg["port"], results, stop_at), rng, cfg, *who)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(timeout=max(0.0, stop_at - time.monotonic()) + 70)
    window = start + cfg["ramp_up"]
    return {
        "elapsed": cfg["duration"],
        "cpu": time.process_time(),
        "results": [
            r[:4] for r in results if r[4] >= window or r[0] in ("sign-in form", "sign in")
        ],
    }


def run_generator(cfg: dict, cpu) -> tuple[dict, list[float]]:
    """The generator in a child process of its own, so its CPU is its own; with the server's
    CPU seconds (`cpu()`: gunicorn's, PostgreSQL's) over the measured window."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(cfg, fh)
    try:
        child = subprocess.Popen(
            [sys.executable, __file__, "--generate", fh.name],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(cfg["ramp_up"])
        before = cpu()
        time.sleep(cfg["duration"])
        used = [b - a for a, b in zip(before, cpu(), strict=True)]
        out, _ = child.communicate(timeout=180)
        if child.returncode:
            raise SystemExit(f"the generator stopped with {child.returncode}")
    finally:
        os.unlink(fh.name)
    return json.loads(out), used


# Reporting ------------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def report(title: str, run: dict, cpu: list[float]) -> float:
    """Print the per-page table; return requests per server CPU-second."""
    results, elapsed = run["results"], run["elapsed"]
    server_cpu = sum(cpu)
    pages: dict[str, list] = {}
    for page, seconds, ok, status in results:
        pages.setdefault(page, []).append((seconds, ok, status))
    print(f"\n{title}: {elapsed:.0f} s")
    print(
        f"  {'page':16} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} errors"
    )
    for page, rows in pages.items():
        times = [s for s, _, _ in rows]
        errors = [st for _, ok, st in rows if not ok]
        shown = f"{len(errors)}" + (f" (status {sorted(set(errors))})" if errors else "")
        print(
            f"  {page:16} {len(rows):8d} {len(rows) / elapsed:7.1f} {pct(times, 50):8.0f} "
            f"{pct(times, 95):8.0f} {pct(times, 99):8.0f} {shown}"
        )
    results = [r for r in results if r[0] not in ("sign-in form", "sign in")]
    times = [s for _, s, _, _ in results]
    errors = sum(1 for r in results if not r[2])
    print(
        f"  {'all but sign-in':16} {len(results):8d} {len(results) / elapsed:7.1f} {pct(times, 50):8.0f} "
        f"{pct(times, 95):8.0f} {pct(times, 99):8.0f} {errors}"
    )
    per_request = server_cpu / max(len(results), 1) * 1000
    per_cpu_second = len(results) / server_cpu if server_cpu else 0.0
    print(
        f"  server CPU {server_cpu:.1f} s (gunicorn {cpu[0]:.1f} s, PostgreSQL {cpu[1]:.1f} s)"
        f" = {per_request:.1f} ms per request "
        f"({per_cpu_second:.0f} requests per CPU-second); generator CPU {run['cpu']:.1f} s "
        f"({run['cpu'] / elapsed * 100:.0f} % of a core)"
    )
    return per_cpu_second


def measure(app: str, chdir: Path, env: dict, cfg: dict, args, pg: int | None) -> tuple:
    """Start gunicorn for `app`, run the generator, stop; (run, server CPU seconds)."""
    port = free_port()
    server = start_gunicorn(app, port, args, env, chdir)
    try:
        return run_generator({**cfg, "port": port}, lambda: (tree_cpu(server.pid), tree_cpu(pg)))
    finally:
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int)
    parser.add_argument("--managers", type=int)
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds of load (60).")
    parser.add_argument("--think", type=float, default=5.0, help="Mean think time, seconds.")
    parser.add_argument("--ramp-up", type=float, default=60.0, help="Seconds to sign in.")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL.")
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--baseline-users", type=int, default=8)
    parser.add_argument("--baseline-duration", type=float, default=15.0)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        json.dump(generate(json.loads(Path(args.generate).read_text())), sys.stdout)
        return
    learners = args.learners or (40 if args.sqlite else 200)
    managers = args.managers or (4 if args.sqlite else 10)

    tmp = Path(tempfile.mkdtemp(prefix="ramp-load-"))
    tmp.chmod(0o755)  # the postgres account reaches its cluster inside
    stop_postgres = None
    env = {**os.environ, "SECRET_KEY": "bench-load", "RAMP_LOGIN_RATE_LIMIT": "100000 per minute"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if args.sqlite:
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'load.sqlite'}"
    elif not env.get("DATABASE_URL"):
        (tmp / "pg").mkdir()
        env["DATABASE_URL"], stop_postgres = start_postgres(tmp / "pg")
    os.environ.update(env)
    try:
        started = time.perf_counter()
        data = seed(learners, managers)
        print(
            f"seeded {learners} learners and {managers} managers in "
            f"{time.perf_counter() - started:.0f} s; gunicorn {args.worker_class}, "
            f"{args.workers} workers x {args.threads} threads; {os.cpu_count()} cores; "
            f"think {args.think:g} s; {env['DATABASE_URL'].split(':')[0]}"
        )
        pg = None if args.sqlite else postgres_pid(env["DATABASE_URL"])
        cfg = {
            "ramp_up": args.ramp_up,
            "duration": args.duration,
            "think": args.think,
            "password": data["password"],
            "lessons": data["lessons"],
            "learners": data["learners"],
            "managers": data["managers"],
        }
        run, cpu = measure("ramp:create_app()", ROOT, env, cfg, args, pg)
        ramp_rate = report("ramp", run, cpu)
        if not args.no_baseline:
            hammer = {
                "ramp_up": 0,
                "duration": args.baseline_duration,
                "think": 0,
                "learners": [],
                "managers": [],
                "hammer": args.baseline_users,
            }
            base_run, base_cpu = measure("minimal_app:app", BENCH, env, hammer, args, None)
            base_rate = report("baseline: minimal Flask page, no think time", base_run, base_cpu)
            print(
                f"\nrequests per server CPU-second: ramp {ramp_rate:.0f}, minimal Flask page "
                f"{base_rate:.0f} (ramp at {ramp_rate / base_rate * 100:.0f} % of the ceiling)"
            )
    finally:
        if stop_postgres:
            subprocess.run(stop_postgres, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def seed(learners: int, managers: int) -> dict:
    """Migrate and seed the database in this process; what the generator needs."""
    # Imported here: the generator's process, which runs this file too, never loads ramp.
    from flask_migrate import upgrade
    from loaddata import PASSWORD, seed_load

    from ramp import create_app

    app = create_app()
    with app.app_context():
        upgrade()
        data = seed_load(learners, managers).to_json()
    return {**data, "password": PASSWORD}


if __name__ == "__main__":
    main()
