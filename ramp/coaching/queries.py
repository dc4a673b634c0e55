"""The read side of coaching: what the rules are checked against, and what they assigned."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from ramp.accounts.models import User
from ramp.coaching.models import CoachingAssignment, CoachingRulesVersion
from ramp.coaching.spec import CurriculumOutline, ModuleOutline, RulesContext
from ramp.curricula.models import Curriculum, CurriculumVersion, Lesson, Module
from ramp.extensions import db
from ramp.metrics.models import QACategoryScore
from ramp.milestones.models import RampTemplateVersion


@dataclass(frozen=True)
class ImportedCategory:
    """A scorecard category seen in the imported evaluations."""

    key: str
    name: str
    evaluations: int


def imported_categories() -> list[ImportedCategory]:
    """Every category imported so far (by folded key), with how many evaluations scored or
    marked it, by name."""
    c = QACategoryScore
    rows = db.session.execute(
        select(c.key, func.max(c.name), func.count(func.distinct(c.evaluation_id))).group_by(c.key)
    ).all()
    out = [ImportedCategory(key, name, int(n)) for key, name, n in rows]
    return sorted(out, key=lambda c: c.name.casefold())


def category_names(keys: Iterable[str]) -> dict[str, str]:
    """A name each of these folded category keys was imported under (one row each)."""
    c = QACategoryScore
    out = {}
    for key in sorted(set(keys)):
        name = db.session.execute(select(c.name).where(c.key == key).limit(1)).scalar()
        if name is not None:
            out[key] = name
    return out


def curriculum_outlines(slugs: Iterable[str] | None = None) -> dict[str, CurriculumOutline]:
    """The newest published version of each curriculum (or of those named): titles by slug."""
    newest = (
        select(CurriculumVersion.curriculum_id, func.max(CurriculumVersion.number).label("number"))
        .group_by(CurriculumVersion.curriculum_id)
        .subquery()
    )
    query = (
        select(Curriculum.slug, CurriculumVersion.id, CurriculumVersion.title)
        .join(CurriculumVersion, CurriculumVersion.curriculum_id == Curriculum.id)
        .join(
            newest,
            (newest.c.curriculum_id == CurriculumVersion.curriculum_id)
            & (newest.c.number == CurriculumVersion.number),
        )
    )
    if slugs is not None:
        query = query.where(Curriculum.slug.in_(sorted(set(slugs))))
    versions = {vid: (slug, title) for slug, vid, title in db.session.execute(query)}
    if not versions:
        return {}
    modules: dict[int, dict[str, tuple[str, dict[str, str]]]] = {v: {} for v in versions}
    by_id: dict[int, dict[str, str]] = {}
    for module_id, version_id, slug, title in db.session.execute(
        select(Module.id, Module.version_id, Module.slug, Module.title).where(
            Module.version_id.in_(list(versions))
        )
    ):
        lessons: dict[str, str] = {}
        by_id[module_id] = lessons
        modules[version_id][slug] = (title, lessons)
    if by_id:
        for module_id, slug, title in db.session.execute(
            select(Lesson.module_id, Lesson.slug, Lesson.title).where(
                Lesson.module_id.in_(list(by_id))
            )
        ):
            by_id[module_id][slug] = title
    return {
        slug: CurriculumOutline(
            title,
            {m: ModuleOutline(t, dict(lessons)) for m, (t, lessons) in modules[vid].items()},
        )
        for vid, (slug, title) in versions.items()
    }


def template_phases() -> frozenset[str]:
    """The phase names of every published ramp template version."""
    names: set[str] = set()
    for (document,) in db.session.execute(select(RampTemplateVersion.document)):
        for phase in (document or {}).get("phases") or ():
            if isinstance(phase, dict) and isinstance(phase.get("name"), str):
                names.add(phase["name"])
    return frozenset(names)


def rules_context() -> RulesContext:
    """What a rules file is checked against, from the database."""
    return RulesContext(
        categories={c.key: c.name for c in imported_categories()},
        curricula=curriculum_outlines(),
        phases=template_phases(),
    )


def current_version() -> CoachingRulesVersion | None:
    """The rules version in force (the newest), or None before any is published."""
    return db.session.execute(
        select(CoachingRulesVersion).order_by(CoachingRulesVersion.number.desc()).limit(1)
    ).scalar_one_or_none()


def rules_versions() -> list[CoachingRulesVersion]:
    """Every published rules version, newest first."""
    return list(
        db.session.execute(
            select(CoachingRulesVersion).order_by(CoachingRulesVersion.number.desc())
        ).scalars()
    )


@dataclass(frozen=True)
class OpenedRow:
    """An assignment as a run's report lists it."""

    id: int
    hire_id: int
    name: str
    rule_key: str
    title: str
    due_on: date
    evidence: int


def assignments_opened(ids: list[int]) -> list[OpenedRow]:
    """These assignments with their hires' names, by rule then name."""
    if not ids:
        return []
    a = CoachingAssignment
    rows = db.session.execute(
        select(a.id, a.hire_id, User.name, a.rule_key, a.title, a.due_on, a.evidence)
        .join(User, User.id == a.user_id)
        .where(a.id.in_(ids))
        .order_by(a.rule_key, User.name, a.id)
    ).all()
    return [OpenedRow(*row[:6], len(row.evidence or [])) for row in rows]
