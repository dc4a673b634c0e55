"""Commands `ramp curricula ...`: import, export and list curricula; enroll learners."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ramp.accounts.operations import find_user_by_email
from ramp.cli_support import committing, echo_published, fail, found, require_schema
from ramp.curricula.operations import enroll_users, publish_curriculum
from ramp.curricula.queries import find_version, list_versions, version_to_spec
from ramp.curricula.spec import (
    CurriculumFileError,
    dump_curriculum,
    load_curriculum_file,
)
from ramp.curricula.spec import summary as summarize
from ramp.extensions import db

curricula = click.Group("curricula", help="Import, export, list curricula and enroll learners.")


def no_version(slug: str, number: int | None) -> str:
    """The message for a curriculum (version) that does not exist."""
    return f"no curriculum '{slug}'" + (f" version {number}" if number else "")


@curricula.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file only; publish nothing.")
@with_appcontext
def import_command(path, dry_run):
    """Check a curriculum file and publish it as a new version."""
    try:
        spec = load_curriculum_file(path)
    except CurriculumFileError as exc:
        click.echo(exc.report(), err=True)
        fail(f"{len(exc.errors)} problem(s) in {path}; nothing was published.")
    summary = summarize(spec)
    if dry_run:
        click.echo(f"{path}: valid ({summary}); nothing published (dry run)")
        return
    require_schema()
    result = publish_curriculum(spec)
    db.session.commit()
    echo_published("", spec.slug, result, summary)


@curricula.command("export")
@click.argument("slug")
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="File to write (default: stdout)."
)
@with_appcontext
def export_command(slug, number, output):
    """Write a published version back to YAML."""
    require_schema()
    version = found(find_version(slug, number), no_version(slug, number))
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
    require_schema()
    version = find_version(slug, number)
    problems = []
    if find_user_by_email(email) is None:
        problems.append(f"no user with e-mail {email}")
    if version is None:
        problems.append(no_version(slug, number))
    if problems:
        fail(problems)
    with committing():
        [enrollment] = enroll_users([email], version)
    click.echo(f"{enrollment.user.email} is enrolled in {slug} version {version.number}")
