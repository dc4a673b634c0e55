"""Read side of ramp plans: the board, a hire's page, an agent's own ramp. No writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Integer, Select, any_, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased, joinedload, selectinload

from ramp import clock
from ramp.accounts.models import Role, Team, User
from ramp.curricula.queries import version_content
from ramp.database import page_of
from ramp.extensions import db
from ramp.milestones import plans
from ramp.milestones.evaluation import tenure_week
from ramp.milestones.models import (
    Cohort,
    Hire,
    HireEvent,
    PlanMilestone,
    RampTemplate,
    RampTemplateVersion,
)
from ramp.milestones.operations import can_manage
from ramp.milestones.template_spec import dump_template
from ramp.milestones.wording import reason_text, worded_check

PAGE_SIZE = 60
STATUS_FILTERS = ("missed", "at_risk", "on_track", "upcoming", "achieved")
# The joins that find a manager's hires, aliased once: an alias works out its columns on
# first use, which cost more than the rest of the board's statements together when every
# request made new ones.
_COHORT_TEAM = aliased(Team)
_AGENT_TEAM = aliased(Team)
_AGENT = aliased(User)


def visible_hires(viewer: User, include_left: bool = False) -> Select:
    """Active hires the viewer may see: all for admins; a manager's own hires and teams'.
    With include_left, hires marked as left too (not those ended by a transfer)."""
    stmt = select(Hire).where(
        or_(Hire.active.is_(True), Hire.left_on.is_not(None))
        if include_left
        else Hire.active.is_(True)
    )
    if viewer.is_admin:
        return stmt
    if not viewer.is_manager:
        return stmt.where(Hire.user_id == viewer.id)
    return (
        stmt.join(Cohort, Hire.cohort_id == Cohort.id)
        .outerjoin(_COHORT_TEAM, Cohort.team_id == _COHORT_TEAM.id)
        .join(_AGENT, Hire.user_id == _AGENT.id)
        .outerjoin(_AGENT_TEAM, _AGENT.team_id == _AGENT_TEAM.id)
        .where(
            or_(
                Hire.manager_id == viewer.id,
                _COHORT_TEAM.manager_id == viewer.id,
                _AGENT_TEAM.manager_id == viewer.id,
            )
        )
    )


def listed_hires(viewer: User) -> list[Hire]:
    """The active hires the viewer may see, by id, with their agent and cohort loaded."""
    stmt = visible_hires(viewer).options(joinedload(Hire.user), joinedload(Hire.cohort))
    return list(db.session.execute(stmt.order_by(Hire.id)).scalars())


@dataclass(frozen=True)
class BoardFilters:
    cohort: int | None = None
    queue: str | None = None
    status: str | None = None
    manager: int | None = None
    q: str | None = None
    group: str = "phase"
    page: int = 1

    def args(self, **changes) -> dict:
        values = {
            "cohort": self.cohort,
            "queue": self.queue,
            "status": self.status,
            "manager": self.manager,
            "q": self.q,
            "group": self.group,
            "page": self.page,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "", 1) or k == "group"}


@dataclass(frozen=True)
class Card:
    hire: Hire
    tenure_week: int


@dataclass
class Board:
    filters: BoardFilters
    groups: list[tuple[str, list[Card]]]
    total: int
    pages: int
    counts: dict[str, int]
    cohorts: list[tuple[int, str]] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)
    managers: list[tuple[int, str]] = field(default_factory=list)


PHASE_ORDER = ("upcoming", "training", "nesting", "ramp", "proficient")


def _board_scope(viewer: User):
    """The condition every board query filters on: the hire is one the viewer may see.

    A manager's hires are found through joins to cohorts, teams and agents. PostgreSQL plans
    that subquery again in each of the board's six statements (1 to 2 ms apiece), so there
    the ids are read once and passed as one array; SQLite plans it in microseconds."""
    visible = visible_hires(viewer).with_only_columns(Hire.id).correlate(None)
    if viewer.is_admin or db.session.get_bind().dialect.name != "postgresql":
        return Hire.id.in_(visible)
    ids = list(db.session.execute(visible).scalars())
    return Hire.id == any_(bindparam("visible_hires", ids, type_=ARRAY(Integer)))


def board(viewer: User, filters: BoardFilters, today: date | None = None) -> Board:
    """The ramp board: the viewer's active hires, worst first, filtered, grouped, paginated."""
    today = today or clock.today()
    mine = _board_scope(viewer)
    stmt = select(Hire).join(User, Hire.user_id == User.id).where(mine)
    if filters.cohort:
        stmt = stmt.where(Hire.cohort_id == filters.cohort)
    if filters.queue:
        stmt = stmt.where(Hire.queue == filters.queue)
    if filters.manager:
        stmt = stmt.where(Hire.manager_id == filters.manager)
    if filters.q:
        like = f"%{filters.q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(User.name).like(like), func.lower(User.email).like(like)))
    counts = dict(
        db.session.execute(
            stmt.with_only_columns(Hire.status, func.count()).group_by(Hire.status)
        ).all()
    )
    if filters.status:
        stmt = stmt.where(Hire.status == filters.status)
    total = db.session.execute(stmt.with_only_columns(func.count())).scalar_one()
    page, pages = page_of(total, PAGE_SIZE, filters.page)
    rows = list(
        db.session.execute(
            stmt.options(joinedload(Hire.user), joinedload(Hire.cohort), joinedload(Hire.manager))
            .order_by(Hire.status_rank.desc(), Hire.next_due.is_(None), Hire.next_due, User.name)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        ).scalars()
    )
    cards = [Card(h, tenure_week(h.start_date, today)) for h in rows]
    groups: dict[str, list[Card]] = {}
    if filters.group == "cohort":
        for card in cards:
            groups.setdefault(card.hire.cohort.name, []).append(card)
        ordered = list(groups.items())
    else:
        for card in cards:
            groups.setdefault(card.hire.phase, []).append(card)
        ordered = [(p, groups[p]) for p in PHASE_ORDER if p in groups]
    cohorts = db.session.execute(
        select(Cohort.id, Cohort.name)
        .where(Cohort.id.in_(select(Hire.cohort_id).where(mine)))
        .order_by(Cohort.start_date.desc())
    ).all()
    queues = [
        q
        for (q,) in db.session.execute(
            select(Hire.queue).where(mine, Hire.queue.is_not(None)).distinct().order_by(Hire.queue)
        )
    ]
    managers = db.session.execute(
        select(User.id, User.name)
        .where(User.id.in_(select(Hire.manager_id).where(mine)))
        .order_by(User.name)
    ).all()
    return Board(
        filters=BoardFilters(**{**filters.__dict__, "page": page}),
        groups=ordered,
        total=total,
        pages=pages,
        counts=counts,
        cohorts=[tuple(c) for c in cohorts],
        queues=queues,
        managers=[tuple(m) for m in managers],
    )


@dataclass(frozen=True)
class MilestoneNode:
    milestone: PlanMilestone
    children: list[MilestoneNode]
    depth: int


@dataclass
class HireView:
    hire: Hire
    tenure_week: int
    phases: list[tuple[str, date, date | None]]
    tree: list[MilestoneNode]
    next: PlanMilestone | None
    warning_days: int
    today: date | None = None
    # Each milestone's checks and reason as people read them: in the reader's language, with
    # titles, not slugs or keys (ramp/milestones/wording.py).
    checks: dict[str, list[dict]] = field(default_factory=dict)
    reasons: dict[str, str | None] = field(default_factory=dict)

    def coming(self) -> list[tuple[date, str, str]]:
        """What comes after the next milestone, by date: phases not begun yet ("phase", name)
        and the other open milestones ("milestone", title)."""
        later = [
            (first, "phase", name)
            for name, first, _ in self.phases
            if self.today is not None and first > self.today
        ]
        later += [
            (m.due_date, "milestone", m.title)
            for m in self.hire.milestones
            if m.status not in ("achieved", "waived") and m is not self.next
        ]
        return sorted(later, key=lambda item: (item[0], item[1] != "phase"))

    def phase_begins(self, milestone: PlanMilestone) -> date | None:
        """When the milestone's phase begins, if it has not begun yet; None once it has."""
        for name, first, _ in self.phases:
            if name == milestone.phase:
                return first if self.today is not None and first > self.today else None
        return None


def milestone_tree(milestones: list[PlanMilestone]) -> list[MilestoneNode]:
    """Milestones nested under their parents, in plan order."""
    keys = {m.key for m in milestones}
    children: dict[str | None, list[PlanMilestone]] = {}
    for m in milestones:
        parent = m.parent_key if m.parent_key in keys else None
        children.setdefault(parent, []).append(m)

    def build(parent: str | None, depth: int) -> list[MilestoneNode]:
        return [MilestoneNode(m, build(m.key, depth + 1), depth) for m in children.get(parent, [])]

    return build(None, 0)


def load_hire(hire_id: int) -> Hire | None:
    """A hire with everything its page shows, in a fixed number of queries."""
    return (
        db.session.execute(
            select(Hire)
            .where(Hire.id == hire_id)
            .options(
                joinedload(Hire.user).joinedload(User.team),
                joinedload(Hire.manager),
                joinedload(Hire.cohort).joinedload(Cohort.template_version),
                joinedload(Hire.cohort).joinedload(Cohort.team),
                selectinload(Hire.milestones).joinedload(PlanMilestone.signed_off_by),
                selectinload(Hire.placements),
                selectinload(Hire.events).joinedload(HireEvent.actor),
            )
        )
        .unique()
        .scalar_one_or_none()
    )


def hire_view(hire: Hire, today: date | None = None) -> HireView:
    """A hire's plan as a tree with phases and the next milestone."""
    today = today or clock.today()
    spec = plans.template_from_document(hire.cohort.template_version.document)
    open_ms = [m for m in hire.milestones if m.status not in ("achieved", "waived")]
    # The next required milestone; optional ones only when nothing required is open.
    nxt = min(open_ms, key=lambda m: (m.optional, m.due_date, m.position), default=None)
    titles = _titles(hire)
    return HireView(
        hire=hire,
        tenure_week=tenure_week(hire.start_date, today),
        phases=[
            (name, first, end - timedelta(days=1) if end else None)
            for name, first, end in plans.phase_dates(spec, hire.start_date)
        ],
        tree=milestone_tree(hire.milestones),
        next=nxt,
        warning_days=spec.warning_days,
        today=today,
        checks={m.key: [worded_check(c, titles) for c in m.checks or []] for m in hire.milestones},
        reasons={
            m.key: reason_text(m.reason, m.reason_parts, titles["milestones"])
            for m in hire.milestones
        },
    )


def _titles(hire: Hire) -> dict[str, dict[str, str]]:
    """The titles of the hire's modules, knowledge checks and milestones by slug or key."""
    enrollment = hire.enrollment
    version = enrollment.version if enrollment is not None else hire.cohort.curriculum_version
    modules = version_content(version).modules if version is not None else ()
    return {
        "modules": {m.slug: m.title for m in modules},
        "assessments": {m.slug: m.assessment.title if m.assessment else m.title for m in modules},
        "milestones": {m.key: m.title for m in hire.milestones},
    }


def viewable_hire(viewer: User, hire_id: int) -> Hire | None:
    """The hire when the viewer may manage it; None otherwise (the page then does not exist)."""
    hire = load_hire(hire_id)
    if hire is None or not can_manage(viewer, hire):
        return None
    return hire


def hires_of_agent(user_id: int) -> list[Hire]:
    """An agent's own hires (normally one), newest first, loaded for My ramp."""
    ids = db.session.execute(
        select(Hire.id).where(Hire.user_id == user_id).order_by(Hire.start_date.desc())
    ).scalars()
    return [load_hire(i) for i in ids]


def leavers(user_ids: list[int]) -> dict[int, date]:
    """Of these people, those who have left: {user id: the day their latest hire was marked
    as left}, for everyone with such a hire and no active one. Their account may still sign
    in (leaving records attrition; deactivating an account is an admin's own step)."""
    if not user_ids:
        return {}
    still_here = select(Hire.user_id).where(Hire.active.is_(True), Hire.user_id.in_(user_ids))
    rows = db.session.execute(
        select(Hire.user_id, func.max(Hire.left_on))
        .where(
            Hire.user_id.in_(user_ids),
            Hire.left_on.is_not(None),
            Hire.user_id.not_in(still_here),
        )
        .group_by(Hire.user_id)
    )
    return {user_id: left_on for user_id, left_on in rows}


def managed_hire_of(viewer: User, user_id: int) -> Hire | None:
    """The agent's newest hire the viewer manages, or None when they manage none of them."""
    return next((h for h in hires_of_agent(user_id) if can_manage(viewer, h)), None)


def assignable_cohorts(viewer: User) -> list[Cohort]:
    """Cohorts a viewer may add hires to: all for admins, their teams' (or team-less) for managers."""
    stmt = select(Cohort).order_by(Cohort.start_date.desc())
    if not viewer.is_admin:
        stmt = stmt.outerjoin(Team, Cohort.team_id == Team.id).where(
            or_(Cohort.team_id.is_(None), Team.manager_id == viewer.id)
        )
    return list(db.session.execute(stmt).scalars())


def assignable_managers(viewer: User) -> list[User]:
    """Who a new hire can report to: the viewer, or any manager when the viewer is an admin."""
    if not viewer.is_admin:
        return [viewer]
    return list(
        db.session.execute(
            select(User).where(User.role.in_([Role.MANAGER, Role.ADMIN])).order_by(User.name)
        ).scalars()
    )


def find_template_version(slug: str, number: int | None = None):
    """A template version by slug and number; the latest when no number is given."""
    stmt = (
        select(RampTemplateVersion)
        .join(RampTemplate)
        .where(RampTemplate.slug == slug)
        .order_by(RampTemplateVersion.number.desc())
    )
    if number is not None:
        stmt = stmt.where(RampTemplateVersion.number == number)
    return db.session.execute(stmt.limit(1)).scalar_one_or_none()


def template_versions():
    """Every template version, newest first within each template."""
    return list(
        db.session.execute(
            select(RampTemplateVersion)
            .join(RampTemplate)
            .options(joinedload(RampTemplateVersion.template))
            .order_by(RampTemplate.slug, RampTemplateVersion.number.desc())
        ).scalars()
    )


def template_yaml(slug: str) -> str | None:
    """The latest version of a template as YAML, for editing."""
    version = find_template_version(slug)
    return dump_template(plans.template_from_document(version.document)) if version else None


def cohort_list() -> list[tuple[Cohort, int]]:
    """Every cohort with its number of active hires."""
    counts = dict(
        db.session.execute(
            select(Hire.cohort_id, func.count())
            .where(Hire.active.is_(True))
            .group_by(Hire.cohort_id)
        ).all()
    )
    cohorts = db.session.execute(
        select(Cohort)
        .options(
            joinedload(Cohort.template_version),
            joinedload(Cohort.curriculum_version),
            joinedload(Cohort.team),
        )
        .order_by(Cohort.start_date.desc())
    ).scalars()
    return [(c, counts.get(c.id, 0)) for c in cohorts]


def find_cohort(name: str) -> Cohort | None:
    """The cohort with this name, if there is one."""
    return db.session.execute(select(Cohort).where(Cohort.name == name)).scalar_one_or_none()


def cohorts_by_start() -> list[Cohort]:
    """Every cohort, the earliest start first."""
    return list(db.session.execute(select(Cohort).order_by(Cohort.start_date)).scalars())


def visible_cohort_options(viewer: User) -> list[tuple[int, str]]:
    """(id, name) of the cohorts with hires the viewer may see, newest first."""
    visible = visible_hires(viewer).subquery()
    vh = aliased(Hire, visible)
    rows = db.session.execute(
        select(Cohort.id, Cohort.name)
        .where(Cohort.id.in_(select(vh.cohort_id)))
        .order_by(Cohort.start_date.desc())
    ).all()
    return [(r.id, r.name) for r in rows]


def visible_queues(viewer: User) -> list[str]:
    """The queues the viewer's hires are placed in now."""
    visible = visible_hires(viewer).subquery()
    vh = aliased(Hire, visible)
    return [
        q
        for (q,) in db.session.execute(
            select(vh.queue).where(vh.queue.is_not(None)).distinct().order_by(vh.queue)
        )
    ]
