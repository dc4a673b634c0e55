"""The schema's migrations: Flask-Migrate (Alembic) on an app, for `ramp db`, the demo and
the tests. Only an app that migrates loads it; every other one checks its database against
ramp.database.MIGRATION_HEADS."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask_migrate import Migrate

from ramp import resource_dir
from ramp.extensions import db

migrate = Migrate(render_as_batch=True, compare_type=True)


def init_app(app: Flask) -> None:
    """Attach Flask-Migrate, with ramp's migrations folder, and its `db` commands."""
    migrate.init_app(app, db, directory=resource_dir("migrations"))


def migration_heads() -> set[str]:
    """The revisions of the newest migrations in the migrations folder, as Alembic reads them."""
    state = current_app.extensions["migrate"]
    config = state.migrate.get_config(state.directory)
    return set(ScriptDirectory.from_config(config).get_heads())
