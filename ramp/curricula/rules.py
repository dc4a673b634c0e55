"""Pure rules of learning: progress, prerequisites, the next step, and scoring.

Plain values in, plain values out: no database. Messages are in the reader's language
(English outside a request).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext


@dataclass(frozen=True)
class ModuleOutline:
    """What the rules need to know of a module."""

    id: int
    title: str
    lesson_ids: tuple[int, ...]
    assessment_id: int | None = None
    requires: tuple[int, ...] = ()


@dataclass(frozen=True)
class LearnerState:
    """What a learner has done in one curriculum version."""

    completed_lessons: frozenset[int] = frozenset()
    passed_assessments: frozenset[int] = frozenset()
    attempts_used: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        """Whole percent, rounded down, so 100 means everything is done."""
        return 100 * self.done // self.total if self.total else 0


@dataclass(frozen=True)
class Step:
    """What the learner should do next: read a lesson or take a module's check."""

    kind: str  # "lesson" or "check"
    module_id: int
    lesson_id: int | None = None


def module_complete(module: ModuleOutline, state: LearnerState) -> bool:
    """Every lesson completed and the check, if any, passed."""
    lessons_done = state.completed_lessons.issuperset(module.lesson_ids)
    check_done = module.assessment_id is None or module.assessment_id in state.passed_assessments
    return lessons_done and check_done


def done_and_passed(
    modules: Sequence[ModuleOutline], state: LearnerState | None, slug_of: Mapping[int, str]
) -> tuple[frozenset[str], frozenset[str]]:
    """The slugs of the modules complete, and of those whose check is passed (no state: none)."""
    if state is None:
        return frozenset(), frozenset()
    done = frozenset(slug_of[m.id] for m in modules if module_complete(m, state))
    passed = frozenset(
        slug_of[m.id] for m in modules if m.assessment_id in state.passed_assessments
    )
    return done, passed


def missing_prerequisites(
    module: ModuleOutline, modules: Sequence[ModuleOutline], state: LearnerState
) -> list[ModuleOutline]:
    """The required modules not yet complete; an empty list means the module is open."""
    by_id = {m.id: m for m in modules}
    return [
        by_id[rid]
        for rid in module.requires
        if rid in by_id and not module_complete(by_id[rid], state)
    ]


def progress(modules: Sequence[ModuleOutline], state: LearnerState) -> Progress:
    """Lessons completed plus checks passed, over all lessons and checks."""
    total = done = 0
    for module in modules:
        total += len(module.lesson_ids)
        done += sum(lid in state.completed_lessons for lid in module.lesson_ids)
        if module.assessment_id is not None:
            total += 1
            done += module.assessment_id in state.passed_assessments
    return Progress(done, total)


def next_step(modules: Sequence[ModuleOutline], state: LearnerState) -> Step | None:
    """The first thing left to do in an open module, in curriculum order; None when all is done."""
    for module in modules:
        if module_complete(module, state) or missing_prerequisites(module, modules, state):
            continue
        for lid in module.lesson_ids:
            if lid not in state.completed_lessons:
                return Step("lesson", module.id, lid)
        return Step("check", module.id)
    return None


# Scoring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionKey:
    """A question's choices and which of them are correct."""

    id: int
    kind: str  # single, multiple, true_false
    choice_ids: tuple[int, ...]
    correct_ids: frozenset[int]


@dataclass(frozen=True)
class QuestionResult:
    question_id: int
    chosen: frozenset[int]
    correct: bool


@dataclass(frozen=True)
class Score:
    results: tuple[QuestionResult, ...]
    percent: int
    passed: bool

    @property
    def right(self) -> int:
        return sum(r.correct for r in self.results)


class AnswerError(ValueError):
    """Answers that do not fit the questions: a missing answer or a tampered form."""

    def __init__(self, problems: dict[int, str]):
        self.problems = problems  # question id -> message
        super().__init__("; ".join(problems.values()))


def check_answers(questions: Sequence[QuestionKey], answers: Mapping[int, frozenset[int]]) -> None:
    """Refuse answers to unknown questions, choices of other questions, or gaps."""
    problems: dict[int, str] = {}
    known = {q.id for q in questions}
    for qid in answers:
        if qid not in known:
            problems[qid] = _("An answer was sent for a question that is not in this check.")
    for q in questions:
        chosen = answers.get(q.id, frozenset())
        if not chosen:
            problems[q.id] = _("Choose an answer.")
        elif not chosen <= set(q.choice_ids):
            problems[q.id] = _("An answer that is not one of this question's choices was sent.")
        elif q.kind != "multiple" and len(chosen) > 1:
            problems[q.id] = _("Choose only one answer.")
    if problems:
        raise AnswerError(problems)


def score_answers(
    questions: Sequence[QuestionKey], answers: Mapping[int, frozenset[int]], pass_mark: int
) -> Score:
    """A question is right when exactly its correct choices were picked; percent is rounded down."""
    check_answers(questions, answers)
    results = tuple(
        QuestionResult(q.id, frozenset(answers[q.id]), frozenset(answers[q.id]) == q.correct_ids)
        for q in questions
    )
    right = sum(r.correct for r in results)
    percent = 100 * right // len(questions) if questions else 0
    return Score(results, percent, percent >= pass_mark)


def attempt_refusal(max_attempts: int, used: int, passed: bool) -> str | None:
    """Why a new attempt is not allowed, or None when it is."""
    if passed:
        return _("You have already passed this check.")
    if used >= max_attempts:
        return ngettext(
            "You have used your %(num)d attempt at this check. "
            "Ask your manager to review it with you.",
            "You have used all %(num)d attempts at this check. "
            "Ask your manager to review it with you.",
            max_attempts,
        )
    return None
