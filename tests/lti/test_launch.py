"""Launches that pass: who the user becomes, where they land, the cohort, cookies and framing."""

import re

import pytest
import requests
from sqlalchemy import select

from ramp.accounts.models import Role
from ramp.lti.models import LtiContext, LtiIdentity, LtiLoginState
from ramp.milestones.models import Hire
from tests.lti.conftest import form_of, launch, login_params, refused_check
from tests.lti.platform import ADMINISTRATOR, INSTRUCTOR, ROLE

MODULE = {"ramp_target": "module:mini-onboarding/basics"}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_learner_launch_lands_on_the_module_signed_in(tool, platform, ramp_world, db, method):
    launched = launch(tool, platform, method=method, custom=MODULE)
    assert launched.response.status_code == 303
    landing = launched.session.get(tool.url + launched.response.headers["Location"])
    assert landing.status_code == 200
    assert "Ticketing basics" in landing.text and "Lee Learner" in landing.text
    db.session.remove()
    identity = db.session.execute(select(LtiIdentity)).scalar_one()
    assert (identity.issuer, identity.subject) == (platform.issuer, "learner-1")
    user = identity.user
    assert (user.email, user.name, user.role) == ("lee@lms.example", "Lee Learner", Role.AGENT)
    context = db.session.execute(select(LtiContext)).scalar_one()
    assert context.cohort.name == "Support onboarding, spring"
    assert [h.user_id for h in context.cohort.hires] == [user.id]
    assert db.session.execute(select(LtiLoginState.used_at)).scalar_one() is not None


def test_the_second_launch_reuses_the_user_and_the_cohort(tool, platform, ramp_world, db):
    launch(tool, platform, custom=MODULE)
    launch(tool, platform, custom=MODULE, name="Lee Renamed")
    db.session.remove()
    assert db.session.execute(select(LtiIdentity)).scalars().all()[0].user.name == "Lee Renamed"
    assert len(db.session.execute(select(Hire)).scalars().all()) == 1
    assert len(db.session.execute(select(LtiContext)).scalars().all()) == 1


def test_a_user_without_name_or_email_still_gets_an_account(tool, platform, ramp_world, db):
    launched = launch(tool, platform, sub="anon-7", name=None, email=None)
    assert launched.response.status_code == 303
    db.session.remove()
    user = db.session.execute(select(LtiIdentity)).scalar_one().user
    assert user.email.endswith(".invalid") and user.name.startswith("Learner")


@pytest.mark.parametrize(
    ("roles", "role"),
    [
        ([ROLE + "Learner"], Role.AGENT),
        ([INSTRUCTOR], Role.MANAGER),
        ([ROLE + "ContentDeveloper"], Role.MANAGER),
        ([ADMINISTRATOR, ROLE + "Learner"], Role.ADMIN),
        (["Instructor"], Role.MANAGER),  # short form some platforms send
        ([ROLE + "Administrator"], Role.AGENT),  # the course's administrator, not ramp's
        ([ROLE + "Mentor"], Role.AGENT),
        ([ROLE + "Instructor#TeachingAssistant", ROLE + "TeachingAssistant"], Role.AGENT),
    ],
)
def test_platform_roles_map_to_ramp_roles(tool, platform, ramp_world, db, roles, role):
    launched = launch(tool, platform, sub="person", roles=roles)
    assert launched.response.status_code == 303
    db.session.remove()
    assert db.session.execute(select(LtiIdentity)).scalar_one().user.role is role


def test_an_instructor_lands_on_the_board_of_the_course_cohort(tool, platform, ramp_world, db):
    launched = launch(
        tool,
        platform,
        sub="teacher",
        roles=[INSTRUCTOR],
        custom={"ramp_target": "board"},
        nrps=False,
    )
    location = launched.response.headers["Location"]
    assert location.startswith("/board/?cohort=")
    assert launched.session.get(tool.url + location).status_code == 200


def test_a_course_without_template_is_linked_by_the_instructor(
    tool, platform, app, make_user, mini_version, db
):
    from ramp.milestones.operations import create_cohort, publish_template
    from ramp.milestones.template_spec import load_template_file
    from tests.conftest import FIXTURES

    launched = launch(tool, platform, sub="teacher", roles=[INSTRUCTOR], nrps=False)
    location = launched.response.headers["Location"]
    assert location.startswith("/lti/courses/")
    page = launched.session.get(tool.url + location)
    assert "not linked to a cohort yet" in page.text
    template = publish_template(
        load_template_file(
            str(FIXTURES / "mini-template.yaml"), {"basics": True, "tone": True, "kb": False}
        )
    ).version
    from datetime import date

    cohort = create_cohort("Wave Z", date.today(), template, mini_version)
    db.session.commit()
    learner = launch(tool, platform, sub="learner-9", email="l9@lms.example")  # joins the course
    assert learner.response.status_code == 303
    page = launched.session.get(tool.url + location)
    _, fields = form_of(page.text)
    answer = launched.session.post(
        tool.url + location + "/cohort",
        data={"csrf_token": fields["csrf_token"], "cohort": cohort.id},
    )
    assert answer.status_code == 200 and "linked to Wave Z; 1 learner added" in answer.text
    db.session.remove()
    assert [h.user.email for h in db.session.get(type(cohort), cohort.id).hires] == [
        "l9@lms.example"
    ]


def test_launch_pages_may_be_framed_by_registered_platforms_only(tool, platform, ramp_world):
    launched = launch(tool, platform, custom=MODULE)
    landing = launched.session.get(tool.url + launched.response.headers["Location"])
    csp = landing.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {platform.url}" in csp
    assert "X-Frame-Options" not in landing.headers
    outside = requests.get(tool.url + "/auth/login")
    assert "frame-ancestors 'self';" in outside.headers["Content-Security-Policy"] + ";"
    assert outside.headers["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.parametrize("platform", ["sign-in elsewhere"], indirect=True)
def test_a_platform_whose_sign_in_is_on_another_origin_than_its_issuer(tool, platform, ramp_world):
    """Canvas: issuer canvas.instructure.com, authentication at sso.canvaslms.com."""
    assert not platform.auth_url.startswith(platform.issuer)
    launched = launch(tool, platform, custom=MODULE)
    assert launched.response.status_code == 303, launched.response.text
    landing = launched.session.get(tool.url + launched.response.headers["Location"])
    csp = landing.headers["Content-Security-Policy"]
    assert platform.url in csp and platform.auth_origin in csp


def test_the_lms_origins_of_a_registration_may_frame_ramp(tool, platform, ramp_world):
    from ramp.extensions import db as tool_db
    from ramp.lti import registrations
    from ramp.lti.models import LtiRegistration

    with tool.app.app_context():
        reg = tool_db.session.execute(select(LtiRegistration)).scalar_one()
        registrations.set_options(reg, "https://school.lms.example", False)
        tool_db.session.commit()
    launched = launch(tool, platform, custom=MODULE)
    landing = launched.session.get(tool.url + launched.response.headers["Location"])
    assert "https://school.lms.example" in landing.headers["Content-Security-Policy"]


def test_admin_pages_are_never_framed_even_after_a_launch(tool, platform, ramp_world):
    launched = launch(tool, platform, roles=[ADMINISTRATOR], sub="it-admin", nrps=False)
    assert launched.response.status_code == 303
    for path in ("/lti/registrations", "/admin/cohorts"):
        page = launched.session.get(tool.url + path)
        assert page.status_code == 200, path
        assert "frame-ancestors 'self';" in page.headers["Content-Security-Policy"] + ";", path
        assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    home = launched.session.get(tool.url + "/")
    assert platform.url in home.headers["Content-Security-Policy"]


def test_over_https_the_lti_cookies_are_samesite_none_and_secure(app, platform, ramp_world, db):
    from ramp.lti import registrations

    registrations.forget_key_sets()
    platform.tool_url = "https://ramp.example"
    registrations.register_platform(
        "LMS",
        platform.issuer,
        platform.client_id,
        platform.auth_url,
        platform.token_url,
        platform.key_set_url,
        [platform.deployment_id],
    )
    db.session.commit()
    app.config.update(
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="None",
        SESSION_COOKIE_PARTITIONED=True,
        TRUSTED_HOSTS=["ramp.example"],
    )
    client = app.test_client()
    hint = platform.prepare(custom=MODULE)
    started = client.get(
        "/lti/login", query_string=login_params(platform, hint), base_url="https://ramp.example"
    )
    state_cookie = started.headers["Set-Cookie"]
    assert (
        "Secure" in state_cookie and "SameSite=None" in state_cookie and "HttpOnly" in state_cookie
    )
    auth = requests.get(started.headers["Location"])
    _, posted = form_of(auth.text)
    launched = client.post("/lti/launch", data=posted, base_url="https://ramp.example")
    assert launched.status_code == 303, launched.get_data(as_text=True)
    session_cookie = next(
        c for c in launched.headers.getlist("Set-Cookie") if c.startswith("session=")
    )
    assert "Secure" in session_cookie and "SameSite=None" in session_cookie
    assert "Partitioned" in session_cookie


def test_https_configuration_sets_the_iframe_cookie_flags(monkeypatch, tmp_path):
    from ramp.config import build_config

    monkeypatch.setenv("RAMP_HTTPS", "1")
    config = build_config(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_PARTITIONED"]
    assert config["SESSION_COOKIE_SAMESITE"] == "None"
    monkeypatch.setenv("RAMP_HTTPS", "0")
    assert build_config(str(tmp_path))["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_without_the_state_cookie_ramp_offers_a_new_window(tool, platform, ramp_world):
    hint = platform.prepare(custom=MODULE)
    browser = requests.Session()
    started = browser.get(
        tool.url + "/lti/login", params=login_params(platform, hint), allow_redirects=False
    )
    action, posted = form_of(browser.get(started.headers["Location"]).text)
    blocked = requests.post(action, data=posted, allow_redirects=False)  # no cookies sent
    assert blocked.status_code == 403 and refused_check(blocked) == "state cookie"
    assert "Open ramp in a new window" in blocked.text and 'target="_blank"' in blocked.text
    assert "/lti/login?iss=" in blocked.text


def test_a_storage_target_cannot_stand_in_for_the_state_cookie(tool, platform, ramp_world, db):
    """Login CSRF: an attacker begins a login asking for platform storage, then makes a
    victim's browser post the attacker's id_token and state, with the state as the value
    "read from storage". Without the state cookie of the browser that began it, the launch
    is refused and nobody is signed in."""
    hint = platform.prepare(custom=MODULE, sub="attacker", name="Mallory", email=None)
    attacker = requests.Session()
    params = login_params(platform, hint, lti_storage_target="_parent")
    started = attacker.get(tool.url + "/lti/login", params=params, allow_redirects=False)
    assert started.status_code == 302  # the storage target changes nothing
    action, posted = form_of(attacker.get(started.headers["Location"]).text)
    victim = requests.Session()
    forged = dict(posted, lti_storage_state=posted["state"])
    refused = victim.post(action, data=forged, allow_redirects=False)
    assert refused.status_code == 403 and refused_check(refused) == "state cookie"
    assert "Open ramp in a new window" in refused.text
    signed_in = victim.get(tool.url + "/learn/ramp", allow_redirects=False)
    assert signed_in.status_code == 302 and "/auth/login" in signed_in.headers["Location"]
    db.session.remove()
    assert db.session.execute(select(LtiIdentity)).first() is None
    assert db.session.execute(select(LtiLoginState.used_at)).scalar_one() is None


def test_expired_states_are_cleaned_up(app, db, platform):
    from datetime import timedelta

    from ramp.accounts.models import utcnow
    from ramp.lti.launch import cleanup_states
    from ramp.lti.registrations import register_platform

    reg = register_platform(
        "LMS",
        platform.issuer,
        "c",
        platform.auth_url,
        platform.token_url,
        platform.key_set_url,
        ["d"],
    )
    old = utcnow() - timedelta(days=1)
    db.session.add_all(
        [
            LtiLoginState(
                state="old",
                nonce="n1",
                registration_id=reg.id,
                login_params={},
                created_at=old,
                expires_at=old + timedelta(minutes=10),
            ),
            LtiLoginState(
                state="new",
                nonce="n2",
                registration_id=reg.id,
                login_params={},
                expires_at=utcnow() + timedelta(minutes=10),
            ),
        ]
    )
    db.session.commit()
    assert cleanup_states(force=True) == 1
    db.session.commit()
    assert db.session.execute(select(LtiLoginState.state)).scalars().all() == ["new"]


def test_a_launch_cannot_claim_an_account_with_a_password_by_its_address(
    tool, platform, ramp_world, make_user, db
):
    admin_id = make_user("admin", email="boss@lms.example").id
    launched = launch(
        tool, platform, sub="intruder", email="boss@lms.example", roles=[ROLE + "Learner"]
    )
    assert launched.response.status_code == 303
    db.session.remove()
    identity = db.session.execute(select(LtiIdentity)).scalar_one()
    assert identity.user_id != admin_id and identity.user.email.endswith(".invalid")
    assert identity.user.role is Role.AGENT


def _roster_hire(db, email="lee@lms.example") -> int:
    from ramp.milestones.models import Cohort
    from ramp.milestones.operations import NewHire, add_hires

    cohort = db.session.execute(select(Cohort).where(Cohort.name == "Wave A")).scalar_one()
    [hire] = add_hires([NewHire("Lee Learner", email, cohort.start_date, None, cohort, {})], None)
    db.session.commit()
    return hire.user_id


def _trust_emails(tool, trusted: bool = True) -> None:
    from ramp.extensions import db as tool_db
    from ramp.lti.models import LtiRegistration

    with tool.app.app_context():
        tool_db.session.execute(select(LtiRegistration)).scalar_one().trust_emails = trusted
        tool_db.session.commit()


def test_a_hire_from_a_roster_import_is_found_by_address_when_emails_are_trusted(
    tool, platform, ramp_world, db
):
    user_id = _roster_hire(db)
    _trust_emails(tool)
    assert launch(tool, platform).response.status_code == 303
    db.session.remove()
    assert db.session.execute(select(LtiIdentity)).scalar_one().user_id == user_id


def test_an_address_alone_signs_in_as_nobody_when_emails_are_not_trusted(
    tool, platform, ramp_world, db
):
    user_id = _roster_hire(db)  # trust_emails is off by default
    assert launch(tool, platform).response.status_code == 303
    db.session.remove()
    identity = db.session.execute(select(LtiIdentity)).scalar_one()
    assert identity.user_id != user_id and identity.user.email.endswith(".invalid")


def test_an_account_of_another_platform_user_is_never_taken_by_address(
    tool, platform, ramp_world, db
):
    user_id = _roster_hire(db)
    db.session.add(LtiIdentity(issuer="https://other-lms.example", subject="x", user_id=user_id))
    db.session.commit()
    _trust_emails(tool)
    assert launch(tool, platform).response.status_code == 303
    db.session.remove()
    identity = db.session.execute(
        select(LtiIdentity).where(LtiIdentity.issuer == platform.issuer)
    ).scalar_one()
    assert identity.user_id != user_id and identity.user.email.endswith(".invalid")


def test_the_new_window_starts_a_fresh_login_without_replaying_the_message_hint(
    tool, platform, ramp_world
):
    hint = platform.prepare(custom=MODULE)
    framed = requests.Session()
    started = framed.get(
        tool.url + "/lti/login", params=login_params(platform, hint), allow_redirects=False
    )
    action, posted = form_of(framed.get(started.headers["Location"]).text)
    blocked = requests.post(action, data=posted, allow_redirects=False)  # no cookies sent
    assert blocked.status_code == 403 and refused_check(blocked) == "state cookie"
    again = re.search(r'href="([^"]+)" target="_blank"', blocked.text).group(1)
    again = again.replace("&amp;", "&")
    assert "lti_message_hint" not in again
    window = requests.Session()  # the new window: ramp's cookie is first-party there
    login = window.get(again, allow_redirects=False)
    assert login.status_code == 302 and login.headers["Location"].startswith(platform.auth_url)
    assert posted["state"] not in login.headers["Location"]  # a fresh state
    auth = window.get(login.headers["Location"])
    assert auth.status_code == 200, auth.text  # the platform did not see a replayed hint
    action, fresh = form_of(auth.text)
    landed = window.post(action, data=fresh, allow_redirects=False)
    assert landed.status_code == 303 and "/learn/" in landed.headers["Location"]


# Where a launch lands: one redirect, straight to the page -------------------------------


def landed(tool, launched) -> str:
    """Where the launch sent the browser: once, to a page that renders (no second redirect)."""
    assert launched.response.status_code == 303, launched.response.text
    location = launched.response.headers["Location"]
    page = launched.session.get(tool.url + location, allow_redirects=False)
    assert page.status_code == 200, (location, page.status_code, page.headers.get("Location"))
    return location


def _enrollment_of(db, sub: str) -> int:
    from ramp.curricula.models import Enrollment

    db.session.remove()
    user = (
        db.session.execute(select(LtiIdentity).where(LtiIdentity.subject == sub)).scalar_one().user
    )
    return db.session.execute(
        select(Enrollment.id).where(Enrollment.user_id == user.id)
    ).scalar_one()


@pytest.mark.parametrize(
    ("custom", "page"),
    [
        (MODULE, "/learn/{enrollment}/basics/"),
        ({"ramp_target": "curriculum:mini-onboarding"}, "/learn/{enrollment}/"),
        (None, "/learn/{enrollment}/"),  # no target: the curriculum of the course's cohort
        ({"ramp_target": "home"}, "/learn/{enrollment}/"),
        ({"ramp_target": "ramp"}, "/learn/ramp"),
        ({"ramp_target": "board"}, "/learn/ramp"),  # a learner has no board: their own ramp
    ],
)
def test_a_learner_launch_redirects_once_to_the_page(tool, platform, ramp_world, db, custom, page):
    location = landed(tool, launch(tool, platform, custom=custom))
    assert location == page.format(enrollment=_enrollment_of(db, "learner-1"))


def test_a_learner_in_no_cohort_lands_on_their_only_curriculum_or_the_list(
    tool, platform, mini_version, db
):
    """No course cohort (the platform sends no course): ramp's home page decides, in one step."""
    assert landed(tool, launch(tool, platform, context_id=None)) == "/learn/"
    curriculum = {"ramp_target": "curriculum:mini-onboarding"}
    first = landed(tool, launch(tool, platform, context_id=None, custom=curriculum))
    assert first == f"/learn/{_enrollment_of(db, 'learner-1')}/"
    assert landed(tool, launch(tool, platform, context_id=None)) == first
    gone = {"ramp_target": "module:no-such-curriculum/basics"}
    assert landed(tool, launch(tool, platform, context_id=None, custom=gone)) == first


def test_an_instructor_launch_redirects_once_to_the_course_or_the_board(
    tool, platform, ramp_world, db
):
    teacher = {"sub": "teacher", "roles": [INSTRUCTOR], "nrps": False}
    course = landed(tool, launch(tool, platform, **teacher))
    board = landed(tool, launch(tool, platform, custom={"ramp_target": "board"}, **teacher))
    module = landed(tool, launch(tool, platform, custom=MODULE, **teacher))
    assert module == f"/learn/{_enrollment_of(db, 'teacher')}/basics/"  # to preview it
    context = db.session.execute(select(LtiContext)).scalar_one()
    assert course == f"/lti/courses/{context.id}"
    assert board == f"/board/?cohort={context.cohort_id}"


def test_a_ramp_manager_launched_as_a_learner_lands_on_the_board(tool, platform, ramp_world):
    launch(tool, platform, sub="lead", roles=[INSTRUCTOR], nrps=False)  # now a ramp manager
    assert landed(tool, launch(tool, platform, sub="lead")) == "/board/"


def test_a_deep_linking_request_redirects_once_to_its_own_page(tool, platform, ramp_world):
    launched = launch(
        tool,
        platform,
        sub="teacher",
        roles=[INSTRUCTOR],
        message_type="LtiDeepLinkingRequest",
        nrps=False,
    )
    assert re.fullmatch(r"/lti/deep-link/[\w-]+", landed(tool, launched))


PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"


@pytest.mark.parametrize(
    ("presentation", "spanish"),
    [
        ({"locale": "es-CO", "document_target": "iframe"}, True),
        ({"locale": "es"}, True),
        ({"locale": "fr-FR"}, False),  # not shipped: English, no error
        ({"locale": 42}, False),
        ({"locale": "<script>"}, False),
        ("not an object", False),
        ({}, False),
    ],
)
def test_the_launch_locale_sets_the_sessions_language(
    tool, platform, ramp_world, db, presentation, spanish
):
    launched = launch(tool, platform, custom=MODULE, changes={PRESENTATION: presentation})
    assert launched.response.status_code == 303
    english_browser = {"Accept-Language": "en-US"}
    landing = launched.session.get(
        tool.url + launched.response.headers["Location"], headers=english_browser
    )
    assert landing.status_code == 200
    assert ("Idioma" in landing.text) is spanish and ("Language" in landing.text) is not spanish


def test_a_saved_preference_beats_the_launch_locale(tool, platform, ramp_world, db):
    launch(tool, platform, custom=MODULE)
    db.session.remove()
    identity = db.session.execute(select(LtiIdentity)).scalar_one()
    identity.user.locale = "en"
    db.session.commit()
    launched = launch(tool, platform, custom=MODULE, changes={PRESENTATION: {"locale": "es"}})
    landing = launched.session.get(tool.url + launched.response.headers["Location"])
    assert "Language" in landing.text and "Idioma" not in landing.text


def _statements(engine, run) -> list[tuple[str, str]]:
    """What `run` asks the database, as (verb, first table) pairs, in order."""
    from sqlalchemy import event

    seen: list[tuple[str, str]] = []

    def note(_conn, _cursor, statement, *_args):
        verb = statement.split()[0].upper()
        if verb not in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            return  # SAVEPOINT, BEGIN and the like
        marker = {"SELECT": "FROM", "INSERT": "INTO", "UPDATE": "UPDATE", "DELETE": "FROM"}[verb]
        depth, words = 0, []
        for word in re.findall(r"[()]|[^\s()]+", statement):
            depth += {"(": 1, ")": -1}.get(word, 0)
            if depth == 0 and word not in ("(", ")"):
                words.append(word)  # outside subqueries
        seen.append((verb, words[words.index(marker) + 1]))

    event.listen(engine, "before_cursor_execute", note)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return seen


def test_a_returning_learners_launch_asks_the_database_once_for_each_thing(
    tool, platform, ramp_world, monkeypatch
):
    """Login initiation reads the registration and writes the state; the launch uses the state
    up, reads the registration with its deployment, the identity with its user, notes the
    launch, and reads the course with the membership, placement and hire: nothing twice."""
    from ramp.extensions import db as tool_db
    from ramp.lti import registrations

    monkeypatch.setattr(registrations, "ORIGINS_TTL", 3600.0)  # no refresh of framing origins
    launch(tool, platform, custom=MODULE)  # the first: the account, the course and the hire
    with tool.app.app_context():
        engine = tool_db.engine
    session = requests.Session()
    hint = platform.prepare(custom=MODULE)
    params = login_params(platform, hint)
    answers = {}

    def login():
        answers["login"] = session.get(
            tool.url + "/lti/login", params=params, allow_redirects=False
        )

    assert _statements(engine, login) == [
        ("SELECT", "lti_registrations"),
        ("INSERT", "lti_login_states"),
    ]
    action, posted = form_of(session.get(answers["login"].headers["Location"]).text)

    def post():
        answers["launch"] = session.post(action, data=posted, allow_redirects=False)

    assert _statements(engine, post) == [
        ("UPDATE", "lti_login_states"),
        ("SELECT", "lti_registrations"),
        ("SELECT", "lti_identities"),
        ("UPDATE", "lti_identities"),
        ("SELECT", "lti_contexts"),
    ]
    assert answers["launch"].status_code == 303
    landing = session.get(tool.url + answers["launch"].headers["Location"])
    assert landing.status_code == 200 and "Ticketing basics" in landing.text


def test_the_course_page_reads_the_course_and_the_viewers_roles_in_one_query(
    tool, platform, ramp_world, monkeypatch
):
    from ramp.extensions import db as tool_db
    from ramp.lti import registrations

    monkeypatch.setattr(registrations, "ORIGINS_TTL", 3600.0)
    launched = launch(tool, platform, sub="teacher", roles=[INSTRUCTOR], nrps=False)
    location = launched.response.headers["Location"]
    assert location.startswith("/lti/courses/")
    with tool.app.app_context():
        engine = tool_db.engine
    pages = []
    asked = _statements(engine, lambda: pages.append(launched.session.get(tool.url + location)))
    assert pages[0].status_code == 200 and "Simulated LMS" in pages[0].text
    assert asked.count(("SELECT", "lti_contexts")) == 1, asked
    assert ("SELECT", "lti_context_members") not in asked
    assert ("SELECT", "lti_registrations") not in asked
    # Another instructor's course is still not theirs to see.
    stranger = launch(tool, platform, sub="other", roles=[INSTRUCTOR], nrps=False, context_id="c2")
    assert stranger.session.get(tool.url + location).status_code == 404
