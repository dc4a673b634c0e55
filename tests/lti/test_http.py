"""What ramp's calls to platforms refuse: other schemes, plain http, private addresses, and
credentials following a redirect to another host."""

import pytest

from ramp.lti.errors import PlatformError
from ramp.lti.http import call


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://lms.example/x", "gopher://lms.example/", "http:///nohost"],
)
def test_only_http_urls_are_called(app, url):
    with pytest.raises(PlatformError, match="not an http"):
        call("GET", url)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/jwks",
        "https://10.1.2.3/jwks",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/jwks",
        "https://localhost/jwks",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused_unless_allowed(app, url):
    app.config["LTI_ALLOW_PRIVATE_URLS"] = False
    with pytest.raises(PlatformError, match="private, loopback or link-local"):
        call("GET", url)


def test_plain_http_is_refused_outside_tests_unless_configured(app, platform):
    app.config.update(TESTING=False, LTI_ALLOW_HTTP=False)
    with pytest.raises(PlatformError, match="plain http"):
        call("GET", platform.key_set_url)
    app.config["LTI_ALLOW_HTTP"] = True
    assert call("GET", platform.key_set_url).json()["keys"]


def test_a_redirect_is_checked_and_keeps_credentials_on_its_host(app, platform):
    same = f"{platform.url}/redirect?to={platform.url}/echo-auth"
    answer = call("GET", same, headers={"Authorization": "Bearer secret"})
    assert answer.json() == {"authorization": "Bearer secret"}
    other_host = platform.url.replace("127.0.0.1", "localhost")
    away = f"{platform.url}/redirect?to={other_host}/echo-auth"
    answer = call("GET", away, headers={"Authorization": "Bearer secret"})
    assert answer.json() == {"authorization": None}


def test_a_redirect_to_a_private_address_is_refused(app, platform, monkeypatch):
    from ramp.lti import http

    checked = []
    real = http.check_url

    def check(url):
        checked.append(url)
        if "?" not in url and url.endswith("/echo-auth"):
            raise PlatformError(f"{url} refused")
        real(url)

    monkeypatch.setattr(http, "check_url", check)
    with pytest.raises(PlatformError, match="refused"):
        call("GET", f"{platform.url}/redirect?to={platform.url}/echo-auth")
    assert checked == [
        f"{platform.url}/redirect?to={platform.url}/echo-auth",
        f"{platform.url}/echo-auth",
    ]


REBINDING_NAME = "rebind.ramp-test.example"
PUBLIC = "93.184.216.34"


@pytest.fixture
def loopback_listener():
    """A TCP listener on 127.0.0.1 that must never be reached."""
    import socket

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.setblocking(False)
    yield listener
    listener.close()


def _reached(listener) -> bool:
    try:
        connection, _ = listener.accept()
    except BlockingIOError:
        return False
    connection.close()
    return True


@pytest.fixture
def network(monkeypatch):
    """A substitute resolver for one name (answers in turn) and a connection guard: the test
    may connect to loopback only; a connection to another address is recorded, not made."""
    import socket

    from ramp.lti import http

    real_resolve, real_connect = socket.getaddrinfo, socket.create_connection
    state = {"answers": [], "lookups": 0, "attempted": []}

    def resolver(host, port, *args, **kwargs):
        if host != REBINDING_NAME:
            return real_resolve(host, port, *args, **kwargs)
        answer = state["answers"][min(state["lookups"], len(state["answers"]) - 1)]
        state["lookups"] += 1
        family = socket.AF_INET6 if ":" in answer else socket.AF_INET
        sockaddr = (answer, port, 0, 0) if family == socket.AF_INET6 else (answer, port)
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]

    def guarded(address, *args, **kwargs):
        import ipaddress

        try:
            literal = ipaddress.ip_address(address[0])
        except ValueError:
            literal = None
        if literal is not None and not literal.is_loopback:
            state["attempted"].append(address[0])
            raise OSError("the test network reaches loopback only")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    monkeypatch.setattr(socket, "create_connection", guarded)
    monkeypatch.setattr(http, "TIMEOUT", 1)
    return state


def test_a_name_that_rebinds_to_loopback_never_reaches_it(app, network, loopback_listener):
    app.config["LTI_ALLOW_PRIVATE_URLS"] = False
    port = loopback_listener.getsockname()[1]
    network["answers"] = [PUBLIC, "127.0.0.1"]
    with pytest.raises(PlatformError, match="could not be reached"):
        call("GET", f"http://{REBINDING_NAME}:{port}/jwks")
    assert not _reached(loopback_listener)
    assert network["lookups"] == 1  # resolved once; the address checked is the one dialled
    assert network["attempted"] == [PUBLIC]


def test_a_name_that_answers_loopback_first_is_refused_before_connecting(
    app, network, loopback_listener
):
    app.config["LTI_ALLOW_PRIVATE_URLS"] = False
    port = loopback_listener.getsockname()[1]
    network["answers"] = ["127.0.0.1", PUBLIC]
    with pytest.raises(PlatformError, match="private, loopback or link-local"):
        call("GET", f"http://{REBINDING_NAME}:{port}/jwks")
    assert not _reached(loopback_listener)
    assert network["attempted"] == []


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::127.0.0.1",  # IPv4-compatible
        "::ffff:10.0.0.1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::a00:1",  # local-use NAT64
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "100.64.0.1",  # shared address space (carrier NAT)
        "0.0.0.0",
        "::",
        "fc00::1",
        "fe80::1",
        "224.0.0.1",
        "ff02::1",
        "198.18.0.1",
        "240.0.0.1",
    ],
)
def test_special_addresses_are_refused_by_name_and_as_literals(app, network, address):
    app.config["LTI_ALLOW_PRIVATE_URLS"] = False
    network["answers"] = [address]
    with pytest.raises(PlatformError, match="private, loopback or link-local"):
        call("GET", f"https://{REBINDING_NAME}/jwks")
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(PlatformError, match="private, loopback or link-local"):
        call("GET", f"https://{host}/jwks")
    assert network["attempted"] == []


@pytest.mark.parametrize("address", [PUBLIC, "2606:4700:4700::1111", "2002:5db8:d822::1"])
def test_public_addresses_are_dialled_as_checked(app, network, address):
    app.config["LTI_ALLOW_PRIVATE_URLS"] = False
    network["answers"] = [address]
    with pytest.raises(PlatformError, match="could not be reached"):
        call("GET", f"https://{REBINDING_NAME}/jwks")
    assert network["attempted"] == [address]


def test_https_to_a_pinned_address_still_checks_the_host_name(app, network):
    """SNI and certificate verification name the host, not the address dialled."""
    import ssl

    from ramp.lti import http

    seen = {}

    class Context(ssl.SSLContext):
        def wrap_socket(self, sock, *args, server_hostname=None, **kwargs):
            seen["server_hostname"] = server_hostname
            seen["check_hostname"] = self.check_hostname
            raise ssl.SSLError("stop here")

    network["answers"] = ["127.0.0.1"]
    app.config["LTI_ALLOW_PRIVATE_URLS"] = True
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    handler = http._PinnedHTTPSHandler(True)
    handler._context = Context(ssl.PROTOCOL_TLS_CLIENT)
    handler._context.load_default_certs()
    try:
        request = urllib_request(f"https://{REBINDING_NAME}:{listener.getsockname()[1]}/x")
        with pytest.raises(Exception, match="stop here"):
            handler.https_open(request)
    finally:
        listener.close()
    assert seen == {"server_hostname": REBINDING_NAME, "check_hostname": True}


def urllib_request(url):
    import urllib.request

    request = urllib.request.Request(url)
    request.timeout = 1
    return request


def test_calls_say_who_is_calling(app, platform):
    app.config["PUBLIC_URL"] = "https://ramp.example.com"
    call("GET", platform.key_set_url)
    assert platform.user_agents[-1].startswith("ramp/")
    assert platform.user_agents[-1].endswith("(+https://ramp.example.com)")
