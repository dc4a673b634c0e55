"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from ramp.database import MIGRATION_HEADS, current_revisions, schema_problem
from ramp.schema import migration_heads

# Indexes on an expression, which SQLAlchemy cannot read back from SQLite (Alembic says so
# and leaves them out of the comparison there): on SQLite they are checked by name.
EXPRESSION_INDEXES = {"ix_users_email_lower"}


def test_migrated_schema_matches_the_models(db):
    sqlite = db.engine.dialect.name == "sqlite"
    with db.engine.connect() as conn, warnings.catch_warnings():
        if sqlite:
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
            named = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'")
            assert set(named.scalars()) >= EXPRESSION_INDEXES
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_an_email_lookup_uses_its_index(db):
    from sqlalchemy import func, select

    from ramp.accounts.models import User

    lookup = select(User.id).where(func.lower(User.email) == "ana@example.com")
    explain = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")  # an empty table: ask for the index
        compiled = lookup.compile(conn, compile_kwargs={"literal_binds": True})
        plan = " ".join(str(r) for r in conn.exec_driver_sql(explain + str(compiled)).all())
    assert "ix_users_email_lower" in plan, plan


def test_database_is_at_head(db):
    assert current_revisions(db.engine) == migration_heads()
    assert schema_problem(db.engine) is None


def test_the_expected_revision_is_the_newest_migration(app):
    # The schema check reads MIGRATION_HEADS instead of loading Alembic: a new migration
    # must name itself there.
    with app.app_context():
        heads = migration_heads()
    assert heads == MIGRATION_HEADS, f"set ramp.database.MIGRATION_HEADS to {sorted(heads)}"


def test_a_database_behind_or_unmigrated_is_a_problem(db):
    (revision,) = current_revisions(db.engine)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0014'")
    try:
        assert schema_problem(db.engine) == (
            "The database is at an older version than this release of ramp."
        )
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM alembic_version")
        assert schema_problem(db.engine) == "The database has not been set up yet."
    finally:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM alembic_version")
            conn.execute(
                text("INSERT INTO alembic_version (version_num) VALUES (:r)"), {"r": revision}
            )


def test_sqlite_pragmas_are_on(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings; this run is on PostgreSQL")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_a_released_savepoint_is_undone_by_the_session_rollback(db, make_user):
    """A savepoint opened first in a transaction stays inside it (SQLite would commit it)."""
    from sqlalchemy import func, select

    from ramp.accounts.models import User

    make_user("agent", email="first@example.com")
    db.session.close()
    with db.session.begin_nested():  # the first statement of the session's transaction
        db.session.execute(
            User.__table__.update().where(User.email == "first@example.com").values(name="Changed")
        )
    db.session.rollback()
    assert (
        db.session.execute(select(User.name).where(User.email == "first@example.com")).scalar()
        != "Changed"
    )
    with db.session.begin_nested():
        db.session.execute(User.__table__.delete())
    db.session.commit()
    assert db.session.execute(select(func.count()).select_from(User)).scalar() == 0
