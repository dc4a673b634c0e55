"""A learner's pages through the test client: with plain form posts and with htmx."""

import re

import pytest
from sqlalchemy import event, func, select

from ramp.curricula import queries
from ramp.curricula.models import Attempt, LessonCompletion
from tests.conftest import csrf_token

HX = {"HX-Request": "true"}


@pytest.fixture
def signed_in(learner, as_user):
    user, enrollment = learner
    return as_user(user), enrollment


def modules_of(enrollment):
    return {m.slug: m for m in queries.load_version(enrollment.version_id).modules}


def answers_form(module, right=True, token=""):
    data = {"csrf_token": token}
    for q in queries.answer_key(module.assessment):
        ids = q.correct_ids if right else [next(c for c in q.choice_ids if c not in q.correct_ids)]
        data[f"q-{q.id}"] = [str(i) for i in ids]
    return data


def count(db, model, **where):
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return db.session.execute(stmt).scalar_one()


def test_learner_home_goes_to_the_only_curriculum(signed_in):
    client, enrollment = signed_in
    response = client.get("/learn/")
    assert response.headers["Location"] == f"/learn/{enrollment.id}/"


def test_curriculum_page_shows_order_progress_next_and_locks(signed_in):
    client, enrollment = signed_in
    html = client.get(f"/learn/{enrollment.id}/").get_data(as_text=True)
    assert (
        html.index("1. Ticketing basics")
        < html.index("2. Tone and empathy")
        < html.index("3. Using")
    )
    assert "0 of 6 steps done" in html
    assert 'value="0"' in html
    assert "Next up" in html and "The life of a ticket" in html
    assert "Finish “Ticketing basics” first." in html


def test_lesson_renders_sanitized_markdown_and_marks_complete(signed_in, db):
    client, enrollment = signed_in
    base = f"/learn/{enrollment.id}/basics/lessons"
    page = client.get(f"{base}/lifecycle")
    html = page.get_data(as_text=True)
    assert "<strong>new</strong>" in html and "<table>" in html
    token = csrf_token(client, f"{base}/lifecycle")
    response = client.post(f"{base}/lifecycle/complete", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{base}/macros"
    html = client.get(f"/learn/{enrollment.id}/").get_data(as_text=True)
    assert "1 of 6 steps done" in html


def test_complete_without_csrf_changes_nothing(signed_in, db):
    client, enrollment = signed_in
    response = client.post(f"/learn/{enrollment.id}/basics/lessons/lifecycle/complete")
    assert response.status_code == 400
    db.session.remove()
    assert count(db, LessonCompletion) == 0


def test_resume_where_left_off(signed_in):
    client, enrollment = signed_in
    page = client.get(f"/learn/{enrollment.id}/basics/lessons/macros").get_data(as_text=True)
    html = client.get(f"/learn/{enrollment.id}/").get_data(as_text=True)
    assert "resume where you left off" not in html  # reading alone writes nothing
    # The open page reports itself read, as the browser does once it has loaded it.
    seen = re.search(r'hx-post="([^"]+/seen)" hx-trigger="load"', page).group(1)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    assert client.post(seen, headers={"X-CSRFToken": token}).status_code == 204
    html = client.get(f"/learn/{enrollment.id}/").get_data(as_text=True)
    assert "resume where you left off" in html
    assert f'href="/learn/{enrollment.id}/basics/lessons/macros"' in html


def test_locked_module_is_refused_with_reason(signed_in, db):
    client, enrollment = signed_in
    response = client.get(f"/learn/{enrollment.id}/tone/lessons/acknowledge")
    assert response.status_code == 403
    assert "“Tone and empathy” is locked: finish “Ticketing basics” first." in response.get_data(
        as_text=True
    )
    token = csrf_token(client, f"/learn/{enrollment.id}/")
    tone = modules_of(enrollment)["tone"]
    response = client.post(
        f"/learn/{enrollment.id}/tone/check", data=answers_form(tone, token=token)
    )
    assert response.status_code == 403
    response = client.post(
        f"/learn/{enrollment.id}/tone/lessons/acknowledge/complete", data={"csrf_token": token}
    )
    assert response.status_code == 403
    db.session.remove()
    assert count(db, Attempt) == 0 and count(db, LessonCompletion) == 0


def test_module_page_of_locked_module_says_why(signed_in):
    client, enrollment = signed_in
    html = client.get(f"/learn/{enrollment.id}/tone/").get_data(as_text=True)
    assert "This module is locked" in html and "Finish “Ticketing basics” first." in html


def _read_basics(client, enrollment):
    token = csrf_token(client, f"/learn/{enrollment.id}/")
    for slug in ("lifecycle", "macros"):
        client.post(
            f"/learn/{enrollment.id}/basics/lessons/{slug}/complete", data={"csrf_token": token}
        )
    return token


def test_fail_then_pass_check_with_plain_posts(signed_in, db):
    client, enrollment = signed_in
    token = _read_basics(client, enrollment)
    basics = modules_of(enrollment)["basics"]
    url = f"/learn/{enrollment.id}/basics/check"
    response = client.post(url, data=answers_form(basics, right=False, token=token))
    assert response.status_code == 303
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "0%" in result and "Not passed" in result and "1 attempt left" in result
    assert "Open means assigned." in result  # explanation shown
    assert "Correct answer:" not in result  # not revealed while attempts remain
    response = client.post(url, data=answers_form(basics, right=True, token=token))
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "100%" in result and "Passed" in result
    html = client.get(f"/learn/{enrollment.id}/").get_data(as_text=True)
    assert "3 of 6 steps done" in html and "passed (100%)" in html
    # Tone is open now.
    assert client.get(f"/learn/{enrollment.id}/tone/lessons/acknowledge").status_code == 200


def test_check_with_htmx_returns_the_result_fragment(signed_in, db):
    client, enrollment = signed_in
    token = _read_basics(client, enrollment)
    basics = modules_of(enrollment)["basics"]
    url = f"/learn/{enrollment.id}/basics/check"
    response = client.post(url, data=answers_form(basics, right=True, token=token), headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="attempt-result"' in html and "Passed" in html
    assert 'hx-swap-oob="outerHTML:#curriculum-progress"' in html
    assert "3 of 6 steps done" in html
    assert "HX-Request" in response.headers["Vary"]


def test_unanswered_question_is_shown_and_no_attempt_used(signed_in, db):
    client, enrollment = signed_in
    token = _read_basics(client, enrollment)
    basics = modules_of(enrollment)["basics"]
    data = answers_form(basics, token=token)
    first_q = next(k for k in data if k.startswith("q-"))
    del data[first_q]
    response = client.post(f"/learn/{enrollment.id}/basics/check", data=data, headers=HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose an answer." in html and "no attempt was used" in html
    db.session.remove()
    assert count(db, Attempt) == 0


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d.update({next(k for k in d if k.startswith("q-")): ["999999"]}),
        lambda d: d.update({next(k for k in d if k.startswith("q-")): ["abc"]}),
        lambda d: d.update({"q-424242": ["1"]}),
    ],
    ids=["foreign choice", "not a number", "unknown question"],
)
def test_tampered_answers_are_refused(signed_in, db, tamper):
    client, enrollment = signed_in
    token = _read_basics(client, enrollment)
    data = answers_form(modules_of(enrollment)["basics"], token=token)
    tamper(data)
    response = client.post(f"/learn/{enrollment.id}/basics/check", data=data)
    assert response.status_code in (400, 422)
    assert "Nothing was recorded" in response.get_data(as_text=True) or "no attempt was used" in (
        response.get_data(as_text=True)
    )
    db.session.remove()
    assert count(db, Attempt) == 0


def test_beyond_the_attempt_limit_is_refused(signed_in, db):
    client, enrollment = signed_in
    token = _read_basics(client, enrollment)
    basics = modules_of(enrollment)["basics"]
    url = f"/learn/{enrollment.id}/basics/check"
    for _ in range(2):
        client.post(url, data=answers_form(basics, right=False, token=token))
    page = client.get(url).get_data(as_text=True)
    assert "used all 2 attempts" in page and "Submit answers" not in page
    response = client.post(url, data=answers_form(basics, right=True, token=token))
    assert response.status_code == 403
    assert "used all 2 attempts" in response.get_data(as_text=True)
    db.session.remove()
    assert count(db, Attempt) == 2


def test_other_users_enrollment_and_attempts_are_not_found(signed_in, make_user, client, db):
    from ramp.curricula.operations import enroll

    client, enrollment = signed_in
    token = _read_basics(client, enrollment)
    basics = modules_of(enrollment)["basics"]
    response = client.post(
        f"/learn/{enrollment.id}/basics/check", data=answers_form(basics, token=token)
    )
    attempt_url = response.headers["Location"]
    other = make_user("agent")
    other_enrollment = enroll(other, enrollment.version)
    db.session.commit()
    other_id = other_enrollment.id
    client.post("/auth/logout", data={"csrf_token": token})
    from tests.conftest import login

    login(client, other.email)
    assert client.get(attempt_url).status_code == 404
    token = csrf_token(client, f"/learn/{other_id}/")
    assert client.get(f"/learn/{enrollment.id}/").status_code == 404
    response = client.post(
        f"/learn/{enrollment.id}/basics/check", data=answers_form(basics, token=token)
    )
    assert response.status_code == 404
    response = client.post(
        f"/learn/{enrollment.id}/basics/lessons/lifecycle/complete", data={"csrf_token": token}
    )
    assert response.status_code == 404
    db.session.remove()
    assert count(db, Attempt, enrollment_id=other_id) == 0
    assert count(db, LessonCompletion, enrollment_id=other_id) == 0


def test_pages_need_sign_in(client, learner):
    _, enrollment = learner
    response = client.get(f"/learn/{enrollment.id}/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_every_learner_page_has_landmarks_and_labels(signed_in):
    client, enrollment = signed_in
    _read_basics(client, enrollment)
    for path in (
        f"/learn/{enrollment.id}/",
        f"/learn/{enrollment.id}/basics/",
        f"/learn/{enrollment.id}/basics/lessons/lifecycle",
        f"/learn/{enrollment.id}/basics/check",
    ):
        html = client.get(path).get_data(as_text=True)
        assert '<main id="main"' in html and 'lang="en"' in html and "Skip to content" in html
        assert len(re.findall(r"<h1", html)) == 1, path
        for input_id in re.findall(r'<input type="(?:radio|checkbox)"[^>]* id="([^"]+)"', html):
            assert f'<label for="{input_id}">' in html


# Tables of published curriculum content: they never change, so each process reads them once.
CONTENT = re.compile(r"\b(FROM|JOIN) (modules|lessons|assessments|questions|choices)\b")


def test_learner_pages_read_published_content_once(signed_in, db):
    client, enrollment = signed_in
    base = f"/learn/{enrollment.id}/basics"
    token = csrf_token(client, f"{base}/lessons/lifecycle")  # the first page loads it
    pages = [
        lambda: client.get(f"/learn/{enrollment.id}/"),
        lambda: client.get(f"{base}/"),
        lambda: client.get(f"{base}/lessons/macros"),
        lambda: client.post(f"{base}/lessons/macros/seen", headers={"X-CSRFToken": token}),
        lambda: client.post(f"{base}/lessons/lifecycle/complete", data={"csrf_token": token}),
        lambda: client.get(f"{base}/check"),
    ]
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    for page in pages:
        db.session.remove()  # one session per request, as in production
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            assert page().status_code < 400
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        assert statements, "the page read nothing: the count is not measuring it"
        assert not [s for s in statements if CONTENT.search(s)], statements
    db.session.remove()
    assert count(db, LessonCompletion, enrollment_id=enrollment.id) == 1


SPANISH = {"Accept-Language": "es-CO,es;q=0.9"}


@pytest.fixture
def english_course(make_user, as_user, db):
    """An agent on the mini curriculum declared as written in English, signed in."""
    from ramp.curricula.operations import enroll, publish_curriculum
    from ramp.curricula.spec import parse_curriculum
    from tests.conftest import FIXTURES

    text = (FIXTURES / "mini.yaml").read_text()
    text = text.replace("title: Mini onboarding\n", "title: Mini onboarding\nlanguage: en\n")
    version = publish_curriculum(parse_curriculum(text)).version
    user = make_user("agent")
    enrollment = enroll(user, version)
    db.session.commit()
    return as_user(user), enrollment


def test_english_content_in_a_spanish_page_says_it_is_english(english_course):
    client, enrollment = english_course
    page = client.get(f"/learn/{enrollment.id}/basics/lessons/lifecycle", headers=SPANISH)
    html = page.get_data(as_text=True)
    assert '<html lang="es">' in html and "Lección 1 de 2" in html
    assert '<h1 id="lesson-title" lang="en">The life of a ticket</h1>' in html
    assert re.search(r'<div class="prose" lang="en">\s*<p>A ticket is <strong>new</strong>', html)
    assert '<span aria-current="page" lang="en">The life of a ticket</span>' in html
    assert '<span lang="en">Macros</span> →' in html  # the next lesson
    # The page's own words stay unmarked: they are in the page's language.
    assert re.search(r'<p class="muted">Lección 1 de 2', html)


def test_content_in_the_pages_own_language_is_not_marked(english_course):
    client, enrollment = english_course
    html = client.get(f"/learn/{enrollment.id}/basics/lessons/lifecycle").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert '<h1 id="lesson-title">The life of a ticket</h1>' in html
    assert 'lang="en"' not in html.split("<html", 1)[1].split(">", 1)[1]


def test_english_titles_in_spanish_sentences_are_marked(english_course):
    client, enrollment = english_course
    base = f"/learn/{enrollment.id}"
    outline = client.get(f"{base}/", headers=SPANISH).get_data(as_text=True)
    assert '<h1 lang="en">Mini onboarding</h1>' in outline
    assert '2. <span lang="en">Tone and empathy</span>' in outline
    assert 'Primero termina “<span lang="en">Ticketing basics</span>”.' in outline
    assert re.search(r'<a class="button primary" href="[^"]+" lang="en">The life of', outline)
    module = client.get(f"{base}/basics/", headers=SPANISH).get_data(as_text=True)
    assert '1. <span lang="en">Ticketing basics</span>' in module
    assert '<p class="lead" lang="en">How a ticket moves.</p>' in module
    check = client.get(f"{base}/basics/check", headers=SPANISH).get_data(as_text=True)
    assert '<h1 id="check-title" lang="en">' in check
    assert re.search(r'<label for="c-\d+" lang="en">', check)


def test_the_htmx_fragments_mark_english_content_in_a_spanish_page(english_course):
    client, enrollment = english_course
    token = _read_basics(client, enrollment)
    basics = modules_of(enrollment)["basics"]
    url = f"/learn/{enrollment.id}/basics/check"
    headers = {**HX, **SPANISH}
    data = answers_form(basics, token=token)
    del data[next(k for k in data if k.startswith("q-"))]
    refused = client.post(url, data=data, headers=headers).get_data(as_text=True)
    assert "<html" not in refused and "Elige una respuesta." in refused
    assert '<h1 id="check-title" lang="en">' in refused
    result = client.post(url, data=answers_form(basics, token=token), headers=headers)
    html = result.get_data(as_text=True)
    assert result.status_code == 200 and "<html" not in html
    assert re.search(r'<h1 id="result-title"><span lang="en">[^<]+</span>: intento 1</h1>', html)
    assert '<p class="prompt" lang="en">' in html and '<p class="explanation" lang="en">' in html
