"""Capacity through the API: the same rows as the page's CSV, as JSON or CSV, with hostile
parameters refused with a 4xx."""

from __future__ import annotations

import csv
import io

import pytest

from ramp.metrics.api import create_token
from tests.web.test_capacity_pages import team  # noqa: F401  (the fixture)


@pytest.fixture
def bearer(team, db):  # noqa: F811
    _, secret = create_token("wfm", team.lead, scopes=["metrics:read"])
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


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
    _, secret = create_token("wfm", team.other_lead, scopes=["metrics:read"])
    db.session.commit()
    response = client.get(
        "/api/v1/capacity?format=csv", headers={"Authorization": f"Bearer {secret}"}
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
    _, secret = create_token("x", team.lead, scopes=["hires:read"])
    db.session.commit()
    response = client.get("/api/v1/capacity", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403
