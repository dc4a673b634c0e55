"""Every check of the security framework, failed on purpose: a named 4xx, never a 500."""

import time

import pytest

from ramp.lti import registrations
from tests.lti.conftest import launch, refused_check
from tests.lti.platform import DROP, LTI, new_key

NOW = int(time.time())
CASES = {
    "wrong iss": ({"changes": {"iss": "https://evil.example"}}, 401, "iss"),
    "wrong aud": ({"changes": {"aud": "someone-else"}}, 401, "aud"),
    "azp mismatch": (
        {"changes": {"aud": ["ramp-client-1", "other-tool"], "azp": "other-tool"}}, 401, "azp"
    ),
    "azp missing with two audiences": (
        {"changes": {"aud": ["ramp-client-1", "other-tool"]}}, 401, "azp"
    ),
    "expired token": ({"changes": {"exp": NOW - 120, "iat": NOW - 900}}, 401, "exp"),
    "iat in the future": ({"changes": {"iat": NOW + 600, "exp": NOW + 900}}, 401, "iat"),
    "missing nonce": ({"changes": {"nonce": DROP}}, 401, "nonce"),
    "foreign nonce": ({"changes": {"nonce": "not-the-one-ramp-sent"}}, 401, "nonce"),
    "bad signature": ({"tamper": True}, 401, "signature"),
    "unknown deployment": ({"changes": {LTI + "deployment_id": "nope"}}, 403, "deployment_id"),
    "wrong version": ({"changes": {LTI + "version": "1.1"}}, 400, "version"),
    "wrong message type": (
        {"changes": {LTI + "message_type": "LtiSubmissionReviewRequest"}}, 400, "message_type"
    ),
    "missing resource link id": (
        {"changes": {LTI + "resource_link": {"title": "no id"}}}, 400, "resource_link.id"
    ),
    "missing roles": ({"changes": {LTI + "roles": DROP}}, 400, "roles"),
}  # fmt: skip


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
        tool.url + "/lti/launch", data={"state": fresh["state"], "id_token": "not.a.jwt"},
        allow_redirects=False,
    )  # fmt: skip
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
