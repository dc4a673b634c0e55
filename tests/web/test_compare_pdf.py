"""The comparison PDF on the demo's cohorts: its pages fill, and a table that runs onto the next
page takes its heading row and the cohort's name with it."""

import re
import subprocess
from html import unescape

from sqlalchemy import select

from ramp.demo import DEMO_PASSWORD
from ramp.milestones.models import Cohort
from tests.conftest import login

METRICS = ("qa_score", "aht", "csat", "fcr", "sla")
FOOTER_MM = 12  # the page margin holding "page n of m"


def pages_of(pdf) -> list[tuple[float, float, list[tuple[float, str]]]]:
    """Each page's height, and its words' bottom edges and text, as pdftotext reads them."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = []
    for page in re.finditer(r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>', out, re.S):
        words = [
            (float(m[1]), unescape(m[2]))
            for m in re.finditer(r'<word [^>]*yMax="([\d.]+)">([^<]*)</word>', page[2])
        ]
        pages.append((float(page[1]), words))
    return pages


def test_the_comparison_pdf_fills_its_pages(client, db, demo, tmp_path):
    cohorts = db.session.execute(select(Cohort.id)).scalars().all()
    assert len(cohorts) >= 3
    login(client, "maria.lopez@example.com", DEMO_PASSWORD)
    query = "&".join([f"cohort={c}" for c in cohorts] + [f"metric={m}" for m in METRICS])
    response = client.get(f"/board/compare?{query}&format=pdf")
    assert response.mimetype == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.data)
    pages = pages_of(pdf)

    # Five metrics once took ten pages, each metric's records alone on a third-full page.
    assert len(pages) < 2 * len(METRICS)
    footer = FOOTER_MM / 25.4 * 72
    for number, (height, words) in enumerate(pages[:-1], start=1):
        lowest = max(bottom for bottom, _ in words if bottom < height - footer)
        assert lowest / (height - footer) > 0.5, (
            f"page {number} is {lowest / (height - footer):.0%} full"
        )
    # A records table running onto a page repeats its heading row, and its first row there
    # names the cohort (no name spanning rows left behind on the page before).
    names = set(db.session.execute(select(Cohort.name)).scalars())
    continued = 0
    for number in range(2, len(pages) + 1):
        lines = [
            " ".join(line.split())
            for line in subprocess.run(
                ["pdftotext", "-f", str(number), "-l", str(number), "-layout", str(pdf), "-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.splitlines()
            if line.strip()
        ]
        if lines[0].startswith("Cohort Week Pooled figure Records Target"):
            continued += 1
            assert any(lines[1].startswith(name) for name in names), (number, lines[1])
    assert continued
