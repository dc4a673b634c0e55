"""Deep linking, grade passback, roster sync, dynamic registration and key rotation,
each against the simulated platform over HTTP."""

import re

from sqlalchemy import select

from ramp.accounts.models import User
from ramp.curricula import queries as cq
from ramp.curricula.models import Enrollment, Question
from ramp.lti import claims as c
from ramp.lti.models import LtiContext, LtiLineItem, LtiRegistration, LtiScorePost
from ramp.milestones.models import Hire
from tests.conftest import PASSWORD
from tests.lti.conftest import form_of, launch
from tests.lti.platform import INSTRUCTOR, LEARNER

MODULE = {"ramp_target": "module:mini-onboarding/basics"}


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def http_login(tool, email: str):
    """A browser session signed in to the served tool through the sign-in form."""
    import requests

    browser = requests.Session()
    page = browser.get(tool.url + "/auth/login")
    signed = browser.post(
        tool.url + "/auth/login",
        allow_redirects=False,
        data={"csrf_token": csrf_of(page.text), "email": email, "password": PASSWORD},
    )
    assert signed.status_code == 302
    return browser


# Deep linking ----------------------------------------------------------------------------


def test_deep_linking_returns_signed_items_with_line_items(tool, platform, ramp_world, db):
    launched = launch(
        tool,
        platform,
        sub="teacher",
        roles=[INSTRUCTOR],
        message_type="LtiDeepLinkingRequest",
        nrps=False,
    )
    assert launched.response.status_code == 303
    picker_url = tool.url + launched.response.headers["Location"]
    assert "/lti/deep-link/" in picker_url
    picker = launched.session.get(picker_url)
    assert picker.status_code == 200
    assert 'value="module:mini-onboarding/basics"' in picker.text and 'value="board"' in picker.text
    answer = launched.session.post(
        picker_url,
        data={
            "csrf_token": csrf_of(picker.text),
            "item": ["module:mini-onboarding/basics", "module:mini-onboarding/kb", "board"],
        },
    )
    assert answer.status_code == 200
    assert f"form-action 'self' {platform.url}" in answer.headers["Content-Security-Policy"]
    action, fields = form_of(answer.text, "lti-deep-link-return")
    assert action == platform.url + "/deep-link-return"
    returned = launched.session.post(action, data=fields)  # what the page's script does
    assert returned.status_code == 200, returned.text
    [checked] = platform.deep_link_returns
    claims = checked["claims"]
    assert claims["aud"] == [platform.issuer] and claims["iss"] == platform.client_id
    assert claims[c.DL_DATA] == "platform-opaque-data"
    items = claims[c.DL_CONTENT_ITEMS]
    assert [i["custom"]["ramp_target"] for i in items] == [
        "module:mini-onboarding/basics",
        "module:mini-onboarding/kb",
        "board",
    ]
    assert items[0]["lineItem"] == {
        "scoreMaximum": 100,
        "label": "Ticketing basics",
        "resourceId": "module:mini-onboarding/basics",
        "tag": "ramp-knowledge-check",
    }
    assert "lineItem" not in items[1] and "lineItem" not in items[2]  # kb has no check
    assert all(i["url"] == tool.url + "/lti/launch" for i in items)
    # The request is answered once.
    again = launched.session.post(
        picker_url, data={"csrf_token": csrf_of(picker.text), "item": ["board"]}
    )
    assert again.status_code == 403


def test_learners_cannot_place_content(tool, platform, ramp_world):
    launched = launch(tool, platform, message_type="LtiDeepLinkingRequest")
    assert launched.response.status_code == 403
    assert "Only instructors" in launched.response.text


# Assignment and grade services -----------------------------------------------------------


def take_check(session, tool, landing: str, db, correct: bool = True):
    enrollment_id = int(re.search(r"/learn/(\d+)/", landing).group(1))
    page = session.get(f"{tool.url}/learn/{enrollment_id}/basics/check")
    db.session.remove()
    enrollment = db.session.get(Enrollment, enrollment_id)
    module = next(m for m in cq.load_version(enrollment.version_id).modules if m.slug == "basics")
    data = {"csrf_token": csrf_of(page.text)}
    for n, q in enumerate(cq.answer_key(module.assessment)):
        wrong = [
            ch.id for ch in db.session.get(Question, q.id).choices if ch.id not in q.correct_ids
        ]
        data[f"q-{q.id}"] = sorted(q.correct_ids) if correct or n == 0 else wrong[:1]
    return session.post(f"{tool.url}/learn/{enrollment_id}/basics/check", data=data)


def test_a_knowledge_check_result_is_posted_as_a_score(tool, platform, ramp_world, db):
    launched = launch(tool, platform, custom=MODULE)
    landing = launched.response.headers["Location"]
    assert take_check(launched.session, tool, landing, db, correct=False).status_code == 200
    assert take_check(launched.session, tool, landing, db, correct=True).status_code == 200
    items = platform.line_items["course-1"]
    assert len(items) == 1  # made once, found again for the second attempt
    assert items[0]["resourceId"] == "module:mini-onboarding/basics"
    assert items[0]["label"] == "Basics check"
    assert [p["scoreGiven"] for p in platform.score_posts] == [50.0, 100.0]
    last = platform.score_posts[-1]
    assert last["userId"] == "learner-1" and last["scoreMaximum"] == 100.0
    assert (last["activityProgress"], last["gradingProgress"]) == ("Completed", "FullyGraded")
    assert last["lineitem"] == items[0]["id"]
    db.session.remove()
    posts = db.session.execute(select(LtiScorePost)).scalars().all()
    assert [(p.status, p.tries) for p in posts] == [("sent", 1), ("sent", 1)]
    assert len(db.session.execute(select(LtiLineItem)).scalars().all()) == 1
    # Each score carries the time its attempt was submitted, not the time it was sent.
    from ramp.curricula.models import Attempt
    from ramp.lti.grades import score_timestamp

    attempts = db.session.execute(select(Attempt).order_by(Attempt.id)).scalars().all()
    assert [p["timestamp"] for p in platform.score_posts] == [
        score_timestamp(a.submitted_at) for a in attempts
    ]
    assert platform.score_posts[0]["timestamp"].endswith("+00:00")
    # Each token was asked for just what its call needs, all granted by the course.
    asked = [r["scope"] for r in platform.token_requests]
    assert set(asked) == {c.SCOPE_LINEITEM, c.SCOPE_SCORE}


def test_each_course_placing_a_check_gets_one_column(tool, platform, ramp_world, db):
    launched = launch(tool, platform, custom=MODULE)
    other = launch(tool, platform, session=launched.session, custom=MODULE, context_id="course-2")
    assert other.response.status_code == 303
    landing = launched.response.headers["Location"]
    take_check(launched.session, tool, landing, db, correct=False)
    take_check(launched.session, tool, landing, db, correct=True)
    assert [len(platform.line_items[k]) for k in ("course-1", "course-2")] == [1, 1]
    assert sorted(p["lineitem"] for p in platform.score_posts) == sorted(
        2 * [platform.line_items["course-1"][0]["id"], platform.line_items["course-2"][0]["id"]]
    )
    db.session.remove()
    columns = db.session.execute(select(LtiLineItem.context_id, LtiLineItem.url)).all()
    assert len(columns) == 2 and len({c for c, _ in columns}) == 2 and all(u for _, u in columns)


def test_only_scopes_the_course_grants_are_asked_for(tool, platform, ramp_world, db):
    placed = platform.add_line_item("course-1", "Ticketing basics", "module:mini-onboarding/basics")
    platform.ags_scopes = [c.SCOPE_SCORE]  # the course grants scores only
    launched = launch(tool, platform, custom=MODULE, lineitem=placed)
    take_check(launched.session, tool, launched.response.headers["Location"], db)
    assert [r["scope"] for r in platform.token_requests] == [c.SCOPE_SCORE]
    assert [p["lineitem"] for p in platform.score_posts] == [placed]


def test_the_simulated_gradebook_refuses_a_timestamp_without_a_zone(platform):
    import requests

    token = requests.post(platform.token_url, data={}).status_code
    assert token == 400  # no client assertion: refused before any scope
    from tests.lti.platform import SCOPES

    platform.tokens["t"] = {SCOPES["score"]}
    url = platform.add_line_item("course-1", "x", "r")
    body = {
        "userId": "u",
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "scoreGiven": 1,
        "scoreMaximum": 1,
    }
    headers = {"Authorization": "Bearer t", "Content-Type": c.MEDIA_SCORE}
    for stamp, status in [
        ("2026-11-22T10:00:00", 400),
        ("yesterday", 400),
        ("2026-11-22T10:00:00.000+00:00", 204),
    ]:
        answer = requests.post(url + "/scores", json=dict(body, timestamp=stamp), headers=headers)
        assert answer.status_code == status, stamp


def test_the_line_item_of_a_deep_linked_placement_is_used(tool, platform, ramp_world, db):
    placed = platform.add_line_item("course-1", "Ticketing basics", "module:mini-onboarding/basics")
    launched = launch(tool, platform, custom=MODULE, lineitem=placed)
    take_check(launched.session, tool, launched.response.headers["Location"], db)
    assert len(platform.line_items["course-1"]) == 1
    assert [p["lineitem"] for p in platform.score_posts] == [placed]


def test_a_failing_gradebook_is_retried_with_backoff(tool, platform, ramp_world, db, monkeypatch):
    from ramp.lti import grades

    waits = []
    monkeypatch.setattr(grades, "_sleep", waits.append)
    platform.fail_scores = 2
    launched = launch(tool, platform, custom=MODULE)
    take_check(launched.session, tool, launched.response.headers["Location"], db)
    assert len(platform.score_attempts) == 3 and len(platform.score_posts) == 1
    assert waits == [0.05, 0.1]  # the tool's base (0.05 s), then doubled
    assert [grades.retry_delay(n, 2.0) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]
    db.session.remove()
    post = db.session.execute(select(LtiScorePost)).scalar_one()
    assert (post.status, post.tries, post.last_error) == ("sent", 3, None)


def test_a_column_another_delivery_is_making_is_never_made_twice(
    tool, platform, ramp_world, db, monkeypatch
):
    from ramp.lti import grades

    monkeypatch.setattr(grades, "_sleep", lambda seconds: None)
    launched = launch(tool, platform, custom=MODULE)
    db.session.remove()
    context = db.session.execute(select(LtiContext)).scalar_one()
    # Another worker has reserved the column and is asking the platform for it.
    db.session.add(
        LtiLineItem(
            context_id=context.id,
            resource_id="module:mini-onboarding/basics",
            url="",
            label="Basics check",
        )
    )
    db.session.commit()
    take_check(launched.session, tool, launched.response.headers["Location"], db)
    assert platform.line_items.get("course-1", []) == [] and platform.score_posts == []
    db.session.remove()
    post = db.session.execute(select(LtiScorePost)).scalar_one()
    assert post.status == "failed" and "another delivery" in post.last_error
    # Once that worker has filled it in, the score goes to its column.
    item = db.session.execute(select(LtiLineItem)).scalar_one()
    item.url = platform.add_line_item("course-1", "Basics check", item.resource_id)
    db.session.commit()
    from ramp.extensions import db as tool_db

    with tool.app.app_context():
        assert grades.retry_failed() == [post.id]
        tool_db.session.commit()
        assert grades.deliver(post.id) == "sent"
    assert [p["lineitem"] for p in platform.score_posts] == [item.url]
    assert len(platform.line_items["course-1"]) == 1


def test_a_line_item_on_another_host_is_never_called(tool, platform, ramp_world, db):
    platform.line_items["course-1"] = [
        {
            "id": "http://169.254.169.254/lineitems/1",
            "label": "Basics check",
            "resourceId": "module:mini-onboarding/basics",
            "scoreMaximum": 100,
        }
    ]
    launched = launch(tool, platform, custom=MODULE)
    take_check(launched.session, tool, launched.response.headers["Location"], db)
    assert platform.score_posts == []
    db.session.remove()
    post = db.session.execute(select(LtiScorePost)).scalar_one()
    assert (post.status, post.tries) == ("failed", 1) and "another host" in post.last_error
    assert db.session.execute(select(LtiLineItem)).first() is None  # the reservation is freed


def test_managers_see_passback_status_per_hire(tool, platform, ramp_world, db):
    lead_email, lead_team = ramp_world.lead.email, ramp_world.cohort.team_id
    other_email = ramp_world.other_lead.email
    platform.fail_scores = 10  # beyond the three tries
    launched = launch(tool, platform, custom=MODULE, name="Fay Failing", email="fay@lms.example")
    take_check(launched.session, tool, launched.response.headers["Location"], db)
    db.session.remove()
    post = db.session.execute(select(LtiScorePost)).scalar_one()
    assert (post.status, post.tries) == ("failed", 3) and "503" in post.last_error
    hire = db.session.execute(select(Hire).where(Hire.user_id == post.user_id)).scalar_one()
    cohort = db.session.get(LtiContext, post.context_id).cohort
    # The course's cohort is led by the Chat team's manager: give the cohort that team.
    lead = db.session.execute(select(User).where(User.email == lead_email)).scalar_one()
    cohort.team_id = lead_team
    hire.manager_id = lead.id
    db.session.commit()
    page = http_login(tool, lead_email).get(tool.url + "/lti/grades").text
    assert "Fay Failing" in page and "Basics check" in page and 'class="passback-failed"' in page
    assert "503" in page
    page = http_login(tool, other_email).get(tool.url + "/lti/grades").text
    assert "No scores have been sent" in page and "Fay Failing" not in page


def test_failed_scores_are_sent_again_from_the_cli(tool, platform, ramp_world, db, app):
    platform.fail_scores = 10
    launched = launch(tool, platform, custom=MODULE)
    take_check(launched.session, tool, launched.response.headers["Location"], db)
    platform.fail_scores = 0
    app.config.update(JOBS_EAGER=True)  # the CLI runs in the test's application
    db.session.remove()
    post = db.session.execute(select(LtiScorePost)).scalar_one()
    assert post.status == "failed"
    post.status = "retrying"  # as while its delivery still runs: not queued a second time
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["lti", "retry-grades"])
    assert "queued 0 score(s) again" in result.output and platform.score_posts == []
    db.session.execute(select(LtiScorePost)).scalar_one().status = "failed"
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["lti", "retry-grades"])
    assert result.exit_code == 0 and "queued 1 score(s) again" in result.output
    assert len(platform.score_posts) == 1
    db.session.remove()
    post = db.session.execute(select(LtiScorePost)).scalar_one()
    assert (post.status, post.tries) == ("sent", 1)
    again = app.test_cli_runner().invoke(args=["lti", "retry-grades"])
    assert "queued 0 score(s) again" in again.output and len(platform.score_posts) == 1


# Names and roles -------------------------------------------------------------------------


def members(n_learners: int) -> list[dict]:
    people = [
        {
            "user_id": "teacher",
            "roles": [INSTRUCTOR],
            "name": "Tia Teacher",
            "email": "tia@lms.example",
            "status": "Active",
        }
    ]
    for i in range(1, n_learners + 1):
        people.append(
            {
                "user_id": f"s{i}",
                "roles": [LEARNER],
                "name": f"Student {i}",
                "email": f"s{i}@lms.example",
                "status": "Active",
            }
        )
    people.append({"user_id": "gone", "roles": [LEARNER], "name": "Gone", "status": "Inactive"})
    return people


def test_an_instructor_launch_syncs_the_roster_into_the_cohort(tool, platform, ramp_world, db):
    platform.members["course-1"] = members(4)
    launched = launch(tool, platform, sub="teacher", roles=[INSTRUCTOR])
    assert launched.response.status_code == 303
    assert len(platform.membership_pages) == 3  # 6 members, 2 a page: Link next followed
    db.session.remove()
    context = db.session.execute(select(LtiContext)).scalar_one()
    hires = sorted(h.user.email for h in context.cohort.hires)
    assert hires == [f"s{i}@lms.example" for i in range(1, 5)]
    assert context.roster_summary.startswith("6 members on 3 page(s), 4 hire(s) added, 1 inactive")


def test_the_roster_syncs_on_demand_without_duplicates(tool, platform, ramp_world, db, app):
    platform.members["course-1"] = members(2)
    launched = launch(tool, platform, sub="teacher", roles=[INSTRUCTOR])
    platform.members["course-1"] = members(3)
    db.session.remove()
    context = db.session.execute(select(LtiContext)).scalar_one()
    page = launched.session.get(f"{tool.url}/lti/courses/{context.id}")
    answer = launched.session.post(
        f"{tool.url}/lti/courses/{context.id}/sync", data={"csrf_token": csrf_of(page.text)}
    )
    assert "1 hire(s) added" in answer.text
    db.session.remove()
    context = db.session.get(LtiContext, context.id)
    assert len(context.cohort.hires) == 3
    result = app.test_cli_runner().invoke(args=["lti", "sync-roster", str(context.id)])
    assert result.exit_code == 0 and "0 hire(s) added" in result.output


def test_members_a_full_roster_leaves_out_are_no_longer_active(tool, platform, ramp_world, db, app):
    from ramp.lti.models import LtiContextMember, LtiIdentity

    platform.members["course-1"] = members(3)
    launch(tool, platform, sub="teacher", roles=[INSTRUCTOR])
    platform.members["course-1"] = [m for m in members(3) if m["user_id"] != "s3"]
    db.session.remove()
    context = db.session.execute(select(LtiContext)).scalar_one()
    result = app.test_cli_runner().invoke(args=["lti", "sync-roster", str(context.id)])
    assert result.exit_code == 0, result.output
    db.session.remove()
    active = {
        identity.subject: member.active
        for member, identity in db.session.execute(
            select(LtiContextMember, LtiIdentity).join(
                LtiIdentity, LtiIdentity.user_id == LtiContextMember.user_id
            )
        ).all()
    }
    assert active == {"teacher": True, "s1": True, "s2": True, "s3": False, "gone": False}


def test_a_roster_never_raises_a_role(tool, platform, ramp_world, db):
    from ramp.accounts.models import Role
    from ramp.lti.models import LtiIdentity

    ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
    assert launch(tool, platform, sub="s1", email="s1@lms.example").response.status_code == 303
    platform.members["course-1"] = [
        {"user_id": "s1", "roles": [INSTRUCTOR, ADMIN], "name": "Student 1", "status": "Active"},
        {"user_id": "new-admin", "roles": [ADMIN], "name": "New", "email": "n@lms.example"},
        {"user_id": "tia", "roles": [INSTRUCTOR], "name": "Tia", "email": "tia@lms.example"},
        {"user_id": ["odd"], "roles": 5, "name": {"x": 1}},  # skipped, not a 500
    ]
    teacher = launch(tool, platform, sub="teacher", roles=[INSTRUCTOR], nrps=False)
    db.session.remove()
    context = db.session.execute(select(LtiContext)).scalar_one()
    page = teacher.session.get(f"{tool.url}/lti/courses/{context.id}")
    answer = teacher.session.post(
        f"{tool.url}/lti/courses/{context.id}/sync", data={"csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 200 and "Roster synced" in answer.text
    db.session.remove()
    roles = {i.subject: i.user.role for i in db.session.execute(select(LtiIdentity)).scalars()}
    assert roles == {
        "s1": Role.AGENT,
        "new-admin": Role.AGENT,
        "tia": Role.AGENT,
        "teacher": Role.MANAGER,
    }


def test_a_token_answer_without_a_number_of_seconds_is_a_clear_message(
    tool, platform, ramp_world, db
):
    platform.members["course-1"] = members(1)
    teacher = launch(tool, platform, sub="teacher", roles=[INSTRUCTOR], nrps=False)
    db.session.remove()
    context = db.session.execute(select(LtiContext)).scalar_one()
    context.memberships_url = f"{platform.url}/courses/course-1/memberships"
    db.session.commit()
    platform.token_body = {"expires_in": "soon"}
    page = teacher.session.get(f"{tool.url}/lti/courses/{context.id}")
    answer = teacher.session.post(
        f"{tool.url}/lti/courses/{context.id}/sync", data={"csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 200
    assert "could not be synced" in answer.text and "expires_in" in answer.text


# Dynamic registration --------------------------------------------------------------------


def test_dynamic_registration_registers_and_closes_the_window(tool, platform, app, make_user, db):
    browser = http_login(tool, make_user("admin").email)
    params = {
        "openid_configuration": platform.url + "/.well-known/openid-configuration",
        "registration_token": platform.registration_token,
    }
    opened = browser.get(tool.url + "/lti/register", params=params)
    assert opened.status_code == 200 and platform.url in opened.text
    assert platform.config_requests == 0  # a link alone makes ramp fetch nothing
    # the platform shows the page in its own iframe
    assert (
        f"frame-ancestors 'self' {platform.url};" in opened.headers["Content-Security-Policy"] + ";"
    )
    confirm = browser.post(
        tool.url + "/lti/register",
        data=dict(params, csrf_token=csrf_of(opened.text), step="read"),
    )
    assert confirm.status_code == 200 and "simulated-lms" in confirm.text
    assert platform.config_requests == 1 and not platform.registrations
    done = browser.post(
        tool.url + "/lti/register",
        data=dict(params, csrf_token=csrf_of(confirm.text), step="register"),
    )
    assert done.status_code == 200 and "data-lti-close" in done.text
    script = browser.get(tool.url + "/static/js/lti.js").text
    assert 'postMessage({ subject: "org.imsglobal.lti.close" }' in script
    [sent] = platform.registrations
    assert sent["jwks_uri"] == tool.url + "/lti/jwks"
    assert sent["initiate_login_uri"] == tool.url + "/lti/login"
    assert sent["redirect_uris"] == [tool.url + "/lti/launch"]
    scopes = sent["scope"].split()
    assert c.SCOPE_SCORE in scopes and c.SCOPE_NRPS in scopes and c.SCOPE_RESULT not in scopes
    db.session.remove()
    reg = db.session.execute(
        select(LtiRegistration).where(LtiRegistration.client_id == "dynamic-client-1")
    ).scalar_one()
    assert reg.issuer == platform.issuer and reg.token_url == platform.token_url
    assert [d.deployment_id for d in reg.deployments] == ["dynamic-deployment-1"]
    assert reg.lms_origins == [platform.url]


def test_the_sign_in_before_dynamic_registration_may_be_framed_by_that_platform(tool, platform):
    import requests

    config = platform.url + "/.well-known/openid-configuration"
    page = requests.get(tool.url + "/lti/register", params={"openid_configuration": config})
    assert "/auth/login" in page.url
    assert (
        f"frame-ancestors 'self' {platform.url};" in page.headers["Content-Security-Policy"] + ";"
    )
    plain = requests.get(tool.url + "/auth/login")
    assert "frame-ancestors 'self';" in plain.headers["Content-Security-Policy"] + ";"
    assert platform.config_requests == 0


def test_dynamic_registration_refuses_a_configuration_naming_another_host(
    tool, platform, make_user
):
    browser = http_login(tool, make_user("admin").email)
    config = platform.url + "/.well-known/openid-configuration"
    platform.config_changes = {"issuer": "https://elsewhere.example"}
    opened = browser.get(tool.url + "/lti/register", params={"openid_configuration": config})
    answer = browser.post(
        tool.url + "/lti/register",
        data={"openid_configuration": config, "csrf_token": csrf_of(opened.text), "step": "read"},
    )
    assert answer.status_code == 400 and "on another host" in answer.text
    assert platform.config_requests == 1
    platform.config_changes = {"registration_endpoint": "https://elsewhere.example/register"}
    answer = browser.post(
        tool.url + "/lti/register",
        data={
            "openid_configuration": config,
            "csrf_token": csrf_of(opened.text),
            "step": "register",
        },
    )
    assert answer.status_code == 400 and "sends the registration to another host" in answer.text
    assert not platform.registrations


def test_dynamic_registration_says_when_the_configuration_cannot_be_read(
    tool, app, make_user, client
):
    from tests.conftest import csrf_token, login

    login(client, make_user("admin").email)
    url = "/lti/register?openid_configuration=http://127.0.0.1:9/nothing"
    answer = client.post(url, data={"csrf_token": csrf_token(client, url), "step": "read"})
    assert answer.status_code == 400 and "could not be read" in answer.get_data(as_text=True)


# Keys ------------------------------------------------------------------------------------


def test_key_rotation_publishes_both_keys_and_platforms_accept_the_new_one(
    tool, platform, ramp_world, db
):
    import requests

    from ramp.keys.operations import rotate_key
    from ramp.lti.services import access_token, forget_tokens

    before = {k["kid"] for k in requests.get(tool.url + "/lti/jwks").json()["keys"]}
    with tool.app.app_context():
        new = rotate_key("lti").kid
        from ramp.extensions import db as tool_db

        tool_db.session.commit()
        after = {k["kid"] for k in requests.get(tool.url + "/lti/jwks").json()["keys"]}
        assert after == before | {new} and len(after) == 2
        forget_tokens()
        reg = tool_db.session.execute(select(LtiRegistration)).scalar_one()
        assert access_token(reg, [c.SCOPE_SCORE])
    assert platform.token_requests


def test_a_platform_key_rotation_is_picked_up(tool, platform, ramp_world, monkeypatch):
    from ramp.lti import registrations

    assert launch(tool, platform).response.status_code == 303
    platform.rotate("platform-2")
    monkeypatch.setattr(registrations, "KEY_SET_REFETCH_FLOOR", 0.0)
    assert launch(tool, platform).response.status_code == 303


def test_the_tool_key_set_is_served(tool):
    import requests

    keys = requests.get(tool.url + "/lti/jwks").json()["keys"]
    assert keys and all(k["kty"] == "RSA" and k["alg"] == "RS256" and k["kid"] for k in keys)
    assert all("d" not in k for k in keys)


def test_a_column_deleted_in_the_lms_is_made_again(tool, platform, ramp_world, db):
    launched = launch(tool, platform, custom=MODULE)
    landing = launched.response.headers["Location"]
    take_check(launched.session, tool, landing, db, correct=False)
    first = platform.line_items["course-1"][0]["id"]
    platform.line_items["course-1"].clear()  # an instructor deletes the column
    take_check(launched.session, tool, landing, db, correct=True)
    remade = platform.line_items["course-1"]
    assert len(remade) == 1 and remade[0]["resourceId"] == "module:mini-onboarding/basics"
    assert [p["lineitem"] for p in platform.score_posts] == [first, remade[0]["id"]]
    db.session.remove()
    posts = db.session.execute(select(LtiScorePost).order_by(LtiScorePost.id)).scalars().all()
    assert [p.status for p in posts] == ["sent", "sent"]
    assert posts[1].lineitem_url == remade[0]["id"]
    assert db.session.execute(select(LtiLineItem.url)).scalars().all() == [remade[0]["id"]]


def test_a_failed_roster_sync_shows_on_the_course_page(tool, platform, ramp_world, db):
    platform.members["course-1"] = members(2)
    platform.grantable.discard(c.SCOPE_NRPS)  # the platform stops granting the roster
    launched = launch(tool, platform, sub="teacher", roles=[INSTRUCTOR])
    assert launched.response.status_code == 303
    db.session.remove()
    context = db.session.execute(select(LtiContext)).scalar_one()
    assert context.roster_failed_at is not None and context.roster_error
    page = launched.session.get(f"{tool.url}/lti/courses/{context.id}")
    assert 'id="roster-failure"' in page.text
    assert "The last roster sync failed at Mar 18, 2026" in page.text
    # Synced again once the platform grants it: the failure is gone.
    platform.grantable.add(c.SCOPE_NRPS)
    answer = launched.session.post(
        f"{tool.url}/lti/courses/{context.id}/sync", data={"csrf_token": csrf_of(page.text)}
    )
    assert "Roster synced" in answer.text and 'id="roster-failure"' not in answer.text


def test_every_call_to_the_platform_says_it_is_ramp(tool, platform, ramp_world, db):
    platform.members["course-1"] = members(2)
    launched = launch(tool, platform, custom=MODULE)
    take_check(launched.session, tool, launched.response.headers["Location"], db, correct=True)
    launch(tool, platform, sub="teacher", roles=[INSTRUCTOR])
    from_ramp = [a for a in platform.user_agents if not a.startswith("python-requests")]
    assert len(from_ramp) >= 4  # key set, tokens, line items, scores, roster
    assert all(a.startswith("ramp/") for a in from_ramp), from_ramp
