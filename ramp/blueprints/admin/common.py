"""What the admin views share: run one operation, commit once or roll back with its problems."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ramp.errors import ValidationError
from ramp.extensions import db

T = TypeVar("T")


def attempt(action: Callable[[], T]) -> tuple[T | None, list[str]]:
    """Run one operation: commit and return its result, or roll back and return its problems."""
    try:
        result = action()
    except ValidationError as exc:
        db.session.rollback()
        return None, exc.problems
    db.session.commit()
    return result, []


def status_of(form, errors: list[str]) -> int:
    """200 for a clean page, 422 when the form or the operation refused the input."""
    return 422 if errors or form.errors else 200
