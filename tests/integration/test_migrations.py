"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ramp.database import current_revisions, migration_heads, schema_problem


def test_migrated_schema_matches_the_models(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_database_is_at_head(db):
    assert current_revisions(db.engine) == migration_heads()
    assert schema_problem(db.engine) is None


def test_sqlite_pragmas_are_on(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings; this run is on PostgreSQL")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
