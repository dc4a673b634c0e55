"""ramp: onboarding and ramp tracking for customer-support teams."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> str:
    """A resource folder: at the repository root, or inside the package of an installed wheel."""
    inside = PACKAGE_DIR / name
    return str(inside if inside.is_dir() else PACKAGE_DIR.parent / name)


def create_app(
    test_config: dict | None = None, *, web: bool = True, migrations: bool | None = None
) -> Flask:
    """Build the application: configuration, the database, and with `web` (what `flask run`
    and gunicorn serve) the web layer (ramp.web: blueprints, sign-in, CSRF, rate limits,
    headers) and every command on app.cli. `migrations` (by default: with the web layer)
    attaches Flask-Migrate and its `db` commands. The `ramp` command builds the app each of
    its commands needs (ramp.cli): most of them, web=False."""
    # Imported here, not at the top: every ramp module imports this package first, so an app's
    # modules are loaded only when one is built, and the web layer, Alembic and the whole
    # schema only for an app that has them. (A command line app's commands import the models
    # they use; each model module imports the models it refers to.)
    from ramp import database, i18n
    from ramp.coaching import listeners as coaching_listeners
    from ramp.config import build_config
    from ramp.extensions import db
    from ramp.jobs import jobs
    from ramp.jsonsafe import SafeJSONProvider
    from ramp.notifications import hooks as notification_hooks
    from ramp.skills import listeners as skill_listeners

    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=resource_dir("templates"),
        static_folder=resource_dir("static"),
    )
    app.json = SafeJSONProvider(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(build_config(app.instance_path))
    if test_config:
        app.config.update(test_config)

    db.init_app(app)
    jobs.init_app(app)
    i18n.init_app(app)
    coaching_listeners.register()
    skill_listeners.register()
    notification_hooks.register()
    with app.app_context():
        database.configure_engine(db.engine)
    if web or migrations:
        from ramp import models  # noqa: F401  (the whole schema, which Alembic compares)
    if web if migrations is None else migrations:
        from ramp import schema

        schema.init_app(app)
    if web:
        from ramp import cli
        from ramp import web as web_layer

        if app.config["PROXY_COUNT"]:
            # Behind a proxy: the client's address (rate limits) and the public scheme and
            # host come from the proxy's X-Forwarded-* headers, trusted for this many
            # proxies only.
            n = app.config["PROXY_COUNT"]
            app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
        web_layer.init_app(app)
        cli.init_app(app)
    return app
