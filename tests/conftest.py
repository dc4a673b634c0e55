"""Fixtures: an app on SQLite (default) or on a throwaway PostgreSQL server, a client that
speaks CSRF, factories for users and curricula, and helpers."""

from __future__ import annotations

import fcntl
import gc
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy.pool import NullPool

from tests.pgcluster import start_cluster

os.environ.setdefault("SECRET_KEY", "test-secret-key")

FIXTURES = Path(__file__).parent / "fixtures"

# Every test runs on a pinned clock (ticking from there), never on the wall clock: the suite
# gives the same answers on any day. A Wednesday in March, clear of month ends and DST.
PINNED_NOW = datetime(2026, 3, 18, 9, 30, tzinfo=UTC)
# Days that break date arithmetic: for the tests that take `any_day`.
AWKWARD_DAYS = {
    "month-end": date(2027, 1, 31),
    "leap-day": date(2028, 2, 29),
    "eu-dst-start": date(2027, 3, 28),
    "us-dst-end": date(2026, 11, 1),
    "year-end": date(2026, 12, 31),
    "monday": date(2027, 6, 7),
    # Two classes 28 days apart both began in November: the demo once named them alike.
    "early-in-a-month": date(2026, 12, 4),
}
PASSWORD = "correct horse battery"


# One run's scratch space, made by the controlling pytest process and shared by its xdist
# workers: the PostgreSQL server, the migrated template databases, each worker's database.
# A watchdog process stops what was started there and removes it when the run ends, also
# when the run is interrupted or killed.
SHARED_ENV = "RAMP_TEST_SHARED"
POSTGRES_ENV = "RAMP_TEST_POSTGRES"

_WATCHDOG = """
import json, os, shutil, signal, subprocess, sys
from pathlib import Path
sys.stdin.read()  # end of file: the pytest process that started us has ended, one way or another
shared = Path(sys.argv[1])
for pidfile in shared.glob("*.pid"):
    try:
        os.kill(int(pidfile.read_text()), signal.SIGKILL)
    except (ValueError, OSError):
        pass
stop = shared / "postgres-stop.json"
if stop.exists():
    subprocess.run(json.loads(stop.read_text()), capture_output=True)
shutil.rmtree(shared, ignore_errors=True)
"""


def _worker() -> str:
    """This process's name among the xdist workers ("gw0", ...), or "main" without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def pytest_configure(config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # the controller has set up the shared space; its environment is ours
    shared = Path(tempfile.mkdtemp(prefix="ramp-test-"))
    shared.chmod(0o755)
    os.environ[SHARED_ENV] = str(shared)
    config._ramp_watchdog = subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, str(shared)],
        stdin=subprocess.PIPE,
        start_new_session=True,
    )
    if os.environ.get("RAMP_TEST_DB", "sqlite") == "postgresql":
        os.environ[POSTGRES_ENV] = _start_postgres(shared / "pg")


def pytest_unconfigure(config) -> None:
    # A command run in the tests leaves what it loaded frozen (ramp.cli): thawed and collected
    # here, finalizers (WeasyPrint's font configurations) run now, not at interpreter exit.
    gc.unfreeze()
    gc.collect()
    watchdog = getattr(config, "_ramp_watchdog", None)
    if watchdog is not None:
        watchdog.stdin.close()
        watchdog.wait(timeout=60)


def _shared() -> Path:
    return Path(os.environ[SHARED_ENV])


@contextmanager
def _run_lock(name: str) -> Iterator[None]:
    """Held by one process of the run at a time."""
    with open(_shared() / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _start_postgres(tmp: Path) -> str:
    """A private PostgreSQL cluster on a Unix socket in `tmp`; returns its URL (the watchdog
    stops it)."""
    try:
        url, stop = start_cluster(tmp, "-c full_page_writes=off", stop_mode="immediate")
    except FileNotFoundError as exc:
        pytest.exit(str(exc), 2)
    (tmp.parent / "postgres-stop.json").write_text(json.dumps(stop))
    return url


def _postgres_admin():
    import psycopg

    host = os.environ[POSTGRES_ENV].rsplit("host=", 1)[1]
    return psycopg.connect(host=host, user="app", dbname="postgres", autocommit=True)


def _postgres_url(name: str) -> str:
    return os.environ[POSTGRES_ENV].replace("/postgres?", f"/{name}?")


def _build_once(name: str, build) -> None:
    """Run build() once in the whole run, whichever process asks first; the others wait."""
    done = _shared() / f"{name}.built"
    with _run_lock(name):
        if not done.exists():
            build()
            done.touch()


def _copy_database(source: str, target: str) -> None:
    """Make database `target` a copy of `source` (names; SQLite: files in the shared space).
    A PostgreSQL target is dropped and created again: nothing may be connected to it."""
    if os.environ.get(POSTGRES_ENV):
        with _run_lock("postgres-templates"), _postgres_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    else:
        with (
            closing(sqlite3.connect(_shared() / f"{source}.sqlite")) as src,
            closing(sqlite3.connect(_shared() / f"{target}.sqlite")) as dst,
        ):
            src.backup(dst)


def _database_url(name: str) -> str:
    if os.environ.get(POSTGRES_ENV):
        return _postgres_url(name)
    return f"sqlite:///{_shared() / f'{name}.sqlite'}"


def _new_database(name: str) -> str:
    if os.environ.get(POSTGRES_ENV):
        with _postgres_admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    return _database_url(name)


def _build_migrated_template() -> None:
    """The real Alembic migrations, run once per run into the template every worker copies."""
    from flask_migrate import upgrade

    from ramp.extensions import db

    app = make_app(_new_database("template"))
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """This worker's database: SQLite in a file, or PostgreSQL when RAMP_TEST_DB=postgresql
    (one throwaway server for the run, a database per worker). Not yet migrated."""
    name = f"test_{_worker()}"
    if os.environ.get(POSTGRES_ENV):
        yield _new_database(name)
    else:
        yield _database_url(name)


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    """The test's clock, pinned at PINNED_NOW and ticking; `clock.move_to(...)` moves it."""
    with time_machine.travel(PINNED_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(params=list(AWKWARD_DAYS.values()), ids=list(AWKWARD_DAYS))
def any_day(request, clock) -> date:
    """Runs the test once on each awkward day; returns that day (the clock is moved to it)."""
    clock.move_to(datetime.combine(request.param, time(9, 30), UTC))
    return request.param


_extra_apps: list = []


def make_app(database_url: str, **config):
    """An app on `database_url`; its connections are closed after the test."""
    from ramp import create_app

    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # pytest-flask pops its context after the app fixture's teardown; without a pool
        # the connection it still holds is closed when returned, not left in a dead pool.
        "SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": NullPool},
        "RATELIMIT_ENABLED": False,
        # The test client's host and the loopback servers of the LTI tests.
        "TRUSTED_HOSTS": ["localhost", "127.0.0.1"],
    }
    settings.update(config)
    app = create_app(settings)
    _extra_apps.append(app)
    return app


@pytest.fixture(autouse=True)
def _close_engines():
    """Close every engine a test opened, so no connection outlives its test."""
    yield
    from ramp.extensions import db

    while _extra_apps:
        with _extra_apps.pop().app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(autouse=True)
def _forget_platform_caches() -> None:
    """Each test starts without the caches an earlier test in this process filled (the
    origins that may frame ramp, platforms' key sets, service tokens, curriculum outlines,
    parsed ramp templates): with several workers the tests before this one are not always
    the same, and a worker's database may be replaced by a copy (the demo) whose ids an
    earlier test also used."""
    from ramp.curricula.queries import forget_outlines
    from ramp.lti import registrations, services
    from ramp.milestones.inputs import forget_templates

    forget_outlines()
    forget_templates()
    registrations.forget_origins()
    registrations.forget_key_sets()
    services.forget_tokens()


@pytest.fixture(scope="session")
def migrated(database_url: str) -> str:
    """This worker's database, a copy of the one migrated with the real Alembic migrations
    (once per run, by whichever worker needed it first)."""
    _build_once("template", _build_migrated_template)
    _copy_database("template", f"test_{_worker()}")
    return database_url


def _build_demo_template() -> None:
    """The demo as seed_demo() makes it on the pinned day, in a copy of the migrated template;
    the logins it returned are kept beside it."""
    from ramp.demo import seed_demo
    from ramp.extensions import db

    _build_once("template", _build_migrated_template)
    _copy_database("template", "demo")
    app = make_app(_database_url("demo"))
    with time_machine.travel(PINNED_NOW, tick=True), app.app_context():
        logins = seed_demo()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    (_shared() / "demo-logins.json").write_text(json.dumps(logins))


@pytest.fixture
def demo(app, migrated) -> list[tuple[str, str, str]]:
    """This test's database holds the demo as seed_demo() seeds it into an empty database on
    the pinned day; returns what that seed_demo() returned. Seeding takes half a minute, so it
    is done once per run and copied."""
    from ramp.extensions import db

    _build_once("demo", _build_demo_template)
    with app.app_context():
        db.session.remove()
    _copy_database("demo", f"test_{_worker()}")
    return [tuple(login) for login in json.loads((_shared() / "demo-logins.json").read_text())]


def _empty_tables(db) -> None:
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def app(migrated: str):
    """A fresh app on the migrated database; every table is emptied after the test."""
    app = make_app(migrated)
    yield app
    from ramp.extensions import db

    with app.app_context():
        db.session.remove()
        _empty_tables(db)
        db.engine.dispose()


@pytest.fixture
def db(app):
    from ramp.extensions import db

    return db


# Factories -------------------------------------------------------------------------------


@pytest.fixture
def make_user(app):
    """make_user(role="agent", team=None, email=None, name=None) -> User (committed)."""
    from ramp.accounts.operations import create_user
    from ramp.extensions import db

    counter = iter(range(1, 10_000))

    def make(role: str = "agent", team: str | None = None, email: str | None = None, name=None):
        n = next(counter)
        user = create_user(
            email or f"{role}{n}@example.com", name or f"{role.title()} {n}", PASSWORD, role, team
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_team(app):
    from ramp.accounts.operations import create_team
    from ramp.extensions import db

    def make(name: str, manager=None):
        team = create_team(name, manager.email if manager else None)
        db.session.commit()
        return team

    return make


@pytest.fixture
def mini_version(app):
    """The mini curriculum published as version 1."""
    from ramp.curricula.operations import publish_curriculum
    from ramp.curricula.spec import load_curriculum_file
    from ramp.extensions import db

    version = publish_curriculum(load_curriculum_file(str(FIXTURES / "mini.yaml"))).version
    db.session.commit()
    return version


@pytest.fixture
def learner(make_user, mini_version):
    """An agent enrolled in the mini curriculum: (user, enrollment)."""
    from ramp.curricula.operations import enroll
    from ramp.extensions import db

    user = make_user("agent")
    enrollment = enroll(user, mini_version)
    db.session.commit()
    return user, enrollment


# Web helpers -----------------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def lms_platform(name: str = "Moodle"):
    """A registered LMS platform (unsaved) with placeholder endpoints, for tests that need one."""
    from ramp.lti.models import LtiRegistration

    return LtiRegistration(
        name=name,
        issuer="https://lms.example",
        client_id="c",
        login_url="https://lms.example/a",
        token_url="https://lms.example/t",
        key_set_url="https://lms.example/k",
    )


def csrf_token(client, path: str = "/auth/login") -> str:
    """A CSRF token for the client's session, read from a page."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def login(client, email: str, password: str = PASSWORD):
    """Sign in through the real form."""
    token = csrf_token(client)
    return client.post(
        "/auth/login", data={"email": email, "password": password, "csrf_token": token}
    )


@pytest.fixture
def as_user(client):
    """as_user(user): sign the test client in as that user and return the client."""

    def sign_in(user):
        response = login(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


@pytest.fixture
def runner(app):
    """Runs the app's CLI commands."""
    return app.test_cli_runner()


@pytest.fixture
def ramp_world(app, make_user, make_team, mini_version):
    """A published mini template, two managers with a team and a cohort each, and a helper to hire.

    Returns a namespace: template, lead, other_lead, admin, cohort, other_cohort, hire(**kw).
    """
    from types import SimpleNamespace

    from ramp.extensions import db
    from ramp.milestones.operations import NewHire, add_hires, create_cohort, publish_template
    from ramp.milestones.template_spec import load_template_file

    modules = {"basics": True, "tone": True, "kb": False}
    template = publish_template(
        load_template_file(str(FIXTURES / "mini-template.yaml"), modules)
    ).version
    lead, other_lead, admin = make_user("manager"), make_user("manager"), make_user("admin")
    team, other_team = make_team("Chat", lead), make_team("Phone", other_lead)
    start = date.today() - timedelta(days=5)
    cohort = create_cohort("Wave A", start, template, mini_version, team)
    other_cohort = create_cohort("Wave B", start, template, mini_version, other_team)
    db.session.commit()
    counter = iter(range(1, 10_000))

    def hire(cohort=cohort, manager=lead, start_date=start, queue="general", name=None):
        n = next(counter)
        item = NewHire(
            name or f"Hire {n}",
            f"hire{n}@example.com",
            start_date,
            manager,
            cohort,
            {"queue": queue, "channel": "chat"},
        )
        [created] = add_hires([item], manager)
        created.user.set_password(PASSWORD)
        db.session.commit()
        return created

    return SimpleNamespace(
        template=template,
        lead=lead,
        other_lead=other_lead,
        admin=admin,
        cohort=cohort,
        other_cohort=other_cohort,
        start=start,
        hire=hire,
    )


def finish_modules(enrollment, *slugs: str) -> None:
    """Complete the lessons and pass the checks of the named modules (all when none named)."""
    from ramp.curricula import operations as learning
    from ramp.curricula import queries as cq

    for module in cq.load_version(enrollment.version_id).modules:
        if slugs and module.slug not in slugs:
            continue
        for lesson in module.lessons:
            learning.complete_lesson(enrollment, lesson)
        if module.assessment:
            key = cq.answer_key(module.assessment)
            learning.submit_attempt(
                enrollment, module.assessment, {q.id: q.correct_ids for q in key}
            )


@pytest.fixture(scope="session")
def redis_url():
    """A private Redis server on a Unix socket, for the Redis-backed job queue."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.exit("redis-server is not installed: run scripts/system-deps.sh --test", 2)
    tmp = Path(tempfile.mkdtemp(prefix=f"redis-{_worker()}-", dir=_shared()))
    sock = tmp / "redis.sock"
    proc = subprocess.Popen(
        [
            server,
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    pidfile = _shared() / f"redis-{_worker()}.pid"
    pidfile.write_text(str(proc.pid))  # for the watchdog, should this worker die
    import time

    for _ in range(100):
        if sock.exists():
            break
        time.sleep(0.05)
    try:
        yield f"unix://{sock}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        pidfile.unlink()
        shutil.rmtree(tmp, ignore_errors=True)


def make_ready(world, hire, sign_off: bool = True, modules: bool = True):
    """Bring a mini-template hire to readiness: modules done, milestones met, signed off."""
    from ramp.certificates.operations import sign_off_ready
    from ramp.extensions import db
    from ramp.milestones.operations import sign_off as sign_off_milestone
    from ramp.milestones.operations import waive

    if modules:
        finish_modules(hire.enrollment)
    sign_off_milestone(hire, "classroom", world.lead)
    sign_off_milestone(hire, "floor-ready", world.lead)
    waive(hire, "nesting-quality", world.lead, "QA sampled by hand during nesting")
    if sign_off:
        sign_off_ready(hire, world.lead, "Ready for the full mix")
    db.session.commit()
    return hire
