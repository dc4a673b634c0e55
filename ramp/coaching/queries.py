"""The read side of coaching: what the rules are checked against and what they assigned;
what the pages read of refreshers (a learner's open ones, a hire's, the board's coaching
line, the Coaching page's lists). Reads only; plain values or loaded rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import aliased, joinedload

from ramp.accounts.models import Team, User
from ramp.coaching.due import overdue
from ramp.coaching.models import COMPLETED, OPEN, CoachingAssignment, CoachingRulesVersion
from ramp.coaching.spec import CurriculumOutline, ModuleOutline, RulesContext
from ramp.curricula import queries as curricula
from ramp.curricula.models import Curriculum, CurriculumVersion, Lesson, Module
from ramp.curricula.queries import LessonItem, ModuleItem, VersionContent
from ramp.database import page_of
from ramp.extensions import db
from ramp.metrics.models import QACategoryScore
from ramp.milestones.models import Cohort, Hire, RampTemplateVersion
from ramp.milestones.queries import visible_hires


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


# The pages' side ---------------------------------------------------------------------------

PAGE_SIZE = 50


# A refresher's content -------------------------------------------------------------------


def lesson_part(module_slug: str, lesson_slug: str) -> str:
    """The done-list entry of a reviewed lesson."""
    return f"lesson:{module_slug}/{lesson_slug}"


def module_part(module_slug: str) -> str:
    """The done-list entry of a passed check."""
    return f"module:{module_slug}"


@dataclass(frozen=True)
class Refresher:
    """One assignment with what it asks of the agent, read from its curriculum's content."""

    assignment: CoachingAssignment
    version: CurriculumVersion | None
    content: VersionContent | None
    lessons: tuple[LessonItem, ...] = ()  # to read again
    checks: tuple[ModuleItem, ...] = ()  # whose knowledge check to pass
    parts: tuple[str, ...] = ()

    @property
    def done(self) -> frozenset[str]:
        return frozenset(self.assignment.done or ())

    @property
    def language(self) -> str | None:
        return self.content.language if self.content else None

    @property
    def available(self) -> bool:
        """Whether the refresher's curriculum content was found (it may have been removed)."""
        return self.content is not None and bool(self.parts)

    def reviewed(self, lesson: LessonItem) -> bool:
        return lesson_part(lesson.module_slug, lesson.slug) in self.done

    def passed(self, module: ModuleItem) -> bool:
        return module_part(module.slug) in self.done

    def lesson(self, lesson_id: int) -> LessonItem | None:
        return next((le for le in self.lessons if le.id == lesson_id), None)

    def check(self, module_id: int) -> ModuleItem | None:
        return next((m for m in self.checks if m.id == module_id), None)

    @property
    def left(self) -> int:
        """How many parts are still to do."""
        return len([p for p in self.parts if p not in self.done])


def refresher_parts(
    modules: tuple[ModuleItem, ...], module_slug: str | None, lesson_slug: str | None
) -> tuple[tuple[LessonItem, ...], tuple[ModuleItem, ...], tuple[str, ...]]:
    """The lessons to read again, the checks to pass and the parts that complete a refresher.

    A lesson refresher: that lesson, reviewed. A module: its check passed, or with no check
    each of its lessons reviewed (its lessons are offered to read again either way). A
    curriculum: every module, each as a module refresher."""
    chosen = modules if module_slug is None else tuple(m for m in modules if m.slug == module_slug)
    if not chosen:
        return (), (), ()
    if lesson_slug is not None:
        lesson = next((le for le in chosen[0].lessons if le.slug == lesson_slug), None)
        if lesson is None:
            return (), (), ()
        return (lesson,), (), (lesson_part(lesson.module_slug, lesson.slug),)
    lessons = tuple(le for m in chosen for le in m.lessons)
    checks = tuple(m for m in chosen if m.assessment is not None)
    parts: list[str] = []
    for m in chosen:
        if m.assessment is not None:
            parts.append(module_part(m.slug))
        else:
            parts += [lesson_part(m.slug, le.slug) for le in m.lessons]
    return lessons, checks, tuple(parts)


def refresher_version(assignment: CoachingAssignment) -> CurriculumVersion | None:
    """The curriculum version the refresher is read in: the hire's own when it is of that
    curriculum (the lessons they learned), else the newest published one."""
    enrollment = assignment.hire.enrollment if assignment.hire else None
    if enrollment is not None and enrollment.version.curriculum.slug == assignment.curriculum_slug:
        return enrollment.version
    return curricula.find_version(assignment.curriculum_slug)


def refresher(assignment: CoachingAssignment) -> Refresher:
    """The assignment with its lessons, checks and parts."""
    version = refresher_version(assignment)
    if version is None:
        return Refresher(assignment, None, None)
    content = curricula.version_content(version)
    lessons, checks, parts = refresher_parts(
        content.modules, assignment.module_slug, assignment.lesson_slug
    )
    return Refresher(assignment, version, content, lessons, checks, parts)


# Whose refreshers -------------------------------------------------------------------------


def _loaded() -> Select:
    return select(CoachingAssignment).options(
        joinedload(CoachingAssignment.hire).joinedload(Hire.cohort),
        joinedload(CoachingAssignment.dismissed_by),
        joinedload(CoachingAssignment.one_to_one_by),
    )


def open_refreshers_of_user(user_id: int) -> list[CoachingAssignment]:
    """A learner's open refreshers, soonest due first."""
    return list(
        db.session.execute(
            _loaded()
            .where(CoachingAssignment.user_id == user_id, CoachingAssignment.status == OPEN)
            .order_by(CoachingAssignment.due_on, CoachingAssignment.id)
        )
        .unique()
        .scalars()
    )


def refreshers_of_hire(hire_id: int) -> list[CoachingAssignment]:
    """Every refresher of a hire: open ones first (soonest due), then the closed, newest first."""
    rows = list(
        db.session.execute(
            _loaded()
            .where(CoachingAssignment.hire_id == hire_id)
            .order_by(CoachingAssignment.fired_on.desc(), CoachingAssignment.id.desc())
        )
        .unique()
        .scalars()
    )
    return sorted(rows, key=lambda a: (a.status != OPEN, a.due_on if a.status == OPEN else 0))


def own_assignment(user_id: int, assignment_id: int) -> CoachingAssignment | None:
    """The assignment when it is the user's own; None otherwise (it does not exist for them)."""
    assignment = db.session.get(CoachingAssignment, assignment_id)
    if assignment is None or assignment.user_id != user_id:
        return None
    return assignment


def hire_assignment(hire_id: int, assignment_id: int) -> CoachingAssignment | None:
    """The assignment when it belongs to that hire."""
    assignment = db.session.get(CoachingAssignment, assignment_id)
    if assignment is None or assignment.hire_id != hire_id:
        return None
    return assignment


@dataclass(frozen=True)
class BoardLine:
    """A board card's coaching line: how many refreshers are open, and the soonest."""

    open: int
    title: str
    due_on: date
    overdue: bool


def board_lines(hire_ids: list[int], today: date) -> dict[int, BoardLine]:
    """The coaching line of each of these hires that has an open refresher, in one query."""
    if not hire_ids:
        return {}
    rows = db.session.execute(
        select(CoachingAssignment.hire_id, CoachingAssignment.title, CoachingAssignment.due_on)
        .where(CoachingAssignment.hire_id.in_(hire_ids), CoachingAssignment.status == OPEN)
        .order_by(CoachingAssignment.hire_id, CoachingAssignment.due_on, CoachingAssignment.id)
    ).all()
    counts: dict[int, int] = {}
    first: dict[int, tuple[str, date]] = {}
    for hire_id, title, due_on in rows:
        counts[hire_id] = counts.get(hire_id, 0) + 1
        first.setdefault(hire_id, (title, due_on))
    return {
        hid: BoardLine(counts[hid], first[hid][0], first[hid][1], overdue(first[hid][1], today))
        for hid in counts
    }


# The Coaching page -------------------------------------------------------------------------


@dataclass(frozen=True)
class CoachingFilters:
    cohort: int | None = None
    team: int | None = None
    page: int = 1

    def args(self, **changes) -> dict:
        """The query arguments of these filters, with some changed (None drops one)."""
        values = {"cohort": self.cohort, "team": self.team, "page": self.page}
        values.update(changes)
        if values["page"] == 1:
            values["page"] = None
        return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True)
class RuleLine:
    key: str
    title: str
    firings: int
    open: int
    overdue: int
    in_force: bool


@dataclass
class Overview:
    filters: CoachingFilters
    rules: list[RuleLine]
    open: int
    overdue: int
    total: int
    pages: int
    assignments: list[CoachingAssignment]
    cohorts: list[tuple[int, str]] = field(default_factory=list)
    teams: list[tuple[int, str]] = field(default_factory=list)


def visible_hire_ids(viewer: User) -> Select:
    """The ids of the hires whose refreshers the viewer may see (their active hires)."""
    return visible_hires(viewer).with_only_columns(Hire.id).correlate(None)


def filter_options(viewer: User) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The cohorts and teams the viewer's hires are in, as (id, name), for the filters."""
    visible = visible_hire_ids(viewer)
    cohorts = db.session.execute(
        select(Cohort.id, Cohort.name)
        .where(Cohort.id.in_(select(Hire.cohort_id).where(Hire.id.in_(visible))))
        .order_by(Cohort.start_date.desc(), Cohort.id)
    ).all()
    teams = db.session.execute(
        select(Team.id, Team.name)
        .where(
            Team.id.in_(
                select(Cohort.team_id)
                .join(Hire, Hire.cohort_id == Cohort.id)
                .where(Hire.id.in_(visible))
            )
        )
        .order_by(Team.name, Team.id)
    ).all()
    return [(r[0], r[1]) for r in cohorts], [(r[0], r[1]) for r in teams]


def filtered(viewer: User, filters: CoachingFilters) -> Select:
    """The viewer's assignments under the filters, as a statement to refine."""
    stmt = (
        select(CoachingAssignment)
        .join(Hire, CoachingAssignment.hire_id == Hire.id)
        .where(Hire.id.in_(visible_hire_ids(viewer)))
    )
    if filters.cohort is not None:
        stmt = stmt.where(Hire.cohort_id == filters.cohort)
    if filters.team is not None:
        cohort = aliased(Cohort)
        stmt = stmt.where(
            Hire.cohort_id.in_(select(cohort.id).where(cohort.team_id == filters.team))
        )
    return stmt


def current_rules() -> list[dict]:
    """The rules of the version in force (the newest), as published; none before any."""
    rules = db.session.execute(
        select(CoachingRulesVersion.rules).order_by(CoachingRulesVersion.number.desc()).limit(1)
    ).scalar_one_or_none()
    return [r for r in (rules or []) if isinstance(r, dict)]


def overview(viewer: User, filters: CoachingFilters, today: date) -> Overview:
    """The Coaching page: rules with firings, open and overdue counts, a page of assignments."""
    stmt = filtered(viewer, filters)
    per_rule = db.session.execute(
        stmt.with_only_columns(
            CoachingAssignment.rule_key,
            func.count(),
            func.sum(_is(CoachingAssignment.status == OPEN)),
            func.sum(
                _is((CoachingAssignment.status == OPEN) & (CoachingAssignment.due_on < today))
            ),
        ).group_by(CoachingAssignment.rule_key)
    ).all()
    counts = {r[0]: (int(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in per_rule}
    rules: list[RuleLine] = []
    for rule in current_rules():
        key = str(rule.get("key", ""))
        fired, open_, late = counts.pop(key, (0, 0, 0))
        rules.append(RuleLine(key, str(rule.get("title") or key), fired, open_, late, True))
    for key, (fired, open_, late) in sorted(counts.items()):
        rules.append(RuleLine(key, key, fired, open_, late, False))
    total = sum(r.firings for r in rules)
    page, pages = page_of(total, PAGE_SIZE, filters.page)
    assignments = list(
        db.session.execute(
            stmt.options(
                joinedload(CoachingAssignment.hire).joinedload(Hire.cohort),
                joinedload(CoachingAssignment.user),
            )
            .order_by(
                (CoachingAssignment.status != OPEN),
                CoachingAssignment.due_on,
                CoachingAssignment.id,
            )
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
        .unique()
        .scalars()
    )
    cohorts, teams = filter_options(viewer)
    return Overview(
        filters=CoachingFilters(filters.cohort, filters.team, page),
        rules=rules,
        open=sum(r.open for r in rules),
        overdue=sum(r.overdue for r in rules),
        total=total,
        pages=pages,
        assignments=assignments,
        cohorts=cohorts,
        teams=teams,
    )


def all_assignments(
    viewer: User, filters: CoachingFilters, completed_only: bool = False
) -> list[CoachingAssignment]:
    """Every assignment under the filters (for the CSV export; only the completed ones,
    for measuring the effect), oldest firing first."""
    stmt = filtered(viewer, filters)
    if completed_only:
        stmt = stmt.where(CoachingAssignment.status == COMPLETED)
    return list(
        db.session.execute(
            stmt.options(
                joinedload(CoachingAssignment.hire).joinedload(Hire.cohort),
                joinedload(CoachingAssignment.user),
                joinedload(CoachingAssignment.dismissed_by),
            ).order_by(CoachingAssignment.fired_on, CoachingAssignment.id)
        )
        .unique()
        .scalars()
    )


def _is(condition):
    """1 where the condition holds, else 0 (for a SUM that counts)."""
    return case((condition, 1), else_=0)
