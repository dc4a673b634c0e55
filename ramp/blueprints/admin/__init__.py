"""Admin pages: people, teams, curricula, ramp templates, cohorts, imports, targets, tokens, audit log."""

# Importing the view modules adds their routes to the blueprint.
from ramp.blueprints.admin import (  # noqa: F401
    agent_sync,
    coaching,
    curricula,
    notifications,
    people,
    sign_in,
    targets,
    tokens,
    views,
)
from ramp.blueprints.admin.blueprint import bp

__all__ = ["bp"]
