"""Commands `ramp scim ...`: the role each SCIM group (team) gives its members."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ramp.cli_support import committing, require_schema
from ramp.scim.operations import map_group_role

scim = click.Group("scim", help="SCIM provisioning: the role each group gives its members.")


@scim.command("group-role")
@click.argument("team")
@click.argument("role", type=click.Choice(["agent", "manager", "admin", "none"]))
@with_appcontext
def group_role_command(team, role):
    """Give the members an identity provider puts in TEAM the ROLE (none: leave roles alone)."""
    require_schema()
    with committing():
        map_group_role(team, None if role == "none" else role, None)
    click.echo(f"Members of {team} provisioned through SCIM get the role {role}.")
