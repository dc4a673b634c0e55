"""Published curriculum versions and each learner's progress through one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ramp.accounts.models import User, utcnow
from ramp.extensions import db


class Curriculum(db.Model):
    """A learning path, known by its slug; its content lives in published versions."""

    __tablename__ = "curricula"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[CurriculumVersion]] = relationship(
        back_populates="curriculum", order_by="CurriculumVersion.number"
    )


class CurriculumVersion(db.Model):
    """One published, immutable version of a curriculum."""

    __tablename__ = "curriculum_versions"
    __table_args__ = (UniqueConstraint("curriculum_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    curriculum_id: Mapped[int] = mapped_column(ForeignKey("curricula.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # The BCP 47 tag of the language the content is written in, when the file declares one.
    language: Mapped[str | None] = mapped_column(String(35))
    content_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    curriculum: Mapped[Curriculum] = relationship(back_populates="versions")
    published_by: Mapped[User | None] = relationship()
    modules: Mapped[list[Module]] = relationship(
        back_populates="version", order_by="Module.position", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        return f"{self.title} (v{self.number})"


module_prerequisites = db.Table(
    "module_prerequisites",
    db.Column("module_id", ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True),
    db.Column("required_id", ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True),
)


class Module(db.Model):
    """An ordered unit of a version: lessons and at most one knowledge check."""

    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("version_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("curriculum_versions.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(64))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)

    version: Mapped[CurriculumVersion] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module", order_by="Lesson.position", cascade="all, delete-orphan"
    )
    assessment: Mapped[Assessment | None] = relationship(
        back_populates="module", cascade="all, delete-orphan"
    )
    requires: Mapped[list[Module]] = relationship(
        secondary=module_prerequisites,
        primaryjoin=lambda: Module.id == module_prerequisites.c.module_id,
        secondaryjoin=lambda: Module.id == module_prerequisites.c.required_id,
        order_by=lambda: Module.position,
    )


class Lesson(db.Model):
    """A page of sanitized Markdown within a module."""

    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("module_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int | None]
    body: Mapped[str] = mapped_column(Text)

    module: Mapped[Module] = relationship(back_populates="lessons")


class Assessment(db.Model):
    """A module's knowledge check: questions, a pass mark and a number of attempts."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(
        ForeignKey("modules.id", ondelete="CASCADE"), unique=True
    )
    title: Mapped[str] = mapped_column(String(200))
    pass_mark: Mapped[int]
    max_attempts: Mapped[int]

    module: Mapped[Module] = relationship(back_populates="assessment")
    questions: Mapped[list[Question]] = relationship(
        back_populates="assessment", order_by="Question.position", cascade="all, delete-orphan"
    )


class Question(db.Model):
    """A single-choice, multiple-choice or true/false question with its explanation."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    prompt: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text)

    assessment: Mapped[Assessment] = relationship(back_populates="questions")
    choices: Mapped[list[Choice]] = relationship(
        back_populates="question", order_by="Choice.position", cascade="all, delete-orphan"
    )


class Choice(db.Model):
    """One answer a learner can pick; true/false questions get the choices True and False."""

    __tablename__ = "choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    correct: Mapped[bool] = mapped_column(default=False)

    question: Mapped[Question] = relationship(back_populates="choices")


PUBLISHED_CONTENT = (CurriculumVersion, Module, Lesson, Assessment, Question, Choice)


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_published_content(session: Session, _context, _instances) -> None:
    """A published version never changes: refuse updates to its rows at the ORM level."""
    for obj in session.dirty:
        if isinstance(obj, PUBLISHED_CONTENT) and session.is_modified(
            obj, include_collections=False
        ):
            raise RuntimeError(f"published curriculum content is immutable: {obj!r}")


class Enrollment(db.Model):
    """A learner on one curriculum version; progress hangs off it."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("user_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("curriculum_versions.id", ondelete="RESTRICT"), index=True
    )
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_lesson_id: Mapped[int | None] = mapped_column(
        ForeignKey("lessons.id", ondelete="SET NULL")
    )
    last_seen_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    version: Mapped[CurriculumVersion] = relationship()
    last_lesson: Mapped[Lesson | None] = relationship()
    completions: Mapped[list[LessonCompletion]] = relationship(
        back_populates="enrollment", cascade="all, delete-orphan"
    )
    attempts: Mapped[list[Attempt]] = relationship(
        back_populates="enrollment", order_by="Attempt.number", cascade="all, delete-orphan"
    )


class LessonCompletion(db.Model):
    """A lesson a learner marked complete."""

    __tablename__ = "lesson_completions"
    __table_args__ = (UniqueConstraint("enrollment_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)

    enrollment: Mapped[Enrollment] = relationship(back_populates="completions")


class Attempt(db.Model):
    """One submitted try at a knowledge check, with the answers and the result."""

    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("enrollment_id", "assessment_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    number: Mapped[int]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    score: Mapped[int]
    passed: Mapped[bool]
    # {question_id: [choice_id, ...]} as submitted, kept for the feedback page and audits.
    answers: Mapped[dict] = mapped_column(JSON)

    enrollment: Mapped[Enrollment] = relationship(back_populates="attempts")
    assessment: Mapped[Assessment] = relationship()
