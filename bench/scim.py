"""Benchmark of SCIM listing: an identity provider's lookups and pages over many users.

    python bench/scim.py [--users 5000] [--requests 50] [--db bench/out/scim.sqlite]

Before each create or update, Okta and Entra ID look the user up: `GET /scim/v2/Users?filter=
userName eq "..."` (Entra ID also by externalId); a full sync reads every user a page at a
time. This provisions --users users through ramp's own SCIM operations, then times, through
the Flask test client with the integration's bearer token:
  - a lookup by userName (a different user each time, in upper case: SCIM compares userNames
    without case), and one by externalId;
  - the same lookups written in parentheses, which ramp does not read as a plain lookup: the
    filter is applied to every user, as every lookup was before (the full scan);
  - a page of 100 users without a filter, from the middle of the list;
beside a baseline in the same run: the user found by a bare SQL statement on the same
indexed column, and its SCIM resource built (the least any answer to the lookup does). CPU
time of this process, and of the local PostgreSQL server when DATABASE_URL names one.

The database is a fresh SQLite file, or the PostgreSQL database DATABASE_URL names (empty or
ramp's own: the script migrates it and adds what it needs).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from common import bench_database, server_cpu

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = "bench-scim.example"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000, help="users provisioned")
    parser.add_argument("--requests", type=int, default=50, help="timed requests of each kind")
    parser.add_argument("--db", default="bench/out/scim.sqlite")
    args = parser.parse_args()
    where = bench_database(args.db)

    import logging

    from flask_migrate import upgrade
    from sqlalchemy import delete, func, select

    from ramp import create_app
    from ramp.accounts.models import Role, User
    from ramp.accounts.operations import create_user
    from ramp.extensions import db
    from ramp.metrics.api import create_token
    from ramp.scim import operations as ops
    from ramp.scim.models import ScimUser

    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = create_app({"RATELIMIT_ENABLED": False, "TRUSTED_HOSTS": ["localhost"]})
    base = "http://localhost/scim/v2"
    with app.app_context():
        upgrade()
        mine = select(User.id).where(User.email.like(f"%@{DOMAIN}"))
        db.session.execute(delete(ScimUser).where(ScimUser.user_id.in_(mine)))
        db.session.execute(delete(User).where(User.email.like(f"%@{DOMAIN}")))
        admin = create_user(f"it-admin@{DOMAIN}", "IT Admin", None, Role.ADMIN)
        _, secret = create_token("Bench IdP", admin, scopes=["scim"])
        started = time.perf_counter()
        for n in range(args.users):
            email = f"user{n:05}@{DOMAIN}"
            ops.create_user(
                {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": email,
                    "externalId": f"ext-{n:05}",
                    "name": {"givenName": "User", "familyName": f"{n:05}"},
                    "emails": [{"primary": True, "value": email, "type": "work"}],
                    "active": True,
                },
                base,
            )
            if n % 500 == 499:
                db.session.commit()
        db.session.commit()
        total = db.session.execute(select(func.count()).select_from(User)).scalar_one()
        print(
            f"SCIM listing, {where}: {args.users} users provisioned in "
            f"{time.perf_counter() - started:.1f} s ({total} users in all)"
        )
        client = app.test_client()
        headers = {"Authorization": f"Bearer {secret}"}
        step = max(args.users // args.requests, 1)
        picks = [(i * step) % args.users for i in range(args.requests)]

        def get(query: dict, expect: int):
            response = client.get("/scim/v2/Users", query_string=query, headers=headers)
            body = response.get_json()
            assert response.status_code == 200, body
            assert len(body.get("Resources", [])) == expect, body
            return body

        def by_user_name(n: int, wrap: bool = False):
            text = f'userName eq "USER{n:05}@{DOMAIN.upper()}"'
            get({"filter": f"({text})" if wrap else text}, 1)

        def by_external_id(n: int, wrap: bool = False):
            text = f'externalId eq "ext-{n:05}"'
            get({"filter": f"({text})" if wrap else text}, 1)

        def page(n: int):
            get({"startIndex": args.users // 2, "count": 100}, 100)

        def bare(n: int):
            key = f"user{n:05}@{DOMAIN}"
            user, row = db.session.execute(
                select(User, ScimUser)
                .join(ScimUser, ScimUser.user_id == User.id)
                .where(ScimUser.user_name == key)
            ).one()
            ops.user_resource(user, row, base).model_dump(mode="json")
            db.session.rollback()

        kinds = [
            ("lookup by userName", by_user_name, args.requests),
            ("lookup by externalId", by_external_id, args.requests),
            ("page of 100, no filter", page, args.requests),
            ("baseline: bare SQL + resource", bare, args.requests),
            ("full scan (userName)", lambda n: by_user_name(n, True), max(args.requests // 10, 3)),
            (
                "full scan (externalId)",
                lambda n: by_external_id(n, True),
                max(args.requests // 10, 3),
            ),
        ]
        figures = {}
        with db.engine.connect() as probe:
            for name, run, count in kinds:
                run(picks[0])  # warm
                wall, cpu = [], []
                pg_before = server_cpu(probe)
                for n in picks[:count]:
                    t0, c0 = time.perf_counter(), time.process_time()
                    run(n)
                    wall.append(time.perf_counter() - t0)
                    cpu.append(time.process_time() - c0)
                pg = (server_cpu(probe) - pg_before) / count
                figures[name] = (statistics.median(wall), statistics.median(cpu) + pg)
        baseline = figures["baseline: bare SQL + resource"][1]
        print(f"  {'kind':32} {'median':>10} {'CPU':>10} {'/baseline':>10}")
        for name, (wall, cpu) in figures.items():
            print(f"  {name:32} {wall * 1000:8.2f} ms {cpu * 1000:8.2f} ms {cpu / baseline:9.1f}x")
        print("  CPU: this process's, and the local PostgreSQL server's when it is one")


if __name__ == "__main__":
    main()
