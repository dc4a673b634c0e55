"""Changes to curricula and progress. They flush; the caller commits."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from ramp.accounts.models import User, utcnow
from ramp.accounts.operations import find_user_by_email
from ramp.audit.operations import record
from ramp.curricula import queries
from ramp.curricula.models import (
    Assessment,
    Attempt,
    Choice,
    Curriculum,
    CurriculumVersion,
    Enrollment,
    Lesson,
    LessonCompletion,
    Module,
    Question,
)
from ramp.curricula.rules import attempt_refusal, missing_prerequisites, score_answers
from ramp.curricula.spec import CurriculumSpec, parse_curriculum, spec_to_document
from ramp.errors import NotAllowed, NotFound, ValidationError
from ramp.extensions import db


def content_hash(spec: CurriculumSpec) -> str:
    """A fingerprint of a curriculum's content, to tell a changed file from the same one."""
    canonical = json.dumps(spec_to_document(spec), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class PublishResult:
    version: CurriculumVersion
    created: bool  # False when the content equals the latest version


def publish_curriculum(spec: CurriculumSpec, published_by: User | None = None) -> PublishResult:
    """Publish a checked spec as the curriculum's next version, unless it is unchanged."""
    curriculum = db.session.execute(
        select(Curriculum).where(Curriculum.slug == spec.slug)
    ).scalar_one_or_none()
    if curriculum is None:
        curriculum = Curriculum(slug=spec.slug)
        db.session.add(curriculum)
        db.session.flush()
    digest = content_hash(spec)
    latest = queries.latest_version(curriculum.id)
    if latest is not None and latest.content_hash == digest:
        return PublishResult(latest, created=False)
    version = CurriculumVersion(
        curriculum=curriculum,
        number=(latest.number + 1) if latest else 1,
        title=spec.title,
        language=spec.language,
        description=spec.description,
        content_hash=digest,
        published_by=published_by,
    )
    by_slug: dict[str, Module] = {}
    for position, m in enumerate(spec.modules):
        module = Module(slug=m.slug, position=position, title=m.title, summary=m.summary)
        module.lessons = [
            Lesson(
                slug=lesson.slug,
                position=i,
                title=lesson.title,
                minutes=lesson.minutes,
                body=lesson.body,
            )
            for i, lesson in enumerate(m.lessons)
        ]
        if m.assessment:
            module.assessment = Assessment(
                title=m.assessment.title,
                pass_mark=m.assessment.pass_mark,
                max_attempts=m.assessment.max_attempts,
                questions=[_question(i, q) for i, q in enumerate(m.assessment.questions)],
            )
        by_slug[m.slug] = module
        version.modules.append(module)
    for m in spec.modules:
        by_slug[m.slug].requires = [by_slug[slug] for slug in m.requires]
    db.session.add(version)
    db.session.flush()
    record(
        published_by,
        "curriculum.publish",
        f"curriculum:{curriculum.id}",
        slug=spec.slug,
        version=version.number,
        modules=len(spec.modules),
    )
    return PublishResult(version, created=True)


def publish_curriculum_text(
    text: str, filename: str, published_by: User | None = None
) -> PublishResult:
    """Check a curriculum document and publish it; CurriculumFileError names every problem."""
    return publish_curriculum(parse_curriculum(text, filename), published_by)


def _question(position: int, q) -> Question:
    if q.type == "true_false":
        choices = [
            Choice(position=0, text="True", correct=q.answer is True),
            Choice(position=1, text="False", correct=q.answer is False),
        ]
    else:
        choices = [
            Choice(position=i, text=c.text, correct=c.correct) for i, c in enumerate(q.choices)
        ]
    return Question(
        position=position, kind=q.type, prompt=q.prompt, explanation=q.explanation, choices=choices
    )


def enroll(user: User, version: CurriculumVersion) -> Enrollment:
    """Put a learner on a curriculum version (idempotent)."""
    enrollment = db.session.execute(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.version_id == version.id)
    ).scalar_one_or_none()
    if enrollment is None:
        enrollment = Enrollment(user=user, version=version)
        db.session.add(enrollment)
        db.session.flush()
    return enrollment


def enroll_users(
    emails: list[str], version: CurriculumVersion, actor: User | None = None
) -> list[Enrollment]:
    """Put several people on a curriculum version; refuse all when any e-mail is unknown."""
    users, problems = [], []
    for email in dict.fromkeys(e.strip() for e in emails if e.strip()):
        user = find_user_by_email(email)
        if user is None:
            problems.append(_("no user with e-mail %(email)s", email=email))
        else:
            users.append(user)
    if not users and not problems:
        problems.append(_("choose at least one person to enroll"))
    if problems:
        raise ValidationError(problems)
    enrollments = []
    for user in users:
        enrollment = enroll(user, version)
        enrollments.append(enrollment)
        record(
            actor,
            "curriculum.enroll",
            f"user:{user.id}",
            curriculum=version.curriculum.slug,
            version=version.number,
        )
    return enrollments


def ensure_open(enrollment: Enrollment, module_id: int) -> None:
    """Refuse work in a module whose prerequisites are not complete (NotAllowed), or that is
    not in the learner's version (NotFound); reads only."""
    outline, state = queries.learner_outline(enrollment)
    current = next((m for m in outline if m.id == module_id), None)
    if current is None:
        raise NotFound(_("This module is not part of your curriculum."))
    missing = missing_prerequisites(current, outline, state)
    if missing:
        names = ", ".join(f"“{m.title}”" for m in missing)
        raise NotAllowed(
            _(
                "“%(module)s” is locked: finish %(modules)s first.",
                module=current.title,
                modules=names,
            )
        )


def visit_lesson(enrollment: Enrollment, lesson: Lesson | queries.LessonItem) -> None:
    """Remember the lesson the learner is reading, so they can resume there.

    Called by the page's own request once it has loaded (a POST): reading a lesson (the GET)
    writes nothing, so it never waits behind an import holding the database's write lock.
    """
    ensure_open(enrollment, lesson.module_id)
    if enrollment.last_lesson_id != lesson.id:
        enrollment.last_lesson_id = lesson.id
    enrollment.last_seen_at = utcnow()
    db.session.flush()


def complete_lesson(enrollment: Enrollment, lesson: Lesson | queries.LessonItem) -> bool:
    """Mark a lesson complete; False when it already was."""
    ensure_open(enrollment, lesson.module_id)
    exists = db.session.execute(
        select(LessonCompletion.id).where(
            LessonCompletion.enrollment_id == enrollment.id, LessonCompletion.lesson_id == lesson.id
        )
    ).first()
    if exists:
        return False
    db.session.add(LessonCompletion(enrollment=enrollment, lesson_id=lesson.id))
    enrollment.last_seen_at = utcnow()
    db.session.flush()
    return True


def submit_attempt(
    enrollment: Enrollment,
    assessment: Assessment | queries.AssessmentItem,
    answers: dict[int, frozenset[int]],
) -> Attempt:
    """Score and record an attempt; refuse a locked module, a spent or passed check, bad answers."""
    try:
        ensure_open(enrollment, assessment.module_id)
    except NotFound:
        raise NotFound(_("This check is not part of your curriculum.")) from None
    used, passed = db.session.execute(
        select(
            func.count(Attempt.id), func.coalesce(func.max(Attempt.passed.cast(db.Integer)), 0)
        ).where(Attempt.enrollment_id == enrollment.id, Attempt.assessment_id == assessment.id)
    ).one()
    refusal = attempt_refusal(assessment.max_attempts, used, bool(passed))
    if refusal:
        raise NotAllowed(refusal)
    score = score_answers(queries.answer_key(assessment), answers, assessment.pass_mark)
    attempt = Attempt(
        enrollment=enrollment,
        assessment_id=assessment.id,
        number=used + 1,
        score=score.percent,
        passed=score.passed,
        answers={str(qid): sorted(chosen) for qid, chosen in answers.items()},
    )
    db.session.add(attempt)
    enrollment.last_seen_at = utcnow()
    db.session.flush()
    return attempt
