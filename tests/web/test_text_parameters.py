"""Query parameters of free text (searches, a queue's name): a NUL or another control
character gets a page or a 4xx, never a 500. PostgreSQL refuses a NUL in any text it
compares, so a search that passed one on would fail there and nowhere else."""

from __future__ import annotations

import pytest

from tests.conftest import login

PAGES = [
    "/board/?q={v}",
    "/board/?queue={v}",
    "/board/?status={v}",
    "/team?q={v}",
    "/board/coaching?q={v}",
    "/board/skills?q={v}",
    "/admin/people?q={v}",
    "/board/compare?queue={v}",
    "/board/team-performance?metric={v}",
]
ODD = ["%00", "a%00b", "%01%1f%7f", "%E2%80%AE", "%25_%5C"]


@pytest.mark.parametrize("value", ODD)
def test_odd_text_gets_a_page_or_a_4xx(client, ramp_world, db, value):
    ramp_world.hire(name="Ana Alves")
    login(client, ramp_world.admin.email)
    for template in PAGES:
        url = template.format(v=value)
        assert client.get(url).status_code < 500, url
