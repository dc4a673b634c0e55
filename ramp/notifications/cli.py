"""Commands `ramp notify ...`: send what is due, the daily run, the weekly digests (for cron;
see docs/notifications.md), and the schedule a Redis worker keeps."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ramp import clock
from ramp.cli_support import fail, require_schema
from ramp.extensions import db
from ramp.jobs import jobs
from ramp.notifications.digests import run_daily, weekly_digests
from ramp.notifications.sending import send_due

notify = click.Group("notify", help="Notifications: send, daily and weekly digests.")


@notify.command("send")
@with_appcontext
def send_command():
    """Send every queued message that is due (cron: every minute)."""
    require_schema()
    click.echo(f"notifications: {send_due()}")


@notify.command("daily")
@click.option("--no-send", is_flag=True, help="Queue the digests without sending them now.")
@with_appcontext
def daily_command(no_send):
    """The daily run: sign-offs waiting, certificates expiring, each user's digest (cron: daily)."""
    require_schema()
    report = run_daily()
    db.session.commit()
    click.echo(f"daily: {report}")
    if not no_send:
        click.echo(f"notifications: {send_due()}")


@notify.command("weekly")
@click.option("--no-send", is_flag=True, help="Queue the digests without sending them now.")
@with_appcontext
def weekly_command(no_send):
    """Each manager's summary of their team (cron: weekly, e.g. Monday morning)."""
    require_schema()
    queued = weekly_digests()
    db.session.commit()
    click.echo(f"weekly: {queued} digests queued")
    if not no_send:
        click.echo(f"notifications: {send_due()}")


@notify.command("schedule")
@with_appcontext
def schedule_command():
    """With Redis: queue the recurring job (send every minute, the daily and weekly runs)."""
    require_schema()
    if not current_app.config.get("REDIS_URL"):
        fail("set REDIS_URL to schedule with a Redis worker; without it, use cron (see docs)")
    jobs.submit_at(clock.now(), "notifications", "ramp.notifications.schedule.tick")
    click.echo("scheduled: `ramp worker` runs the notifications from now on")
