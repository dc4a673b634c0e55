"""Calls to platform services over HTTP (standard library only), with a timeout."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlencode

from ramp.lti.errors import PlatformError

TIMEOUT = 10


@dataclass(frozen=True)
class Answer:
    """A platform's HTTP answer."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        """The body parsed as JSON; a PlatformError when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise PlatformError(
                f"the platform answered with something that is not JSON ({exc})"
            ) from None

    def links(self) -> dict[str, str]:
        """The Link header as {rel: url} (RFC 8288, the forms platforms send)."""
        found = {}
        for part in self.headers.get("link", "").split(","):
            pieces = [p.strip() for p in part.split(";")]
            if not pieces[0].startswith("<"):
                continue
            url = pieces[0][1:-1]
            for param in pieces[1:]:
                name, _, value = param.partition("=")
                if name.strip().lower() == "rel":
                    for rel in value.strip().strip('"').split():
                        found[rel] = url
        return found


def call(
    method: str,
    url: str,
    *,
    headers: dict | None = None,
    form: dict | None = None,
    body: dict | None = None,
    content_type: str = "application/json",
) -> Answer:
    """One HTTP request; a PlatformError for a network failure or an answer that is not 2xx."""
    data = None
    headers = dict(headers or {})
    if form is not None:
        data = urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = content_type
    headers.setdefault("User-Agent", "ramp-lti")
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return Answer(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:300].decode(errors="replace")
        raise PlatformError(f"{method} {url} answered {exc.code}: {detail}", exc.code) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PlatformError(f"{method} {url} could not be reached: {reason}") from None
