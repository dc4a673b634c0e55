"""A page read never writes: every GET page, as every role, sends no INSERT, UPDATE or DELETE.

A read that writes takes SQLite's write lock, so it would wait for (and then fail behind) a
long import; it also turns a crawler or a prefetch into a change. Uses the authorization
test's table of every page, so a new page is covered as soon as it has its access rule.
"""

import pytest
from sqlalchemy import event

from tests.conftest import login
from tests.web.test_authorization import ROLES, RULES, scene  # noqa: F401 (scene: a fixture)

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@pytest.mark.parametrize("role", ROLES)
def test_pages_never_write(client, scene, db, role):  # noqa: F811 (scene: the fixture)
    users, urls = scene
    login(client, users[role].email)
    written: list[str] = []

    def watch(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(WRITES):
            written.append(statement.split("\n")[0][:80])

    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        for endpoint in RULES:
            written.clear()
            status = client.get(urls[endpoint]).status_code
            assert not written, (endpoint, role, status, written)
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
