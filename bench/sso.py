"""Benchmark of single sign-on: the OpenID Connect callback beside the password sign-in.

    python bench/sso.py [--sign-ins 100] [--db bench/out/sso.sqlite]

Runs ramp (Flask test client) beside the test suite's OpenID provider (tests/sso/provider.py,
built with Authlib's server side, needs the test extra) on 127.0.0.1. For each sign-in, in a
fresh browser session, the provider's page is answered outside the clock; what is timed is
ramp's callback: the state used up, the code exchanged with the provider over HTTP, the ID
token's signature checked with the provider's key set (warm: fetched once before the run),
its claims, the user found by subject, the audit row, the session. Beside it, in the same
run, the password sign-in: POST /auth/login with a right password (its hash check included),
through to the redirect. Ratios are printed beside the figures, so they hold on a busy
machine.

The database is a fresh SQLite file, or the PostgreSQL database DATABASE_URL names (empty
or ramp's own: the script migrates it and adds what it needs).
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path
from urllib.parse import urlsplit

from common import bench_database, percentile

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sign-ins", type=int, default=100, help="timed sign-ins of each kind")
    parser.add_argument("--users", type=int, default=10, help="returning users of each kind")
    parser.add_argument("--db", default="bench/out/sso.sqlite")
    args = parser.parse_args()
    where = bench_database(args.db)

    import logging

    import requests
    from flask_migrate import upgrade
    from sqlalchemy import delete

    from ramp import create_app
    from ramp.accounts.models import User
    from ramp.accounts.operations import create_user
    from ramp.extensions import db
    from ramp.sso.models import IdentityProvider, UserIdentity
    from ramp.sso.providers import save_provider
    from tests.sso.provider import OpenIDProvider, Person

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = create_app(
        {
            "RATELIMIT_ENABLED": False,
            "LTI_ALLOW_HTTP": True,
            "LTI_ALLOW_PRIVATE_URLS": True,
            "TRUSTED_HOSTS": ["localhost"],
        }
    )
    op = OpenIDProvider().start()
    with app.app_context():
        upgrade()
        db.session.execute(delete(UserIdentity))
        db.session.execute(delete(IdentityProvider).where(IdentityProvider.name == "Bench SSO"))
        db.session.execute(delete(User).where(User.email.like("%@bench-sso.example")))
        provider = save_provider(
            None,
            actor=None,
            secret_key=app.config["SECRET_KEY"],
            allow_http=True,
            protocol="oidc",
            name="Bench SSO",
            issuer=op.issuer,
            client_id=op.client_id,
            client_secret=op.client_secret,
            allow_jit=True,
        )
        for n in range(args.users):
            create_user(f"pw{n}@bench-sso.example", f"Password {n}", PASSWORD)
        db.session.commit()
        provider_id = provider.id
    op.redirect_uris.append(f"http://localhost/auth/sso/{provider_id}/callback")
    people = [
        op.add(Person(f"bench-{n}", f"sso{n}@bench-sso.example", f"SSO {n}"))
        for n in range(args.users)
    ]
    csrf = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

    def oidc_once(person) -> float:
        client = app.test_client()
        begun = client.get(f"/auth/sso/{provider_id}")
        answer = requests.post(
            begun.headers["Location"],
            data={"username": person.email, "password": person.password},
            allow_redirects=False,
            timeout=10,
        )
        back = urlsplit(answer.headers["Location"])
        started = time.perf_counter()
        done = client.get(back.path + "?" + back.query)
        elapsed = time.perf_counter() - started
        assert done.status_code == 302, done.get_data(as_text=True)[:500]
        return elapsed * 1000

    def password_once(n: int) -> float:
        client = app.test_client()
        token = csrf.search(client.get("/auth/login").get_data(as_text=True)).group(1)
        started = time.perf_counter()
        done = client.post(
            "/auth/login",
            data={"csrf_token": token, "email": f"pw{n}@bench-sso.example", "password": PASSWORD},
        )
        elapsed = time.perf_counter() - started
        assert done.status_code == 302, done.get_data(as_text=True)[:500]
        return elapsed * 1000

    # Warm: every person signs in once (creating their account, the key set fetched once).
    for person in people:
        oidc_once(person)
    fetches = op.key_set_fetches
    oidc_ms, password_ms = [], []
    for i in range(args.sign_ins):  # interleaved, so both meet the same machine
        oidc_ms.append(oidc_once(people[i % len(people)]))
        password_ms.append(password_once(i % args.users))
    op.stop()
    assert op.key_set_fetches == fetches, "the key set was fetched again during the run"

    def row(name: str, values: list[float]) -> tuple[float, float]:
        p50, p95 = statistics.median(values), percentile(values, 95)
        print(f"{name:28} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
        return p50, p95

    print(f"{args.sign_ins} sign-ins of each kind on {where}; key set fetched {fetches} time(s)")
    o50, o95 = row("OIDC callback (warm keys)", oidc_ms)
    p50, p95 = row("password sign-in", password_ms)
    print(f"{'OIDC / password':28} p50 {o50 / p50:7.2f} x    p95 {o95 / p95:7.2f} x")


if __name__ == "__main__":
    main()
