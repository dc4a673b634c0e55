"""Command line: `ramp users|teams|curricula|i18n|demo|db ...` (also `flask --app ramp ...`).

Each area keeps its commands beside its operations (ramp/<area>/cli.py); this module only
gathers them: by import path, so that `ramp --help` loads none of them and a command loads
its own area only. Each command runs in the app it needs: the command line's app (the
database, no web layer), that app with Flask-Migrate for `db`, or the whole web app for the
commands that serve it or look into it (`run`, `shell`, `routes`, `demo`, `limiter`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import partial

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo

import ramp
from ramp.lazy_commands import Lazy, LazyGroup, load_command

# The app a command runs in, by name; every other command: create_app(web=False).
WEB_APP = {"run", "shell", "routes", "demo", "limiter"}
MIGRATING_APP = {"db"}

# ramp's own commands, each area's group: what app.cli gets too.
COMMANDS = {
    "users": Lazy("ramp.accounts.cli:users", "Create, list, change and deactivate users."),
    "teams": Lazy("ramp.accounts.cli:teams", "Create teams and put agents in them."),
    "scim": Lazy("ramp.scim.cli:scim", "SCIM provisioning: the role each group gives its members."),
    "curricula": Lazy(
        "ramp.curricula.cli:curricula", "Import, export, list curricula and enroll learners."
    ),
    "templates": Lazy("ramp.milestones.cli:templates_group", "Import and export ramp templates."),
    "cohorts": Lazy("ramp.milestones.cli:cohorts", "Create and list cohorts (hiring classes)."),
    "hires": Lazy("ramp.milestones.cli:hires", "Add hires from a roster CSV; transfer an agent."),
    "milestones": Lazy("ramp.milestones.cli:milestones", "Evaluate ramp plans."),
    "coaching": Lazy(
        "ramp.coaching.cli:coaching",
        "Coaching rules: publish, export, and the daily run (for cron).",
    ),
    "records": Lazy(
        "ramp.metrics.cli:records",
        "Import QA evaluations and contacts from exports; list and undo imports.",
    ),
    "tokens": Lazy(
        "ramp.metrics.cli:tokens", "API tokens for other systems: create, list, revoke."
    ),
    "forecast": Lazy(
        "ramp.forecast.cli:forecast", "Ramp curves and projected proficiency: the backtest."
    ),
    "keys": Lazy("ramp.keys.cli:keys", "The tool's signing keys (LTI messages, credentials)."),
    "certificates": Lazy(
        "ramp.certificates.cli:certificates_group",
        "Readiness certificates: list, issue, revoke, print.",
    ),
    "lti": Lazy("ramp.lti.cli:lti", "LTI 1.3: platform registrations, rosters, grade passback."),
    "i18n": Lazy(
        "ramp.i18n.cli:i18n", "Translations: extract, update, compile and check the catalogues."
    ),
    "notify": Lazy(
        "ramp.notifications.cli:notify", "Notifications: send, daily and weekly digests."
    ),
    "worker": Lazy(
        "ramp.jobs:worker_command", "Run background jobs from the Redis queue (needs REDIS_URL)."
    ),
    "demo": Lazy(
        "ramp.demo:demo_command",
        "Migrate the database, load the starter curriculum and demo users, and serve.",
    ),
}

# Commands an area adds to another area's group: `ramp users link` and `ramp users import`
# match people to their ids in the other tools, which the metrics area keeps.
SUBCOMMANDS = {
    "users": {
        "link": Lazy(
            "ramp.metrics.cli:link_user_command",
            "Link an agent to their id in another tool, so imports can match them by it.",
        ),
        "link-helpdesk": Lazy(
            "ramp.metrics.cli:link_helpdesk_command",
            "Link many agents' helpdesk ids at once, from the helpdesk's users export.",
        ),
        "import": Lazy(
            "ramp.metrics.cli:import_users_command",
            "Create or update many users, their teams and their ids in other tools, from a CSV.",
        ),
    },
}

# Flask-Migrate's and Flask-Limiter's commands, which `flask` finds through the app and
# through plugins; the `ramp` command names them itself.
EXTENSION_COMMANDS = {
    "db": Lazy("flask_migrate.cli:db", "Perform database migrations."),
    "limiter": Lazy("flask_limiter.commands:cli", "Flask-Limiter maintenance & utility commands"),
}


def gathered(name: str) -> click.Command:
    """One of COMMANDS, loaded, with the subcommands other areas add to it."""
    command = load_command(COMMANDS[name].path)
    if name in SUBCOMMANDS:
        command.lazy_subcommands.update(SUBCOMMANDS[name])
    return command


def init_app(app: Flask) -> None:
    """Attach ramp's command groups to the app's CLI (`flask --app ramp ...`, the tests)."""
    for name in COMMANDS:
        app.cli.add_command(gathered(name), name)


def app_factory(name: str) -> Callable[[], Flask]:
    """How to build the app the command `name` runs in."""
    if name in WEB_APP:
        return partial(_built, ramp.create_app)
    return partial(_built, partial(ramp.create_app, web=False, migrations=name in MIGRATING_APP))


def _built(create: Callable[[], Flask]) -> Flask:
    """The app, after which the command runs with the cyclic collector (see RampGroup.main)."""
    app = create()
    _resume_collector()
    return app


# Whether RampGroup.main paused the collector, which it then turns back on; and whether it
# froze what was loaded meanwhile, which the next command thaws (in a process that runs
# several, as the tests do).
_paused: list[bool] = []
_frozen: list[bool] = []


def _resume_collector() -> None:
    if _paused and _paused.pop():
        # What loading made lives as long as the process: frozen, no collection walks it
        # again. The first one after the pause would walk all of it (40 ms of the start-up
        # of `ramp users list`).
        gc.freeze()
        _frozen.append(True)
        gc.enable()


class RampGroup(LazyGroup, FlaskGroup):
    """Flask's group (its options, `run`, `shell` and `routes`) whose other commands are
    ramp's, loaded by name, each run in the app it needs. No app is built for the help."""

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        ctx.ensure_object(ScriptInfo).create_app = app_factory(name)
        if name in COMMANDS and name not in self.commands:
            self.add_command(gathered(name), name)
        return super().get_command(ctx, name)

    def main(self, *args, **kwargs):
        """Run a command. Until its app is built, the cyclic garbage collector is paused:
        loading a command's modules and the libraries under them makes hundreds of thousands
        of objects that live as long as the process and hardly any garbage, and collecting
        while they pile up scans them over and over (about a sixth of the start-up time of
        `ramp users list`). The command itself runs with the collector on, and with what
        was loaded until then frozen (gc.freeze) so its collections leave it alone. It stays
        frozen when the command returns: the process ends, and the collection at its exit
        would walk it all once more (another 100 ms). A process that runs another command
        (the tests) thaws it first."""
        if _frozen and _frozen.pop():
            gc.unfreeze()
        _paused.append(gc.isenabled())
        gc.disable()
        try:
            return super().main(*args, **kwargs)
        finally:
            _resume_collector()


main = RampGroup(
    create_app=app_factory(""),
    help="ramp: onboarding and ramp tracking for support teams.",
    lazy_subcommands={**COMMANDS, **EXTENSION_COMMANDS},
)
