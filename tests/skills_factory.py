"""A ramp template that grants skills, and a cohort on it, for the skills tests."""

from __future__ import annotations

from tests.conftest import FIXTURES

# The mini template, with skills: the classroom grants chat, the floor billing at level 2,
# the certificate Spanish and billing at level 4 (so billing has two sources).
SKILLS_TEMPLATE = (FIXTURES / "mini-template.yaml").read_text().replace(
    "slug: mini-ramp", "slug: mini-skills"
).replace("warning_days: 3", "warning_days: 3\ncertificate_validity_days: 60").replace(
    "      modules: [basics, tone, kb]\n      sign_off: true\n",
    "      modules: [basics, tone, kb]\n      sign_off: true\n    skills: [channel:chat]\n",
).replace(
    "    phase: nesting\n    due_day: 28\n    criteria:\n      sign_off: true\n",
    "    phase: nesting\n    due_day: 28\n    criteria:\n      sign_off: true\n"
    "    skills:\n      - skill: queue:billing\n        level: 2\n",
) + "certificate_skills:\n  - language:es\n  - skill: queue:billing\n    level: 4\n"


def skills_cohort(world, name: str = "Wave S"):
    """A cohort of the lead's team on the skills template."""
    from ramp.extensions import db
    from ramp.milestones.operations import create_cohort, publish_template
    from ramp.milestones.template_spec import parse_template

    modules = {"basics": True, "tone": True, "kb": False}
    version = publish_template(parse_template(SKILLS_TEMPLATE, modules=modules)).version
    cohort = create_cohort(
        name, world.start, version, world.cohort.curriculum_version, world.cohort.team
    )
    db.session.commit()
    return cohort
