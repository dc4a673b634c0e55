"""The data the page benchmarks run against: the demo, plus managers with classes of learners.

Each manager leads a team and a class that started ten days ago on the starter curriculum
and template; the learners are in training, with the first two modules open. Shared by
bench/load.py and bench/profile_pages.py.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from sqlalchemy import select, update

from ramp import clock
from ramp.accounts.models import Role, User
from ramp.accounts.operations import create_team, create_user, find_user_by_email
from ramp.curricula import queries as curricula
from ramp.curricula.models import Enrollment
from ramp.demo import DEMO_PASSWORD, seed_demo
from ramp.extensions import db
from ramp.milestones.models import Cohort, Hire, RampTemplateVersion
from ramp.milestones.operations import NewHire, add_hires, create_cohort, evaluate_hires

PASSWORD = DEMO_PASSWORD
CLASS_AGE_DAYS = 10


@dataclass(frozen=True)
class LoadData:
    """What the load generator needs to know: who signs in and which pages they visit."""

    learners: list[tuple[str, int]]  # (e-mail, enrollment id)
    managers: list[tuple[str, list[int]]]  # (e-mail, ids of the hires they lead)
    lessons: list[tuple[str, str]]  # (module slug, lesson slug) of the open modules

    def to_json(self) -> dict:
        """Plain values for the generator's process."""
        return asdict(self)


def learner_email(i: int) -> str:
    """The e-mail of the i-th load learner."""
    return f"learner{i:04d}@load.example"


def manager_email(i: int) -> str:
    """The e-mail of the i-th load manager."""
    return f"manager{i:02d}@load.example"


def seed_load(learners: int, managers: int) -> LoadData:
    """Seed the demo and `learners` agents in `managers` classes (idempotent); commit."""
    seed_demo()
    db.session.commit()
    starter = next(
        v for v in curricula.list_versions() if v.curriculum.slug == "support-onboarding"
    )
    template = db.session.execute(select(Cohort.template_version_id).limit(1)).scalar_one()
    start = clock.today() - timedelta(days=CLASS_AGE_DAYS)
    for m in range(managers):
        email = manager_email(m)
        if find_user_by_email(email) is not None:
            continue
        manager = create_user(email, f"Load Manager {m:02d}", PASSWORD, Role.MANAGER)
        team = create_team(f"Load team {m:02d}", email)
        cohort = create_cohort(
            f"Load wave {m:02d}",
            start,
            db.session.get(RampTemplateVersion, template),
            starter,
            team,
        )
        placement = {"queue": "general", "channel": "email", "tier": "tier-1", "language": "en"}
        new = [
            NewHire(f"Learner {i:04d}", learner_email(i), start, manager, cohort, placement)
            for i in range(m, learners, managers)
        ]
        add_hires(new, manager)
        db.session.flush()
    # One hash for every load account: hashing 200 passwords one by one takes minutes.
    hashed = find_user_by_email(manager_email(0)).password_hash
    db.session.execute(
        update(User).where(User.email.like("%@load.example")).values(password_hash=hashed)
    )
    evaluate_hires()
    db.session.commit()
    return describe_load(learners, managers)


def describe_load(learners: int, managers: int) -> LoadData:
    """The accounts and pages of a seeded load database."""
    rows = db.session.execute(
        select(User.email, Enrollment.id)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(User.email.in_([learner_email(i) for i in range(learners)]))
        .order_by(User.email)
    ).all()
    leads = []
    for m in range(managers):
        manager = find_user_by_email(manager_email(m))
        ids = db.session.execute(
            select(Hire.id).where(Hire.manager_id == manager.id).order_by(Hire.id)
        ).scalars()
        leads.append((manager.email, list(ids)))
    version = db.session.execute(
        select(Enrollment.version_id).where(Enrollment.id == rows[0][1])
    ).scalar_one()
    lessons = [
        (m.slug, lesson.slug)
        for m in curricula.load_version(version).modules
        if not m.requires
        for lesson in m.lessons
    ]
    return LoadData([tuple(r) for r in rows], leads, lessons)
