"""Publishing versions, immutability, export, and progress operations on the database."""

import pytest
from sqlalchemy import func, select

from ramp.curricula import operations, queries
from ramp.curricula.models import Attempt, CurriculumVersion, LessonCompletion, Module
from ramp.curricula.spec import dump_curriculum, parse_curriculum
from ramp.errors import NotAllowed, NotFound
from tests.conftest import FIXTURES

MINI = (FIXTURES / "mini.yaml").read_text()


def count(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_publish_unchanged_and_next_version(db, mini_version):
    assert mini_version.number == 1
    again = operations.publish_curriculum(parse_curriculum(MINI))
    assert not again.created and again.version.id == mini_version.id
    changed = operations.publish_curriculum(
        parse_curriculum(MINI.replace("Macros fill in", "Macros quickly fill in"))
    )
    db.session.commit()
    assert changed.created and changed.version.number == 2
    assert count(db, CurriculumVersion) == 2
    v1 = queries.find_version("mini-onboarding", 1)
    assert "Macros fill in" in queries.version_to_spec(v1).modules[0].lessons[1].body


def test_export_of_published_version_round_trips(db, mini_version):
    db.session.expire_all()
    spec = queries.version_to_spec(mini_version)
    assert spec == parse_curriculum(MINI)
    assert parse_curriculum(dump_curriculum(spec)) == spec


def test_published_content_is_immutable(db, mini_version):
    module = db.session.execute(select(Module).limit(1)).scalar_one()
    module.title = "Changed"
    with pytest.raises(RuntimeError, match="immutable"):
        db.session.flush()
    db.session.rollback()


def test_prerequisites_are_stored(db, mini_version):
    loaded = queries.load_version(mini_version.id)
    tone = next(m for m in loaded.modules if m.slug == "tone")
    assert [m.slug for m in tone.requires] == ["basics"]


def _key(version):
    loaded = queries.load_version(version.id)
    return {m.slug: m for m in loaded.modules}


def test_locked_module_refuses_lessons_and_checks(db, learner, mini_version):
    _, enrollment = learner
    tone = _key(mini_version)["tone"]
    with pytest.raises(NotAllowed, match="locked: finish “Ticketing basics” first"):
        operations.complete_lesson(enrollment, tone.lessons[0])
    key = queries.answer_key(tone.assessment)
    with pytest.raises(NotAllowed):
        operations.submit_attempt(enrollment, tone.assessment, {q.id: q.correct_ids for q in key})
    db.session.rollback()
    assert count(db, LessonCompletion) == 0 and count(db, Attempt) == 0


def test_attempt_limit_and_pass(db, learner, mini_version):
    _, enrollment = learner
    basics = _key(mini_version)["basics"]
    key = queries.answer_key(basics.assessment)
    wrong = {
        q.id: frozenset([next(c for c in q.choice_ids if c not in q.correct_ids)]) for q in key
    }
    first = operations.submit_attempt(enrollment, basics.assessment, wrong)
    assert (first.number, first.score, first.passed) == (1, 0, False)
    second = operations.submit_attempt(
        enrollment, basics.assessment, {q.id: q.correct_ids for q in key}
    )
    assert (second.number, second.score, second.passed) == (2, 100, True)
    with pytest.raises(NotAllowed, match="already passed"):
        operations.submit_attempt(enrollment, basics.assessment, wrong)
    db.session.commit()
    assert count(db, Attempt) == 2


def test_attempts_run_out(db, learner, mini_version):
    _, enrollment = learner
    basics = _key(mini_version)["basics"]
    key = queries.answer_key(basics.assessment)
    wrong = {
        q.id: frozenset([next(c for c in q.choice_ids if c not in q.correct_ids)]) for q in key
    }
    for _ in range(2):
        operations.submit_attempt(enrollment, basics.assessment, wrong)
    with pytest.raises(NotAllowed, match="used all 2 attempts"):
        operations.submit_attempt(enrollment, basics.assessment, wrong)


def test_check_of_another_version_is_refused(db, learner, mini_version):
    _, enrollment = learner
    v2 = operations.publish_curriculum(
        parse_curriculum(MINI.replace("Macros fill", "Macros do"))
    ).version
    other = _key(v2)["basics"].assessment
    with pytest.raises(NotFound):
        operations.submit_attempt(enrollment, other, {})


def test_each_version_shows_its_own_content(db, make_user, learner, mini_version):
    """Content is kept per process, keyed by version: a newer version is not the older one."""
    _, first = learner
    assert "Macros fill" in queries.curriculum_view(first).module("basics").module.lessons[1].body
    v2 = operations.publish_curriculum(
        parse_curriculum(MINI.replace("Macros fill", "Macros do"))
    ).version
    second = operations.enroll(make_user("agent"), v2)
    db.session.commit()
    newer = queries.curriculum_view(second).module("basics").module.lessons[1]
    older = queries.curriculum_view(first).module("basics").module.lessons[1]
    assert "Macros do" in newer.body and "Macros fill" not in newer.body
    assert "Macros fill" in older.body
    assert newer.id != older.id


def test_curriculum_view_tracks_progress_and_resume(db, learner, mini_version):
    _, enrollment = learner
    basics = _key(mini_version)["basics"]
    view = queries.curriculum_view(enrollment)
    assert view.progress.percent == 0
    assert view.next.lesson_id == basics.lessons[0].id
    assert view.module("tone").locked_by == ("Ticketing basics",)
    operations.visit_lesson(enrollment, basics.lessons[1])
    operations.complete_lesson(enrollment, basics.lessons[0])
    assert operations.complete_lesson(enrollment, basics.lessons[0]) is False
    db.session.commit()
    view = queries.curriculum_view(enrollment)
    assert (view.progress.done, view.progress.total) == (1, 6)
    assert view.resume.id == basics.lessons[1].id
    assert view.next.lesson_id == basics.lessons[1].id


def test_progress_of_learners_uses_constant_queries(db, make_user, mini_version, app):
    from sqlalchemy import event

    users = []
    for _ in range(6):
        user = make_user("agent")
        operations.enroll(user, mini_version)
        users.append(user)
    db.session.commit()
    ids = [u.id for u in users]
    statements = []

    def count_it(_conn, _cursor, statement, *_args):
        statements.append(statement.split("WHERE")[0][:80])

    # Published outlines are kept once loaded: load this one before counting.
    queries.progress_of_learners(ids[:1])
    event.listen(db.engine, "before_cursor_execute", count_it)
    try:
        queries.progress_of_learners(ids[:2])
        few = len(statements)
        statements.clear()
        result = queries.progress_of_learners(ids)
        many = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count_it)
    assert few == many, statements
    assert len(result) == 6


def test_the_declared_language_is_published_exported_and_cached(db, mini_version):
    assert mini_version.language is None
    assert queries.version_content(mini_version).language is None
    spanish = MINI.replace("title: Mini onboarding\n", "title: Mini onboarding\nlanguage: es\n")
    # The language is part of the content: declaring it publishes the next version.
    result = operations.publish_curriculum(parse_curriculum(spanish))
    db.session.commit()
    assert result.created and result.version.number == 2
    db.session.expire_all()
    v2 = queries.find_version("mini-onboarding", 2)
    assert v2.language == "es"
    assert queries.version_content(v2).language == "es"
    exported = dump_curriculum(queries.version_to_spec(v2))
    assert "\nlanguage: es\n" in exported
    assert not operations.publish_curriculum(parse_curriculum(exported)).created
