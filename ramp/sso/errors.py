"""Why a single sign-on was refused, named so the page can say which check failed."""

from ramp.errors import RampError


class SignInRefused(RampError):
    """A sign-in that failed one check; `check` names it, `status` is the HTTP answer (4xx)."""

    def __init__(self, check: str, message: str, status: int = 401):
        self.check, self.message, self.status = check, message, status
        super().__init__(f"{check}: {message}")
