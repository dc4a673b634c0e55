"""Query parameters that name a row or a count: any text gets a page or a 4xx, never a 500.

Python's str.isdigit() accepts superscripts ("²") that int() refuses, and a number past a
database integer breaks a PostgreSQL query: every page and API call that reads a cohort,
manager, team, page, periods or weeks number is asked with such values, as a manager and
with a token of that manager."""

from __future__ import annotations

import pytest

from ramp.metrics.api import create_token
from tests.conftest import login

ODD = ["²", "٣", "9" * 30, "-1", "1e3", " 7", "0x1f", "", "%00"]
PAGES = [
    "/board/?cohort={v}",
    "/board/?manager={v}",
    "/board/?page={v}",
    "/board/compare?cohort={v}",
    "/board/compare?weeks={v}",
    "/board/compare/capacity.csv?cohort={v}",
    "/board/compare/capacity.csv?weeks={v}",
    "/board/team-performance?team={v}",
    "/board/team-performance?periods={v}",
    "/board/coaching?cohort={v}",
    "/board/coaching?team={v}",
    "/board/coaching?page={v}",
]
API = [
    "/api/v1/capacity?cohort={v}",
    "/api/v1/capacity?weeks={v}",
    "/api/v1/comparison?cohort={v}",
    "/api/v1/attrition?cohort={v}",
    "/api/v1/metrics/periods?periods={v}",
]


@pytest.fixture
def signed_in(client, ramp_world, db):
    ramp_world.hire(name="Ana Alves")
    login(client, ramp_world.lead.email)
    _, secret = create_token("odd", ramp_world.lead, scopes=["metrics:read"])
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("value", ODD)
def test_odd_numbers_get_a_page_or_a_4xx(client, signed_in, value):
    for template in PAGES:
        url = template.format(v=value)
        assert client.get(url).status_code < 500, url
    for template in API:
        url = template.format(v=value)
        assert client.get(url, headers=signed_in).status_code < 500, url


def test_a_superscript_is_refused_as_a_cohort_like_any_other_non_number(client, signed_in):
    assert client.get("/board/compare/capacity.csv?cohort=²").status_code == 422
    answer = client.get("/api/v1/attrition?cohort=²", headers=signed_in)
    assert answer.status_code == 400 and "cohort must be a cohort id" in answer.json["problems"][0]
