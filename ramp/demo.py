"""Demo data: the starter curriculum, a team, and agents at different points of it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from ramp import clock
from ramp.accounts.models import Role
from ramp.accounts.operations import create_team, create_user, find_team, find_user_by_email
from ramp.curricula import operations, queries
from ramp.curricula.models import Enrollment
from ramp.curricula.spec import load_curriculum_file
from ramp.extensions import db

STARTER_CURRICULUM = Path(__file__).parent / "curricula" / "starter" / "support-onboarding.yaml"
STARTER_TEMPLATE = Path(__file__).parent / "milestones" / "starter" / "contact-center-12-weeks.yaml"
DEMO_PASSWORD = "ramp-demo-2026"
TEAM_NAME = "Tier 1 · Email & Chat"

# (name, e-mail, role, steps done: lessons read or checks passed, in curriculum order)
PEOPLE = [
    ("Avery Admin", "admin@example.com", Role.ADMIN, None),
    ("Maria Lopez", "maria.lopez@example.com", Role.MANAGER, None),
    ("Sam Okafor", "sam.okafor@example.com", Role.AGENT, 0),
    ("Priya Natarajan", "priya.natarajan@example.com", Role.AGENT, 7),
    ("Jordan Reyes", "jordan.reyes@example.com", Role.AGENT, 16),
    ("Lee Chen", "lee.chen@example.com", Role.AGENT, 33),
]
NOTES = {
    "sam.okafor@example.com": "agent, day one",
    "priya.natarajan@example.com": "agent, into the second module",
    "jordan.reyes@example.com": "agent, failed a check once, half-way",
    "lee.chen@example.com": "agent, nearly done",
    "maria.lopez@example.com": "manager of the team",
    "admin@example.com": "admin",
}


def seed_demo(
    today: date | None = None, base_url: str = "http://127.0.0.1:5000"
) -> list[tuple[str, str, str]]:
    """Create what is missing of the demo (idempotent); return (role, e-mail, note) per login."""
    result = operations.publish_curriculum(load_curriculum_file(str(STARTER_CURRICULUM)))
    version = result.version
    if find_team(TEAM_NAME) is None:
        for name, email, role, _ in PEOPLE:
            if role is not Role.AGENT and find_user_by_email(email) is None:
                create_user(email, name, DEMO_PASSWORD, role)
        create_team(TEAM_NAME, "maria.lopez@example.com")
    for name, email, role, steps in PEOPLE:
        if role is not Role.AGENT or find_user_by_email(email):
            continue
        agent = create_user(email, name, DEMO_PASSWORD, role, TEAM_NAME)
        enrollment = operations.enroll(agent, version)
        _work_through(enrollment, steps, fail_first_check=email.startswith("jordan"))
    _seed_cohorts(version, today or clock.today(), base_url)
    logins = [(role.value, email, NOTES[email]) for _, email, role, _ in PEOPLE]
    return [
        *logins,
        (
            "agent",
            "noah.becker@example.com",
            "agent, week 10 of the September wave, with QA and ticket data",
        ),
        ("agent", "tomas.rivera@example.com", "agent, struggling in nesting (October wave)"),
        ("agent", "kwame.mensah@example.com", "agent, July wave, holds a readiness certificate"),
    ]


# (cohort name, days since its start, queue, channel, [(name, e-mail, steps done, sign-offs)])
# Sign-offs: (milestone key, day after the start it was signed).
CLASSROOM = (("shadowing", 18), ("classroom-complete", 20))
GRADUATED = (*CLASSROOM, ("nesting-graduation", 41))
COHORTS = [
    (
        "July wave · Chat",
        119,
        "general",
        "chat",
        [
            ("Kwame Mensah", "kwame.mensah@example.com", 36, GRADUATED),
            ("Samuel Adeyemi", "samuel.adeyemi@example.com", 36, GRADUATED),
            ("Elena Petrova", "elena.petrova@example.com", 36, GRADUATED),
        ],
    ),
    (
        "September wave · Email",
        66,
        "general",
        "chat",
        [
            ("Noah Becker", "noah.becker@example.com", 36, GRADUATED),
            ("Amara Osei", "amara.osei@example.com", 36, GRADUATED),
            ("Lucas Moreau", "lucas.moreau@example.com", 30, ()),
            ("Hana Sato", "hana.sato@example.com", 36, CLASSROOM),
        ],
    ),
    (
        "October wave · Chat",
        33,
        "nesting-simple",
        "email",
        [
            ("Ines Duarte", "ines.duarte@example.com", 36, CLASSROOM),
            ("Tomás Rivera", "tomas.rivera@example.com", 22, ()),
            ("Grace Kim", "grace.kim@example.com", 36, CLASSROOM),
        ],
    ),
]
NEWEST_COHORT = ("November wave · Phone", 5)


def _seed_cohorts(version, today: date, base_url: str) -> None:
    """Three cohorts at different stages: ramp, nesting and classroom."""
    from ramp.milestones.models import Cohort
    from ramp.milestones.operations import (
        NewHire,
        add_hires,
        create_cohort,
        publish_template,
        sign_off,
    )
    from ramp.milestones.template_spec import load_template_file

    if db.session.execute(select(Cohort.id).limit(1)).first():
        return
    modules = {m.slug: m.assessment is not None for m in queries.load_version(version.id).modules}
    template = publish_template(load_template_file(str(STARTER_TEMPLATE), modules)).version
    team = find_team(TEAM_NAME)
    manager = find_user_by_email("maria.lopez@example.com")
    for name, age, queue, channel, people in COHORTS:
        start = today - timedelta(days=age)
        cohort = create_cohort(name, start, template, version, team)
        new = [
            NewHire(
                n,
                e,
                start,
                manager,
                cohort,
                {"queue": queue, "channel": channel, "tier": "tier-1", "language": "en"},
            )
            for n, e, _, _ in people
        ]
        for hire, (_, email, steps, sign_offs) in zip(add_hires(new, manager), people, strict=True):
            user = find_user_by_email(email)
            user.set_password(DEMO_PASSWORD)
            _work_through(hire.enrollment, steps, fail_first_check=False)
            for key, day in sign_offs:
                on = start + timedelta(days=day)
                sign_off(hire, key, manager, "Observed and discussed in our 1:1.", today=on)
    name, age = NEWEST_COHORT
    start = today - timedelta(days=age)
    cohort = create_cohort(name, start, template, version, team)
    agents = [(n, e) for n, e, role, _ in PEOPLE if role is Role.AGENT]
    add_hires(
        [
            NewHire(
                n,
                e,
                start,
                manager,
                cohort,
                {"queue": "classroom", "channel": "phone", "tier": "tier-1", "language": "en"},
            )
            for n, e in agents
        ],
        manager,
    )
    _seed_records(today)
    from ramp.milestones.operations import evaluate_hires

    # Evaluate as the daily schedule would have, so achievements carry the day they happened.
    first = today - timedelta(days=max(age for _, age, *_ in COHORTS))
    for offset in range((today - first).days + 1):
        evaluate_hires(None, first + timedelta(days=offset))
    _seed_certificates(manager, base_url)


def _seed_certificates(manager, base_url: str) -> None:
    """Kwame is certified; Elena has done everything and awaits the readiness sign-off."""
    from flask import current_app

    from ramp.accounts.models import User
    from ramp.certificates.operations import issue_certificate, readiness_of, sign_off_ready
    from ramp.milestones.models import Hire

    kwame = db.session.execute(
        select(Hire)
        .join(User, Hire.user_id == User.id)
        .where(User.email == "kwame.mensah@example.com")
    ).scalar_one()
    if readiness_of([kwame])[kwame.id].ready_but_sign_off:
        sign_off_ready(kwame, manager, "Reviewed the last four weeks of QA together.")
        issue_certificate(
            kwame, manager, base_url, organization=current_app.config["ORGANIZATION_NAME"]
        )


STRUGGLING = {"lucas.moreau@example.com", "tomas.rivera@example.com"}


def _seed_records(today: date) -> None:
    """QA reviews and contacts for every demo hire past classroom (see ramp.metrics.generator)."""
    import random

    from ramp.accounts.models import User
    from ramp.metrics.generator import generate_for_hire, insert_records
    from ramp.metrics.weekly import refresh_weeks
    from ramp.milestones.models import Hire

    rng = random.Random(2026)
    rows = db.session.execute(
        select(Hire, User.email).join(User, Hire.user_id == User.id).order_by(Hire.id)
    ).all()
    for hire, email in rows:
        contacts, reviews = generate_for_hire(
            hire.user_id, hire.start_date, today, rng, email in STRUGGLING
        )
        insert_records(contacts, reviews)
    refresh_weeks([hire.user_id for hire, _ in rows], today)


def _work_through(enrollment: Enrollment, steps: int, fail_first_check: bool) -> None:
    """Do the learner's next `steps` steps, as they would in the browser."""
    view = queries.curriculum_view(enrollment)
    failed_once = False
    for _ in range(steps):
        step = queries.curriculum_view(enrollment).next
        if step is None:
            return
        module = view.module_by_id(step.module_id)
        if step.kind == "lesson":
            lesson = view.lesson_by_id(step.lesson_id)
            operations.visit_lesson(enrollment, lesson)
            operations.complete_lesson(enrollment, lesson)
            continue
        key = queries.answer_key(module.assessment)
        if fail_first_check and not failed_once:
            wrong = {
                q.id: frozenset([next(c for c in q.choice_ids if c not in q.correct_ids)])
                for q in key
            }
            operations.submit_attempt(enrollment, module.assessment, wrong)
            failed_once = True
        operations.submit_attempt(enrollment, module.assessment, {q.id: q.correct_ids for q in key})
