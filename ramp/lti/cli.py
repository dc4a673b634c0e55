"""Commands `ramp lti ...`: LTI 1.3 platform registrations, rosters and grade passback."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ramp.cli_support import committing, fail, found, require_schema
from ramp.errors import NotFound, ValidationError
from ramp.extensions import db
from ramp.lti.errors import PlatformError
from ramp.lti.grades import retry_failed, send_scores
from ramp.lti.launch import cleanup_states
from ramp.lti.models import LtiScorePost
from ramp.lti.registrations import (
    add_deployments,
    find_registration,
    list_registrations,
    register_platform,
    set_options,
)
from ramp.lti.roster import sync_roster

lti = click.Group("lti", help="LTI 1.3: platform registrations, rosters, grade passback.")


def registration_of(issuer: str, client_id: str):
    """The platform registered with this issuer and client id, or exit 1 saying there is none."""
    return found(
        find_registration(issuer, client_id),
        f"no platform is registered as {issuer} with client id {client_id}",
    )


@lti.command("register")
@click.option("--name", default="", help="A name for the platform (default: its host).")
@click.option("--issuer", required=True, help="The platform's issuer (iss).")
@click.option("--client-id", required=True, help="The client id the platform gave ramp.")
@click.option("--login-url", required=True, help="The platform's OIDC authentication URL.")
@click.option("--token-url", required=True, help="The platform's OAuth 2 access token URL.")
@click.option("--key-set-url", required=True, help="The platform's public key set (JWKS) URL.")
@click.option(
    "--deployment",
    "deployments",
    multiple=True,
    required=True,
    help="A deployment id (repeat for several).",
)
@click.option(
    "--token-audience",
    default=None,
    help="aud of ramp's client assertion, if not the token URL (Brightspace).",
)
@click.option(
    "--lms-origin",
    "lms_origins",
    multiple=True,
    help="Where the LMS's course pages are served, if not on the issuer's host "
    "(Canvas: https://school.instructure.com); repeat for several.",
)
@click.option(
    "--trust-emails",
    is_flag=True,
    help="The platform verifies addresses: a first launch may enter an existing "
    "password-less agent account with the same e-mail.",
)
@with_appcontext
def lti_register_command(
    name,
    issuer,
    client_id,
    login_url,
    token_url,
    key_set_url,
    deployments,
    token_audience,
    lms_origins,
    trust_emails,
):
    """Register a platform (an LMS) that launches ramp."""
    require_schema()
    with committing():
        reg = register_platform(
            name,
            issuer,
            client_id,
            login_url,
            token_url,
            key_set_url,
            list(deployments),
            token_audience=token_audience,
            lms_origins=list(lms_origins),
            trust_emails=trust_emails,
        )
    click.echo(
        f"registered {reg.name}: {reg.issuer} client {reg.client_id}, "
        f"{len(reg.deployments)} deployment(s)"
    )


@lti.command("add-deployment")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.argument("deployments", nargs=-1, required=True)
@with_appcontext
def lti_add_deployment_command(issuer, client_id, deployments):
    """Add deployment ids to a registered platform."""
    require_schema()
    reg = registration_of(issuer, client_id)
    added = add_deployments(reg, list(deployments))
    db.session.commit()
    click.echo(f"added {len(added)} deployment(s) to {reg.name}")


@lti.command("options")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option(
    "--lms-origin",
    "lms_origins",
    multiple=True,
    help="An origin the LMS's course pages are served from (replaces the list).",
)
@click.option(
    "--trust-emails/--no-trust-emails",
    default=False,
    help="Whether the platform's e-mail addresses may match existing accounts.",
)
@with_appcontext
def lti_options_command(issuer, client_id, lms_origins, trust_emails):
    """Set a registered platform's LMS origins and whether its e-mails are trusted."""
    require_schema()
    reg = registration_of(issuer, client_id)
    with committing():
        set_options(reg, list(lms_origins), trust_emails)
    origins = ", ".join(reg.lms_origins) or "none"
    click.echo(
        f"{reg.name}: LMS origins {origins}; e-mails {'trusted' if trust_emails else 'not trusted'}"
    )


@lti.command("list")
@with_appcontext
def lti_list_command():
    """List registered platforms with their deployments."""
    require_schema()
    for reg in list_registrations():
        deployments = ", ".join(d.deployment_id for d in reg.deployments) or "-"
        click.echo(f"{reg.name:24} {reg.issuer:40} {reg.client_id:24} {deployments}")


@lti.command("sync-roster")
@click.argument("context_id", type=int)
@with_appcontext
def lti_sync_roster_command(context_id):
    """Sync a course's roster (Names and Roles) into its cohort."""
    require_schema()
    try:
        click.echo(sync_roster(context_id))
    except (ValidationError, NotFound, PlatformError) as exc:
        db.session.rollback()
        fail(str(exc))


@lti.command("retry-grades")
@with_appcontext
def lti_retry_grades_command():
    """Send again the scores that failed to reach a platform."""
    require_schema()
    ids = retry_failed()
    db.session.commit()
    send_scores([db.session.get(LtiScorePost, i) for i in ids])
    click.echo(f"queued {len(ids)} score(s) again")


@lti.command("cleanup")
@with_appcontext
def lti_cleanup_command():
    """Delete used and expired launch states."""
    require_schema()
    removed = cleanup_states(force=True)
    db.session.commit()
    click.echo(f"removed {removed} launch state(s)")
