"""The comparison charts in real Chromium: a phone gets the phone-sized chart, a desktop the
wide one; neither runs out of its box, and the numbers' region can be reached by keyboard."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from ramp.extensions import db
from ramp.metrics.generator import generate_for_hire, insert_records
from ramp.metrics.weekly import refresh_weeks
from tests.browser.test_learner_path import sign_in

pytestmark = pytest.mark.browser
LONG_NAME = "September wave · Email Tier 2"


@pytest.mark.parametrize(("width", "shown"), [(390, "compact"), (1440, "wide")])
def test_the_comparison_chart_fits_its_screen(server_url, page_factory, ramp_world, width, shown):
    w = ramp_world
    w.cohort.name = LONG_NAME
    start = date.today() - timedelta(days=40)
    hires = [w.hire(name=f"Agent {i}", start_date=start) for i in range(3)]
    for hire in hires:
        insert_records(*generate_for_hire(hire.user_id, hire.start_date, date.today()))
    refresh_weeks([h.user_id for h in hires])
    db.session.commit()

    page = page_factory(javascript=False)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, server_url, w.lead.email)
    page.goto(f"{server_url}/board/compare?cohort={w.cohort.id}&metric=csat")
    chart = page.get_by_role("img", name="CSAT, pooled by cohort")
    expect(chart).to_have_count(1)  # the other size is hidden from everyone
    expect(chart).to_have_class(f"ramp-chart ramp-chart--{shown}")
    box = chart.bounding_box()
    plot = page.locator(".chart-block__plot").bounding_box()
    assert (
        box["width"] > 0.9 * plot["width"]
        and box["x"] + box["width"] <= plot["x"] + plot["width"] + 1
    )
    legend = chart.locator("text.legend-label", has_text="September wave")
    legend_box = legend.bounding_box()
    assert legend_box["x"] + legend_box["width"] <= box["x"] + box["width"]
    # Text on a phone stays readable: the legend is drawn at 10 px or more.
    assert legend_box["height"] >= 10
    numbers = page.get_by_role("region", name="CSAT, pooled by cohort: the figures by tenure week")
    numbers.focus()
    expect(numbers).to_be_focused()
    expect(numbers.get_by_role("columnheader", name=LONG_NAME)).to_be_visible()
