"""Commands `ramp coaching ...`: publish and export the coaching rules, and the daily run."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ramp import clock
from ramp.cli_support import committing, fail, require_schema
from ramp.coaching.operations import check_rules, daily, publish_rules
from ramp.coaching.queries import current_version
from ramp.extensions import db
from ramp.milestones.cli import parse_day
from ramp.yamlspec import SpecFileError, read_text

coaching = click.Group(
    "coaching", help="Coaching rules: publish, export, and the daily run (for cron)."
)


@coaching.command("publish")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file only; publish nothing.")
@with_appcontext
def publish_command(path, dry_run):
    """Check a coaching rules file against the data and publish it as the rules in force."""
    require_schema()
    try:
        text = read_text(path)
        spec = check_rules(text, path)
    except SpecFileError as exc:
        click.echo(exc.report(), err=True)
        fail("the rules file has problems; nothing was published.")
    if dry_run:
        click.echo(f"{path}: {len(spec.rules)} rule(s), all checks passed (nothing published)")
        return
    with committing():
        version = publish_rules(spec, None, source=text)
    click.echo(f"published coaching rules version {version.number} ({len(spec.rules)} rule(s))")


@coaching.command("export")
@with_appcontext
def export_command():
    """Print the coaching rules in force, as they were published."""
    require_schema()
    version = current_version()
    if version is None:
        fail("no coaching rules are published yet (see `ramp coaching publish`).")
    click.echo(version.source, nl=not version.source.endswith("\n"))


@coaching.command("run")
@click.option("--date", "on", help="Run as of this date (YYYY-MM-DD); default today.")
@with_appcontext
def run_command(on):
    """Run every rule for every active hire and mark overdue refreshers (daily, from cron)."""
    require_schema()
    problems: list[str] = []
    today = parse_day(on, problems) if on else clock.today()
    if problems or today is None:
        fail(problems)
    result = daily(today)
    db.session.commit()
    if result.run.rules_version is None:
        click.echo(f"{today}: no coaching rules are published; nothing to run")
    else:
        for key, count in result.run.counts.items():
            click.echo(f"{key}: {count} assignment(s) opened")
    click.echo(
        f"{today}: {result.run.total} refresher(s) assigned, "
        f"{len(result.overdue)} newly overdue, {result.reevaluated} milestone(s) changed"
    )
