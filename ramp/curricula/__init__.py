"""Curricula: versions, modules, lessons, knowledge checks and learner progress."""

from pathlib import Path

# The starter curriculum for new support agents, shipped with ramp (see docs/curricula.md).
STARTER_CURRICULUM = Path(__file__).parent / "starter" / "support-onboarding.yaml"
