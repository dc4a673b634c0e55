"""What the areas' commands share: stop with a message, the schema check, a look-up that
must find its row, and an operation that commits or is refused with its reasons."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn, TypeVar

import click

from ramp.database import schema_problem
from ramp.errors import NotAllowed, ValidationError
from ramp.extensions import db

T = TypeVar("T")


def fail(problems: list[str] | str) -> NoReturn:
    """Print each problem as an error and exit with status 1."""
    problems = [problems] if isinstance(problems, str) else problems
    for problem in problems:
        click.secho(f"error: {problem}", fg="red", err=True)
    sys.exit(1)


def require_schema() -> None:
    """Stop with a clear message when the database is not migrated."""
    problem = schema_problem(db.engine)
    if problem:
        fail(f"{problem} Run `ramp db upgrade` first.")


def found(row: T | None, missing: str) -> T:
    """The row a look-up found, or exit 1 with `missing` when it found none."""
    if row is None:
        fail(missing)
    return row


@contextmanager
def refusals() -> Iterator[None]:
    """A refused operation (not valid, not allowed): its problems, nothing written, exit 1."""
    try:
        yield
    except (ValidationError, NotAllowed) as exc:
        db.session.rollback()
        fail(exc.problems if isinstance(exc, ValidationError) else str(exc))


@contextmanager
def committing() -> Iterator[None]:
    """Run an operation and commit what it wrote; refused, it is reported as refusals() does."""
    with refusals():
        yield
    db.session.commit()


def echo_published(what: str, slug: str, result, summary: str) -> None:
    """Say what publishing a versioned document did: a new version, or none (same content)."""
    number = result.version.number
    if result.created:
        click.echo(f"published {what}{slug} version {number} ({summary})")
    else:
        click.echo(f"{what}{slug} unchanged: version {number} already has this content")
