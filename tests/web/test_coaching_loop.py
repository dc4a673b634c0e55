"""The coaching loop end to end, through an import and the pages: a hire's reviews fall short
on Tone & Empathy on 3 of the last 4, the rule assigns the tone module, the agent sees it on
My ramp and passes its check, later reviews improve, and the manager reads the measured
effect, with its counts, on the hire page and the Coaching page."""

from datetime import timedelta
from html import unescape

from ramp import clock
from ramp.coaching.models import COMPLETED, OPEN, CoachingAssignment
from ramp.coaching.operations import publish_rules_text
from ramp.metrics.imports import import_and_update, load_mapping
from tests.conftest import FIXTURES, csrf_token, login
from tests.web.test_coaching_pages import answers, module_of, switch

RULES = """\
version: 1
rules:
  - key: empathy
    title: Tone and empathy refresher
    when:
      category: tone  &  EMPATHY
      below: 60
      failing: 3
      of_last: 4
    assign:
      curriculum: mini-onboarding
      module: tone
      due_in_days: 7
    measure_over: 2
"""
HEADER = "Review ID,Agent,Reviewed,Score,Max,Empathy,Verification,Resolution,Resolution max\n"


def import_reviews(tmp_path, name, email, reviews):
    """Import reviews of one agent: (id, days before today, empathy out of 5)."""
    lines = [
        f"{review},{email},{(clock.today() - timedelta(days=ago)):%d/%m/%Y} 12:00,80,100,"
        f"{empathy},1,4,5\n"
        for review, ago, empathy in reviews
    ]
    path = tmp_path / name
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    mapping = load_mapping(path=str(FIXTURES / "mappings" / "qa-categories.yaml"))
    return import_and_update(path, mapping)


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return unescape(response.get_data(as_text=True))


def test_a_failing_category_assigns_a_refresher_whose_effect_is_measured(
    client, db, ramp_world, tmp_path, clock
):
    hire = ramp_world.hire(name="Ana Agent")
    email, hire_id = hire.user.email, hire.id
    # A first review at 100 %: the category is known, so a rule may name it (here in other
    # case and spacing than the export's).
    import_reviews(tmp_path, "week0.csv", email, [("r1", 5, 5)])
    publish_rules_text(RULES)
    db.session.commit()
    # Then 40 % three times: short on 3 of the last 4.
    import_reviews(tmp_path, "week1.csv", email, [("r2", 4, 2), ("r3", 3, 2), ("r4", 2, 2)])
    db.session.commit()
    [assigned] = db.session.query(CoachingAssignment).all()
    assert (assigned.hire_id, assigned.status, assigned.title) == (
        hire_id,
        OPEN,
        "Tone and empathy",
    )
    assert [e["review"] for e in assigned.evidence if e["short"]] == ["r2", "r3", "r4"]

    # The agent sees it on My ramp, with why and by when.
    login(client, email)
    home = page(client, "/learn/ramp")
    assert "Refreshers for you" in home
    assert "Tone & Empathy below 60% on 3 of the last 4 evaluations" in home
    assert f"due {clock_day(7)}" in home

    # A wrong answer keeps it open; the right ones close it.
    tone = module_of(hire, "tone")
    url = f"/learn/refreshers/{assigned.id}/checks/{tone.id}"
    client.post(url, data={"csrf_token": csrf_token(client, url), **answers(tone, right=False)})
    db.session.expire_all()
    assert db.session.get(CoachingAssignment, assigned.id).status == OPEN
    client.post(url, data={"csrf_token": csrf_token(client, url), **answers(tone, right=True)})
    db.session.expire_all()
    assert db.session.get(CoachingAssignment, assigned.id).status == COMPLETED
    assert "Refreshers for you" not in page(client, "/learn/ramp")

    # A week on, two later reviews at 80 % and 100 %; the rule does not fire again.
    clock.shift(timedelta(days=7))
    import_reviews(tmp_path, "week2.csv", email, [("r5", 3, 4), ("r6", 2, 5)])
    db.session.commit()
    assert db.session.query(CoachingAssignment).count() == 1

    switch(client, ramp_world.lead)
    hire_page = page(client, f"/board/hires/{hire_id}")
    assert "Tone & Empathy: 40% over 2 before, 90% over 2 after (+50 pts)" in hire_page
    coaching = page(client, "/board/coaching")
    assert "Tone and empathy refresher" in coaching
    assert "not enough data (1 of 3 measured)" in coaching


def clock_day(days: int) -> str:
    day = clock.today() + timedelta(days=days)
    return f"{day:%b} {day.day}"
