"""Calls to platform services over HTTP (standard library only), with a timeout.

Every URL ramp calls comes from a platform (a registration, a launch, a configuration), so
the opener refuses what a platform should never make ramp reach: schemes other than
http(s), plain http outside debugging and tests unless configured (LTI_ALLOW_HTTP), and
private, loopback, link-local and other special addresses unless configured
(LTI_ALLOW_PRIVATE_URLS). A redirect is checked the same way, and an Authorization header
never follows it to another host.

The host name is resolved once per connection, every address it answers is checked, and
the connection goes to a checked address (the Host header, TLS SNI and certificate check
still name the host): a name that answers a public address to the check and a loopback one
to the connection (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import json
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urlencode, urlsplit

from flask import current_app, has_app_context

from ramp.lti.errors import PlatformError

TIMEOUT = 10

# Ranges that carry an IPv4 address inside an IPv6 one: refused outright (NAT64, mapped,
# compatible) or judged by the IPv4 address they embed (6to4).
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
MAPPED = ipaddress.ip_network("::ffff:0:0/96")
COMPATIBLE = ipaddress.ip_network("::/96")
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


def resolve(host: str, port: int) -> list[str]:
    """The addresses a host name answers, in the resolver's order (an IP answers itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(info[4][0].split("%")[0] for info in infos))


def connect_to(address: tuple[str, int], timeout, source_address=None) -> socket.socket:
    """Open a TCP connection to one IP address (a seam the tests substitute)."""
    return socket.create_connection(address, timeout, source_address)


def refusal(address: str) -> str | None:
    """Why ramp must not call this IP address, or None when it may."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in net for net in NAT64):
            return "a NAT64 address"
        if ip in MAPPED or (ip in COMPATIBLE and int(ip) > 1):
            return "an IPv4 address written as IPv6"
        if ip in SIX_TO_FOUR:
            embedded = ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)
            return None if _public(embedded) else "a 6to4 address of a private network"
    return None if _public(ip) else "a private, loopback or link-local address"


def _public(ip) -> bool:
    return (
        ip.is_global
        and not ip.is_multicast
        and not ip.is_reserved
        and not ip.is_unspecified
        and not ip.is_loopback
        and not ip.is_link_local
        and not ip.is_private
    )


def _refuse(host: str, address: str, why: str):
    raise PlatformError(
        f"{host} is {why} ({address}): a private, loopback or link-local address; "
        "ramp does not call those unless RAMP_LTI_ALLOW_PRIVATE_URLS=1"
    )


def _allowed() -> tuple[bool, bool]:
    """(plain http allowed, private addresses allowed), from the app's configuration."""
    if not has_app_context():
        return False, False
    config = current_app.config
    http = bool(config.get("LTI_ALLOW_HTTP")) or current_app.debug or current_app.testing
    return http, bool(config.get("LTI_ALLOW_PRIVATE_URLS"))


def check_url(url: str, allowed: tuple[bool, bool] | None = None) -> None:
    """Refuse a URL ramp must not call (see the module's docstring): a PlatformError.

    A host given as an IP address is judged here; a name is judged when the connection
    resolves it (once), so the address checked is the address reached. `allowed`: (plain
    http, private addresses) for this call, instead of the LTI settings.
    """
    allow_http, allow_private = allowed if allowed is not None else _allowed()
    parts = urlsplit(url)
    try:
        hostname = parts.hostname
        parts.port  # noqa: B018  (a port that is not a number raises here)
    except ValueError:
        hostname = None
    if parts.scheme not in ("http", "https") or not hostname:
        raise PlatformError(f"{url[:200]} is not an http(s) URL; ramp calls no other kind")
    if parts.scheme == "http" and not allow_http:
        raise PlatformError(f"{url[:200]} is plain http; platform services must use https")
    if allow_private:
        return
    try:
        ipaddress.ip_address(hostname)
    except ValueError:
        return  # a name: checked when it is resolved
    if why := refusal(hostname):
        _refuse(hostname, hostname, why)


def pinned_connection(address, timeout=TIMEOUT, source_address=None, *, allow_private=False):
    """A socket to one checked address of the host: resolved once, every answer checked."""
    host, port = address
    try:
        addresses = resolve(host, port)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise PlatformError(f"{host} could not be resolved: {exc}") from None
    if not addresses:
        raise PlatformError(f"{host} could not be resolved: no address")
    if not allow_private:
        for ip in addresses:
            if why := refusal(ip):
                _refuse(host, ip, why)
    failure: OSError | None = None
    for ip in addresses:
        try:
            return connect_to((ip, port), timeout, source_address)
        except OSError as exc:
            failure = exc
    raise failure


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, allow_private: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(pinned_connection, allow_private=allow_private)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    # HTTPSConnection.connect wraps the pinned socket with server_hostname=self.host: SNI
    # and the certificate check are for the host name, not the address.
    def __init__(self, *args, allow_private: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(pinned_connection, allow_private=allow_private)


class _PinnedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, allow_private: bool):
        super().__init__()
        self.allow_private = allow_private

    def http_open(self, req):
        connection = functools.partial(_PinnedHTTPConnection, allow_private=self.allow_private)
        return self.do_open(connection, req)


class _PinnedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, allow_private: bool):
        super().__init__()
        self.allow_private = allow_private

    def https_open(self, req):
        connection = functools.partial(_PinnedHTTPSConnection, allow_private=self.allow_private)
        return self.do_open(connection, req, context=self._context)


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to a URL ramp may call; credentials stay with their host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        check_url(newurl)
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urlsplit(newurl).netloc != urlsplit(req.full_url).netloc:
            new.remove_header("Authorization")
        return new


def _opener(allow_private: bool) -> urllib.request.OpenerDirector:
    # No proxy from the environment: the connection must go to the address checked.
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        _PinnedHTTPHandler(allow_private),
        _PinnedHTTPSHandler(allow_private),
        _Redirects,
    )


def user_agent() -> str:
    """ramp/<version> (+public URL): platforms such as Canvas want to know who calls."""
    try:
        number = version("ramp")
    except PackageNotFoundError:
        number = "0"
    public = current_app.config.get("PUBLIC_URL") if has_app_context() else None
    return f"ramp/{number} (+{public})" if public else f"ramp/{number}"


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
    headers.setdefault("User-Agent", user_agent())
    check_url(url)
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    return _open(request, _allowed()[1], TIMEOUT, f"{method} {url}")


def _open(
    request: urllib.request.Request, allow_private: bool, timeout: float, what: str
) -> Answer:
    """Send a checked request; a PlatformError naming `what` for a non-2xx or a network failure."""
    try:
        with _opener(allow_private).open(request, timeout=timeout) as response:
            return Answer(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:300].decode(errors="replace")
        raise PlatformError(f"{what} answered {exc.code}: {detail}", exc.code) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PlatformError(f"{what} could not be reached: {reason}") from None


def post_json(
    url: str,
    body: dict,
    *,
    allow_http: bool,
    allow_private: bool,
    timeout: float = TIMEOUT,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """POST a JSON document to a URL someone configured (a webhook), with the same checks as
    `call` but the caller's own allowances and timeout; a PlatformError (with the status,
    and whether trying again may help) for a refused URL, a network failure or a non-2xx.
    `data` is the document already encoded (when its bytes are signed); `headers` are added."""
    check_url(url, (allow_http, allow_private))
    sent = {"Content-Type": "application/json", "User-Agent": user_agent(), **(headers or {})}
    request = urllib.request.Request(
        url,
        data=data if data is not None else json.dumps(body).encode(),
        headers=sent,
        method="POST",
    )
    return _open(request, allow_private, timeout, "the webhook")
