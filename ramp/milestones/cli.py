"""Commands `ramp templates|cohorts|hires|milestones ...`: ramp templates, hiring classes,
the hires in them, and the daily evaluation of their plans."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext

from ramp import clock
from ramp.accounts.operations import find_team, find_user_by_email
from ramp.cli_support import committing, echo_published, fail, found, refusals, require_schema
from ramp.curricula.queries import find_version
from ramp.extensions import db
from ramp.milestones import plans
from ramp.milestones.operations import (
    add_hires,
    check_template,
    create_cohort,
    evaluate_hires,
    publish_template,
    transfer_hire,
)
from ramp.milestones.queries import cohorts_by_start, find_cohort, find_template_version
from ramp.milestones.roster import RosterError, parse_roster
from ramp.milestones.template_spec import dump_template
from ramp.yamlspec import SpecFileError, read_text

templates_group = click.Group("templates", help="Import and export ramp templates.")
cohorts = click.Group("cohorts", help="Create and list cohorts (hiring classes).")
hires = click.Group("hires", help="Add hires from a roster CSV; transfer an agent.")
milestones = click.Group("milestones", help="Evaluate ramp plans.")


def parse_day(text: str, problems: list[str]) -> date | None:
    """The date `text` names (YYYY-MM-DD); None, with a problem noted, when it names none."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"'{text}' is not a date (use YYYY-MM-DD)")
        return None


@templates_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file only; publish nothing.")
@with_appcontext
def import_template_command(path, dry_run):
    """Check a ramp template file and publish it as a new version."""
    require_schema()
    try:
        with refusals():
            spec = check_template(read_text(path), path)
    except SpecFileError as exc:
        click.echo(exc.report(), err=True)
        fail(f"{len(exc.errors)} problem(s) in {path}; nothing was published.")
    summary = f"{len(spec.phases)} phases, {len(spec.milestones)} milestones"
    if dry_run:
        click.echo(f"{path}: valid ({summary}); nothing published (dry run)")
        return
    result = publish_template(spec)
    db.session.commit()
    echo_published("template ", spec.slug, result, summary)


@templates_group.command("export")
@click.argument("slug")
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
@with_appcontext
def export_template_command(slug, number):
    """Write a published template version back to YAML."""
    require_schema()
    version = found(
        find_template_version(slug, number),
        f"no template '{slug}'" + (f" version {number}" if number else ""),
    )
    click.echo(dump_template(plans.template_from_document(version.document)), nl=False)


@cohorts.command("create")
@click.argument("name")
@click.option("--start", "start", required=True, help="Start date, YYYY-MM-DD.")
@click.option("--template", "template_slug", required=True, help="Ramp template slug.")
@click.option("--curriculum-version", type=int, help="Curriculum version (default: the latest).")
@click.option("--team", help="Team name.")
@with_appcontext
def create_cohort_command(name, start, template_slug, curriculum_version, team):
    """Create a cohort (hiring class)."""
    require_schema()
    problems = []
    start_date = parse_day(start, problems)
    template = find_template_version(template_slug)
    if template is None:
        problems.append(f"no template '{template_slug}'")
    team_row = find_team(team) if team else None
    if team and team_row is None:
        problems.append(f"unknown team '{team}'")
    version = None
    if template is not None and curriculum_version:
        slug = plans.template_from_document(template.document).curriculum
        version = find_version(slug, curriculum_version)
        if version is None:
            problems.append(f"no curriculum '{slug}' version {curriculum_version}")
    if problems:
        fail(problems)
    with committing():
        cohort = create_cohort(name, start_date, template, version, team_row)
    click.echo(
        f"created cohort {cohort.name} starting {cohort.start_date} ({cohort.template_version.label}, {cohort.curriculum_version.label})"
    )


@cohorts.command("list")
@with_appcontext
def list_cohorts_command():
    """List cohorts."""
    require_schema()
    for c in cohorts_by_start():
        click.echo(
            f"{c.start_date}  {c.name:30} {len(c.hires):4} hires  {c.template_version.label}"
        )


@hires.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the roster only; create nothing.")
@with_appcontext
def import_roster_command(path, dry_run):
    """Add hires from a roster CSV (name, email, start_date, manager, cohort, placement columns)."""
    require_schema()
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}")
    try:
        new_hires = parse_roster(text)
    except RosterError as exc:
        for problem in exc.problems:
            click.echo(f"{path}: {problem}", err=True)
        fail(f"{len(exc.problems)} problem(s) in {path}; nothing was imported.")
    if dry_run:
        click.echo(f"{path}: valid ({len(new_hires)} hires); nothing imported (dry run)")
        return
    created = add_hires(new_hires, None)
    db.session.commit()
    click.echo(f"imported {len(created)} hires from {path}")


@hires.command("transfer")
@click.argument("email")
@click.option("--cohort", "cohort_name", required=True, help="The cohort they move into.")
@click.option("--manager", "manager_email", help="Their new manager's e-mail.")
@click.option("--reason", required=True, help="Why; kept in the audit log.")
@click.option("--start", help="Start date of the new hire, YYYY-MM-DD (default: as before).")
@with_appcontext
def transfer_hire_command(email, cohort_name, manager_email, reason, start):
    """Move an agent to another team's cohort: their old hires end, a new one begins."""
    require_schema()
    problems = []
    cohort = find_cohort(cohort_name)
    if cohort is None:
        problems.append(f"no cohort named '{cohort_name}'")
    manager = find_user_by_email(manager_email) if manager_email else None
    if manager_email and manager is None:
        problems.append(f"no one with the e-mail '{manager_email}'")
    start_date = parse_day(start, problems) if start else None
    if problems:
        fail(problems)
    with committing():
        hire = transfer_hire(email, cohort, manager, None, reason, start_date)
    click.echo(f"{hire.user.email} is now a hire in {cohort.name} from {hire.start_date}")


@milestones.command("evaluate")
@click.option("--date", "on", help="Evaluate as of this date (YYYY-MM-DD); default today.")
@with_appcontext
def evaluate_command(on):
    """Evaluate every active hire's plan (meant for a daily schedule; safe to run twice)."""
    require_schema()
    problems = []
    today = parse_day(on, problems) if on else clock.today()
    if problems:
        fail(problems)
    changed = evaluate_hires(None, today)
    db.session.commit()
    click.echo(f"evaluated ramp plans as of {today}: {changed} milestone(s) changed")
