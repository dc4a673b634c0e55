"""Commands `ramp users ...` and `ramp teams ...`: people, their roles and their teams."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ramp.accounts.models import User
from ramp.accounts.operations import (
    add_to_team,
    create_team,
    create_user,
    deactivate_user,
    find_team,
    find_user_by_email,
    reactivate_user,
    remove_from_team,
    update_team,
    update_user,
)
from ramp.accounts.queries import user_listing
from ramp.cli_support import committing, found, require_schema
from ramp.lazy_commands import LazyGroup

NO_SUCH_USER = "no user with e-mail {email}"
ROLES = ["agent", "manager", "admin"]

# LazyGroup: ramp.cli adds the commands of other areas that concern users (`link`, `import`).
users = LazyGroup("users", help="Create, list, change and deactivate users.")
teams = click.Group("teams", help="Create teams and put agents in them.")


def user_by_email(email: str, missing: str = "no user has the e-mail {email}") -> User:
    """The user with this e-mail, or exit 1 saying there is none (for every area's commands)."""
    return found(find_user_by_email(email), missing.format(email=email))


@users.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", type=click.Choice(ROLES), default="agent")
@click.option("--team", help="Team name (for agents).")
@click.password_option(help="Password (asked for when not given).")
@with_appcontext
def create_user_command(email, name, role, team, password):
    """Create a user."""
    require_schema()
    with committing():
        user = create_user(email, name, password, role, team)
    click.echo(f"created {user.role.value} {user.email}")


@users.command("list")
@with_appcontext
def list_users_command():
    """List users with their role, team and whether they can sign in."""
    require_schema()
    for user in user_listing():
        team = user.team if user.team is not None else "-"
        state = "" if user.is_active_account else "  (deactivated)"
        click.echo(f"{user.role.value:8} {user.email:40} {user.name:30} {team}{state}")


@users.command("update")
@click.argument("email")
@click.option("--name", help="New full name.")
@click.option("--role", type=click.Choice(ROLES), help="New role.")
@click.option("--team", help='Team name; "" takes the user out of their team.')
@with_appcontext
def update_user_command(email, name, role, team):
    """Change a user's name, role or team."""
    require_schema()
    user = user_by_email(email, NO_SUCH_USER)
    with committing():
        update_user(user, role=role, team=team, name=name)
    team_name = user.team.name if user.team else "no team"
    click.echo(f"{user.email}: {user.name}, {user.role.value}, {team_name}")


@users.command("deactivate")
@click.argument("email")
@click.option("--reason", help="Why (kept in the audit log).")
@with_appcontext
def deactivate_user_command(email, reason):
    """Stop a user signing in; their history stays."""
    require_schema()
    user = user_by_email(email, NO_SUCH_USER)
    with committing():
        deactivate_user(user, reason=reason)
    click.echo(f"{user.email} is deactivated and can no longer sign in")


@users.command("reactivate")
@click.argument("email")
@with_appcontext
def reactivate_user_command(email):
    """Let a deactivated user sign in again."""
    require_schema()
    user = user_by_email(email, NO_SUCH_USER)
    with committing():
        reactivate_user(user)
    click.echo(f"{user.email} can sign in again")


@teams.command("create")
@click.argument("name")
@click.option("--manager", "manager_email", help="E-mail of the manager who leads the team.")
@with_appcontext
def create_team_command(name, manager_email):
    """Create a team."""
    require_schema()
    with committing():
        team = create_team(name, manager_email)
    click.echo(f"created team {team.name}")


@teams.command("add")
@click.argument("team")
@click.argument("email")
@with_appcontext
def add_member_command(team, email):
    """Put a user in a team."""
    require_schema()
    with committing():
        add_to_team(email, team)
    click.echo(f"{email} is in {team}")


@teams.command("remove")
@click.argument("team")
@click.argument("email")
@with_appcontext
def remove_member_command(team, email):
    """Take a user out of a team."""
    require_schema()
    with committing():
        remove_from_team(email, team)
    click.echo(f"{email} is no longer in {team}")


@teams.command("update")
@click.argument("team")
@click.option("--name", help="New name.")
@click.option("--manager", "manager_email", help='E-mail of the new manager ("" for none).')
@with_appcontext
def update_team_command(team, name, manager_email):
    """Rename a team or change its manager."""
    require_schema()
    row = found(find_team(team), f"unknown team '{team}'")
    if manager_email is None:
        manager_email = row.manager.email if row.manager else None
    with committing():
        update_team(row, name if name is not None else row.name, manager_email)
    lead = row.manager.email if row.manager else "no manager"
    click.echo(f"team {row.name}, led by {lead}")
