"""Capacity through the API: the same rows as the page's CSV, as JSON or CSV, with hostile
parameters refused with a 4xx."""

from __future__ import annotations

import csv
import io

import pytest

from tests.web.test_api_resources import bearer as bearer_of
from tests.web.test_capacity_pages import team  # noqa: F401  (the fixture)


@pytest.fixture
def bearer(team, db):  # noqa: F811
    return bearer_of(team.lead, "metrics:read")


def test_json_and_csv_carry_the_same_rows(client, team, bearer):  # noqa: F811
    query = f"cohort={team.cohort.id}&start=2026-02-02&weeks=3"
    body = client.get(f"/api/v1/capacity?{query}", headers=bearer).get_json()
    assert body["columns"][:5] == [
        "placement",
        "week",
        "heads",
        "effective_fte",
        "productivity_factor",
    ]
    assert [(r["week"], r["heads"], r["effective_fte"]) for r in body["rows"]] == [
        ("2026-02-02", 2.0, 1.25),
        ("2026-02-09", 2.0, 0.62),
        ("2026-02-16", 1.0, 0.0),
    ]
    assert body["fallbacks"][0]["placement"] == "general · chat"
    response = client.get(f"/api/v1/capacity?{query}&format=csv", headers=bearer)
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["effective_fte"] for r in rows] == ["1.25", "0.62", "0.0"]


def test_a_token_without_hires_gets_headers_only(client, team, db):  # noqa: F811
    response = client.get(
        "/api/v1/capacity?format=csv", headers=bearer_of(team.other_lead, "metrics:read")
    )
    assert response.get_data(as_text=True).splitlines() == [
        "placement,week,heads,effective_fte,productivity_factor,cohort,source,curve"
    ]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("cohort=x", 400),
        ("cohort=999999", 404),
        ("format=xlsx", 400),
        ("weeks=0", 400),
        ("weeks=105", 400),
        ("start=2026-02-31", 400),
        ("start=%00", 400),
    ],
)
def test_hostile_parameters_get_a_4xx(client, team, bearer, query, status):  # noqa: F811
    assert client.get(f"/api/v1/capacity?{query}", headers=bearer).status_code == status


def test_the_scope_is_needed(client, team, db):  # noqa: F811
    response = client.get("/api/v1/capacity", headers=bearer_of(team.lead, "hires:read"))
    assert response.status_code == 403


def test_attrition_gives_the_pages_figures_without_names(client, team, bearer):  # noqa: F811
    response = client.get(f"/api/v1/attrition?cohort={team.cohort.id}", headers=bearer)
    assert response.status_code == 200
    body = response.get_json()
    # Ben left 13 days in (week 2, for another job); Ana is active. The pinned day is
    # 18 March: both are more than 30 days in, neither 60.
    assert body["cohorts"] == [
        {
            "id": team.cohort.id,
            "name": "Wave A",
            "hires": 2,
            "windows": [
                {"days": 30, "eligible": 2, "left": 1, "share": 0.5},
                {"days": 60, "eligible": 0, "left": 0, "share": None},
                {"days": 90, "eligible": 0, "left": 0, "share": None},
            ],
            "leavers_by_week": [{"week": 2, "left": 1, "reasons": {"another_job": 1}}],
        }
    ]
    assert body["leavers"] == 1 and body["signals_before_leaving"]["missed_milestone"] == 1
    assert {f["hire_id"] for f in body["flagged"]} <= {team.ana.id}
    text = response.get_data(as_text=True)
    assert "Ben Brandt" not in text and "Ana Alves" not in text and "competitor" not in text


@pytest.mark.parametrize(("query", "status"), [("cohort=x", 400), ("cohort=999999", 404)])
def test_attrition_refuses_what_is_not_a_visible_cohort(client, team, bearer, query, status):  # noqa: F811
    assert client.get(f"/api/v1/attrition?{query}", headers=bearer).status_code == status


def test_attrition_of_a_token_without_hires_is_empty(client, team, db):  # noqa: F811
    body = client.get("/api/v1/attrition", headers=bearer_of(team.other_lead, "metrics:read"))
    assert body.get_json() == {
        "cohorts": [],
        "leavers": 0,
        "signals_before_leaving": {"missed_milestone": 0, "below_curve": 0, "overdue_refresher": 0},
        "flagged": [],
    }
