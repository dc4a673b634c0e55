"""Demo data: the starter curriculum, a team, and agents at different points of it; and the
`ramp demo` command that sets it up and serves it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.serving import run_simple

from ramp import clock
from ramp.accounts.models import Role, User
from ramp.accounts.operations import create_team, create_user, find_team, find_user_by_email
from ramp.certificates.operations import issue_certificate, readiness_of, sign_off_ready
from ramp.coaching import progress
from ramp.coaching import queries as coaching_queries
from ramp.coaching.operations import publish_rules_text, run_rules
from ramp.curricula import STARTER_CURRICULUM, operations, queries
from ramp.curricula.models import Enrollment
from ramp.curricula.spec import load_curriculum_file
from ramp.extensions import db
from ramp.forecast.models import PlannedClass
from ramp.metrics.generator import Profile, generate_for_hire, insert_records
from ramp.metrics.weekly import refresh_weeks
from ramp.milestones import STARTER_TEMPLATE
from ramp.milestones.leaving import mark_left
from ramp.milestones.models import Cohort, Hire
from ramp.milestones.operations import (
    NewHire,
    add_hires,
    create_cohort,
    evaluate_hires,
    publish_template,
    re_place,
    sign_off,
)
from ramp.milestones.template_spec import load_template_file

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
    "sam.okafor@example.com": "agent, day 5 of classroom, has not started the curriculum",
    "priya.natarajan@example.com": "agent, day 5 of classroom, into the second module",
    "jordan.reyes@example.com": "agent, day 5 of classroom, failed a check once, half-way",
    "lee.chen@example.com": "agent, day 5 of classroom, nearly done",
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
    stories = [("agent", p.email, p.story) for *_, people in COHORTS for p in people if p.story]
    return logins + stories


# Sign-offs: (milestone key, day after the start it was signed).
CLASSROOM = (("shadowing", 18), ("classroom-complete", 20))
GRADUATED = (*CLASSROOM, ("nesting-graduation", 41))


@dataclass(frozen=True)
class DemoHire:
    """One demo hire: who, how far through the curriculum, what was signed, how they do."""

    name: str
    email: str
    steps: int  # lessons read or checks passed, in curriculum order (36: all of them)
    sign_offs: tuple[tuple[str, int], ...]
    profile: Profile = field(default_factory=Profile)
    story: str = ""
    # Left on this day after the start, with a reason and a note (ramp.milestones.leaving).
    left: tuple[int, str, str] | None = None


# (days since the cohort's start, hires). A cohort is named after the day it started on and
# the channel it works now, so the names stay true, and apart, on any date.
COHORTS = [
    (
        119,
        [
            DemoHire(
                "Kwame Mensah",
                "kwame.mensah@example.com",
                36,
                GRADUATED,
                Profile(quality=3, speed=0.93, csat=0.03),
                "week 18, proficient, holds a readiness certificate",
            ),
            DemoHire(
                "Elena Petrova",
                "elena.petrova@example.com",
                36,
                GRADUATED,
                Profile(quality=2, speed=0.95, csat=0.02),
                "week 18, proficient, ready: awaiting the manager's sign-off",
            ),
            DemoHire(
                "Samuel Adeyemi",
                "samuel.adeyemi@example.com",
                36,
                GRADUATED,
                Profile(quality=2, speed=0.97, csat=-0.2),
                "week 18, missed the customer-outcome milestone on CSAT",
            ),
            DemoHire(
                "Rafael Costa",
                "rafael.costa@example.com",
                30,
                CLASSROOM,
                Profile(quality=1, speed=0.98),
                left=(24, "another_job", "Accepted an offer closer to home."),
            ),
            DemoHire(
                "Mei Tanaka",
                "mei.tanaka@example.com",
                36,
                CLASSROOM,
                Profile(quality=-8, speed=1.2, csat=-0.1),
                left=(52, "role_fit", "Found the chat pace stressful; we talked it through twice."),
            ),
        ],
    ),
    (
        66,
        [
            DemoHire(
                "Noah Becker",
                "noah.becker@example.com",
                36,
                GRADUATED,
                Profile(quality=2, speed=0.95, csat=0.02),
                "week 10, on track and ready: awaiting the manager's sign-off",
            ),
            DemoHire(
                "Amara Osei",
                "amara.osei@example.com",
                36,
                GRADUATED,
                Profile(
                    quality=1,
                    speed=0.97,
                    csat=-0.14,
                    weak_category="Tone & Empathy",
                    weak_by=35,
                    weak_from=42,
                    weak_until=49,
                ),
                "week 10, at risk: CSAT short of the week-10 milestone, due in 4 days",
            ),
            DemoHire(
                "Lucas Moreau",
                "lucas.moreau@example.com",
                36,
                GRADUATED,
                Profile(
                    quality=1,
                    speed=0.97,
                    fcr=-0.1,
                    weak_category="Resolution accuracy",
                    weak_by=40,
                    weak_from=49,
                ),
                "week 10, at risk: first-contact resolution short, due in 4 days",
            ),
        ],
    ),
    (
        33,
        [
            DemoHire(
                "Hana Sato",
                "hana.sato@example.com",
                36,
                CLASSROOM,
                Profile(quality=2, speed=0.9, csat=0.02),
            ),
            DemoHire(
                "Ines Duarte",
                "ines.duarte@example.com",
                36,
                CLASSROOM,
                Profile(quality=8, speed=0.95),
            ),
            DemoHire(
                "Tomás Rivera",
                "tomas.rivera@example.com",
                22,
                (),
                Profile(
                    quality=-7, speed=1.15, weak_category="Tone & Empathy", weak_by=30, weak_from=21
                ),
                "nesting, missed classroom: two modules still open, QA short",
            ),
            DemoHire(
                "Grace Kim", "grace.kim@example.com", 36, CLASSROOM, Profile(quality=3, speed=0.92)
            ),
        ],
    ),
]
NEWEST_COHORT_AGE = 5
# Where the shipped template's phases put a hire: (from day, queue, channel, why).
PLACEMENTS = [
    (0, "classroom", "email", ""),
    (21, "nesting-simple", "email", "Nesting: simple e-mail contacts with a coach close by."),
    (42, "general", "chat", "Graduated from nesting: the full tier-1 mix on chat."),
]


def cohort_name(start: date, channel: str) -> str:
    """ "July 14 wave · Chat": the day a class started and the channel it works. (The month
    alone is not enough: early in a month, the two e-mail classes, 33 and 5 days old, can
    both have started in the month before.)"""
    return f"{start:%B} {start.day} wave · {channel.title()}"


def _seed_cohorts(version, today: date, base_url: str) -> None:
    """Four classes at different stages: ramp (two), nesting and classroom."""
    if db.session.execute(select(Cohort.id).limit(1)).first():
        return
    modules = {m.slug: m.assessment is not None for m in queries.load_version(version.id).modules}
    template = publish_template(load_template_file(str(STARTER_TEMPLATE), modules)).version
    team = find_team(TEAM_NAME)
    manager = find_user_by_email("maria.lopez@example.com")
    profiles: dict[int, Profile] = {}
    leavers: list[tuple[Hire, date, str, str]] = []
    for age, people in [*COHORTS, (NEWEST_COHORT_AGE, [])]:
        start = today - timedelta(days=age)
        steps = [
            (day, queue, channel, why) for day, queue, channel, why in PLACEMENTS if day <= age
        ]
        _, queue, channel, _ = steps[-1]
        cohort = create_cohort(cohort_name(start, channel), start, template, version, team)
        if not people:  # the newest class: the curriculum's demo learners
            people = [DemoHire(n, e, 0, ()) for n, e, role, _ in PEOPLE if role is Role.AGENT]
        first = {"queue": steps[0][1], "channel": steps[0][2], "tier": "tier-1", "language": "en"}
        new = [NewHire(p.name, p.email, start, manager, cohort, first) for p in people]
        for hire, person in zip(add_hires(new, manager), people, strict=True):
            profiles[hire.user_id] = person.profile
            if person.steps:
                hire.user.set_password(DEMO_PASSWORD)
                _work_through(hire.enrollment, person.steps, fail_first_check=False)
            for key, day in person.sign_offs:
                on = start + timedelta(days=day)
                sign_off(hire, key, manager, "Observed and discussed in our 1:1.", today=on)
            for day, queue, channel, why in steps[1:]:
                fields = {**first, "queue": queue, "channel": channel}
                re_place(hire, start + timedelta(days=day), fields, manager, why, today=today)
            _date_history(hire, dict(person.sign_offs))
            if person.left is not None:
                day, reason, note = person.left
                leavers.append((hire, start + timedelta(days=day), reason, note))
    _seed_records(today, profiles, {h.user_id: on for h, on, *_ in leavers})
    # Evaluate as a schedule would have, so achievements carry (within a week) the day they
    # happened: weekly through the past, daily over the last week.
    first = today - timedelta(days=max(age for age, *_ in COHORTS))
    days = sorted(
        {
            *range(0, (today - first).days, 7),
            *range((today - first).days - 6, (today - first).days + 1),
        }
    )
    for offset in days:
        evaluate_hires(None, first + timedelta(days=offset))
    _seed_coaching(today)
    _seed_certificates(manager, base_url)
    _seed_leavers(leavers, manager, team, today)


def _seed_leavers(leavers, manager, team, today: date) -> None:
    """Two hires of the oldest class who left, with their reasons; and a class planned to
    start in three weeks, so that capacity and early attrition have something to show."""
    db.session.flush()
    for hire, on, reason, note in leavers:
        mark_left(hire, on, reason, note, manager, today=today)
        for event in hire.events:
            if event.action == "left":
                event.at = datetime.combine(on, time(17), tzinfo=UTC)
    start = today + timedelta(days=21 - today.weekday())
    db.session.add(
        PlannedClass(
            name=f"{start:%B} class · Chat (planned)",
            team_id=team.id,
            queue="general",
            channel="chat",
            start_date=start,
            heads=8,
            created_by_id=manager.id,
        )
    )
    db.session.flush()


# Two coaching rules on the demo's scorecard (docs/coaching.md).
COACHING_RULES = """\
version: 1
rules:
  - key: empathy-refresher
    title: Tone and empathy refresher
    when:
      category: Tone & Empathy
      below: 60
      failing: 3
      of_last: 4
    assign:
      curriculum: support-onboarding
      module: tone-and-empathy
      due_in_days: 7
      one_to_one: true
    measure_over: 3
  - key: resolution-refresher
    title: Resolution accuracy refresher
    when:
      category: Resolution accuracy
      below: 65
      failing: 3
      of_last: 5
    assign:
      curriculum: support-onboarding
      module: escalation-policy
      lesson: when-to-escalate
      due_in_days: 7
    measure_over: 3
"""
# Refreshers of the past: (e-mail, tenure day the rules fired, tenure day it was done).
COACHING_HISTORY = [("amara.osei@example.com", 46, 49)]


def _seed_coaching(today: date) -> None:
    """The rules, Amara's empathy refresher fired and done weeks ago (its effect measured),
    and today's run, which gives Lucas and Tomás theirs."""
    admin = find_user_by_email("admin@example.com")
    publish_rules_text(COACHING_RULES, admin)
    for email, fired, done in COACHING_HISTORY:
        hire = db.session.execute(
            select(Hire).join(User, Hire.user_id == User.id).where(User.email == email)
        ).scalar_one()
        run_rules(hire.start_date + timedelta(days=fired), [hire.user_id])
        on = hire.start_date + timedelta(days=done)
        for assignment in coaching_queries.refreshers_of_hire(hire.id):
            found = coaching_queries.refresher(assignment)
            for lesson in found.lessons:
                progress.review_lesson(assignment, lesson, hire.user, on)
            for module in found.checks:
                key = queries.answer_key(module.assessment)
                answers = {q.id: q.correct_ids for q in key}
                progress.submit_check(assignment, module, answers, hire.user, on)
            assignment.completed_at = datetime.combine(on, time(11), tzinfo=UTC)
            assignment.fired_at = datetime.combine(
                hire.start_date + timedelta(days=fired), time(6), tzinfo=UTC
            )
        for event in hire.events:
            if event.action == "coaching_assigned":
                event.at = datetime.combine(
                    hire.start_date + timedelta(days=fired), time(6), tzinfo=UTC
                )
            elif event.action == "coaching_completed":
                event.at = datetime.combine(on, time(11), tzinfo=UTC)
    run_rules(today)


def _date_history(hire: Hire, sign_offs: dict[str, int]) -> None:
    """Give the hire's history the days things happened, not the day the demo was made."""
    for event in hire.events:
        if event.action == "sign_off" and event.milestone_key in sign_offs:
            day = hire.start_date + timedelta(days=sign_offs[event.milestone_key])
        elif event.action == "re_place":
            day = date.fromisoformat(event.details["from"])
        elif event.action == "hired":
            day = hire.start_date - timedelta(days=7)
        else:
            continue
        event.at = datetime.combine(day, time(16), tzinfo=UTC)


def _seed_certificates(manager, base_url: str) -> None:
    """Kwame is certified; Elena has done everything and awaits the readiness sign-off."""
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


def _seed_records(
    today: date, profiles: dict[int, Profile], left: dict[int, date] | None = None
) -> None:
    """QA reviews and contacts for every demo hire past classroom (see ramp.metrics.generator),
    up to today or the day the hire left."""
    left = left or {}
    rows = db.session.execute(
        select(Hire.user_id, Hire.start_date, User.email)
        .join(User, Hire.user_id == User.id)
        .order_by(Hire.id)
    ).all()
    for user_id, start, email in rows:
        profile = profiles.get(user_id, Profile())
        end = min(today, left.get(user_id, today))
        insert_records(*generate_for_hire(user_id, start, end, profile, seed=email))
    refresh_weeks([user_id for user_id, *_ in rows], today)


def _work_through(enrollment: Enrollment, steps: int, fail_first_check: bool) -> None:
    """Do the learner's first `steps` steps in curriculum order, as they would in the browser."""
    version = queries.load_version(enrollment.version_id)
    failed_once = False
    for module in version.modules:
        for lesson in module.lessons:
            if steps <= 0:
                return
            operations.complete_lesson(enrollment, lesson)
            enrollment.last_lesson = lesson  # where "resume" takes the learner
            steps -= 1
        if module.assessment is None:
            continue
        if steps <= 0:
            return
        key = queries.answer_key(module.assessment)
        if fail_first_check and not failed_once:
            wrong = {
                q.id: frozenset([next(c for c in q.choice_ids if c not in q.correct_ids)])
                for q in key
            }
            operations.submit_attempt(enrollment, module.assessment, wrong)
            failed_once = True
        operations.submit_attempt(enrollment, module.assessment, {q.id: q.correct_ids for q in key})
        steps -= 1


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Set up the demo data and exit.")
@with_appcontext
def demo_command(host, port, no_serve):
    """Migrate the database, load the starter curriculum and demo users, and serve."""
    upgrade()
    # The demo knows where it is served: certificates and LTI URLs name that address.
    if not current_app.config.get("PUBLIC_URL"):
        current_app.config["PUBLIC_URL"] = f"http://{host}:{port}"
    logins = seed_demo(base_url=current_app.config["PUBLIC_URL"])
    db.session.commit()
    click.echo("")
    click.secho("ramp demo is ready.", bold=True)
    click.echo(f"  database: {current_app.config['SQLALCHEMY_DATABASE_URI']}")
    click.echo(f"  open:     http://{host}:{port}/")
    click.echo(f"  password for every demo login: {DEMO_PASSWORD}")
    for role, email, note in logins:
        click.echo(f"    {role:8} {email:32} {note}")
    click.echo("")
    if not no_serve:
        from ramp.serving import settle

        settle()  # as each gunicorn worker does, once the app is built
        # app.run() refuses to start from within the flask CLI; serve with Werkzeug directly.
        run_simple(host, port, current_app._get_current_object(), threaded=True)
