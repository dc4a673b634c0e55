"""Pages that guide learners: titles instead of slugs, what to do next and what comes later,
a knowledge-check result with its own address, and a verify page that says when a
certificate is no longer in force."""

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from ramp.certificates.operations import issue_certificate, revoke_certificate
from ramp.curricula import queries as cq
from ramp.curricula.models import Attempt
from ramp.formatting import format_date
from ramp.milestones.wording import reason_text, worded_check
from tests.conftest import csrf_token, login, make_ready

HX = {"HX-Request": "true"}
SLUG_LEAKS = ("tone-and-empathy", "missing: ", "(missing", "basics,", "floor-ready", "basics-done")


def html_of(response) -> str:
    return unescape(response.get_data(as_text=True))


# Titles, never slugs --------------------------------------------------------------------


def test_a_check_names_what_is_missing_by_title():
    check = {
        "criterion": "modules",
        "met": False,
        "summary": "1 of 3 modules completed (missing: tone-and-empathy, kb)",
        "figures": {
            "done": 1,
            "total": 3,
            "completed": ["basics"],
            "missing": ["tone-and-empathy", "kb"],
        },
    }
    titles = {"modules": {"tone-and-empathy": "Tone and empathy", "kb": "Using the KB"}}
    assert worded_check(check, titles)["summary"] == (
        "1 of 3 modules completed (to do: “Tone and empathy”, “Using the KB”)"
    )
    children = {
        "criterion": "children",
        "met": False,
        "summary": "0 of 1 required sub-milestones achieved (missing: nesting-quality)",
        "figures": {
            "done": 0,
            "total": 1,
            "missing": ["nesting-quality"],
            "waived": [],
            "optional": 0,
        },
    }
    named = worded_check(children, {"milestones": {"nesting-quality": "Nesting quality"}})
    assert named["summary"].endswith("(to do: “Nesting quality”)")
    reason = "due in 2 days (warning window 3 days); sub-milestone at risk: a, b"
    parts = [
        {"code": "due_soon", "args": {"days_left": 2, "warning_days": 3}},
        {"code": "children_at_risk", "args": {"keys": ["a", "b"]}},
    ]
    assert reason_text(reason, parts, {"a": "First", "b": "Second"}) == (
        "due in 2 days (warning window 3 days); sub-milestones at risk: “First”, “Second”"
    )
    # An unknown name stays readable rather than failing.
    ghost = {**check, "figures": {**check["figures"], "total": 1, "done": 0, "missing": ["ghost"]}}
    assert "“ghost”" in worded_check(ghost, titles)["summary"]


@pytest.fixture
def agent(ramp_world):
    w = ramp_world
    w.mine = w.hire(name="Mia Mine")
    return w


def test_my_ramp_names_modules_checks_and_milestones_by_title(client, agent):
    login(client, agent.mine.user.email)
    html = html_of(client.get("/learn/ramp"))
    text = re.sub(r"<[^>]+>", " ", html)  # what the learner reads, not the element ids
    for leak in ("(missing", "missing: basics", "missing: tone", "tone, kb", "floor-ready"):
        assert leak not in text, leak
    assert "“Ticketing basics”" in html and "“Basics check”" in html
    assert "“Tone and empathy”" in html


def test_hire_page_names_them_by_title_too(client, agent):
    login(client, agent.lead.email)
    html = html_of(client.get(f"/board/hires/{agent.mine.id}"))
    plan = html[html.index('id="plan-title"') : html.index('class="side"')]
    assert "“Tone and empathy”" in plan and "missing: " not in plan


def test_learner_messages_do_not_echo_slugs(client, agent):
    login(client, agent.mine.user.email)
    enrollment = agent.mine.enrollment_id
    missing = client.get(f"/learn/{enrollment}/no-such-module/")
    assert missing.status_code == 404 and "no-such-module" not in html_of(missing)
    lesson = client.get(f"/learn/{enrollment}/basics/lessons/no-such-lesson")
    assert lesson.status_code == 404 and "no-such-lesson" not in html_of(lesson)


# My ramp: what to do next and what comes later ----------------------------------------


def test_a_day_5_agent_sees_the_next_action_and_what_comes_later(client, agent):
    hire = agent.mine
    assert (hire.start_date + timedelta(days=5)).isoformat() in {
        (agent.start + timedelta(days=5)).isoformat()
    }
    login(client, hire.user.email)
    html = html_of(client.get("/learn/ramp"))
    nxt = html[html.index(f'id="next-action-{hire.id}"') :]
    nxt = nxt[: nxt.index("</div>")]
    assert "What to do next" in nxt
    # The one next action: the first lesson, linked.
    link = re.search(r'<a class="button primary" href="([^"]+)">([^<]+)</a>', nxt)
    assert link.group(1) == f"/learn/{hire.enrollment_id}/basics/lessons/lifecycle"
    assert link.group(2) == "The life of a ticket"
    assert len(re.findall(r'class="button primary"', nxt)) == 1
    assert "For “Basics done”" in nxt
    due = format_date(agent.start + timedelta(days=7), "en")
    assert due in nxt
    later = html[html.index(f'id="coming-up-{hire.id}"') :]
    later = later[: later.index("</section>")]
    nesting = format_date(agent.start + timedelta(days=14), "en")
    ramp = format_date(agent.start + timedelta(days=28), "en")
    assert f"{nesting}</time> · <strong>Nesting begins" in later
    assert f"{ramp}</time> · <strong>Ramp begins" in later
    assert "“Classroom complete” due" in later and "“Ready for the floor” due" in later
    assert "“Basics done” due" not in later  # that one is next, not later
    days = re.findall(r'<time datetime="([0-9-]+)">', later)
    assert days == sorted(days)


def test_when_learning_is_done_the_next_action_is_the_sign_off(client, agent, db):
    from tests.conftest import finish_modules

    hire = agent.mine
    finish_modules(hire.enrollment)
    from ramp.milestones.operations import evaluate_hires

    evaluate_hires([hire.id])
    db.session.commit()
    login(client, hire.user.email)
    html = html_of(client.get("/learn/ramp"))
    nxt = html[html.index(f'id="next-action-{hire.id}"') :]
    nxt = nxt[: nxt.index("</div>")]
    assert f"Ask {agent.lead.name} to sign off “Classroom complete”" in nxt
    assert f'href="#milestone-{hire.id}-classroom"' in nxt
    assert f'id="milestone-{hire.id}-classroom"' in html


# The knowledge-check result has its own address ------------------------------------


def _answers(enrollment, token, right=True):
    version = cq.load_version(enrollment.version_id)
    basics = next(m for m in version.modules if m.slug == "basics")
    data = {"csrf_token": token}
    for q in basics.assessment.questions:
        choice = next(c.id for c in q.choices if c.correct == right)
        data[f"q-{q.id}"] = str(choice)
    return data


def attempts(db) -> int:
    return db.session.execute(select(func.count()).select_from(Attempt)).scalar_one()


def test_the_result_has_its_own_url_and_a_reload_does_not_grade_again(client, agent, db):
    hire = agent.mine
    login(client, hire.user.email)
    url = f"/learn/{hire.enrollment_id}/basics/check"
    token = csrf_token(client, url)
    response = client.post(url, data=_answers(hire.enrollment, token, right=False), headers=HX)
    assert response.status_code == 200
    pushed = response.headers["HX-Push-Url"]
    assert re.fullmatch(r"/learn/attempts/\d+", pushed)
    assert "0%" in html_of(response) and "Not passed" in html_of(response)
    assert attempts(db) == 1
    for _ in range(2):  # reloading the address reads the result: no new attempt, same score
        again = client.get(pushed)
        assert again.status_code == 200 and "Not passed" in html_of(again)
        assert "1 attempt left" in html_of(again)
    assert attempts(db) == 1
    # Without htmx the answers post, then redirect to the result's address (PRG).
    plain = client.post(url, data=_answers(hire.enrollment, token))
    assert plain.status_code == 303
    assert re.search(r"/learn/attempts/\d+$", plain.headers["Location"])
    assert client.get(plain.headers["Location"]).status_code == 200
    assert attempts(db) == 2


@pytest.mark.parametrize(
    "who, status",
    [("lead", 200), ("admin", 200), ("other_lead", 404), ("agent", 404)],
)
def test_only_the_owner_and_their_managers_read_a_result(client, agent, make_user, db, who, status):
    from ramp.curricula.operations import submit_attempt

    hire = agent.mine
    version = cq.load_version(hire.enrollment.version_id)
    basics = next(m for m in version.modules if m.slug == "basics")
    key = cq.answer_key(basics.assessment)
    attempt = submit_attempt(hire.enrollment, basics.assessment, {q.id: q.correct_ids for q in key})
    db.session.commit()
    url, name = f"/learn/attempts/{attempt.id}", hire.user.name
    user = make_user("agent", team="Chat") if who == "agent" else getattr(agent, who)
    login(client, user.email)
    response = client.get(url)
    assert response.status_code == status
    if status == 200:
        body = html_of(response)
        assert f"You are reading {name}’s result." in body and "Try again" not in body
        assert f'href="/board/hires/{hire.id}"' in body
    assert attempts(db) == 1


# The verify page of a certificate no longer in force -------------------------------


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_verify_page_of_a_certificate_no_longer_in_force_says_only_that(
    app, agent, db, clock, state
):
    hire = make_ready(agent, agent.mine)
    cert = issue_certificate(hire, agent.lead, "http://localhost", organization="Acme")
    db.session.commit()
    code = cert.code
    if state == "revoked":
        revoke_certificate(cert, agent.lead, "Left before starting")
        db.session.commit()
    else:
        clock.move_to(cert.expires_at + timedelta(days=2))
    body = html_of(app.test_client().get(f"/verify/{code}"))
    heading = re.search(r'<h1 id="verify-title"[^>]*>([^<]+)</h1>', body).group(1)
    assert heading == state.capitalize()
    assert "This certificate is not valid." in body
    assert "Valid until" not in body and "genuine" not in body and "in force" not in body
    assert "Placement" not in body and "Issued</dt>" not in body
    if state == "revoked":
        assert "Left before starting" in body
    else:
        assert f"expired on {format_date(cert.expires_at, 'en')}" in body
