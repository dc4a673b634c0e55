"""Command line: `ramp users|teams|curricula|demo|db ...` (also `flask --app ramp ...`)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from ramp import clock
from ramp.errors import ValidationError
from ramp.extensions import db


def _fail(problems: list[str] | str) -> None:
    problems = [problems] if isinstance(problems, str) else problems
    for problem in problems:
        click.secho(f"error: {problem}", fg="red", err=True)
    sys.exit(1)


def require_schema() -> None:
    """Stop with a clear message when the database is not migrated."""
    from ramp.database import schema_problem

    problem = schema_problem(db.engine)
    if problem:
        _fail(f"{problem} Run `ramp db upgrade` first.")


# users and teams -------------------------------------------------------------------------

users = click.Group("users", help="Create, list, change and deactivate users.")
teams = click.Group("teams", help="Create teams and put agents in them.")


@users.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", type=click.Choice(["agent", "manager", "admin"]), default="agent")
@click.option("--team", help="Team name (for agents).")
@click.password_option(help="Password (asked for when not given).")
@with_appcontext
def create_user_command(email, name, role, team, password):
    """Create a user."""
    from ramp.accounts.operations import create_user

    require_schema()
    try:
        user = create_user(email, name, password, role, team)
    except ValidationError as exc:
        db.session.rollback()
        _fail(exc.problems)
    db.session.commit()
    click.echo(f"created {user.role.value} {user.email}")


@users.command("list")
@with_appcontext
def list_users_command():
    """List users with their role, team and whether they can sign in."""
    from ramp.accounts.queries import list_users

    require_schema()
    for user in list_users():
        team = user.team.name if user.team else "-"
        state = "" if user.is_active_account else "  (deactivated)"
        click.echo(f"{user.role.value:8} {user.email:40} {user.name:30} {team}{state}")


def _user_or_fail(email: str):
    from ramp.accounts.operations import find_user_by_email

    user = find_user_by_email(email)
    if user is None:
        _fail(f"no user with e-mail {email}")
    return user


@users.command("update")
@click.argument("email")
@click.option("--name", help="New full name.")
@click.option("--role", type=click.Choice(["agent", "manager", "admin"]), help="New role.")
@click.option("--team", help='Team name; "" takes the user out of their team.')
@with_appcontext
def update_user_command(email, name, role, team):
    """Change a user's name, role or team."""
    from ramp.accounts.operations import update_user

    require_schema()
    user = _user_or_fail(email)
    with _refusals():
        update_user(user, role=role, team=team, name=name)
    db.session.commit()
    team_name = user.team.name if user.team else "no team"
    click.echo(f"{user.email}: {user.name}, {user.role.value}, {team_name}")


@users.command("deactivate")
@click.argument("email")
@click.option("--reason", help="Why (kept in the audit log).")
@with_appcontext
def deactivate_user_command(email, reason):
    """Stop a user signing in; their history stays."""
    from ramp.accounts.operations import deactivate_user

    require_schema()
    user = _user_or_fail(email)
    with _refusals():
        deactivate_user(user, reason=reason)
    db.session.commit()
    click.echo(f"{user.email} is deactivated and can no longer sign in")


@users.command("reactivate")
@click.argument("email")
@with_appcontext
def reactivate_user_command(email):
    """Let a deactivated user sign in again."""
    from ramp.accounts.operations import reactivate_user

    require_schema()
    user = _user_or_fail(email)
    with _refusals():
        reactivate_user(user)
    db.session.commit()
    click.echo(f"{user.email} can sign in again")


@teams.command("create")
@click.argument("name")
@click.option("--manager", "manager_email", help="E-mail of the manager who leads the team.")
@with_appcontext
def create_team_command(name, manager_email):
    """Create a team."""
    from ramp.accounts.operations import create_team

    require_schema()
    try:
        team = create_team(name, manager_email)
    except ValidationError as exc:
        db.session.rollback()
        _fail(exc.problems)
    db.session.commit()
    click.echo(f"created team {team.name}")


@teams.command("add")
@click.argument("team")
@click.argument("email")
@with_appcontext
def add_member_command(team, email):
    """Put a user in a team."""
    from ramp.accounts.operations import add_to_team

    require_schema()
    try:
        add_to_team(email, team)
    except ValidationError as exc:
        db.session.rollback()
        _fail(exc.problems)
    db.session.commit()
    click.echo(f"{email} is in {team}")


@teams.command("remove")
@click.argument("team")
@click.argument("email")
@with_appcontext
def remove_member_command(team, email):
    """Take a user out of a team."""
    from ramp.accounts.operations import remove_from_team

    require_schema()
    with _refusals():
        remove_from_team(email, team)
    db.session.commit()
    click.echo(f"{email} is no longer in {team}")


@teams.command("update")
@click.argument("team")
@click.option("--name", help="New name.")
@click.option("--manager", "manager_email", help='E-mail of the new manager ("" for none).')
@with_appcontext
def update_team_command(team, name, manager_email):
    """Rename a team or change its manager."""
    from ramp.accounts.operations import find_team, update_team

    require_schema()
    row = find_team(team)
    if row is None:
        _fail(f"unknown team '{team}'")
    if manager_email is None:
        manager_email = row.manager.email if row.manager else None
    with _refusals():
        update_team(row, name if name is not None else row.name, manager_email)
    db.session.commit()
    lead = row.manager.email if row.manager else "no manager"
    click.echo(f"team {row.name}, led by {lead}")


# curricula -------------------------------------------------------------------------------

curricula = click.Group("curricula", help="Import, export, list curricula and enroll learners.")


@curricula.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file only; publish nothing.")
@with_appcontext
def import_command(path, dry_run):
    """Check a curriculum file and publish it as a new version."""
    from ramp.curricula.operations import publish_curriculum
    from ramp.curricula.spec import CurriculumFileError, load_curriculum_file
    from ramp.curricula.spec import summary as summarize

    try:
        spec = load_curriculum_file(path)
    except CurriculumFileError as exc:
        click.echo(exc.report(), err=True)
        _fail(f"{len(exc.errors)} problem(s) in {path}; nothing was published.")
    summary = summarize(spec)
    if dry_run:
        click.echo(f"{path}: valid ({summary}); nothing published (dry run)")
        return
    require_schema()
    result = publish_curriculum(spec)
    db.session.commit()
    if result.created:
        click.echo(f"published {spec.slug} version {result.version.number} ({summary})")
    else:
        click.echo(
            f"{spec.slug} unchanged: version {result.version.number} already has this content"
        )


@curricula.command("export")
@click.argument("slug")
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="File to write (default: stdout)."
)
@with_appcontext
def export_command(slug, number, output):
    """Write a published version back to YAML."""
    from ramp.curricula.queries import find_version, version_to_spec
    from ramp.curricula.spec import dump_curriculum

    require_schema()
    version = find_version(slug, number)
    if version is None:
        _fail(f"no curriculum '{slug}'" + (f" version {number}" if number else ""))
    text = dump_curriculum(version_to_spec(version))
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {slug} version {version.number} to {output}")
    else:
        click.echo(text, nl=False)


@curricula.command("list")
@with_appcontext
def list_command():
    """List published curriculum versions."""
    from ramp.curricula.queries import list_versions

    require_schema()
    for v in list_versions():
        click.echo(
            f"{v.curriculum.slug:30} v{v.number:<4} {v.published_at:%Y-%m-%d %H:%M}  {v.title}"
        )


@curricula.command("enroll")
@click.argument("email")
@click.argument("slug")
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
@with_appcontext
def enroll_command(email, slug, number):
    """Put a learner on a curriculum version."""
    from ramp.accounts.operations import find_user_by_email
    from ramp.curricula.operations import enroll_users
    from ramp.curricula.queries import find_version

    require_schema()
    version = find_version(slug, number)
    problems = []
    if find_user_by_email(email) is None:
        problems.append(f"no user with e-mail {email}")
    if version is None:
        problems.append(f"no curriculum '{slug}'" + (f" version {number}" if number else ""))
    if problems:
        _fail(problems)
    with _refusals():
        [enrollment] = enroll_users([email], version)
    db.session.commit()
    click.echo(f"{enrollment.user.email} is enrolled in {slug} version {version.number}")


# ramp templates, cohorts, hires, evaluation ------------------------------------------------

templates_group = click.Group("templates", help="Import and export ramp templates.")
cohorts = click.Group("cohorts", help="Create and list cohorts (hiring classes).")
hires = click.Group("hires", help="Add hires from a roster CSV; transfer an agent.")
milestones = click.Group("milestones", help="Evaluate ramp plans.")


@templates_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file only; publish nothing.")
@with_appcontext
def import_template_command(path, dry_run):
    """Check a ramp template file and publish it as a new version."""
    from ramp.milestones.operations import check_template, publish_template
    from ramp.yamlspec import SpecFileError, read_text

    require_schema()
    try:
        spec = check_template(read_text(path), path)
    except SpecFileError as exc:
        click.echo(exc.report(), err=True)
        _fail(f"{len(exc.errors)} problem(s) in {path}; nothing was published.")
    except ValidationError as exc:
        _fail(exc.problems)
    summary = f"{len(spec.phases)} phases, {len(spec.milestones)} milestones"
    if dry_run:
        click.echo(f"{path}: valid ({summary}); nothing published (dry run)")
        return
    result = publish_template(spec)
    db.session.commit()
    if result.created:
        click.echo(f"published template {spec.slug} version {result.version.number} ({summary})")
    else:
        click.echo(
            f"template {spec.slug} unchanged: version {result.version.number} already has this content"
        )


@templates_group.command("export")
@click.argument("slug")
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
@with_appcontext
def export_template_command(slug, number):
    """Write a published template version back to YAML."""
    from ramp.milestones import plans
    from ramp.milestones.queries import find_template_version
    from ramp.milestones.template_spec import dump_template

    require_schema()
    version = find_template_version(slug, number)
    if version is None:
        _fail(f"no template '{slug}'" + (f" version {number}" if number else ""))
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
    from datetime import date

    from ramp.accounts.operations import find_team
    from ramp.curricula.queries import find_version
    from ramp.milestones import plans
    from ramp.milestones.operations import create_cohort
    from ramp.milestones.queries import find_template_version

    require_schema()
    problems = []
    try:
        start_date = date.fromisoformat(start)
    except ValueError:
        problems.append(f"'{start}' is not a date (use YYYY-MM-DD)")
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
        _fail(problems)
    try:
        cohort = create_cohort(name, start_date, template, version, team_row)
    except ValidationError as exc:
        db.session.rollback()
        _fail(exc.problems)
    db.session.commit()
    click.echo(
        f"created cohort {cohort.name} starting {cohort.start_date} ({cohort.template_version.label}, {cohort.curriculum_version.label})"
    )


@cohorts.command("list")
@with_appcontext
def list_cohorts_command():
    """List cohorts."""
    from sqlalchemy import select

    from ramp.milestones.models import Cohort

    require_schema()
    for c in db.session.execute(select(Cohort).order_by(Cohort.start_date)).scalars():
        click.echo(
            f"{c.start_date}  {c.name:30} {len(c.hires):4} hires  {c.template_version.label}"
        )


@hires.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the roster only; create nothing.")
@with_appcontext
def import_roster_command(path, dry_run):
    """Add hires from a roster CSV (name, email, start_date, manager, cohort, placement columns)."""
    from ramp.milestones.operations import add_hires
    from ramp.milestones.roster import RosterError, parse_roster

    require_schema()
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {path}: {exc}")
    try:
        new_hires = parse_roster(text)
    except RosterError as exc:
        for problem in exc.problems:
            click.echo(f"{path}: {problem}", err=True)
        _fail(f"{len(exc.problems)} problem(s) in {path}; nothing was imported.")
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
    from datetime import date

    from sqlalchemy import select

    from ramp.accounts.operations import find_user_by_email
    from ramp.milestones.models import Cohort
    from ramp.milestones.operations import transfer_hire

    require_schema()
    problems = []
    cohort = db.session.execute(
        select(Cohort).where(Cohort.name == cohort_name)
    ).scalar_one_or_none()
    if cohort is None:
        problems.append(f"no cohort named '{cohort_name}'")
    manager = find_user_by_email(manager_email) if manager_email else None
    if manager_email and manager is None:
        problems.append(f"no one with the e-mail '{manager_email}'")
    start_date = None
    if start:
        try:
            start_date = date.fromisoformat(start)
        except ValueError:
            problems.append(f"'{start}' is not a date (use YYYY-MM-DD)")
    if problems:
        _fail(problems)
    try:
        hire = transfer_hire(email, cohort, manager, None, reason, start_date)
    except ValidationError as exc:
        db.session.rollback()
        _fail(exc.problems)
    db.session.commit()
    click.echo(f"{hire.user.email} is now a hire in {cohort.name} from {hire.start_date}")


@milestones.command("evaluate")
@click.option("--date", "on", help="Evaluate as of this date (YYYY-MM-DD); default today.")
@with_appcontext
def evaluate_command(on):
    """Evaluate every active hire's plan (meant for a daily schedule; safe to run twice)."""
    from datetime import date

    from ramp.milestones.operations import evaluate_hires

    require_schema()
    try:
        today = date.fromisoformat(on) if on else clock.today()
    except ValueError:
        _fail(f"'{on}' is not a date (use YYYY-MM-DD)")
    changed = evaluate_hires(None, today)
    db.session.commit()
    click.echo(f"evaluated ramp plans as of {today}: {changed} milestone(s) changed")


# records ---------------------------------------------------------------------------------

records = click.Group(
    "records", help="Import QA evaluations and contacts from exports; list and undo imports."
)


@records.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--preset", help="A shipped mapping (see docs/imports.md), e.g. zendesk, maestroqa.")
@click.option(
    "--mapping",
    "mapping_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Your own mapping YAML.",
)
@click.option("--dry-run", is_flag=True, help="Check the whole file; write nothing.")
@click.option("--accept-good", is_flag=True, help="Write the good rows even when some are bad.")
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False),
    help="With --accept-good: save the bad rows here (CSV).",
)
@with_appcontext
def import_records_command(path, preset, mapping_path, dry_run, accept_good, rejects):
    """Import an export (CSV or JSON lines): checked whole first, written in one transaction."""
    from ramp.metrics.imports import ImportRefused, import_and_update, load_mapping
    from ramp.yamlspec import SpecFileError

    require_schema()
    try:
        mapping = load_mapping(preset, mapping_path)
    except SpecFileError as exc:
        click.echo(exc.report(), err=True)
        _fail("the mapping has problems; nothing was imported.")
    except ValidationError as exc:
        _fail(exc.problems)
    if accept_good and not rejects:
        rejects = str(Path(path).with_suffix(".rejects.csv"))
    bar = {"bar": None}

    def progress(_stage: str, done: int, total: int | None) -> None:
        if bar["bar"] is None:
            bar["bar"] = click.progressbar(length=total or 0, label="importing", file=sys.stderr)
            bar["bar"].__enter__()
        bar["bar"].update(max(0, done - bar["bar"].pos))

    try:
        report, changed = import_and_update(
            path, mapping, dry_run=dry_run, accept_good=accept_good, rejects_path=rejects,
            progress=progress,
        )  # fmt: skip
    except ImportRefused as exc:
        db.session.rollback()
        report = exc.report
        for problem in report.problems:
            click.echo(f"{path}: {problem}", err=True)
        if report.problem_count > len(report.problems):
            click.echo(f"... and {report.problem_count - len(report.problems)} more", err=True)
        _echo_unknown_agents(report)
        _fail(
            report.summary()
            + (" Use --accept-good to write the good rows." if report.rows_valid else "")
        )
    except ValidationError as exc:  # another import is running
        db.session.rollback()
        _fail(exc.problems)
    finally:
        if bar["bar"] is not None:
            bar["bar"].__exit__(None, None, None)
    if report.written:
        db.session.commit()
        click.echo(report.summary())
        click.echo(
            f"re-evaluated the plans of the agents concerned: {changed} milestone(s) changed"
        )
        if report.rejects_path:
            click.echo(f"bad rows saved to {report.rejects_path}")
        _echo_unknown_agents(report)
    else:
        click.echo(report.summary())


@records.command("runs")
@click.option("--limit", default=50, show_default=True, help="How many runs, newest first.")
@with_appcontext
def list_runs_command(limit):
    """The import history, newest first: file, who, when, status and counts."""
    from ramp.metrics.queries import recent_runs

    require_schema()
    for run in recent_runs(limit):
        who = run.created_by.email if run.created_by else "-"
        click.echo(
            f"{run.id}\t{run.status}\t{run.started_at:%Y-%m-%d %H:%M}\t{run.filename}\t"
            f"{run.mapping}\t{who}\tread {run.rows_read}, written {run.rows_written}, "
            f"skipped {run.rows_skipped}, rejected {run.rows_rejected}"
            + (f"\t{run.error}" if run.error else "")
        )


@records.command("undo")
@click.argument("run_id", type=int)
@click.option("--by", "by_email", help="The admin undoing it (kept in the audit log).")
@click.option("--reason", help="Why (kept in the audit log).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def undo_run_command(run_id, by_email, reason, yes):
    """Undo an import run: its new records removed, the ones it updated given back their values."""
    from ramp.errors import NotFound
    from ramp.metrics.undo import undo_import, undo_plan

    require_schema()
    actor = _user_by_email(by_email) if by_email else None
    try:
        plan = undo_plan(run_id)
    except NotFound as exc:
        _fail(str(exc))
    if not plan.possible:
        _fail(plan.problems)
    click.echo(
        f"run {run_id} ({plan.run.filename}): {plan.removed} record(s) to remove, "
        f"{plan.restored} to give back their earlier values, {plan.agents} agent(s) to re-evaluate"
    )
    if not yes and not click.confirm("Undo it?"):
        _fail("nothing was changed")
    with _refusals():
        result = undo_import(run_id, actor, reason)
    db.session.commit()
    click.echo(
        f"undid run {run_id}: removed {result.removed}, restored {result.restored}; "
        f"{result.milestones_changed} milestone(s) changed"
    )


def _echo_unknown_agents(report) -> None:
    """The agents the file names that ramp does not know, and what to do about them."""
    if report.unknown_agents:
        click.echo(
            "unknown agents (add them to ramp, or link their ids with `ramp users link`): "
            + ", ".join(f"{name} ({rows})" for name, rows in report.unknown_agents),
            err=True,
        )


@users.command("link")
@click.argument("email")
@click.option("--source", required=True, help="The tool, as the mapping names it (e.g. zendesk).")
@click.option("--id", "external_id", required=True, help="The agent's id in that tool.")
@with_appcontext
def link_user_command(email, source, external_id):
    """Link an agent to their id in another tool, so imports can match them by it."""
    from ramp.metrics.agents import link_agents

    require_schema()
    user = _user_by_email(email)
    with _refusals():
        link_agents(source, [(external_id, user)], None)
    db.session.commit()
    click.echo(f"{user.email} is {source} id {external_id.strip()}")


tokens = click.Group("tokens", help="API tokens for other systems: create, list, revoke.")


@tokens.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, metavar="SCOPE",
              help="What the token may do; repeat for more: records:write, hires:read, "
                   "certificates:read.")  # fmt: skip
@click.option("--expires", "expires_on", metavar="YYYY-MM-DD", default=None,
              help="Refused from this day on (UTC). Default: until revoked.")  # fmt: skip
@click.option("--owner", "owner_email", default=None, help="The admin answerable for it (e-mail).")
@with_appcontext
def create_token_command(name, scopes, expires_on, owner_email):
    """Create an API token with its scopes; the secret is printed once."""
    from ramp.metrics.api import create_token

    require_schema()
    try:
        expires = date.fromisoformat(expires_on) if expires_on else None
    except ValueError:
        _fail(f"--expires {expires_on!r} is not a date like 2027-06-30")
    owner = _user_by_email(owner_email) if owner_email else None
    try:
        token, secret = create_token(name, owner, scopes=list(scopes), expires_on=expires)
    except ValidationError as exc:
        _fail(exc.problems)
    db.session.commit()
    until = f", until {token.expires_on.isoformat()}" if token.expires_on else ""
    click.echo(
        f"token {token.id} for {token.name} ({', '.join(token.scope_list)}{until}): {secret}"
    )
    click.echo("keep it now: ramp stores only its hash. Send it as: Authorization: Bearer <token>")


@tokens.command("list")
@with_appcontext
def list_tokens_command():
    """List API tokens: id, name, state, created, owner, expiry, last used, scopes."""
    from ramp.metrics.api import token_state
    from ramp.metrics.queries import list_tokens

    require_schema()
    for token in list_tokens():
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
        who = token.created_by.email if token.created_by else "-"
        state = token_state(token)
        expires = token.expires_on.isoformat() if token.expires_on else "never"
        scopes = (
            "all scopes (made before scopes existed): consider replacing"
            if token.predates_scopes
            else " ".join(token.scope_list)
        )
        click.echo(
            f"{token.id:<5} {token.name[:30]:30} {state:8} created {token.created_at:%Y-%m-%d} "
            f"by {who:30} expires {expires:10} last used {used:16} scopes {scopes}"
        )


@tokens.command("revoke")
@click.argument("token_id", type=int)
@click.option("--reason", help="Why (kept in the audit log).")
@with_appcontext
def revoke_token_command(token_id, reason):
    """Revoke an API token by its id (see `ramp tokens list`): it stops working at once."""
    from ramp.metrics.api import revoke_token
    from ramp.metrics.models import ApiToken

    require_schema()
    token = db.session.get(ApiToken, token_id)
    if token is None:
        _fail(f"no API token has the id {token_id}")
    with _refusals():
        revoke_token(token, reason=reason)
    db.session.commit()
    click.echo(f"revoked token {token.id} ({token.name})")


keys = click.Group("keys", help="The tool's signing keys (LTI messages, credentials).")


@keys.command("list")
@with_appcontext
def list_keys_command():
    """List the signing keys: purpose, kid, and whether each signs or is only published."""
    from ramp.keys.models import SigningKey

    require_schema()
    for key in db.session.execute(
        db.select(SigningKey).order_by(SigningKey.purpose, SigningKey.created_at)
    ).scalars():
        if key.retired_at is None:
            state = "signs"
        else:
            state = f"retired {key.retired_at:%Y-%m-%d}, published until {key.expires_at:%Y-%m-%d %H:%M}"
        click.echo(f"{key.purpose:12} {key.kid}  {state}")


@keys.command("rotate")
@click.argument("purpose", type=click.Choice(["lti", "credentials"]))
@click.option("--overlap-days", default=7, show_default=True, type=click.IntRange(min=0),
              help="How long the old key stays published beside the new one.")  # fmt: skip
@with_appcontext
def rotate_keys_command(purpose, overlap_days):
    """Make a new signing key; the old one stays in the key set for the overlap."""
    from datetime import timedelta

    from ramp.keys.operations import rotate_key

    require_schema()
    key = rotate_key(purpose, timedelta(days=overlap_days))
    db.session.commit()
    click.echo(
        f"{purpose} now signs with {key.kid}; the previous key is published for {overlap_days} more day(s)"
    )


certificates_group = click.Group(
    "certificates", help="Readiness certificates: list, issue, revoke, print."
)


def _user_by_email(email: str):
    from ramp.accounts.operations import find_user_by_email

    user = find_user_by_email(email)
    if user is None:
        _fail(f"no user has the e-mail {email}")
    return user


@contextmanager
def _refusals():
    """A refused operation (not valid, not allowed): its problems, nothing written, exit 1."""
    from ramp.errors import NotAllowed

    try:
        yield
    except (ValidationError, NotAllowed) as exc:
        db.session.rollback()
        _fail(exc.problems if isinstance(exc, ValidationError) else str(exc))


def _certificate_by_code(code: str):
    from ramp.certificates.operations import find_certificate

    cert = find_certificate(code)
    if cert is None:
        _fail(f"no certificate has the code {code}")
    return cert


@certificates_group.command("list")
@click.option("--status", type=click.Choice(["valid", "expired", "revoked"]), help="Only these.")
@click.option("--email", help="Only this agent's.")
@with_appcontext
def list_certificates_command(status, email):
    """List certificates, newest first: code, status, agent, plan, issued and expiry dates."""
    from ramp.certificates.codes import format_code
    from ramp.certificates.operations import certificate_status
    from ramp.certificates.queries import listed

    require_schema()
    for cert in listed(status, email):
        snap = cert.snapshot
        click.echo(
            f"{format_code(cert.code)}  {certificate_status(cert):8} {snap['agent'][:30]:30} "
            f"{snap['template']['title'][:36]:36} issued {cert.issued_at:%Y-%m-%d}  "
            f"expires {cert.expires_at:%Y-%m-%d}"
        )


@certificates_group.command("issue")
@click.argument("email")
@click.option("--by", "by_email", required=True, help="E-mail of the manager or admin issuing.")
@click.option("--override", "override_reason",
              help="Admins only: issue although not ready, for this reason (recorded).")  # fmt: skip
@with_appcontext
def issue_certificate_command(email, by_email, override_reason):
    """Issue a readiness certificate to the agent's current hire (needs RAMP_PUBLIC_URL)."""
    from flask import current_app

    from ramp.certificates.codes import format_code
    from ramp.certificates.operations import issue_certificate
    from ramp.certificates.queries import verify_url
    from ramp.milestones.queries import hires_of_agent

    require_schema()
    base_url = current_app.config.get("PUBLIC_URL")
    if not base_url:
        _fail("set RAMP_PUBLIC_URL to the address people reach ramp at: the certificate prints it")
    agent, actor = _user_by_email(email), _user_by_email(by_email)
    hire = next((h for h in hires_of_agent(agent.id) if h.active), None)
    if hire is None:
        _fail(f"{agent.email} has no active hire to certify")
    with _refusals():
        cert = issue_certificate(
            hire, actor, base_url, organization=current_app.config["ORGANIZATION_NAME"],
            override_reason=override_reason,
        )  # fmt: skip
    db.session.commit()
    click.echo(f"issued {format_code(cert.code)} to {agent.name}; verify at {verify_url(cert)}")


@certificates_group.command("revoke")
@click.argument("code")
@click.option("--by", "by_email", required=True, help="E-mail of the manager or admin revoking.")
@click.option("--reason", required=True, help="Why (shown on the verify page).")
@with_appcontext
def revoke_certificate_command(code, by_email, reason):
    """Revoke a certificate by its code; its verify page then says so, with the reason."""
    from ramp.certificates.codes import format_code
    from ramp.certificates.operations import revoke_certificate

    require_schema()
    cert, actor = _certificate_by_code(code), _user_by_email(by_email)
    with _refusals():
        revoke_certificate(cert, actor, reason)
    db.session.commit()
    click.echo(f"revoked {format_code(cert.code)}: {reason}")


@certificates_group.command("pdf")
@click.argument("code")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Where to write it (default: certificate-CODE.pdf here).")  # fmt: skip
@with_appcontext
def certificate_pdf_command(code, output):
    """Write a certificate's PDF, as its holder downloads it."""
    from flask import current_app

    from ramp.certificates.codes import format_code
    from ramp.certificates.render import pdf_of

    require_schema()
    cert = _certificate_by_code(code)
    path = Path(output or f"certificate-{format_code(cert.code)}.pdf")
    path.write_bytes(pdf_of(current_app, cert, current_app.config.get("PUBLIC_URL") or ""))
    click.echo(f"wrote {path}")


lti = click.Group("lti", help="LTI 1.3: platform registrations, rosters, grade passback.")


@lti.command("register")
@click.option("--name", default="", help="A name for the platform (default: its host).")
@click.option("--issuer", required=True, help="The platform's issuer (iss).")
@click.option("--client-id", required=True, help="The client id the platform gave ramp.")
@click.option("--login-url", required=True, help="The platform's OIDC authentication URL.")
@click.option("--token-url", required=True, help="The platform's OAuth 2 access token URL.")
@click.option("--key-set-url", required=True, help="The platform's public key set (JWKS) URL.")
@click.option("--deployment", "deployments", multiple=True, required=True,
              help="A deployment id (repeat for several).")  # fmt: skip
@click.option("--token-audience", default=None,
              help="aud of ramp's client assertion, if not the token URL (Brightspace).")  # fmt: skip
@click.option("--lms-origin", "lms_origins", multiple=True,
              help="Where the LMS's course pages are served, if not on the issuer's host "
                   "(Canvas: https://school.instructure.com); repeat for several.")  # fmt: skip
@click.option("--trust-emails", is_flag=True,
              help="The platform verifies addresses: a first launch may enter an existing "
                   "password-less agent account with the same e-mail.")  # fmt: skip
@with_appcontext
def lti_register_command(
    name, issuer, client_id, login_url, token_url, key_set_url, deployments, token_audience,
    lms_origins, trust_emails,
):  # fmt: skip
    """Register a platform (an LMS) that launches ramp."""
    from ramp.lti.registrations import register_platform

    require_schema()
    try:
        reg = register_platform(
            name, issuer, client_id, login_url, token_url, key_set_url, list(deployments),
            token_audience=token_audience, lms_origins=list(lms_origins), trust_emails=trust_emails,
        )  # fmt: skip
    except ValidationError as exc:
        db.session.rollback()
        _fail(exc.problems)
    db.session.commit()
    click.echo(f"registered {reg.name}: {reg.issuer} client {reg.client_id}, "
               f"{len(reg.deployments)} deployment(s)")  # fmt: skip


@lti.command("add-deployment")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.argument("deployments", nargs=-1, required=True)
@with_appcontext
def lti_add_deployment_command(issuer, client_id, deployments):
    """Add deployment ids to a registered platform."""
    from ramp.lti.registrations import add_deployments, find_registration

    require_schema()
    reg = find_registration(issuer, client_id)
    if reg is None:
        _fail(f"no platform is registered as {issuer} with client id {client_id}")
    added = add_deployments(reg, list(deployments))
    db.session.commit()
    click.echo(f"added {len(added)} deployment(s) to {reg.name}")


@lti.command("options")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--lms-origin", "lms_origins", multiple=True,
              help="An origin the LMS's course pages are served from (replaces the list).")  # fmt: skip
@click.option("--trust-emails/--no-trust-emails", default=False,
              help="Whether the platform's e-mail addresses may match existing accounts.")  # fmt: skip
@with_appcontext
def lti_options_command(issuer, client_id, lms_origins, trust_emails):
    """Set a registered platform's LMS origins and whether its e-mails are trusted."""
    from ramp.lti.registrations import find_registration, set_options

    require_schema()
    reg = find_registration(issuer, client_id)
    if reg is None:
        _fail(f"no platform is registered as {issuer} with client id {client_id}")
    try:
        set_options(reg, list(lms_origins), trust_emails)
    except ValidationError as exc:
        db.session.rollback()
        _fail(exc.problems)
    db.session.commit()
    origins = ", ".join(reg.lms_origins) or "none"
    click.echo(
        f"{reg.name}: LMS origins {origins}; e-mails {'trusted' if trust_emails else 'not trusted'}"
    )


@lti.command("list")
@with_appcontext
def lti_list_command():
    """List registered platforms with their deployments."""
    from ramp.lti.registrations import list_registrations

    require_schema()
    for reg in list_registrations():
        deployments = ", ".join(d.deployment_id for d in reg.deployments) or "-"
        click.echo(f"{reg.name:24} {reg.issuer:40} {reg.client_id:24} {deployments}")


@lti.command("sync-roster")
@click.argument("context_id", type=int)
@with_appcontext
def lti_sync_roster_command(context_id):
    """Sync a course's roster (Names and Roles) into its cohort."""
    from ramp.errors import NotFound
    from ramp.lti.errors import PlatformError
    from ramp.lti.roster import sync_roster

    require_schema()
    try:
        click.echo(sync_roster(context_id))
    except (ValidationError, NotFound, PlatformError) as exc:
        db.session.rollback()
        _fail(str(exc))


@lti.command("retry-grades")
@with_appcontext
def lti_retry_grades_command():
    """Send again the scores that failed to reach a platform."""
    from ramp.lti.grades import retry_failed, send_scores
    from ramp.lti.models import LtiScorePost

    require_schema()
    ids = retry_failed()
    db.session.commit()
    send_scores([db.session.get(LtiScorePost, i) for i in ids])
    click.echo(f"queued {len(ids)} score(s) again")


@lti.command("cleanup")
@with_appcontext
def lti_cleanup_command():
    """Delete used and expired launch states."""
    from ramp.lti.launch import cleanup_states

    require_schema()
    removed = cleanup_states(force=True)
    db.session.commit()
    click.echo(f"removed {removed} launch state(s)")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker_command(burst):
    """Run background jobs from the Redis queue (needs REDIS_URL)."""
    from flask import current_app
    from redis import Redis
    from rq import Queue, Worker

    url = current_app.config.get("REDIS_URL")
    if not url:
        _fail("set REDIS_URL to use a Redis queue; without it, jobs run inside the web process")
    connection = Redis.from_url(url)
    Worker([Queue("ramp", connection=connection)], connection=connection).work(burst=burst)


# demo ------------------------------------------------------------------------------------


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Set up the demo data and exit.")
@with_appcontext
def demo_command(host, port, no_serve):
    """Migrate the database, load the starter curriculum and demo users, and serve."""
    from flask import current_app
    from flask_migrate import upgrade

    from ramp.demo import DEMO_PASSWORD, seed_demo

    upgrade()
    # The demo knows where it is served: certificates and LTI URLs name that address.
    if not current_app.config.get("PUBLIC_URL"):
        current_app.config["PUBLIC_URL"] = f"http://{host}:{port}"
    logins = seed_demo(base_url=current_app.config["PUBLIC_URL"])
    db.session.commit()
    click.echo("")
    click.secho("ramp demo is ready.", bold=True)
    click.echo(f"  database: {current_app.config['SQLALCHEMY_DATABASE_URI']}")
    click.echo(f"  open:     http://{host}:{port}/")
    click.echo(f"  password for every demo login: {DEMO_PASSWORD}")
    for role, email, note in logins:
        click.echo(f"    {role:8} {email:32} {note}")
    click.echo("")
    if not no_serve:
        # app.run() refuses to start from within the flask CLI; serve with Werkzeug directly.
        from werkzeug.serving import run_simple

        run_simple(host, port, current_app._get_current_object(), threaded=True)


def init_app(app: Flask) -> None:
    """Attach the command groups to the app's CLI."""
    for command in (
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
    ):
        app.cli.add_command(command)


def _create_app(*_args, **_kwargs):
    from ramp import create_app

    return create_app()


main = FlaskGroup(
    create_app=_create_app, help="ramp: onboarding and ramp tracking for support teams."
)
