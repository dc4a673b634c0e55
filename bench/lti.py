"""Benchmark of an LTI launch: server time from login initiation to the landing page.

    python bench/lti.py [--launches 200] [--db bench/out/lti.sqlite]

Runs ramp (Flask test client, no network between browser and tool) beside the simulated
platform of the test suite (tests/lti/platform.py, needs the test extra), which serves its
key set over HTTP on 127.0.0.1. After a warm-up launch (the platform key set is then
cached), each launch is timed around ramp's three requests only: login initiation (GET),
the launch (POST with the id_token) and the landing page (a module of the starter
curriculum). The platform's signing time is not ramp's and is not counted.

Prints median and p95 for returning learners and for first launches (account, cohort
hire and enrollment made). Target: p95 within 50 ms for a returning learner.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from common import fresh_database, percentile

TARGET_P95_MS = 50
ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=200)
    parser.add_argument("--learners", type=int, default=20, help="returning learners, cycled")
    parser.add_argument("--db", default="bench/out/lti.sqlite")
    args = parser.parse_args()
    fresh_database(args.db)
    sys.path.insert(0, str(ROOT))

    import logging
    import re
    from html import unescape

    from flask_migrate import upgrade
    from werkzeug.test import Client

    from ramp import create_app
    from ramp.curricula.operations import publish_curriculum
    from ramp.curricula.spec import load_curriculum_file
    from ramp.extensions import db
    from ramp.lti.registrations import key_set_fetches, register_platform
    from ramp.milestones.operations import publish_template_text
    from tests.lti.platform import Platform

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # The simulated platform serves plain http on 127.0.0.1, which ramp refuses by default.
    app = create_app(
        {"RATELIMIT_ENABLED": False, "LTI_ALLOW_HTTP": True, "LTI_ALLOW_PRIVATE_URLS": True}
    )
    platform = Platform().start()
    platform.tool_url = "http://localhost"
    with app.app_context():
        upgrade()
        starter = ROOT / "ramp" / "curricula" / "starter" / "support-onboarding.yaml"
        publish_curriculum(load_curriculum_file(str(starter)))
        template = ROOT / "ramp" / "milestones" / "starter" / "contact-center-12-weeks.yaml"
        publish_template_text(template.read_text())
        register_platform(
            "Simulated LMS", platform.issuer, platform.client_id, platform.auth_url,
            platform.token_url, platform.key_set_url, [platform.deployment_id],
        )  # fmt: skip
        db.session.commit()
    lms = Client(platform.wsgi)
    target = {"ramp_target": "module:support-onboarding/ticketing-basics"}
    field = re.compile(r'name="(id_token|state)" value="([^"]*)"')

    def launch(sub: str) -> float:
        client = app.test_client()
        hint = platform.prepare(sub=sub, name=f"Learner {sub}", email=f"{sub}@lms.example",
                                custom=target, nrps=False)  # fmt: skip
        params = {
            "iss": platform.issuer, "login_hint": hint, "lti_message_hint": hint,
            "target_link_uri": "http://localhost/lti/launch", "client_id": platform.client_id,
            "lti_deployment_id": platform.deployment_id,
        }  # fmt: skip
        started = time.perf_counter()
        answer = client.get("/lti/login", query_string=params)
        server = time.perf_counter() - started
        assert answer.status_code == 302, answer.get_data(as_text=True)
        page = lms.get(answer.headers["Location"]).get_data(as_text=True)
        posted = {k: unescape(v) for k, v in field.findall(page)}
        started = time.perf_counter()
        answer = client.post("/lti/launch", data=posted)
        assert answer.status_code == 303, answer.get_data(as_text=True)
        landing = client.get(answer.headers["Location"])
        server += time.perf_counter() - started
        assert landing.status_code == 200 and "Product and ticketing basics" in landing.get_data(
            as_text=True
        )
        return server * 1000

    try:
        launch("warm-up")
        first = [launch(f"learner-{i}") for i in range(args.learners)]
        fetched = len(key_set_fetches)
        returning = [launch(f"learner-{i % args.learners}") for i in range(args.launches)]
        assert len(key_set_fetches) == fetched, "the key set was fetched again"
    finally:
        platform.stop()

    def report(name: str, times: list[float]) -> float:
        p95 = percentile(times, 95)
        print(f"{name:34} n={len(times):4}  median {statistics.median(times):6.1f} ms"
              f"  p95 {p95:6.1f} ms")  # fmt: skip
        return p95

    print("LTI launch, login initiation to landing page (server time, warm key cache)")
    p95 = report("returning learner", returning)
    report("first launch (account + hire)", first)
    verdict = "within" if p95 <= TARGET_P95_MS else "OVER"
    print(f"target p95 {TARGET_P95_MS} ms: {verdict}")


if __name__ == "__main__":
    main()
