"""Engine settings, the check that the schema is migrated, and list paging."""

from __future__ import annotations

from sqlalchemy import Engine, event, inspect, text

# The revision the code expects the database to be at: the head of migrations/versions.
# Kept here so that checking a database costs one query and no Alembic (loading Alembic and
# reading every migration would cost each command about a fifth of a second);
# tests/integration/test_migrations.py fails until a new migration's revision is written here.
MIGRATION_HEADS = frozenset({"0028"})


def page_of(total: int, size: int, asked: int) -> tuple[int, int]:
    """The page to show of `total` rows, `size` to a page, and how many pages there are:
    the page asked for, kept between the first and the last (one page when there are none)."""
    pages = max(1, -(-total // size))
    return min(max(asked, 1), pages), pages


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _begin_before_savepoint(connection, _name) -> None:
    # Python's sqlite3 opens a transaction only before INSERT, UPDATE or DELETE. A SAVEPOINT
    # sent first would open one of its own, which its RELEASE commits: the work inside it
    # would outlive a rollback of the session. So the transaction is opened first, IMMEDIATE
    # (taking the write lock, waiting up to the busy timeout): what a savepoint guards writes.
    dbapi_connection = connection.connection.dbapi_connection
    if not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN IMMEDIATE")


def configure_engine(engine: Engine) -> None:
    """SQLite: WAL, foreign keys on, a busy timeout, true savepoints. PostgreSQL: nothing."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _sqlite_pragmas):
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "savepoint", _begin_before_savepoint)


def current_revisions(engine: Engine) -> set[str]:
    """The revisions the database is at (empty for a new database), from Alembic's table."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return set()
        return set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def schema_problem(engine: Engine) -> str | None:
    """A sentence for the user when the database is not migrated, else None."""
    current = current_revisions(engine)
    if current == MIGRATION_HEADS:
        return None
    if not current:
        return "The database has not been set up yet."
    return "The database is at an older version than this release of ramp."
