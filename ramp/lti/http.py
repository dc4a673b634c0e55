"""Calls to platform services over HTTP (standard library only), with a timeout.

Every URL ramp calls comes from a platform (a registration, a launch, a configuration), so
the opener refuses what a platform should never make ramp reach: schemes other than
http(s), plain http outside debugging and tests unless configured (LTI_ALLOW_HTTP), and
private, loopback and link-local addresses unless configured (LTI_ALLOW_PRIVATE_URLS). A
redirect is checked the same way, and an Authorization header never follows it to
another host.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from ramp.lti.errors import PlatformError

TIMEOUT = 10


def _allowed() -> tuple[bool, bool]:
    """(plain http allowed, private addresses allowed), from the app's configuration."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return False, False
    config = current_app.config
    http = bool(config.get("LTI_ALLOW_HTTP")) or current_app.debug or current_app.testing
    return http, bool(config.get("LTI_ALLOW_PRIVATE_URLS"))


def check_url(url: str) -> None:
    """Refuse a URL ramp must not call (see the module's docstring): a PlatformError."""
    allow_http, allow_private = _allowed()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PlatformError(f"{url[:200]} is not an http(s) URL; ramp calls no other kind")
    if parts.scheme == "http" and not allow_http:
        raise PlatformError(f"{url[:200]} is plain http; platform services must use https")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise PlatformError(f"{parts.hostname} could not be resolved: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            raise PlatformError(
                f"{parts.hostname} is a private, loopback or link-local address ({address}); "
                "ramp does not call those unless RAMP_LTI_ALLOW_PRIVATE_URLS=1"
            )


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to a URL ramp may call; credentials stay with their host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        check_url(newurl)
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urlsplit(newurl).netloc != urlsplit(req.full_url).netloc:
            new.remove_header("Authorization")
        return new


_opener = urllib.request.build_opener(_Redirects)


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
        """The Link header as {rel: url}, parsed per RFC 8288 (commas may sit inside <URL>
        and inside quoted parameters)."""
        found: dict[str, str] = {}
        for match in LINK_VALUE.finditer(self.headers.get("link", "")):
            url, params = match.group(1), match.group(2)
            for name, quoted, bare in LINK_PARAM.findall(params):
                if name.lower() == "rel":
                    for rel in (quoted or bare).split():
                        found.setdefault(rel.lower(), url)
        return found


LINK_VALUE = re.compile(r'<([^>]*)>((?:\s*;\s*[^;,=\s]+\s*(?:=\s*(?:"[^"]*"|[^;,\s]*))?)*)')
LINK_PARAM = re.compile(r';\s*([^;,=\s]+)\s*(?:=\s*(?:"([^"]*)"|([^;,\s]*)))?')


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
    check_url(url)
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
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
