"""Demo data: the starter curriculum, a team, and agents at different points of it."""

from __future__ import annotations

from pathlib import Path

from ramp.accounts.models import Role
from ramp.accounts.operations import create_team, create_user, find_team, find_user_by_email
from ramp.curricula import operations, queries
from ramp.curricula.models import Enrollment
from ramp.curricula.spec import load_curriculum_file

STARTER_CURRICULUM = Path(__file__).parent / "curricula" / "starter" / "support-onboarding.yaml"
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


def seed_demo() -> list[tuple[str, str, str]]:
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
    return [(role.value, email, NOTES[email]) for _, email, role, _ in PEOPLE]


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
