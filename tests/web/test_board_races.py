"""Two people acting on the same thing at the same instant: one succeeds, the other is told.

Each request runs in its own thread with its own app context, so its own session and
database connection. Both requests are held at the permission check, after they have
loaded the hire and before either writes, and then let go together: the widest window
a real double submit can have.
"""

import threading
from html import unescape

import pytest
from sqlalchemy import func, select

from ramp.certificates import operations as certificates
from ramp.certificates.models import Certificate
from ramp.milestones import operations
from ramp.milestones.models import HireEvent
from tests.conftest import csrf_token, login, make_ready


def count(db, model, *where) -> int:
    """Committed rows only: read on a connection of its own."""
    with db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


@pytest.fixture
def hold(monkeypatch):
    """hold(): from now on, requests wait for each other once they have loaded the hire."""
    barrier = threading.Barrier(2, timeout=10)
    real = operations.require_manager_of

    def held(actor, hire):
        real(actor, hire)
        barrier.wait()

    def install():
        monkeypatch.setattr(operations, "require_manager_of", held)
        monkeypatch.setattr(certificates, "require_manager_of", held)

    return install


def race(app, world, url, data) -> list:
    """POST the same form from two browsers at once (the manager, an admin); the responses."""
    responses = [None, None]
    errors = []

    def post(i, email):
        # A thread of its own: its own app context, session and connection.
        try:
            client = app.test_client()
            login(client, email)
            token = csrf_token(client, "/learn/ramp")
            responses[i] = client.post(url, data={"csrf_token": token, **data})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    emails = (world.lead.email, world.admin.email)
    threads = [threading.Thread(target=post, args=(i, e)) for i, e in enumerate(emails)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    return responses


def one_wins(responses, message: str) -> None:
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [303, 422], statuses
    loser = next(r for r in responses if r.status_code == 422)
    html = unescape(loser.get_data(as_text=True))
    assert message in html, html[:3000]


@pytest.fixture
def world(ramp_world, db):
    w = ramp_world
    w.h = w.hire(name="Rae Race")
    w.hire_id = w.h.id
    return w


def test_sign_off_race(app, world, db, hold):
    url = f"/board/hires/{world.hire_id}/sign-off"
    hold()
    one_wins(race(app, world, url, {"milestone": "classroom"}), "was already signed off by")
    assert count(db, HireEvent, HireEvent.action == "sign_off") == 1


def test_waive_race(app, world, db, hold):
    url = f"/board/hires/{world.hire_id}/waive"
    data = {"milestone": "basics-done", "reason": "Done elsewhere"}
    hold()
    one_wins(race(app, world, url, data), "was already waived by")
    assert count(db, HireEvent, HireEvent.action == "waive") == 1


def test_extend_race(app, world, db, hold):
    url = f"/board/hires/{world.hire_id}/extend"
    data = {"milestone": "basics-done", "due": "2099-01-01", "reason": "Sick leave"}
    hold()
    one_wins(race(app, world, url, data), "was just moved to")
    assert count(db, HireEvent, HireEvent.action == "extend") == 1


def test_readiness_sign_off_race(app, world, db, hold):
    make_ready(world, world.h, sign_off=False)
    url = f"/board/hires/{world.hire_id}/ready"
    hold()
    one_wins(race(app, world, url, {"note": "Ready"}), "is already signed off as ready by")
    assert count(db, HireEvent, HireEvent.action == "ready_sign_off") == 1


def test_issue_certificate_race(app, world, db, hold):
    make_ready(world, world.h)
    url = f"/board/hires/{world.hire_id}/certificates"
    hold()
    one_wins(race(app, world, url, {}), "already holds certificate")
    assert count(db, Certificate) == 1
    assert count(db, HireEvent, HireEvent.action == "issue_certificate") == 1


def test_revoke_race(app, world, db, hold):
    make_ready(world, world.h)
    cert = certificates.issue_certificate(world.h, world.lead, "http://localhost")
    db.session.commit()
    url = f"/board/hires/{world.hire_id}/certificates/{cert.id}/revoke"
    hold()
    one_wins(race(app, world, url, {"reason": "Issued in error"}), "was already revoked by")
    assert count(db, HireEvent, HireEvent.action == "revoke_certificate") == 1
