"""Read side of curricula: outlines, learner state and views for pages. No writes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ramp.curricula.models import (
    Assessment,
    Attempt,
    Curriculum,
    CurriculumVersion,
    Enrollment,
    Lesson,
    LessonCompletion,
    Module,
    Question,
)
from ramp.curricula.rules import (
    LearnerState,
    ModuleOutline,
    Progress,
    QuestionKey,
    Step,
    missing_prerequisites,
    module_complete,
    next_step,
    progress,
)
from ramp.curricula.spec import (
    AssessmentSpec,
    ChoiceSpec,
    CurriculumSpec,
    LessonSpec,
    ModuleSpec,
    QuestionSpec,
)
from ramp.extensions import db


def latest_version(curriculum_id: int) -> CurriculumVersion | None:
    """The most recently published version of a curriculum."""
    return db.session.execute(
        select(CurriculumVersion)
        .where(CurriculumVersion.curriculum_id == curriculum_id)
        .order_by(CurriculumVersion.number.desc())
        .limit(1)
    ).scalar_one_or_none()


def find_version(slug: str, number: int | None = None) -> CurriculumVersion | None:
    """A version by curriculum slug and number; the latest when no number is given."""
    stmt = (
        select(CurriculumVersion)
        .join(Curriculum)
        .where(Curriculum.slug == slug)
        .order_by(CurriculumVersion.number.desc())
    )
    if number is not None:
        stmt = stmt.where(CurriculumVersion.number == number)
    return db.session.execute(stmt.limit(1)).scalar_one_or_none()


def list_versions() -> list[CurriculumVersion]:
    """Every published version, by curriculum then number."""
    return list(
        db.session.execute(
            select(CurriculumVersion)
            .join(Curriculum)
            .options(selectinload(CurriculumVersion.curriculum))
            .order_by(Curriculum.slug, CurriculumVersion.number)
        ).scalars()
    )


def load_version(version_id: int, content: bool = True) -> CurriculumVersion | None:
    """A version with its modules, lessons, prerequisites and checks loaded in a few queries.

    Without `content`, for pages that list lessons and checks without showing them, lesson
    bodies and the questions' choices stay in the database (read when touched)."""
    lessons = selectinload(Module.lessons)
    questions = selectinload(Module.assessment).selectinload(Assessment.questions)
    if content:
        questions = questions.selectinload(Question.choices)
    else:
        lessons = lessons.defer(Lesson.body)
    return db.session.execute(
        select(CurriculumVersion)
        .where(CurriculumVersion.id == version_id)
        .options(
            selectinload(CurriculumVersion.modules).options(
                lessons, selectinload(Module.requires), questions
            )
        )
    ).scalar_one_or_none()


# A published version never changes, so each process keeps a plain copy of its content
# (modules, lessons, checks), keyed by id and content hash: an id alone could come back with
# other content in a fresh database. The learner pages read this copy, not the tables.


@dataclass(frozen=True)
class ChoiceItem:
    id: int
    text: str
    correct: bool


@dataclass(frozen=True)
class QuestionItem:
    id: int
    kind: str
    prompt: str
    explanation: str
    choices: tuple[ChoiceItem, ...]


@dataclass(frozen=True)
class AssessmentItem:
    id: int
    module_id: int
    title: str
    pass_mark: int
    max_attempts: int
    questions: tuple[QuestionItem, ...]


@dataclass(frozen=True)
class LessonItem:
    id: int
    module_id: int
    module_slug: str
    slug: str
    title: str
    minutes: int | None
    body: str


@dataclass(frozen=True)
class ModuleItem:
    id: int
    slug: str
    position: int
    title: str
    summary: str | None
    lessons: tuple[LessonItem, ...]
    assessment: AssessmentItem | None


@dataclass(frozen=True)
class VersionContent:
    """A published version's modules as plain values, its outline for the rules, and the
    language its content is written in (a BCP 47 tag, or None when the file declares none)."""

    modules: tuple[ModuleItem, ...]
    outline: list[ModuleOutline]
    language: str | None = None

    @property
    def slugs(self) -> dict[int, str]:
        """Module slugs by module id."""
        return {m.id: m.slug for m in self.modules}


_CONTENT: dict[tuple[int, str], VersionContent] = {}


def forget_outlines() -> None:
    """Empty the content cache (for a process that moves to another database, as tests do)."""
    _CONTENT.clear()


def _content_of(version: CurriculumVersion) -> VersionContent:
    loaded = load_version(version.id)
    modules = tuple(
        ModuleItem(
            id=m.id,
            slug=m.slug,
            position=m.position,
            title=m.title,
            summary=m.summary,
            lessons=tuple(
                LessonItem(le.id, m.id, m.slug, le.slug, le.title, le.minutes, le.body)
                for le in m.lessons
            ),
            assessment=AssessmentItem(
                id=m.assessment.id,
                module_id=m.id,
                title=m.assessment.title,
                pass_mark=m.assessment.pass_mark,
                max_attempts=m.assessment.max_attempts,
                questions=tuple(
                    QuestionItem(
                        q.id,
                        q.kind,
                        q.prompt,
                        q.explanation,
                        tuple(ChoiceItem(c.id, c.text, c.correct) for c in q.choices),
                    )
                    for q in m.assessment.questions
                ),
            )
            if m.assessment
            else None,
        )
        for m in loaded.modules
    )
    return VersionContent(modules, outline(loaded), loaded.language)


def version_content(version: CurriculumVersion) -> VersionContent:
    """The version's content, loaded from the database once per process."""
    key = (version.id, version.content_hash)
    content = _CONTENT.get(key)
    if content is None:
        if len(_CONTENT) > 256:
            _CONTENT.clear()
        content = _CONTENT[key] = _content_of(version)
    return content


def version_to_spec(version: CurriculumVersion) -> CurriculumSpec:
    """A published version as the spec it was published from (for export)."""
    version = load_version(version.id)
    modules = []
    for m in version.modules:
        assessment = None
        if m.assessment:
            questions = []
            for q in m.assessment.questions:
                if q.kind == "true_false":
                    answer = next(c.text == "True" for c in q.choices if c.correct)
                    questions.append(
                        QuestionSpec(
                            type=q.kind, prompt=q.prompt, answer=answer, explanation=q.explanation
                        )
                    )
                else:
                    choices = tuple(ChoiceSpec(text=c.text, correct=c.correct) for c in q.choices)
                    questions.append(
                        QuestionSpec(
                            type=q.kind, prompt=q.prompt, choices=choices, explanation=q.explanation
                        )
                    )
            assessment = AssessmentSpec(
                title=m.assessment.title,
                pass_mark=m.assessment.pass_mark,
                max_attempts=m.assessment.max_attempts,
                questions=tuple(questions),
            )
        modules.append(
            ModuleSpec(
                slug=m.slug,
                title=m.title,
                summary=m.summary,
                requires=tuple(r.slug for r in m.requires),
                lessons=tuple(
                    LessonSpec(slug=le.slug, title=le.title, minutes=le.minutes, body=le.body)
                    for le in m.lessons
                ),
                assessment=assessment,
            )
        )
    return CurriculumSpec(
        slug=version.curriculum.slug,
        title=version.title,
        language=version.language,
        description=version.description,
        modules=tuple(modules),
    )


def outline(version: CurriculumVersion) -> list[ModuleOutline]:
    """The plain outline of a loaded version, for the rules."""
    return [
        ModuleOutline(
            id=m.id,
            title=m.title,
            lesson_ids=tuple(le.id for le in m.lessons),
            assessment_id=m.assessment.id if m.assessment else None,
            requires=tuple(r.id for r in m.requires),
        )
        for m in version.modules
    ]


def learner_state(enrollment_id: int) -> tuple[LearnerState, list[Attempt]]:
    """What the learner has done: completed lessons, passed checks, attempts used."""
    completed = frozenset(
        db.session.execute(
            select(LessonCompletion.lesson_id).where(
                LessonCompletion.enrollment_id == enrollment_id
            )
        ).scalars()
    )
    attempts = list(
        db.session.execute(
            select(Attempt).where(Attempt.enrollment_id == enrollment_id).order_by(Attempt.id)
        ).scalars()
    )
    used: dict[int, int] = {}
    for a in attempts:
        used[a.assessment_id] = used.get(a.assessment_id, 0) + 1
    passed = frozenset(a.assessment_id for a in attempts if a.passed)
    return LearnerState(completed, passed, used), attempts


def learner_outline(enrollment: Enrollment) -> tuple[list[ModuleOutline], LearnerState]:
    """The outline of the learner's version with their state."""
    state, _ = learner_state(enrollment.id)
    return version_content(enrollment.version).outline, state


def answer_key(assessment: Assessment) -> list[QuestionKey]:
    """The questions of a check with their correct choices, for scoring."""
    return [
        QuestionKey(
            id=q.id,
            kind=q.kind,
            choice_ids=tuple(c.id for c in q.choices),
            correct_ids=frozenset(c.id for c in q.choices if c.correct),
        )
        for q in assessment.questions
    ]


# Views for the learner pages -------------------------------------------------------------


@dataclass(frozen=True)
class CheckStatus:
    attempts_used: int
    max_attempts: int
    passed: bool
    best_score: int | None
    last_attempt_id: int | None

    @property
    def attempts_left(self) -> int:
        return max(self.max_attempts - self.attempts_used, 0)


@dataclass(frozen=True)
class ModuleView:
    module: ModuleItem
    number: int
    lessons_done: frozenset[int]
    locked_by: tuple[str, ...]
    complete: bool
    check: CheckStatus | None

    @property
    def locked(self) -> bool:
        return bool(self.locked_by)


@dataclass(frozen=True)
class CurriculumView:
    enrollment: Enrollment
    version: CurriculumVersion
    modules: list[ModuleView]
    progress: Progress
    next: Step | None
    resume: LessonItem | None
    # The content's language, for the `lang` of what pages show of it (VersionContent's).
    language: str | None = None

    def module(self, slug: str) -> ModuleView | None:
        return next((mv for mv in self.modules if mv.module.slug == slug), None)

    def lesson_by_id(self, lesson_id: int) -> LessonItem | None:
        for mv in self.modules:
            for lesson in mv.module.lessons:
                if lesson.id == lesson_id:
                    return lesson
        return None

    def module_by_id(self, module_id: int) -> ModuleItem | None:
        return next((mv.module for mv in self.modules if mv.module.id == module_id), None)


def curriculum_view(enrollment: Enrollment) -> CurriculumView:
    """Everything the learner pages show about one enrollment, in a fixed number of queries."""
    version = enrollment.version
    content = version_content(version)
    modules_outline = content.outline
    state, attempts = learner_state(enrollment.id)
    views = []
    for number, (module, mo) in enumerate(zip(content.modules, modules_outline, strict=True), 1):
        check = None
        if module.assessment:
            mine = [a for a in attempts if a.assessment_id == module.assessment.id]
            check = CheckStatus(
                attempts_used=len(mine),
                max_attempts=module.assessment.max_attempts,
                passed=any(a.passed for a in mine),
                best_score=max((a.score for a in mine), default=None),
                last_attempt_id=mine[-1].id if mine else None,
            )
        views.append(
            ModuleView(
                module=module,
                number=number,
                lessons_done=frozenset(
                    lid for lid in mo.lesson_ids if lid in state.completed_lessons
                ),
                locked_by=tuple(m.title for m in missing_prerequisites(mo, modules_outline, state)),
                complete=module_complete(mo, state),
                check=check,
            )
        )
    step = next_step(modules_outline, state)
    view = CurriculumView(
        enrollment, version, views, progress(modules_outline, state), step, None, content.language
    )
    resume = None
    if enrollment.last_lesson_id and enrollment.last_lesson_id not in state.completed_lessons:
        resume = view.lesson_by_id(enrollment.last_lesson_id)
    return CurriculumView(enrollment, version, views, view.progress, step, resume, content.language)


def enrollment_with_version(enrollment_id: int) -> Enrollment | None:
    """An enrollment and its curriculum version, in one query (every learner page reads both)."""
    return db.session.get(Enrollment, enrollment_id, options=[joinedload(Enrollment.version)])


def enrollments_of(user_id: int) -> list[Enrollment]:
    """A learner's enrollments, newest first, with their versions."""
    return list(
        db.session.execute(
            select(Enrollment)
            .where(Enrollment.user_id == user_id)
            .options(selectinload(Enrollment.version).selectinload(CurriculumVersion.curriculum))
            .order_by(Enrollment.enrolled_at.desc(), Enrollment.id.desc())
        ).scalars()
    )


@dataclass(frozen=True)
class LearnerProgress:
    enrollment: Enrollment
    progress: Progress
    last_seen_at: object


def learner_states(enrollment_ids: list[int]) -> dict[int, LearnerState]:
    """Completed lessons and passed checks of many enrollments, in two queries."""
    completed: dict[int, set[int]] = {i: set() for i in enrollment_ids}
    passed: dict[int, set[int]] = {i: set() for i in enrollment_ids}
    if not enrollment_ids:
        return {}
    for eid, lid in db.session.execute(
        select(LessonCompletion.enrollment_id, LessonCompletion.lesson_id).where(
            LessonCompletion.enrollment_id.in_(enrollment_ids)
        )
    ):
        completed[eid].add(lid)
    for eid, aid in db.session.execute(
        select(Attempt.enrollment_id, Attempt.assessment_id).where(
            Attempt.enrollment_id.in_(enrollment_ids), Attempt.passed.is_(True)
        )
    ):
        passed[eid].add(aid)
    return {
        eid: LearnerState(frozenset(completed[eid]), frozenset(passed[eid]))
        for eid in enrollment_ids
    }


def enrollment_versions(enrollment_ids: list[int]) -> dict[int, int]:
    """The curriculum version of each enrollment, by enrollment id, in one query."""
    if not enrollment_ids:
        return {}
    rows = db.session.execute(
        select(Enrollment.id, Enrollment.version_id).where(Enrollment.id.in_(enrollment_ids))
    )
    return {enrollment_id: version_id for enrollment_id, version_id in rows}


def module_slugs(version_ids: set[int]) -> dict[int, dict[int, str]]:
    """Each version's module ids and slugs, in one query."""
    out: dict[int, dict[int, str]] = {vid: {} for vid in version_ids}
    if version_ids:
        for vid, mid, slug in db.session.execute(
            select(Module.version_id, Module.id, Module.slug).where(
                Module.version_id.in_(version_ids)
            )
        ):
            out[vid][mid] = slug
    return out


def contents_of(version_ids: set[int]) -> dict[int, VersionContent]:
    """The content of each version: one query when they are known, else loaded once each."""
    if not version_ids:
        return {}
    versions = db.session.execute(
        select(CurriculumVersion).where(CurriculumVersion.id.in_(version_ids))
    ).scalars()
    return {v.id: version_content(v) for v in versions}


def outlines_of(version_ids: set[int]) -> dict[int, list[ModuleOutline]]:
    """The outline of each version, as contents_of finds them."""
    return {vid: content.outline for vid, content in contents_of(version_ids).items()}


def progress_of_learners(user_ids: list[int]) -> dict[int, list[LearnerProgress]]:
    """Each learner's progress per enrollment, in a fixed number of queries."""
    if not user_ids:
        return {}
    enrollments = list(
        db.session.execute(
            select(Enrollment)
            .where(Enrollment.user_id.in_(user_ids))
            .options(selectinload(Enrollment.version).selectinload(CurriculumVersion.curriculum))
        ).scalars()
    )
    outlines = outlines_of({e.version_id for e in enrollments})
    states = learner_states([e.id for e in enrollments])
    out: dict[int, list[LearnerProgress]] = {}
    for e in enrollments:
        out.setdefault(e.user_id, []).append(
            LearnerProgress(e, progress(outlines[e.version_id], states[e.id]), e.last_seen_at)
        )
    return out
