"""Commands `ramp keys ...`: the tool's signing keys, listed and rotated."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext

from ramp.cli_support import require_schema
from ramp.extensions import db
from ramp.keys.operations import PURPOSES, all_keys, rotate_key

keys = click.Group("keys", help="The tool's signing keys (LTI messages, credentials).")


@keys.command("list")
@with_appcontext
def list_keys_command():
    """List the signing keys: purpose, kid, and whether each signs or is only published."""
    require_schema()
    for key in all_keys():
        if key.retired_at is None:
            state = "signs"
        else:
            state = f"retired {key.retired_at:%Y-%m-%d}, published until {key.expires_at:%Y-%m-%d %H:%M}"
        click.echo(f"{key.purpose:12} {key.kid}  {state}")


@keys.command("rotate")
@click.argument("purpose", type=click.Choice(PURPOSES))
@click.option(
    "--overlap-days",
    default=7,
    show_default=True,
    type=click.IntRange(min=0),
    help="How long the old key stays published beside the new one.",
)
@with_appcontext
def rotate_keys_command(purpose, overlap_days):
    """Make a new signing key; the old one stays in the key set for the overlap."""
    require_schema()
    key = rotate_key(purpose, timedelta(days=overlap_days))
    db.session.commit()
    click.echo(
        f"{purpose} now signs with {key.kid}; the previous key is published for {overlap_days} more day(s)"
    )
