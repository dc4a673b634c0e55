"""Exceptions the domain raises and the web and CLI layers turn into messages."""

from dataclasses import dataclass


class RampError(Exception):
    """Base class of the errors ramp reports to a user."""


class ValidationError(RampError):
    """Input that was refused; nothing was changed. Carries one message per problem."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class NotAllowed(RampError):
    """The user may not do this (a locked module, a spent attempt, someone else's record)."""


class NotFound(RampError):
    """The record does not exist, or the user may not know that it does."""


@dataclass(frozen=True)
class LineProblem:
    """A problem with one line of an uploaded file: where it is and what is wrong."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"
