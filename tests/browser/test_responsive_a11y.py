"""Every page of every role, on a phone, a tablet and a laptop, in real Chromium: the page is
never wider than the screen, and axe-core finds no serious or critical violation.

The pages are the ones tests/web/test_authorization.py lets each role open, so a new page is
visited as soon as its access rule is written; the ids come from the demo. axe-core is
vendored from its npm package (tests/browser/vendor/) and evaluated through the DevTools
protocol, so the page keeps its content security policy (no inline script is allowed in).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import url_for
from sqlalchemy import select

from ramp.accounts.models import User
from ramp.certificates.models import Certificate, CertificateBatch
from ramp.clock import now
from ramp.coaching.queries import refresher
from ramp.curricula.models import Attempt, Enrollment, Lesson, Module
from ramp.demo import DEMO_PASSWORD
from ramp.lti.models import LtiContext
from ramp.metrics.models import ImportRun
from ramp.milestones.models import Hire, PlanMilestone
from tests.browser.test_learner_path import sign_in
from tests.coaching_factory import make_assignment
from tests.conftest import lms_platform
from tests.web.test_authorization import OK, REDIRECT, RULES

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
SIZES = ((390, 844), (768, 1024), (1440, 900))
# Widths between and beyond those, checked for sideways scrolling only: the smallest common
# phone, and a small laptop where a manager's menu is about to unfold.
NARROW_WIDE = ((360, 740), (1024, 768))
# Pages that answer with a file, not a page.
DOWNLOADS = {
    "admin.curriculum_yaml",
    "verify.download",
    "admin.import_rejects",
    "board.coaching_csv",
    "board.skills_csv",
    "board.capacity_download",
}
# Pages only reachable with a live upload, job or LMS request; their templates are visited
# through the pages that render the same partials (imports, the import report).
NOT_WALKED = {"admin.import_preview", "admin.import_job", "lti.deep_link", "lti.register"}
ROLES = {
    "learner": ("owner", "jordan.reyes@example.com"),
    "manager": ("manager", "maria.lopez@example.com"),
    "admin": ("admin", "admin@example.com"),
}
# What each role can open beyond test_authorization's table: pages that need records its
# scene does not have (a batch, an import run), and the public pages.
EXTRA = {
    "learner": (),
    "manager": ("board.batch",),
    "admin": ("board.batch", "admin.import_undo"),
    None: ("auth.login", "verify.verify_form", "verify.certificate"),
}


def scene(db) -> dict[str, dict]:
    """URL arguments for every page, from the demo, plus an LMS, a course, a certificate
    batch and an import run, which the demo has none of."""
    jordan = db.session.execute(
        select(User).where(User.email == "jordan.reyes@example.com")
    ).scalar_one()
    enrollment = db.session.execute(
        select(Enrollment).where(Enrollment.user_id == jordan.id)
    ).scalar_one()
    attempt = (
        db.session.execute(
            select(Attempt).where(Attempt.enrollment_id == enrollment.id).order_by(Attempt.id)
        )
        .scalars()
        .first()
    )
    module = db.session.get(Module, attempt.assessment.module_id)
    lesson = (
        db.session.execute(
            select(Lesson).where(Lesson.module_id == module.id).order_by(Lesson.position)
        )
        .scalars()
        .first()
    )
    amara = db.session.execute(
        select(Hire).join(User, Hire.user).where(User.email == "amara.osei@example.com")
    ).scalar_one()
    admin = db.session.execute(select(User).where(User.email == "admin@example.com")).scalar_one()
    milestone = (
        db.session.execute(
            select(PlanMilestone)
            .where(PlanMilestone.hire_id == amara.id, PlanMilestone.waived.is_(False))
            .order_by(PlanMilestone.position)
        )
        .scalars()
        .first()
    )
    cert = db.session.execute(select(Certificate)).scalars().first()
    platform = lms_platform("Moodle")
    course = LtiContext(registration=platform, deployment_id="d1", context_id="course-1")
    batch = CertificateBatch(cohort_id=amara.cohort_id, requested_by_id=admin.id)
    run = ImportRun(
        kind="contacts",
        source="zendesk",
        mapping="zendesk",
        filename="contacts.csv",
        status="done",
        finished_at=now() + timedelta(seconds=1),
        created_by_id=admin.id,
    )
    db.session.add_all([course, batch, run])
    db.session.commit()
    # A refresher for Jordan (the demo's rules may fire none for them): its pages are walked.
    jordan_hire = db.session.execute(select(Hire).where(Hire.user_id == jordan.id)).scalar_one()
    assignment = make_assignment(
        jordan_hire,
        fired_on=now().date() - timedelta(days=2),
        curriculum=enrollment.version.curriculum.slug,
        module=module.slug,
        title=module.title,
        one_to_one=True,
    )
    found = refresher(assignment)
    # And one for Amara, so her hire page and the Coaching page show a refresher too.
    make_assignment(
        amara,
        fired_on=now().date() - timedelta(days=2),
        curriculum=enrollment.version.curriculum.slug,
        module=module.slug,
        title=module.title,
        one_to_one=True,
    )
    refresher_page = {"assignment_id": assignment.id}
    module_page = {"enrollment_id": enrollment.id, "module_slug": module.slug}
    return {
        "learner.curriculum": {"enrollment_id": enrollment.id},
        "learner.module": module_page,
        "learner.lesson": {**module_page, "lesson_slug": lesson.slug},
        "learner.check": module_page,
        "learner.attempt": {"attempt_id": attempt.id},
        "board.hire": {"hire_id": amara.id},
        "learner.refresher": refresher_page,
        "learner.refresher_lesson": {**refresher_page, "lesson_id": found.lessons[0].id},
        "learner.refresher_check": {**refresher_page, "module_id": found.checks[0].id},
        "board.team_performance": {"team": amara.cohort.team_id},
        "board.batch": {"batch_id": batch.id},
        "admin.person": {"user_id": amara.user_id},
        "admin.team": {"team_id": amara.cohort.team_id},
        "admin.team_channels": {"team_id": amara.cohort.team_id},
        "admin.new_provider": {"protocol": "saml"},
        "admin.import_undo": {"run_id": run.id},
        "lti.context": {"context_id": course.id},
        "verify.certificate": {"code": cert.code},
        # The confirmation pages, with the form data their openers send.
        "board.confirm_waive": {"hire_id": amara.id, "milestone": milestone.key, "reason": "r"},
        "board.confirm_re_place": {
            "hire_id": amara.id,
            "effective_from": amara.start_date.isoformat(),
            "queue": "billing",
            "reason": "r",
        },
        "board.confirm_revoke": {"hire_id": cert.hire_id, "cert_id": cert.id, "reason": "r"},
    }


def pages_of(app, role: str | None, args: dict[str, dict]) -> list[str]:
    """The URL of every page `role` may open (None: the public pages)."""
    if role is None:
        endpoints = list(EXTRA[None])
    else:
        key = ROLES[role][0]
        endpoints = [
            e
            for e, rule in RULES.items()
            if rule[key] in (OK, REDIRECT) and e not in DOWNLOADS | NOT_WALKED
        ]
        endpoints += [e for e in EXTRA[role] if e not in endpoints]
    with app.test_request_context():
        return [url_for(e, **args.get(e, {})) for e in endpoints]


def problems_on(page) -> list[str]:
    """Sideways scrolling and axe-core's serious or critical violations on the page as shown."""
    found = []
    width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1]:
        found.append(f"{width[0]} px wide in a {width[1]} px window")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE)
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))"""
    )
    return found + violations


@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "public"])
def test_every_page_fits_every_screen_and_passes_axe(demo, server_url, browser, app, db, role):
    args = scene(db)
    context = browser.new_context(viewport={"width": SIZES[-1][0], "height": SIZES[-1][1]})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        if role:
            sign_in(page, server_url, ROLES[role][1], DEMO_PASSWORD)
        failures = []
        urls = pages_of(app, role, args)
        assert len(urls) >= 3
        for path in urls:
            response = page.goto(server_url + path)
            assert response.status < 500, (path, response.status)
            csp = response.headers.get("content-security-policy", "")
            assert "script-src 'self'" in csp and "unsafe" not in csp, (path, csp)
            page.wait_for_load_state("load")
            for width, height in SIZES:
                page.set_viewport_size({"width": width, "height": height})
                failures += [f"{path} at {width}x{height}: {p}" for p in problems_on(page)]
            for width, height in NARROW_WIDE:
                page.set_viewport_size({"width": width, "height": height})
                wide = page.evaluate("document.scrollingElement.scrollWidth")
                if wide > width:
                    failures.append(f"{path} at {width}x{height}: {wide} px wide")
        assert not failures, "\n".join(failures)
    finally:
        context.close()


# Pages people read most, in the modes low-vision users turn on: more contrast, and the
# system's forced colours (Windows high contrast).
KEY_PAGES = {
    "manager": ("board.index", "board.hire", "board.compare"),
    "learner": ("learner.lesson", "learner.attempt", "learner.my_ramp"),
}


@pytest.mark.parametrize("mode", ["contrast", "forced_colors"])
def test_key_pages_hold_up_with_more_contrast_and_forced_colours(
    demo, server_url, browser, app, db, mode
):
    args = scene(db)
    failures = []
    for role, endpoints in KEY_PAGES.items():
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            **({"contrast": "more"} if mode == "contrast" else {"forced_colors": "active"}),
        )
        page = context.new_page()
        try:
            sign_in(page, server_url, ROLES[role][1], DEMO_PASSWORD)
            with app.test_request_context():
                urls = [url_for(e, **args.get(e, {})) for e in endpoints]
            for path in urls:
                page.goto(server_url + path)
                page.wait_for_load_state("load")
                for width, height in (SIZES[0], SIZES[-1]):
                    page.set_viewport_size({"width": width, "height": height})
                    failures += [f"{path} at {width}: {p}" for p in problems_on(page)]
        finally:
            context.close()
    assert not failures, "\n".join(failures)


# Keyboard only ---------------------------------------------------------------------------


def tab_to(page, target, limit: int = 120) -> None:
    """Press Tab until `target` has the focus, and check that the focus shows."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            outline = target.evaluate(
                "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth]; }"
            )
            assert outline[0] != "none" and float(outline[1].removesuffix("px")) >= 2, outline
            return
    raise AssertionError(f"Tab never reached {target}")


def sign_in_by_keyboard(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/auth/login")
    page.wait_for_load_state("load")
    tab_to(page, page.get_by_label("E-mail"))
    page.keyboard.type(email)
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/auth/login" not in url)
    page.wait_for_load_state("load")


def choose_by_keyboard(page, question, wanted: set[int]) -> None:
    """Tick a question's wanted choices: Space on each checkbox; arrows within a radio group."""
    choices = list(question.choices)
    first = page.locator(f"#c-{choices[0].id}")
    if question.kind == "multiple":
        for choice in choices:
            if choice.id in wanted:
                tab_to(page, page.locator(f"#c-{choice.id}"))
                page.keyboard.press("Space")
        return
    [index] = [i for i, c in enumerate(choices) if c.id in wanted]
    tab_to(page, first)
    page.keyboard.press("Space")
    for _ in range(index):
        page.keyboard.press("ArrowDown")


def test_learner_reads_lessons_and_passes_a_check_by_keyboard(server_url, page_factory, learner):
    from playwright.sync_api import expect

    from ramp.curricula import queries
    from tests.conftest import PASSWORD

    user, enrollment = learner
    basics = {m.slug: m for m in queries.load_version(enrollment.version_id).modules}["basics"]
    page = page_factory(javascript=True)
    sign_in_by_keyboard(page, server_url, user.email, PASSWORD)

    # The first Tab reaches the skip link, which shows and moves the focus to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.bounding_box()["x"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    tab_to(page, page.get_by_role("link", name="The life of a ticket").first)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="The life of a ticket")).to_be_visible()
    for title in ("Macros", "Basics check"):
        tab_to(page, page.get_by_role("button", name="Mark complete and continue"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name=title)).to_be_visible()

    for question in basics.assessment.questions:
        choose_by_keyboard(page, question, {c.id for c in question.choices if c.correct})
    for question in basics.assessment.questions:
        for choice in question.choices:
            expect(page.locator(f"#c-{choice.id}")).to_be_checked(checked=choice.correct)
    tab_to(page, page.get_by_role("button", name="Submit answers"))
    page.keyboard.press("Enter")
    expect(page.locator("#attempt-result")).to_contain_text("Passed")
    tab_to(page, page.get_by_role("link", name="Back to the curriculum"))
    page.keyboard.press("Enter")
    expect(page.locator(".module-item").first).to_contain_text("Complete")


def test_manager_signs_off_a_milestone_by_keyboard_from_a_phone(
    server_url, page_factory, ramp_world
):
    from datetime import date

    from playwright.sync_api import expect

    from ramp.extensions import db
    from ramp.milestones.operations import evaluate_hires
    from tests.conftest import PASSWORD, finish_modules

    w = ramp_world
    risky = w.hire(name="Ava Risk", start_date=date.today() - timedelta(days=12))
    finish_modules(risky.enrollment)
    evaluate_hires(None)
    db.session.commit()

    page = page_factory(javascript=True)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_by_keyboard(page, server_url, w.lead.email, PASSWORD)
    expect(page.get_by_role("heading", name="Ramp board")).to_be_visible()

    # On a phone the menu is folded; Space on its toggle opens it, and its links follow.
    compare = page.get_by_role("link", name="Compare cohorts")
    expect(compare).to_be_hidden()
    tab_to(page, page.locator("#nav-toggle"))
    page.keyboard.press("Space")
    expect(compare).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    tab_to(page, page.get_by_role("link", name="Ramp board"))
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")

    tab_to(page, page.get_by_role("link", name="Ava Risk"))
    page.keyboard.press("Enter")
    classroom = page.locator("#milestone-classroom")
    expect(classroom).to_contain_text("At risk")
    tab_to(page, classroom.get_by_role("button", name="Sign off"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Signed off “Classroom complete”.")).to_be_visible()
    expect(page.locator("#milestone-classroom .milestone-head")).to_contain_text("Achieved")
