"""ramp served on a loopback port, a SCIM token, and scim2-client speaking to the server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from scim2_client import BaseSyncSCIMClient
from scim2_client.errors import RequestNetworkException
from werkzeug.serving import make_server

from tests.conftest import make_app


class HttpxSCIMClient(BaseSyncSCIMClient):
    """scim2-client's synchronous client over an httpx.Client: its httpx2 engine, with the
    httpx package (same API) that ramp's test extras install."""

    def __init__(self, client: httpx.Client, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client

    def _stays_under_base_url(self, endpoint: str) -> bool:
        base_url = self.client.base_url
        try:
            url = self.client.build_request("GET", endpoint).url
        except httpx.InvalidURL:
            return False
        return (
            url.scheme == base_url.scheme
            and url.host == base_url.host
            and (url.port == base_url.port and url.raw_path.startswith(base_url.raw_path))
        )

    def _parse_json(self, response) -> Any:
        return response.json()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        with _network_errors():
            return self.client.request(method, url, **kwargs)


@contextmanager
def _network_errors() -> Iterator[None]:
    try:
        yield
    except httpx.RequestError as exc:
        error = RequestNetworkException()
        error.add_note(str(exc))
        raise error from exc


@pytest.fixture
def scim_token(app, make_user):
    """(secret, token) of a live token with the scim scope, made by an admin."""
    from ramp.extensions import db
    from ramp.metrics.api import create_token

    admin = make_user("admin", email="it-admin@example.com")
    token, secret = create_token("Okta", admin, scopes=["scim"])
    db.session.commit()
    return secret, token


@pytest.fixture
def scim_server(app, migrated) -> Iterator[str]:
    """The SCIM base URL of ramp served over HTTP on 127.0.0.1 for one test."""
    served = make_app(migrated)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/scim/v2"
    server.shutdown()
    thread.join(timeout=5)
    from ramp.extensions import db

    with served.app_context():
        db.engine.dispose()


@pytest.fixture
def scim_client(scim_server, scim_token) -> Iterator[HttpxSCIMClient]:
    """scim2-client on the running server, authenticated with the SCIM token."""
    secret, _token = scim_token
    with httpx.Client(
        base_url=scim_server, headers={"Authorization": f"Bearer {secret}"}, timeout=30
    ) as http:
        yield HttpxSCIMClient(http)
