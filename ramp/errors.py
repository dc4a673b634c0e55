"""Exceptions the domain raises and the web and CLI layers turn into messages."""


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
