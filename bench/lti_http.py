"""LTI launches end to end over HTTP: ramp and a minimal pylti1p3 tool, each served by gunicorn.

    pip install -e '.[prod,test]'            # gunicorn, pylti1p3, the simulated platform
    python bench/lti_http.py [--flows 200]   # SQLite
    python bench/lti_http.py --postgres      # a throwaway PostgreSQL cluster
    DATABASE_URL=postgresql://... python bench/lti_http.py   # an empty scratch database

What a browser does for an LTI launch, over real sockets, against real servers. ramp and the
baseline (a minimal tool on pylti1p3, bench/lti_tools.py: its Flask OIDC login and message
launch, key set cached, a session, one redirect to a one-line page) run under gunicorn with
the same settings (gthread, --workers x --threads) on 127.0.0.1. The simulated LMS
(tests/lti/platform.py) runs in this process on its own threaded server and signs the
id_tokens with RS256.

A flow is a fresh browser (no cookies, new keep-alive connections, plain http.client):
  1. the LMS's login initiation: GET <tool>/lti/login with iss, login_hint, client_id ...;
  2. the tool's redirect to the LMS's authentication endpoint, which answers with the form
     that posts the signed id_token back;
  3. the launch: POST <tool>/lti/launch, every redirect after it, and the page it opens
     (200, its text checked).

Printed per kind, each beside the pylti1p3 tool's figure from the same run:
  tool-side  the requests to the tool (1 and 3): what the tool makes the browser wait for;
  flow       the whole flow, the LMS's signing and this process's client work included;
  CPU        the server's CPU per flow: gunicorn's master and workers (read from /proc),
             plus PostgreSQL's processes when the cluster is local (--postgres).
Kinds and flows are interleaved in batches, so a busy moment of the machine falls on each
alike; users return (--users per kind), as they do in a course, and a learner's first
launch (which creates the hire and its plan) is timed apart.

With --browser, headless Chromium (Debian's chromium, driven by Playwright) lives each flow
as a learner's browser does, from the LMS's login initiation until the page the launch opens
has fired its load event: redirects, the LMS's self-submitting form, and every style sheet,
script and font the page needs. Each kind runs in a new browser profile each time ("cold":
a first visit, nothing cached) and in one profile kept across its flows ("warm": a learner
coming back, cookies and cache kept). With --same-page as well, each kind also launches the
pylti1p3 tool into a copy of the page ramp answered (the tool serves ramp's static files
too): the floor that page sets in a browser with no server work behind it, printed beside
ramp's.

Targets (issue: the LTI launch): one redirect after the launch POST; tool-side p95 <= 50 ms;
the whole flow within 1.5x of the pylti1p3 tool's for every kind.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from html import unescape
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

from common import percentile
from load import free_port, postgres_pid, start_gunicorn, start_postgres, stop, tree_cpu
from lti_tools import prepare_ramp

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
TARGET_P95_MS = 50
TARGET_BESIDE_PYLTI1P3 = 1.5
FIELD = re.compile(r'name="(id_token|state)" value="([^"]*)"')
ACTION = re.compile(r'<form id="launch" method="post" action="([^"]*)"')
BASELINE = "pylti1p3 tool"
SAME_PAGE = "same page: "


class Browser:
    """Cookies per origin and one keep-alive connection per origin, like a browser tab."""

    def __init__(self) -> None:
        self.jar: dict[str, dict[str, str]] = {}
        self.connections: dict[str, http.client.HTTPConnection] = {}

    def request(self, method: str, url: str, form: dict | None = None):
        parts = urlsplit(url)
        origin = parts.netloc
        connection = self.connections.get(origin)
        if connection is None:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            self.connections[origin] = connection
        headers = {"User-Agent": "ramp-bench"}
        cookies = self.jar.setdefault(origin, {})
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        target = parts.path + ("?" + parts.query if parts.query else "")
        connection.request(method, target, body=body, headers=headers)
        answer = connection.getresponse()
        text = answer.read().decode()
        for header in answer.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            try:
                cookie.load(header)
            except CookieError:
                continue
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0":
                    cookies.pop(name, None)
                else:
                    cookies[name] = morsel.value
        location = answer.headers.get("Location")
        return answer.status, urljoin(url, location) if location else None, text

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=200, help="timed flows of each kind")
    parser.add_argument("--batch", type=int, default=10, help="flows of one kind in a row")
    parser.add_argument("--users", type=int, default=10, help="returning users of each kind")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL")
    parser.add_argument(
        "--browser", action="store_true", help="drive the flows with headless Chromium instead"
    )
    parser.add_argument(
        "--same-page",
        action="store_true",
        help="with --browser, also each kind against the pylti1p3 tool serving a copy of its page",
    )
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    if args.same_page and not args.browser:
        parser.error("--same-page needs --browser")
    sys.path.insert(0, str(ROOT))
    from tests.lti.platform import INSTRUCTOR, Platform

    tmp = Path(tempfile.mkdtemp(prefix="ramp-lti-http-"))
    tmp.chmod(0o755)  # the postgres account reaches its cluster inside
    stop_postgres = None
    env = {
        **os.environ,
        "SECRET_KEY": "bench-lti",
        "RAMP_LTI_ALLOW_HTTP": "1",
        "RAMP_LTI_ALLOW_PRIVATE_URLS": "1",
        "RAMP_LTI_LOGIN_RATE_LIMIT": "1000000 per minute",
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if args.postgres:
        (tmp / "pg").mkdir()
        env["DATABASE_URL"], stop_postgres = start_postgres(tmp / "pg")
    elif not env.get("DATABASE_URL", "").startswith("postgresql"):
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'lti.sqlite'}"
    os.environ.update(env)
    url = env["DATABASE_URL"]
    where = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    platform = Platform().start()
    servers = []
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the LMS's request lines
    try:
        seed(platform)
        pg = postgres_pid(url) if where == "PostgreSQL" else None
        ramp_port, baseline_port = free_port(), free_port()
        platform_values = {
            "issuer": platform.issuer,
            "client_id": platform.client_id,
            "auth_url": platform.auth_url,
            "token_url": platform.token_url,
            "key_set_url": platform.key_set_url,
            "deployment_id": platform.deployment_id,
            "tool_url": f"http://127.0.0.1:{baseline_port}",
        }
        baseline_env = {**env, "RAMP_BENCH_PLATFORM": json.dumps(platform_values)}
        pages = tmp / "pages" if args.browser and args.same_page else None
        if pages:
            pages.mkdir()
            baseline_env["RAMP_BENCH_PAGES"] = str(pages)
        ramp = start_gunicorn("ramp:create_app()", ramp_port, args, env, ROOT)
        servers.append(ramp)
        baseline = start_gunicorn(
            "lti_tools:pylti1p3_app()", baseline_port, args, baseline_env, BENCH
        )
        servers.append(baseline)
        tools = {
            "ramp": (f"http://127.0.0.1:{ramp_port}", lambda: tree_cpu(ramp.pid) + tree_cpu(pg)),
            "baseline": (platform_values["tool_url"], lambda: tree_cpu(baseline.pid)),
        }
        if args.browser:
            browser_rows = run_browser(platform, tools, args, INSTRUCTOR, pages)
        else:
            rows, first = run(platform, tools, args, INSTRUCTOR)
    finally:
        for server in servers:
            stop(server)
        platform.stop()
        if stop_postgres:
            subprocess.run(stop_postgres, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    if args.browser:
        report_browser(browser_rows, args, where)
    else:
        report(rows, first, args, where, pg is not None)


def seed(platform) -> None:
    """ramp's database, ready for launches from the simulated platform."""
    from ramp import create_app
    from ramp.extensions import db

    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = create_app({"LTI_ALLOW_HTTP": True, "LTI_ALLOW_PRIVATE_URLS": True})
    with app.app_context():
        prepare_ramp(platform)
        db.engine.dispose()


def login_url(platform, sub: str, spec: dict) -> str:
    """The LMS's login initiation of one launch, at platform.tool_url (the LMS prepares the
    launch's claims for this user first)."""
    from tests.lti.platform import login_params

    hint = platform.prepare(sub=sub, name=f"Person {sub}", email=f"{sub}@lms.example", **spec)
    return f"{platform.tool_url}/lti/login?{urlencode(login_params(platform, hint))}"


def launch_kinds(instructor: str) -> dict:
    """{kind: (tool, the launch's claims, a text its page shows)}, the baseline last."""
    learner = {"nrps": False}
    teacher = {"roles": [instructor], "nrps": False}
    module = {"custom": {"ramp_target": "module:support-onboarding/ticketing-basics"}, **learner}
    return {
        "learner, module link": ("ramp", module, "Product and ticketing basics"),
        "learner, curriculum link": (
            "ramp",
            {"custom": {"ramp_target": "curriculum:support-onboarding"}, **learner},
            "Product and ticketing basics",
        ),
        "learner, no target": ("ramp", learner, "Product and ticketing basics"),
        "instructor, no target": ("ramp", teacher, "Support onboarding, spring"),
        "instructor, board link": (
            "ramp",
            {"custom": {"ramp_target": "board"}, **teacher},
            "Ramp board",
        ),
        "deep linking": ("ramp", {"message_type": "LtiDeepLinkingRequest", **teacher}, "ramp"),
        BASELINE: ("baseline", learner, "Hello"),
    }


def run(platform, tools: dict, args, instructor: str):
    """Every kind's flows, interleaved in batches: {kind: [(tool ms, flow ms, redirects)]},
    the CPU seconds of each kind's server over its flows, and the first launches."""
    kinds = launch_kinds(instructor)

    def flow(kind: str, sub: str) -> tuple[float, float, int]:
        tool, spec, expect = kinds[kind]
        tool_url = tools[tool][0]
        platform.tool_url = tool_url  # the redirect_uri the LMS accepts
        browser = Browser()
        try:
            began = time.perf_counter()
            status, location, text = browser.request("GET", login_url(platform, sub, spec))
            tool_side = time.perf_counter() - began
            assert status == 302 and location, (kind, status, text[:300])
            status, _, page = browser.request("GET", location)  # the LMS signs the id_token
            assert status == 200, (kind, status, page[:300])
            action = unescape(ACTION.search(page).group(1))
            posted = {k: unescape(v) for k, v in FIELD.findall(page)}
            started = time.perf_counter()
            status, location, text = browser.request("POST", action, posted)
            posted_at = time.perf_counter()
            redirects = 0
            while status in (302, 303) and redirects < 5:
                redirects += 1
                status, location, text = browser.request("GET", location)
            ended = time.perf_counter()
        finally:
            browser.close()
        assert status == 200 and expect in text, (kind, status, text[:300])
        steps = (tool_side * 1000, (posted_at - started) * 1000, (ended - posted_at) * 1000)
        return (tool_side + ended - started) * 1000, (ended - began) * 1000, redirects, steps

    for kind in kinds:  # every returning user launches once first
        for user in range(args.users):
            flow(kind, f"{kind}-{user}")
    rows: dict[str, list] = {kind: [] for kind in kinds}
    cpu = dict.fromkeys(kinds, 0.0)
    first: list[float] = []
    for done in range(0, args.flows, args.batch):
        for kind in kinds:
            reading = tools[kinds[kind][0]][1]
            before = reading()
            for i in range(done, min(done + args.batch, args.flows)):
                rows[kind].append(flow(kind, f"{kind}-{i % args.users}"))
            cpu[kind] += reading() - before
        first.append(flow("learner, module link", f"new-{done}")[0])
    return {kind: (timed, cpu[kind] / len(timed) * 1000) for kind, timed in rows.items()}, first


def run_browser(platform, tools: dict, args, instructor: str, pages: Path | None) -> dict:
    """Every kind's flows in headless Chromium, interleaved in batches: {kind: {"cold":
    [ms], "warm": [ms], "cpu": server CPU ms per flow}}.

    A flow is timed from the navigation to the LMS's login initiation until the page the
    launch opens has fired its load event (its style sheet, script and fonts loaded): the
    tool's redirect to the LMS, the LMS's self-submitting form, the launch POST, the
    redirect and the page, as a learner's browser lives them. "cold" is a new browser
    profile each time (no cookies, empty cache: a first visit); "warm" keeps one profile per
    kind across its flows (cookies and cache kept: a learner coming back).

    With `pages`, each ramp kind's page, as ramp answered its first launch, is copied into
    that folder, and a kind "same page: ..." launches the pylti1p3 tool into the copy."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, chromium_path

    kinds = launch_kinds(instructor)
    copies = {}
    if pages:
        for number, (kind, (tool, spec, expect)) in enumerate(list(kinds.items())):
            if tool == "ramp":
                custom = {**spec.get("custom", {}), "bench_page": f"page-{number}"}
                copies[kind] = f"{SAME_PAGE}{kind}"
                kinds[copies[kind]] = ("baseline", {**spec, "custom": custom}, expect)
    rows = {kind: {"cold": [], "warm": [], "cpu": 0.0} for kind in kinds}

    def flow(page, kind: str, sub: str) -> float:
        tool, spec, expect = kinds[kind]
        tool_url = tools[tool][0]
        platform.tool_url = tool_url
        start = login_url(platform, sub, spec)
        began = time.perf_counter()
        page.goto(start)
        page.wait_for_url(
            lambda url: url.startswith(tool_url) and "/lti/l" not in url, wait_until="load"
        )
        ended = time.perf_counter()
        assert expect in page.content(), (kind, page.url)
        return (ended - began) * 1000

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        warm = {kind: chromium.new_context() for kind in kinds}
        tabs = {kind: context.new_page() for kind, context in warm.items()}
        for kind in kinds:  # every returning user launches once first
            for user in range(args.users):
                flow(tabs[kind], kind, f"{kind}-{user}")
            if kind in copies:  # the page as ramp answered it, for the copy
                answer = tabs[kind].context.request.get(tabs[kind].url)
                name = kinds[copies[kind]][1]["custom"]["bench_page"]
                assert answer.status == 200, (kind, answer.status)
                (pages / f"{name}.html").write_bytes(answer.body())
                rows[copies[kind]]["bytes"] = len(answer.body())
        try:
            for done in range(0, args.flows, args.batch):
                for kind in kinds:
                    reading = tools[kinds[kind][0]][1]
                    before = reading()
                    for i in range(done, min(done + args.batch, args.flows)):
                        user = f"{kind}-{i % args.users}"
                        rows[kind]["warm"].append(flow(tabs[kind], kind, user))
                        context = chromium.new_context()
                        try:
                            rows[kind]["cold"].append(flow(context.new_page(), kind, user))
                        finally:
                            context.close()
                    rows[kind]["cpu"] += (reading() - before) * 1000
        finally:
            chromium.close()
    for row in rows.values():
        row["cpu"] /= 2 * len(row["cold"])
    return rows


def report_browser(rows: dict, args, where: str) -> None:
    base = rows[BASELINE]
    print(
        f"LTI launch end to end in headless Chromium; {where}; gunicorn {args.worker_class}, "
        f"{args.workers} worker(s) x {args.threads} threads for ramp and the pylti1p3 tool alike; "
        f"{args.flows} flows per kind and profile; load average {os.getloadavg()[0]:.1f}"
    )
    width = max(map(len, rows))
    print(
        f"  {'kind':{width}} {'cold':>8} {'p95':>8} {'/pylti1p3':>10}"
        f" {'warm':>8} {'p95':>8} {'/pylti1p3':>10} {'CPU':>8} {'/pylti1p3':>10}"
    )
    ratios = []
    for kind, row in rows.items():
        line = f"  {kind:{width}}"
        for profile in ("cold", "warm"):
            median = statistics.median(row[profile])
            ratio = median / statistics.median(base[profile])
            line += f" {median:5.1f} ms {percentile(row[profile], 95):5.1f} ms {ratio:9.2f}x"
            if kind != BASELINE and not kind.startswith(SAME_PAGE):
                ratios.append(ratio)
        print(line + f" {row['cpu']:5.1f} ms {row['cpu'] / base['cpu']:9.2f}x")
    print("  cold: a new browser profile per flow (a first visit); warm: one kept per kind")
    print("  CPU: the server's per flow (both profiles), read from /proc around each batch")
    same = [kind for kind in rows if f"{SAME_PAGE}{kind}" in rows]
    if same:
        print(
            "  same page: the pylti1p3 tool launching into a copy of ramp's page (its style "
            "sheet, fonts and scripts served by it too); each ramp kind beside its copy:"
        )
        for kind in same:
            copy = rows[f"{SAME_PAGE}{kind}"]
            beside = [
                statistics.median(rows[kind][p]) / statistics.median(copy[p])
                for p in ("cold", "warm")
            ]
            print(
                f"  {kind:{width}} cold {beside[0]:.2f}x, warm {beside[1]:.2f}x"
                f" (the page: {copy['bytes'] / 1000:.1f} kB)"
            )
    worst = max(ratios)
    verdict = "met" if worst <= TARGET_BESIDE_PYLTI1P3 else "NOT met"
    print(
        f"target (the whole flow within {TARGET_BESIDE_PYLTI1P3}x of the pylti1p3 tool's):"
        f" {verdict}, worst {worst:.2f}x"
    )


def report(rows: dict, first: list[float], args, where: str, pg_counted: bool) -> None:
    timed, _ = rows[BASELINE]
    tool_base = statistics.median(r[0] for r in timed)
    flow_base = statistics.median(r[1] for r in timed)
    load = os.getloadavg()[0]
    print(
        f"LTI launch end to end over HTTP; {where}; gunicorn {args.worker_class}, "
        f"{args.workers} worker(s) x {args.threads} threads for ramp and the pylti1p3 tool alike; "
        f"{args.flows} flows per kind; load average {load:.1f}"
    )
    server = "gunicorn + PostgreSQL" if pg_counted else "gunicorn"
    print(
        f"  {'kind':26} {'redirects':>9} {'tool-side':>10} {'p95':>8} {'/pylti1p3':>10}"
        f" {'flow':>8} {'p95':>8} {'/pylti1p3':>10} {'CPU':>8} {'/pylti1p3':>10}"
        f"  {'login':>6} {'launch':>6} {'page':>6}"
    )
    p95s, ratios = [], []
    for kind, (timed, cpu_ms) in rows.items():
        tool = [r[0] for r in timed]
        whole = [r[1] for r in timed]
        hops = sorted({r[2] for r in timed})
        tool_med, whole_med = statistics.median(tool), statistics.median(whole)
        print(
            f"  {kind:26} {'/'.join(map(str, hops)):>9} {tool_med:7.1f} ms"
            f" {percentile(tool, 95):5.1f} ms {tool_med / tool_base:9.2f}x"
            f" {whole_med:5.1f} ms {percentile(whole, 95):5.1f} ms {whole_med / flow_base:9.2f}x"
            f" {cpu_ms:5.1f} ms {cpu_ms / rows[BASELINE][1]:9.2f}x"
            + "".join(f" {statistics.median(r[3][step] for r in timed):6.1f}" for step in range(3))
        )
        if kind != BASELINE:
            p95s.append((hops == [1], percentile(tool, 95)))
            ratios.append(whole_med / flow_base)
    print(
        f"  {'learner, first launch':26} {'':>9} {statistics.median(first):7.1f} ms"
        f" {percentile(first, 95):5.1f} ms {statistics.median(first) / tool_base:9.2f}x"
    )
    print(f"  CPU: the server's ({server}) per flow, read from /proc around each batch")
    print("  login, launch, page: median ms of the login initiation, the launch POST, and the")
    print("  redirects after it with the page they open (tool-side is their sum)")
    worst_p95 = max(p for _, p in p95s)
    verdict = "met" if all(one for one, _ in p95s) and worst_p95 <= TARGET_P95_MS else "NOT met"
    print(
        f"targets (one redirect, tool-side p95 <= {TARGET_P95_MS} ms): {verdict},"
        f" worst p95 {worst_p95:.1f} ms"
    )
    worst = max(ratios)
    verdict = "met" if worst <= TARGET_BESIDE_PYLTI1P3 else "NOT met"
    print(
        f"target (the whole flow within {TARGET_BESIDE_PYLTI1P3}x of the pylti1p3 tool's):"
        f" {verdict}, worst kind {worst:.2f}x"
    )


if __name__ == "__main__":
    main()
