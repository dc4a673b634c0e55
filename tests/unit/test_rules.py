"""Pure rules: progress, prerequisites, the next step, scoring and attempts."""

import pytest

from ramp.curricula.rules import (
    AnswerError,
    LearnerState,
    ModuleOutline,
    QuestionKey,
    Step,
    attempt_refusal,
    missing_prerequisites,
    module_complete,
    next_step,
    progress,
    score_answers,
)
from ramp.yamlspec import find_cycle

A = ModuleOutline(1, "Basics", (11, 12), assessment_id=101)
B = ModuleOutline(2, "Tone", (21,), assessment_id=102, requires=(1,))
C = ModuleOutline(3, "KB", (31,))
MODULES = [A, B, C]


def state(lessons=(), passed=()):
    return LearnerState(frozenset(lessons), frozenset(passed))


def test_progress_counts_lessons_and_checks():
    assert progress(MODULES, state()).percent == 0
    p = progress(MODULES, state([11, 12], [101]))
    assert (p.done, p.total) == (3, 6)
    assert p.percent == 50
    assert progress(MODULES, state([11, 12, 21, 31], [101, 102])).percent == 100


def test_progress_rounds_down_so_100_means_done():
    p = progress(MODULES, state([11, 12, 21, 31], [101]))
    assert (p.done, p.total, p.percent) == (5, 6, 83)


def test_progress_of_empty_outline_is_zero():
    assert progress([], state()).percent == 0


def test_module_complete_needs_lessons_and_passed_check():
    assert not module_complete(A, state([11, 12]))
    assert not module_complete(A, state([11], [101]))
    assert module_complete(A, state([11, 12], [101]))
    assert module_complete(C, state([31]))


def test_locked_until_prerequisites_complete():
    assert missing_prerequisites(B, MODULES, state()) == [A]
    assert missing_prerequisites(B, MODULES, state([11, 12])) == [A]
    assert missing_prerequisites(B, MODULES, state([11, 12], [101])) == []
    assert missing_prerequisites(C, MODULES, state()) == []


def test_next_step_walks_lessons_then_check_and_skips_locked_modules():
    assert next_step(MODULES, state()) == Step("lesson", 1, 11)
    assert next_step(MODULES, state([11])) == Step("lesson", 1, 12)
    assert next_step(MODULES, state([11, 12])) == Step("check", 1)
    # Order wins: A's check comes before C's lesson, although C is open.
    assert next_step(MODULES, state([11, 12, 31])) == Step("check", 1)
    assert next_step(MODULES, state([11, 12], [101])) == Step("lesson", 2, 21)
    assert next_step(MODULES, state([11, 12, 21, 31], [101, 102])) is None


def test_next_step_goes_to_an_open_module_when_the_first_open_one_is_done():
    done_a = state([11, 12, 31], [101])
    assert next_step([C, B, A], done_a) == Step("lesson", 2, 21)


Q1 = QuestionKey(1, "single", (10, 11), frozenset({10}))
Q2 = QuestionKey(2, "multiple", (20, 21, 22), frozenset({20, 22}))
Q3 = QuestionKey(3, "true_false", (30, 31), frozenset({31}))
KEY = [Q1, Q2, Q3]


def answers(**kw):
    return {int(k[1:]): frozenset(v) for k, v in kw.items()}


def test_all_right_scores_100():
    score = score_answers(KEY, answers(q1=[10], q2=[20, 22], q3=[31]), pass_mark=80)
    assert (score.percent, score.passed, score.right) == (100, True, 3)


def test_multiple_choice_is_all_or_nothing():
    score = score_answers(KEY, answers(q1=[10], q2=[20], q3=[31]), pass_mark=80)
    assert [r.correct for r in score.results] == [True, False, True]
    assert (score.percent, score.passed) == (66, False)
    extra = score_answers(KEY, answers(q1=[10], q2=[20, 21, 22], q3=[31]), pass_mark=60)
    assert (extra.percent, extra.passed) == (66, True)


def test_pass_mark_is_inclusive():
    score = score_answers([Q1, Q3], answers(q1=[10], q3=[30]), pass_mark=50)
    assert (score.percent, score.passed) == (50, True)


def test_missing_answer_is_refused():
    with pytest.raises(AnswerError) as exc:
        score_answers(KEY, answers(q1=[10], q3=[31]), pass_mark=80)
    assert exc.value.problems == {2: "Choose an answer."}


def test_choice_of_another_question_is_refused():
    with pytest.raises(AnswerError) as exc:
        score_answers(KEY, answers(q1=[20], q2=[20], q3=[31]), pass_mark=80)
    assert 1 in exc.value.problems and "not one of this question's choices" in exc.value.problems[1]


def test_two_answers_to_a_single_choice_question_are_refused():
    with pytest.raises(AnswerError) as exc:
        score_answers(KEY, answers(q1=[10, 11], q2=[20], q3=[31]), pass_mark=80)
    assert exc.value.problems == {1: "Choose only one answer."}


def test_answer_to_an_unknown_question_is_refused():
    with pytest.raises(AnswerError) as exc:
        score_answers(KEY, answers(q1=[10], q2=[20], q3=[31], q99=[1]), pass_mark=80)
    assert 99 in exc.value.problems


def test_attempt_refusal():
    assert attempt_refusal(3, 0, False) is None
    assert attempt_refusal(3, 2, False) is None
    assert "all 3 attempts" in attempt_refusal(3, 3, False)
    assert "already passed" in attempt_refusal(3, 1, True)


def test_find_cycle():
    assert find_cycle({"a": ["b"], "b": ["c"], "c": []}) is None
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": [], "a": ["a"]}) == ["a", "a"]
