"""A manager in real Chromium: a hire flagged "projected to miss" with its band on the hire
page, then the capacity CSV from the comparison page, whose numbers are the page's table."""

import csv
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_learner_path import sign_in
from tests.web.test_forecast_pages import team  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def test_a_manager_sees_a_projected_miss_and_downloads_the_capacity(
    server_url,
    page_factory,
    team,  # noqa: F811
):
    page = page_factory()
    sign_in(page, server_url, team.lead.email)
    page.goto(f"{server_url}/board/hires/{team.weak.id}")
    projection = page.locator("#projection")
    misses = projection.locator("#projection-misses")
    expect(misses).to_contain_text("Projected to miss")
    expect(misses).to_contain_text("“Nesting quality”, due by week 12")
    expect(projection.locator("#projection-summary")).to_contain_text(
        re.compile(r"Projected proficient: (week \d+ \(\d+(–\d+| to after 52)\)|after week 52)")
    )
    qa = projection.get_by_role("img", name=re.compile("QA score of Wendy Weak"))
    expect(qa).to_be_visible()
    expect(qa.locator("polygon")).to_have_count(1)  # the band
    assert qa.locator("polygon").bounding_box()["height"] > 0

    page.goto(f"{server_url}/board/compare?cohort={team.cohort.id}")
    table = page.locator("#capacity-table")
    expect(table).to_be_visible()
    shown = [
        [cell.strip() for cell in row.locator("td").all_inner_texts()]
        for row in table.locator("tbody tr").all()
    ]
    assert shown, "the capacity table is empty"
    with page.expect_download() as download:
        page.locator("#capacity-csv").click()
    path = download.value.path()
    with Path(path).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    # The page adds up each week's cohorts and classes by placement; the CSV has their rows.
    summed: dict[tuple[str, str], list[float]] = {}
    for row in rows:
        into = summed.setdefault((row["week"], row["placement"]), [0, 0.0, 0.0])
        into[0] += 1
        into[1] += float(row["heads"])
        into[2] += float(row["effective_fte"])
    assert [(c[0], c[1]) for c in shown] == list(summed)
    for cells in shown:
        week, placement, parts, _source, heads, fte, factor = cells
        count, csv_heads, csv_fte = summed[(week, placement)]
        assert int(parts) == count
        # The CSV rounds each row to 2 places; the page rounds their exact sum.
        assert float(heads) == pytest.approx(csv_heads, abs=0.005 * count + 1e-9)
        assert float(fte) == pytest.approx(csv_fte, abs=0.005 * count + 1e-9)
        if float(heads):
            assert float(factor) == pytest.approx(float(fte) / float(heads), abs=0.006)
    # Seven hires, all measured in their past weeks: the first week's heads are all of them.
    assert float(rows[0]["heads"]) == 7.0
    assert any(float(r["effective_fte"]) > 0 for r in rows)
