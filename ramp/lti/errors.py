"""Why a launch or a platform call was refused, named so the page can say which check failed."""

from ramp.errors import RampError


class LaunchError(RampError):
    """A launch that failed one check; `check` names it, `status` is the HTTP answer (4xx)."""

    def __init__(self, check: str, message: str, status: int = 401):
        self.check, self.message, self.status = check, message, status
        super().__init__(f"{check}: {message}")


class CookiesBlocked(LaunchError):
    """The browser sent no state cookie: start again in a new window, where it is first-party."""

    def __init__(self, login_params: dict):
        self.login_params = login_params
        super().__init__(
            "state cookie",
            "Your browser did not send back the cookie ramp set when the launch began, which "
            "happens when third-party cookies are blocked inside the course page.",
            403,
        )


class PlatformError(RampError):
    """A platform service answered badly or not at all; `retry` says whether trying again may help."""

    def __init__(self, message: str, status: int | None = None):
        self.status = status
        self.retry = status is None or status >= 500 or status == 429
        super().__init__(message)
