"""Command line: `ramp users|teams|curricula|demo|db ...` (also `flask --app ramp ...`).

Each area keeps its commands beside its operations (ramp/<area>/cli.py); this module only
gathers them into the `ramp` command and the app's CLI.
"""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup

import ramp
from ramp.accounts.cli import teams, users
from ramp.certificates.cli import certificates_group
from ramp.curricula.cli import curricula
from ramp.demo import demo_command
from ramp.jobs import worker_command
from ramp.keys.cli import keys
from ramp.lti.cli import lti
from ramp.metrics.cli import link_user_command, records, tokens
from ramp.milestones.cli import cohorts, hires, milestones, templates_group

# `ramp users link` matches agents to their ids in other tools, which imports use.
users.add_command(link_user_command)

COMMANDS = (
    users,
    teams,
    curricula,
    templates_group,
    cohorts,
    hires,
    milestones,
    records,
    tokens,
    keys,
    certificates_group,
    lti,
    worker_command,
    demo_command,
)


def init_app(app: Flask) -> None:
    """Attach the command groups to the app's CLI."""
    for command in COMMANDS:
        app.cli.add_command(command)


def _create_app() -> Flask:
    # Looked up when the CLI runs, not imported: the factory imports this module.
    return ramp.create_app()


main = FlaskGroup(
    create_app=_create_app, help="ramp: onboarding and ramp tracking for support teams."
)
