"""Commands `ramp records ...` and `ramp tokens ...`, and `ramp users link` and `ramp users
import`: imports of QA and contact records, their history and undo, the API tokens other
systems push them with, and the people and agent ids that match a file's rows to people."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext

from ramp.accounts.cli import user_by_email
from ramp.cli_support import committing, fail, found, require_schema
from ramp.errors import NotFound, ValidationError
from ramp.extensions import db
from ramp.metrics.agent_sync import EXPORTS, link_planned, plan_links, read_helpdesk_file
from ramp.metrics.agents import link_agents
from ramp.metrics.api import create_token, revoke_token, token_state
from ramp.metrics.imports import ImportRefused, import_and_update, load_mapping
from ramp.metrics.models import ApiToken
from ramp.metrics.queries import list_tokens, recent_runs
from ramp.metrics.undo import undo_import, undo_plan
from ramp.metrics.user_import import UsersFileRefused, import_users, read_users_file
from ramp.yamlspec import SpecFileError

PROBLEMS_SHOWN = 200  # of a users file's problems; the rest are counted

records = click.Group(
    "records", help="Import QA evaluations and contacts from exports; list and undo imports."
)
tokens = click.Group("tokens", help="API tokens for other systems: create, list, revoke.")


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
    require_schema()
    try:
        mapping = load_mapping(preset, mapping_path)
    except SpecFileError as exc:
        click.echo(exc.report(), err=True)
        fail("the mapping has problems; nothing was imported.")
    except ValidationError as exc:
        fail(exc.problems)
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
            path,
            mapping,
            dry_run=dry_run,
            accept_good=accept_good,
            rejects_path=rejects,
            progress=progress,
        )
    except ImportRefused as exc:
        db.session.rollback()
        report = exc.report
        for problem in report.problems:
            click.echo(f"{path}: {problem}", err=True)
        if report.problem_count > len(report.problems):
            click.echo(f"... and {report.problem_count - len(report.problems)} more", err=True)
        echo_unknown_agents(report)
        fail(
            report.summary()
            + (" Use --accept-good to write the good rows." if report.rows_valid else "")
        )
    except ValidationError as exc:  # another import is running
        db.session.rollback()
        fail(exc.problems)
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
        echo_unknown_agents(report)
    else:
        click.echo(report.summary())


@records.command("runs")
@click.option("--limit", default=50, show_default=True, help="How many runs, newest first.")
@with_appcontext
def list_runs_command(limit):
    """The import history, newest first: file, who, when, status and counts."""
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
    require_schema()
    actor = user_by_email(by_email) if by_email else None
    try:
        plan = undo_plan(run_id)
    except NotFound as exc:
        fail(str(exc))
    if not plan.possible:
        fail(plan.problems)
    click.echo(
        f"run {run_id} ({plan.run.filename}): {plan.removed} record(s) to remove, "
        f"{plan.restored} to give back their earlier values, {plan.agents} agent(s) to re-evaluate"
    )
    if not yes and not click.confirm("Undo it?"):
        fail("nothing was changed")
    with committing():
        result = undo_import(run_id, actor, reason)
    click.echo(
        f"undid run {run_id}: removed {result.removed}, restored {result.restored}; "
        f"{result.milestones_changed} milestone(s) changed"
    )


def echo_unknown_agents(report) -> None:
    """The agents the file names that ramp does not know, and what to do about them."""
    if report.unknown_agents:
        click.echo(
            "unknown agents (add them to ramp, or link their ids with `ramp users link`): "
            + ", ".join(f"{name} ({rows})" for name, rows in report.unknown_agents),
            err=True,
        )


@click.command("link")
@click.argument("email")
@click.option("--source", required=True, help="The tool, as the mapping names it (e.g. zendesk).")
@click.option("--id", "external_id", required=True, help="The agent's id in that tool.")
@with_appcontext
def link_user_command(email, source, external_id):
    """Link an agent to their id in another tool, so imports can match them by it."""
    require_schema()
    user = user_by_email(email)
    with committing():
        link_agents(source, [(external_id, user)], None)
    click.echo(f"{user.email} is {source} id {external_id.strip()}")


@click.command("link-helpdesk")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--helpdesk",
    required=True,
    type=click.Choice(sorted(EXPORTS)),
    help="Whose users export the file is; the ids are linked under that source.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be linked; link nothing.")
@with_appcontext
def link_helpdesk_command(path, helpdesk, dry_run):
    """Link many agents' helpdesk ids at once, from the helpdesk's users export."""
    require_schema()
    try:
        plan = plan_links(helpdesk, read_helpdesk_file(path, helpdesk))
    except ValidationError as exc:
        fail(exc.problems)
    for row, user in plan.matched:
        click.echo(f"link    line {row.line}: {helpdesk} id {row.external_id} -> {user.email}")
    for row in plan.linked:
        click.echo(f"linked  line {row.line}: {helpdesk} id {row.external_id} (already)")
    for row in plan.unknown:
        click.echo(f"unknown line {row.line}: no ramp user has the e-mail {row.email}", err=True)
    for row, why in plan.conflicts:
        click.echo(f"conflict line {row.line}: {row.external_id} ({row.email}): {why}", err=True)
    for line, why in plan.skipped:
        click.echo(f"skipped line {line}: {why}", err=True)
    summary = (
        f"{len(plan.matched)} to link, {len(plan.linked)} already linked, "
        f"{len(plan.unknown)} unknown e-mails, {len(plan.conflicts)} conflicts"
    )
    if dry_run or not plan.matched:
        click.echo(f"{summary}; nothing linked.")
        return
    with committing():
        link_planned(plan, None)
    click.echo(f"{summary}; linked {len(plan.matched)}.")


@click.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the whole file and say what it would do.")
@click.option("--accept-good", is_flag=True, help="Import the good rows even when some are bad.")
@click.option("--by", "by_email", help="The admin importing (kept in the audit log).")
@with_appcontext
def import_users_command(path, dry_run, accept_good, by_email):
    """Create or update many users, their teams and their ids in other tools, from a CSV.

    Columns: email, name, role (agent, manager or admin), team, and agent_id:<source> for
    each tool (agent_id:zendesk, agent_id:maestroqa, ...). An empty cell leaves an existing
    user's value as it is. Checked whole first: with a bad row nothing is imported.
    """
    require_schema()
    actor = user_by_email(by_email) if by_email else None
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}")
    try:
        rows, unreadable = read_users_file(text)
    except UsersFileRefused as exc:
        for problem in exc.problems:
            click.echo(f"{path}: {problem}", err=True)
        fail(f"{path} cannot be imported; nothing was imported.")
    result = import_users(
        rows, actor, accept_good=accept_good, dry_run=dry_run, unreadable=unreadable
    )
    for problem in result.problems[:PROBLEMS_SHOWN]:
        click.echo(f"{path}: {problem}", err=True)
    if len(result.problems) > PROBLEMS_SHOWN:
        click.echo(f"... and {len(result.problems) - PROBLEMS_SHOWN} more", err=True)
    if not result.written and not dry_run:
        db.session.rollback()
        fail(
            result.summary()
            + (" Use --accept-good to import the good rows." if result.outcomes else "")
        )
    if result.written:
        db.session.commit()
    else:
        db.session.rollback()
    for outcome in result.outcomes:
        if outcome.action != "unchanged":
            verb = "would be " + outcome.action if dry_run else outcome.action
            changes = f": {', '.join(outcome.changes)}" if outcome.changes else ""
            click.echo(f"line {outcome.line}: {verb} {outcome.email}{changes}")
        if outcome.password and not dry_run:
            click.echo(f"  password for {outcome.email} (shown once): {outcome.password}")
    click.echo(result.summary())


@tokens.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    metavar="SCOPE",
    help="What the token may do; repeat for more: records:write, hires:read, certificates:read.",
)
@click.option(
    "--expires",
    "expires_on",
    metavar="YYYY-MM-DD",
    default=None,
    help="Refused from this day on (UTC). Default: until revoked.",
)
@click.option("--owner", "owner_email", default=None, help="The admin answerable for it (e-mail).")
@with_appcontext
def create_token_command(name, scopes, expires_on, owner_email):
    """Create an API token with its scopes; the secret is printed once."""
    require_schema()
    try:
        expires = date.fromisoformat(expires_on) if expires_on else None
    except ValueError:
        fail(f"--expires {expires_on!r} is not a date like 2027-06-30")
    owner = user_by_email(owner_email) if owner_email else None
    with committing():
        token, secret = create_token(name, owner, scopes=list(scopes), expires_on=expires)
    until = f", until {token.expires_on.isoformat()}" if token.expires_on else ""
    click.echo(
        f"token {token.id} for {token.name} ({', '.join(token.scope_list)}{until}): {secret}"
    )
    click.echo("keep it now: ramp stores only its hash. Send it as: Authorization: Bearer <token>")


@tokens.command("list")
@with_appcontext
def list_tokens_command():
    """List API tokens: id, name, state, created, owner, expiry, last used, scopes."""
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
    require_schema()
    token = found(db.session.get(ApiToken, token_id), f"no API token has the id {token_id}")
    with committing():
        revoke_token(token, reason=reason)
    click.echo(f"revoked token {token.id} ({token.name})")
