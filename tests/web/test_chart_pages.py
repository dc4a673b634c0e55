"""Charts on the pages and in the comparison PDF: a text alternative, the numbers beside each
chart, axes inside the domain, legends whole, and a PDF that opens with its content."""

import re
import subprocess
from datetime import date, timedelta
from html import unescape
from xml.etree import ElementTree

import pytest

from ramp.metrics.comparison import compare
from ramp.metrics.generator import generate_for_hire, insert_records
from ramp.metrics.weekly import refresh_weeks
from tests.conftest import login

SVG = "{http://www.w3.org/2000/svg}"
LONG_NAME = "September wave · Email Tier 2"


@pytest.fixture
def cohort_with_records(ramp_world, db):
    w = ramp_world
    w.cohort.name = LONG_NAME
    start = date.today() - timedelta(days=45)
    hires = [w.hire(name=f"Agent {i}", start_date=start) for i in range(3)]
    for hire in hires:
        insert_records(*generate_for_hire(hire.user_id, hire.start_date, date.today()))
    refresh_weeks([h.user_id for h in hires])
    db.session.commit()
    return w, hires


def wide_svgs(html: str) -> list[ElementTree.Element]:
    found = re.findall(
        r'<svg xmlns="http://www.w3.org/2000/svg" viewBox="[^"]*" role="img".*?</svg>', html, re.S
    )
    return [ElementTree.fromstring(s) for s in found if "ramp-chart--wide" in s.split(">", 1)[0]]


def test_the_comparison_page_shows_each_chart_with_its_numbers(client, cohort_with_records):
    w, _ = cohort_with_records
    login(client, w.lead.email)
    response = client.get(f"/board/compare?cohort={w.cohort.id}&metric=csat&metric=aht")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    csat, aht = wide_svgs(html)
    assert csat.find(f"{SVG}title").text == "CSAT, pooled by cohort"
    assert LONG_NAME in csat.find(f"{SVG}desc").text
    legend = [
        " ".join(s.text for s in t.iter(f"{SVG}tspan"))
        for t in csat.iter(f"{SVG}text")
        if t.get("class") == "legend-label"
    ]
    assert legend == [LONG_NAME, "target", "hatched: at or above target"]
    ticks = [
        float("".join(t.itertext()).rstrip("%"))
        for t in csat.iter(f"{SVG}text")
        if t.get("text-anchor") == "end"
    ]
    assert ticks and max(ticks) <= 100 and min(ticks) >= 0
    aht_ticks = [
        "".join(t.itertext()) for t in aht.iter(f"{SVG}text") if t.get("text-anchor") == "end"
    ]
    assert aht_ticks[0] == "0" and all(t.endswith(("m", "h")) for t in aht_ticks[1:])
    # The numbers beside the chart: a row per week with the cohort's figure and the target.
    [result] = compare([w.cohort.id], ["csat"]).cohorts
    week = next(r for r in result.weeks["csat"] if r.value is not None)
    text = unescape(html)
    assert "CSAT, pooled by cohort: the figures by tenure week" in text
    assert re.search(
        rf'<tr><th scope="row">{week.week}</th><td>{re.escape(f"{week.value:.1f}%")}</td>'
        rf"<td>{re.escape(f'{week.target:.1f}%')}</td></tr>",
        text,
    )
    assert 'role="region" tabindex="0" aria-labelledby="chart-compare-csat-numbers"' in html


def test_the_comparison_pdf_opens_with_its_title_and_first_chart(
    client, cohort_with_records, tmp_path
):
    w, _ = cohort_with_records
    login(client, w.lead.email)
    response = client.get(f"/board/compare?cohort={w.cohort.id}&metric=csat&metric=aht&format=pdf")
    assert response.mimetype == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.data)

    def text(*pages: str) -> str:
        out = subprocess.run(
            ["pdftotext", *pages, "-layout", str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return " ".join(out.split())

    first = text("-f", "1", "-l", "1")
    assert first.startswith("Cohort comparison")
    # The first chart is on page 1: its heading, caption, axes and whole legend.
    for words in [
        "CSAT (higher is better)",
        "Each cohort's pooled CSAT by tenure week. The dashed line is the target",
        "CSAT (%)",
        "Tenure week",
        LONG_NAME,
        "hatched: at or above target",
    ]:
        assert words in first, words
    assert "AHT (lower is better)" not in first  # the next metric opens a page of its own
    whole = text()
    assert "AHT (minutes)" in whole and "Time to proficiency" in whole
    assert whole.count(LONG_NAME) >= 4  # title block, legends and tables: never cut


def test_the_hire_page_charts_have_a_text_alternative_and_numbers(client, cohort_with_records):
    w, hires = cohort_with_records
    login(client, w.lead.email)
    html = client.get(f"/board/hires/{hires[0].id}").get_data(as_text=True)
    svgs = {s.find(f"{SVG}title").text: s for s in wide_svgs(html)}
    qa = svgs["QA score of Agent 0"]
    assert qa.get("role") == "img"
    assert qa.get("aria-labelledby").split() == [
        qa.find(f"{SVG}title").get("id"),
        qa.find(f"{SVG}desc").get("id"),
    ]
    assert "Agent 0:" in qa.find(f"{SVG}desc").text and "Target:" in qa.find(f"{SVG}desc").text
    dashed = [p for p in qa.iter(f"{SVG}path") if p.get("class") == "target-line"]
    assert dashed and dashed[0].get("stroke-dasharray")
    text = unescape(html)
    assert "QA score of Agent 0: the figures by tenure week" in text
    assert re.search(r'<tr><th scope="row">\d+</th><td>[\d.]+%</td><td>75\.0%</td></tr>', text)
    assert "AHT of Agent 0" in svgs
