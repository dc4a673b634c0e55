"""Pure LTI rules: role mapping, launch targets, Link headers, score URLs, reading an
id_token before its signature is checked."""

import base64
import json
import string

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramp.accounts.models import Role
from ramp.lti import claims as c
from ramp.lti.errors import LaunchError
from ramp.lti.grades import scores_url
from ramp.lti.http import Answer
from ramp.lti.identity import Landing, curriculum_of, landing, launch_target, platform_role
from ramp.lti.launch import _unverified
from ramp.lti.registrations import split_deployments

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.mark.parametrize(
    ("roles", "role"),
    [
        ([], Role.AGENT),
        ([LIS + "membership#Learner"], Role.AGENT),
        ([LIS + "membership#Instructor"], Role.MANAGER),
        ([LIS + "membership#ContentDeveloper"], Role.MANAGER),
        ([LIS + "membership/Instructor#TeachingAssistant"], Role.AGENT),
        ([LIS + "membership#Mentor"], Role.AGENT),
        ([LIS + "membership#TeachingAssistant"], Role.AGENT),
        ([LIS + "membership#Administrator"], Role.AGENT),  # a course's admin, not ramp's
        (["Administrator"], Role.AGENT),  # short names are course roles
        ([LIS + "membership/Administrator#Administrator"], Role.AGENT),
        ([LIS + "institution/person#Administrator", LIS + "membership#Learner"], Role.ADMIN),
        ([LIS + "system/person#Administrator"], Role.ADMIN),
        ([LIS + "system/person#SysAdmin"], Role.AGENT),
        (["Instructor"], Role.MANAGER),
        (["ContentDeveloper"], Role.MANAGER),
        ([LIS + "membership/Instructor#Lecturer"], Role.AGENT),
        ([LIS + "institution/person#Instructor"], Role.AGENT),  # an institution role
        ([LIS + "institution/person#Staff", 7], Role.AGENT),
    ],
)
def test_platform_roles(roles, role):
    assert platform_role(roles) is role


@pytest.mark.parametrize(
    ("claims", "target"),
    [
        ({c.CUSTOM: {"ramp_target": "module:onboarding/basics"}}, "module:onboarding/basics"),
        ({c.CUSTOM: {"ramp_target": "board"}}, "board"),
        ({c.CUSTOM: {"ramp_target": "javascript:alert(1)"}}, "home"),
        (
            {c.TARGET_LINK_URI: "https://ramp.example/lti/launch?target=curriculum:x"},
            "curriculum:x",
        ),
        ({c.TARGET_LINK_URI: "https://ramp.example/lti/launch"}, "home"),
        ({}, "home"),
    ],
)
def test_launch_targets(claims, target):
    assert launch_target(claims) == target


LEARNER = {"instructor": False, "staff": False, "cohort_id": 4, "context_id": 9}
TEACHER = {"instructor": True, "staff": True, "cohort_id": 4, "context_id": 9}


@pytest.mark.parametrize(
    ("target", "who", "enrollment", "only", "lands"),
    [
        (
            "module:onb/basics",
            LEARNER,
            7,
            None,
            Landing("module", enrollment_id=7, module="basics"),
        ),
        ("curriculum:onb", LEARNER, 7, None, Landing("curriculum", enrollment_id=7)),
        ("home", LEARNER, 7, None, Landing("curriculum", enrollment_id=7)),  # the course's
        ("home", LEARNER, None, 3, Landing("curriculum", enrollment_id=3)),  # the only one
        ("home", LEARNER, None, None, Landing("learning")),  # none or several: the list
        ("module:gone/basics", LEARNER, None, 3, Landing("curriculum", enrollment_id=3)),
        ("curriculum:gone", LEARNER, None, None, Landing("learning")),
        ("ramp", LEARNER, 7, None, Landing("my_ramp")),
        ("board", LEARNER, 7, None, Landing("my_ramp")),
        ("home", dict(LEARNER, staff=True), None, None, Landing("board")),
        ("home", TEACHER, None, None, Landing("course", context_id=9)),
        ("board", TEACHER, None, None, Landing("board", cohort_id=4)),
        ("ramp", TEACHER, None, None, Landing("my_ramp")),
        ("module:onb/basics", TEACHER, None, None, Landing("course", context_id=9)),
        ("board", dict(TEACHER, cohort_id=None), None, None, Landing("course", context_id=9)),
    ],
)
def test_where_a_launch_lands(target, who, enrollment, only, lands):
    """Straight on the page, never on one that redirects again (/ or /learn/ with one)."""
    assert landing(target, enrollment_id=enrollment, only_enrollment_id=only, **who) == lands


def test_curriculum_of_a_target():
    assert curriculum_of("module:onboarding/basics") == "onboarding"
    assert curriculum_of("curriculum:onboarding") == "onboarding"
    assert curriculum_of("board") is None


def test_link_headers_are_read_in_the_forms_platforms_send():
    answer = Answer(
        200,
        {
            "link": '<https://lms/m?p=2>; rel="next", <https://lms/m?p=9>; rel=last, '
            '<https://lms/m?p=1>; rel="first prev"'
        },
        b"{}",
    )
    assert answer.links() == {
        "next": "https://lms/m?p=2",
        "last": "https://lms/m?p=9",
        "first": "https://lms/m?p=1",
        "prev": "https://lms/m?p=1",
    }
    assert Answer(200, {}, b"").links() == {}


def test_link_headers_allow_commas_and_semicolons_inside_the_url():
    answer = Answer(
        200,
        {
            "link": '<https://lms/m?ids=1,2;x=3&p=2>; rel="next"; title="a, b", '
            "<https://lms/m?p=1>;rel=first"
        },
        b"",
    )
    assert answer.links() == {"next": "https://lms/m?ids=1,2;x=3&p=2", "first": "https://lms/m?p=1"}


def test_scores_url_keeps_the_query():
    assert (
        scores_url("https://lms/c/1/lineitems/4?type=x")
        == "https://lms/c/1/lineitems/4/scores?type=x"
    )
    assert scores_url("https://lms/c/1/lineitems/4/") == "https://lms/c/1/lineitems/4/scores"


def test_deployments_split_on_lines_and_commas():
    assert split_deployments("1\n2, 3 ,,") == ["1", "2", "3"]
    assert split_deployments(["a, b", " c "]) == ["a", "b", "c"]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=80),
        st.lists(st.text(alphabet=string.ascii_letters + string.digits + "-_=.", max_size=30)).map(
            ".".join
        ),
        st.tuples(st.dictionaries(st.text(max_size=5), st.integers()), st.integers()).map(
            lambda parts: ".".join(
                base64.urlsafe_b64encode(json.dumps(p).encode()).decode().rstrip("=")
                for p in (*parts, "sig")
            )
        ),
    )
)
def test_an_id_token_is_read_as_jwt_reads_it_or_refused(token):
    """The launch reads an id_token's header and claims (to find its registration) without
    the JWT library; whatever arrives, it reads what the library reads or refuses it by name,
    and never fails otherwise."""
    try:
        header, claims = _unverified(token)
    except LaunchError as refused:
        assert refused.check == "id_token"
        header = claims = None
    try:
        read = jwt.decode_complete(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return  # the signature check reads the token again, with the library, and refuses it
    assert (header, claims) == (read["header"], read["payload"])


def test_an_id_token_nested_past_the_parser_is_refused():
    deep = base64.urlsafe_b64encode(b"[" * 100_000).decode()
    with pytest.raises(LaunchError):
        _unverified(f"e30.{deep}.x")
