"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from ramp.database import MIGRATION_HEADS, current_revisions, schema_problem
from ramp.schema import migration_heads


def test_migrated_schema_matches_the_models(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


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
