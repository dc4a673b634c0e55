"""The hire page shows the agent's QA scorecard categories by tenure week beside the overall
QA score, in English and Spanish; a hire whose evaluations have none shows no such table."""

import re
from datetime import timedelta
from html import unescape

from ramp import clock
from ramp.metrics.imports import import_and_update, load_mapping
from tests.conftest import FIXTURES, login

HEADER = "Review ID,Agent,Reviewed,Score,Max,Empathy,Verification,Resolution,Resolution max\n"


def import_reviews(db, tmp_path, email: str) -> None:
    day = (clock.today() - timedelta(days=1)).strftime("%d/%m/%Y")
    path = tmp_path / "reviews.csv"
    path.write_text(
        HEADER
        + f"R1,{email},{day} 12:00,80,100,4,1,6,10\n"
        + f"R2,{email},{day} 15:00,80,100,,0,8,10\n",
        encoding="utf-8",
    )
    import_and_update(path, load_mapping(path=str(FIXTURES / "mappings" / "qa-categories.yaml")))
    db.session.commit()


def section(client, hire_id: int, language: str) -> str:
    response = client.get(f"/board/hires/{hire_id}", headers={"Accept-Language": language})
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    start = html.index('id="qa-categories"')
    return html[start : html.index("</section>", start)]


def cells(html: str, row: str) -> str:
    """The text of a table row, from its header cell on, tags dropped."""
    start = html.index(row)
    return " ".join(re.sub(r"<[^>]+>", " ", html[start : html.index("</tr>", start)]).split()) + " "


def test_the_category_table_in_english_and_spanish(client, db, tmp_path, ramp_world):
    hire = ramp_world.hire(name="Ana Silva")
    import_reviews(db, tmp_path, hire.user.email)
    login(client, ramp_world.lead.email)

    html = section(client, hire.id, "en")
    assert "QA scorecard categories by tenure week" in html
    assert 'role="region"' in html and 'aria-labelledby="qa-categories-title"' in html
    assert "Week 1" in html
    # Empathy: 4 of 5 on R1, N/A on R2. Verification (critical): 1 of 1, then 0 of 1.
    assert " 80.0% n=1 · N/A 1 " in cells(html, "Tone & Empathy")
    assert cells(html, "Verification").startswith("Verification (critical)")
    assert " 50.0% n=2 · 1 critical fail " in cells(html, "Verification")
    assert " 70.0% n=2 " in cells(html, "Resolution")
    # The overall QA score, first: R1 (4/5 weighted 2, 1/1, 6/10) is 80, R2 failed a
    # critical category, so it counts 0.
    assert " 40.0% n=2 " in cells(html, "QA score (overall)")

    html = section(client, hire.id, "es")
    assert "Categorías de la ficha de calidad por semana de antigüedad" in html
    assert "Semana 1" in html
    assert "80,0 %" in cells(html, "Tone & Empathy") and "N/A 1" in cells(html, "Tone & Empathy")
    assert "Verification (crítica)" in cells(html, "Verification")
    assert "1 fallo crítico" in cells(html, "Verification")
    assert "40,0 %" in cells(html, "Puntuación de calidad (global)")


def test_no_table_for_a_hire_without_categories(client, db, tmp_path, ramp_world):
    hire = ramp_world.hire()
    other = ramp_world.hire()
    import_reviews(db, tmp_path, other.user.email)
    login(client, ramp_world.lead.email)
    html = client.get(f"/board/hires/{hire.id}").get_data(as_text=True)
    assert 'id="qa-categories"' not in html
