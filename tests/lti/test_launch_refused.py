"""Every check of the security framework, failed on purpose: a named 4xx, never a 500."""

import pytest

from ramp.lti import registrations
from tests.conftest import PINNED_NOW
from tests.lti.conftest import launch, refused_check
from tests.lti.platform import AGS, DL, DROP, LEARNER, LTI, NRPS, SCOPES, new_key

# The tests' clock is pinned (tests/conftest.py): token times are set against it.
NOW = int(PINNED_NOW.timestamp())
LTI_INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
CASES = {
    "wrong iss": ({"changes": {"iss": "https://evil.example"}}, 401, "iss"),
    "wrong aud": ({"changes": {"aud": "someone-else"}}, 401, "aud"),
    "azp mismatch": (
        {"changes": {"aud": ["ramp-client-1", "other-tool"], "azp": "other-tool"}},
        401,
        "azp",
    ),
    "azp missing with two audiences": (
        {"changes": {"aud": ["ramp-client-1", "other-tool"]}},
        401,
        "azp",
    ),
    "expired token": ({"changes": {"exp": NOW - 120, "iat": NOW - 900}}, 401, "exp"),
    "iat in the future": ({"changes": {"iat": NOW + 600, "exp": NOW + 900}}, 401, "iat"),
    "missing nonce": ({"changes": {"nonce": DROP}}, 401, "nonce"),
    "foreign nonce": ({"changes": {"nonce": "not-the-one-ramp-sent"}}, 401, "nonce"),
    "bad signature": ({"tamper": True}, 401, "signature"),
    "unknown deployment": ({"changes": {LTI + "deployment_id": "nope"}}, 403, "deployment_id"),
    "wrong version": ({"changes": {LTI + "version": "1.1"}}, 400, "version"),
    "wrong message type": (
        {"changes": {LTI + "message_type": "LtiSubmissionReviewRequest"}},
        400,
        "message_type",
    ),
    "missing resource link id": (
        {"changes": {LTI + "resource_link": {"title": "no id"}}},
        400,
        "resource_link.id",
    ),
    "missing roles": ({"changes": {LTI + "roles": DROP}}, 400, "roles"),
    "alg none": ({"alg": "none"}, 401, "alg"),
    "alg HS256": ({"alg": "HS256"}, 401, "alg"),
    "no kid": ({"no_kid": True}, 401, "kid"),
    "name is a list": ({"changes": {"name": ["Lee", "Learner"]}}, 400, "name"),
    "email is a number": ({"changes": {"email": 5}}, 400, "email"),
    "sub is a number": ({"changes": {"sub": 42}}, 400, "sub"),
    "sub too long": ({"changes": {"sub": "s" * 256}}, 400, "sub"),
    "a role is a number": ({"changes": {LTI + "roles": [LEARNER, 5]}}, 400, "roles"),
    "context is a list": ({"changes": {LTI + "context": ["course-1"]}}, 400, "context"),
    "context title is a number": (
        {"changes": {LTI + "context": {"id": "course-1", "title": 7}}},
        400,
        "context.title",
    ),
    "resource link title is a number": (
        {"changes": {LTI + "resource_link": {"id": "link-1", "title": 7}}},
        400,
        "resource_link.title",
    ),
    "resource link id is an object": (
        {"changes": {LTI + "resource_link": {"id": {"x": 1}}}},
        400,
        "resource_link.id",
    ),
    "target_link_uri is an object": (
        {"changes": {LTI + "target_link_uri": {"url": "x"}}},
        400,
        "target_link_uri",
    ),
    "custom is a string": ({"changes": {LTI + "custom": "ramp_target=board"}}, 400, "custom"),
    "AGS line items URL is an object": (
        {"changes": {AGS: {"scope": [SCOPES["score"]], "lineitems": {"url": "x"}}}},
        400,
        "endpoint.lineitems",
    ),
    "AGS scope is a string": (
        {"changes": {AGS: {"scope": SCOPES["score"]}}},
        400,
        "endpoint.scope",
    ),
    "NRPS URL is an object": (
        {"changes": {NRPS: {"context_memberships_url": ["x"]}}},
        400,
        "namesroleservice.context_memberships_url",
    ),
    "AGS URL on another host": (
        {
            "changes": {
                AGS: {
                    "scope": [SCOPES["score"]],
                    "lineitems": "http://169.254.169.254/latest/meta-data",
                }
            }
        },
        400,
        "endpoint.lineitems",
    ),
    "NRPS URL on another host": (
        {"changes": {NRPS: {"context_memberships_url": "http://10.0.0.1/admin"}}},
        400,
        "namesroleservice.context_memberships_url",
    ),
    "NRPS URL not http": (
        {"changes": {NRPS: {"context_memberships_url": "file:///etc/passwd"}}},
        400,
        "namesroleservice.context_memberships_url",
    ),
    "deep linking without a return URL": (
        {
            "message_type": "LtiDeepLinkingRequest",
            "roles": [LTI_INSTRUCTOR],
            "changes": {DL + "deep_linking_settings": {"accept_types": ["ltiResourceLink"]}},
        },
        400,
        "deep_linking_settings",
    ),
    "deep linking return URL on another host": (
        {
            "message_type": "LtiDeepLinkingRequest",
            "roles": [LTI_INSTRUCTOR],
            "changes": {
                DL + "deep_linking_settings": {
                    "deep_link_return_url": "https://elsewhere.example/return"
                }
            },
        },
        400,
        "deep_linking_settings.deep_link_return_url",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_spoiled_launch_is_refused_naming_the_check(tool, platform, case):
    spec, status, check = CASES[case]
    launched = launch(tool, platform, **spec)
    assert launched.response.status_code == status, launched.response.text
    assert refused_check(launched.response) == check
    assert "Traceback" not in launched.response.text


def test_unknown_kid_is_refused_after_fetching_the_key_set_again(tool, platform, monkeypatch):
    assert launch(tool, platform).response.status_code == 303  # key set cached
    fetched = list(registrations.key_set_fetches)
    monkeypatch.setattr(registrations, "KEY_SET_REFETCH_FLOOR", 0.0)
    launched = launch(tool, platform, sign_with=new_key("ghost"))
    assert launched.response.status_code == 401
    assert refused_check(launched.response) == "kid"
    assert registrations.key_set_fetches[len(fetched) :] == [platform.key_set_url]


def test_unknown_kids_do_not_make_ramp_fetch_the_key_set_each_time(tool, platform):
    assert launch(tool, platform).response.status_code == 303
    before = platform.key_set_requests
    for _ in range(3):
        launched = launch(tool, platform, sign_with=new_key("ghost"))
        assert refused_check(launched.response) == "kid"
    assert platform.key_set_requests == before  # within the refetch floor: no new fetch


def test_a_replayed_launch_is_refused(tool, platform):
    launched = launch(tool, platform)
    assert launched.response.status_code == 303
    replay = launched.again()
    assert replay.status_code == 403
    assert refused_check(replay) == "replay"


def test_an_old_id_token_with_a_new_state_is_refused(tool, platform):
    first = launch(tool, platform)
    second = launch(tool, platform, session=first.session)
    stolen = dict(second.posted, id_token=first.posted["id_token"])
    response = first.session.post(second.action, data=stolen, allow_redirects=False)
    # second's state was used up by its own launch; a fresh one shows the nonce check
    assert response.status_code == 403 and refused_check(response) == "replay"
    hint = platform.prepare()
    from tests.lti.conftest import form_of, login_params

    started = first.session.get(
        tool.url + "/lti/login", params=login_params(platform, hint), allow_redirects=False
    )
    _, fresh = form_of(first.session.get(started.headers["Location"]).text)
    response = first.session.post(
        tool.url + "/lti/launch",
        data={"state": fresh["state"], "id_token": first.posted["id_token"]},
        allow_redirects=False,
    )
    assert response.status_code == 401 and refused_check(response) == "nonce"


def test_a_forged_state_is_refused(tool, platform):
    launched = launch(tool, platform)
    forged = dict(launched.posted, state="forged-state-value")
    response = launched.session.post(launched.action, data=forged, allow_redirects=False)
    assert response.status_code == 403
    assert refused_check(response) == "state"


def test_a_state_from_another_browser_is_refused(tool, platform):
    import requests

    hint = platform.prepare()
    from tests.lti.conftest import form_of, login_params

    victim = requests.Session()
    started = victim.get(
        tool.url + "/lti/login", params=login_params(platform, hint), allow_redirects=False
    )
    action, posted = form_of(victim.get(started.headers["Location"]).text)
    attacker = requests.Session()
    attacker.cookies.set("ramp-lti-state-" + posted["state"], "something-else")
    response = attacker.post(action, data=posted, allow_redirects=False)
    assert response.status_code == 403 and refused_check(response) == "state"


def test_a_launch_without_token_or_state_is_a_400(tool):
    import requests

    response = requests.post(tool.url + "/lti/launch", data={"state": "x"})
    assert response.status_code == 400 and refused_check(response) == "id_token"
    response = requests.post(tool.url + "/lti/launch", data={"id_token": "x"})
    assert response.status_code == 400 and refused_check(response) == "state"


def test_a_malformed_id_token_is_refused(tool, platform):
    launched = launch(tool, platform)
    hint = platform.prepare()
    from tests.lti.conftest import form_of, login_params

    started = launched.session.get(
        tool.url + "/lti/login", params=login_params(platform, hint), allow_redirects=False
    )
    _, fresh = form_of(launched.session.get(started.headers["Location"]).text)
    response = launched.session.post(
        tool.url + "/lti/launch",
        data={"state": fresh["state"], "id_token": "not.a.jwt"},
        allow_redirects=False,
    )
    assert response.status_code == 401 and refused_check(response) == "id_token"


def test_login_initiation_from_an_unknown_platform_is_a_400(tool, platform):
    import requests

    from tests.lti.conftest import login_params

    params = login_params(platform, "h", iss="https://unknown.example")
    response = requests.get(tool.url + "/lti/login", params=params, allow_redirects=False)
    assert response.status_code == 400 and refused_check(response) == "iss"
    params = login_params(platform, "h", target_link_uri="https://elsewhere.example/x")
    response = requests.get(tool.url + "/lti/login", params=params, allow_redirects=False)
    assert response.status_code == 400 and refused_check(response) == "target_link_uri"


def test_an_expired_state_is_refused(tool, platform):
    from datetime import timedelta

    import requests
    from sqlalchemy import update

    from ramp.accounts.models import utcnow
    from ramp.extensions import db
    from ramp.lti.models import LtiLoginState
    from tests.lti.conftest import form_of, login_params

    browser = requests.Session()
    started = browser.get(
        tool.url + "/lti/login",
        params=login_params(platform, platform.prepare()),
        allow_redirects=False,
    )
    action, posted = form_of(browser.get(started.headers["Location"]).text)
    with tool.app.app_context():
        db.session.execute(update(LtiLoginState).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = browser.post(action, data=posted, allow_redirects=False)
    assert response.status_code == 403 and refused_check(response) == "state"
    assert "expired" in response.text


@pytest.mark.parametrize(
    "body",
    [b"<html>not json</html>", b'{"keys": 5}', b"[1, 2]", b'{"keys": [5, {"kid": 7}]}'],
    ids=["not JSON", "keys a number", "a list", "keys of the wrong type"],
)
def test_a_key_set_that_is_not_a_key_set_is_a_401(tool, platform, body):
    platform.key_set_body = body
    launched = launch(tool, platform)
    assert launched.response.status_code == 401, launched.response.text
    assert refused_check(launched.response) == "kid"


def test_an_unreachable_key_set_is_a_401_and_waits_out_the_floor(tool, platform):
    from ramp.extensions import db
    from ramp.lti.models import LtiRegistration

    with tool.app.app_context():
        reg = db.session.execute(db.select(LtiRegistration)).scalar_one()
        reg.key_set_url = "http://127.0.0.1:9/jwks"  # nothing listens there
        db.session.commit()
    fetched = len(registrations.key_set_fetches)
    for _ in range(2):
        launched = launch(tool, platform)
        assert launched.response.status_code == 401
        assert refused_check(launched.response) == "kid"
        assert "could not be read" in launched.response.text
    # the failed fetch counts against the refetch floor: the second launch did not try again
    assert registrations.key_set_fetches[fetched:] == ["http://127.0.0.1:9/jwks"]


def test_long_login_parameters_are_refused_or_ignored(tool, platform, db):
    import requests

    from tests.lti.conftest import login_params

    hint = platform.prepare()
    # ramp does not use platform storage: a storage target of any length changes nothing
    params = login_params(platform, hint, lti_storage_target="t" * 150)
    response = requests.get(tool.url + "/lti/login", params=params, allow_redirects=False)
    assert response.status_code == 302
    params = login_params(platform, "h" * 3000)
    response = requests.get(tool.url + "/lti/login", params=params, allow_redirects=False)
    assert response.status_code == 400 and refused_check(response) == "login_hint"
    response = requests.post(
        tool.url + "/lti/launch",
        data={"state": "s" * 5000, "id_token": "x"},
        allow_redirects=False,
    )
    assert response.status_code == 403 and refused_check(response) == "state"


def test_login_initiation_is_rate_limited(migrated, app, platform):
    from tests.conftest import make_app
    from tests.lti.conftest import login_params

    limited = make_app(migrated, RATELIMIT_ENABLED=True, LTI_LOGIN_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    params = login_params(platform, "hint")  # an unregistered platform: a 400 each time
    statuses = [client.get("/lti/login", query_string=params).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]


def _fresh_state(tool, platform, session):
    from tests.lti.conftest import form_of, login_params

    hint = platform.prepare()
    started = session.get(
        tool.url + "/lti/login", params=login_params(platform, hint), allow_redirects=False
    )
    return form_of(session.get(started.headers["Location"]).text)


def test_an_oversized_id_token_is_refused_before_it_is_decoded(tool, platform, monkeypatch):
    import requests

    from ramp.lti import launch as launch_module

    decoded = []
    monkeypatch.setattr(launch_module.jwt, "get_unverified_header", decoded.append)
    browser = requests.Session()
    action, posted = _fresh_state(tool, platform, browser)
    huge = "e" * (70 * 1024) + "." + "e" * 10 + "." + "e" * 10
    response = browser.post(action, data=dict(posted, id_token=huge), allow_redirects=False)
    assert response.status_code == 400 and refused_check(response) == "id_token"
    assert "64 KiB" in response.text
    assert decoded == []


def test_an_oversized_launch_body_is_a_413_page(tool, platform):
    import requests

    browser = requests.Session()
    action, posted = _fresh_state(tool, platform, browser)
    body = dict(posted, id_token="e" * (2 * 1024 * 1024))
    response = browser.post(action, data=body, allow_redirects=False)
    assert response.status_code == 413
    assert "Traceback" not in response.text and "too large" in response.text.lower()
