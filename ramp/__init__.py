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


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints (ramp.web), CLI."""
    # Imported here, not at the top: every ramp module imports this package first, so the
    # whole application is loaded only when one is built.
    from ramp import cli, database, models, web  # noqa: F401  (models: the whole schema)
    from ramp.config import build_config
    from ramp.extensions import csrf, db, htmx, limiter, login_manager, migrate
    from ramp.jobs import jobs
    from ramp.jsonsafe import SafeJSONProvider

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
    if app.config["PROXY_COUNT"]:
        # Behind a proxy: the client's address (rate limits) and the public scheme and host
        # come from the proxy's X-Forwarded-* headers, trusted for this many proxies only.
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    db.init_app(app)
    migrate.init_app(app, db, directory=resource_dir("migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    jobs.init_app(app)

    with app.app_context():
        database.configure_engine(db.engine)

    app.url_map.converters["int"] = web.RecordId  # before the routes are added
    for blueprint in web.BLUEPRINTS:
        app.register_blueprint(blueprint)
    web.init_app(app)
    cli.init_app(app)
    return app
